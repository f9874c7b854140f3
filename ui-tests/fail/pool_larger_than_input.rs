// Three poolings of 2 on 12 x 12: 6, 3, then 1, and a fourth has no window.
shaped::network! {
    type Net = (12, 12, 3) => [
        MaxPooling2D(2),
        MaxPooling2D(2),
        MaxPooling2D(2),
        MaxPooling2D(2),
        Flatten,
        Dense(2),
    ];
}

fn main() {}
