// A 5 x 5 kernel on 3 x 3 images, padding "valid": no window fits.
shaped::network! {
    type Net = (3, 3, 1) => [
        Conv2D(8, 5, activation = "relu"),
        Flatten,
        Dense(10, activation = "softmax"),
    ];
}

fn main() {
    let _ = core::mem::size_of::<Net>();
}
