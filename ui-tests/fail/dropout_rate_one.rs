// Keras's Dropout takes 0 <= rate < 1: a rate of 1 would drop every value.
shaped::network! {
    type Net = (784,) => [Dense(64, activation = "relu"), Dropout(1.0), Dense(10, activation = "softmax")];
}

fn main() {}
