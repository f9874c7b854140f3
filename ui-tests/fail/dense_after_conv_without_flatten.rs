// A Dense right after a convolution: the Flatten is missing.
shaped::network! {
    type Net = (28, 28, 1) => [
        Conv2D(32, 3, activation = "relu"),
        MaxPooling2D(2),
        Dense(10, activation = "softmax"),
    ];
}

fn main() {}
