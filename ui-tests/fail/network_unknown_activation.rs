shaped::network! {
    type Net = (28, 28, 1) => [
        Conv2D(32, 3, activation = "rleu"),
        Flatten,
        Dense(10, activation = "softmax"),
    ];
}

fn main() {}
