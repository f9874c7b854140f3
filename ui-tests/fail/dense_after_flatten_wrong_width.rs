use shaped::nn::{Conv2D, Dense, Flatten, Layers, MaxPooling2D, Relu, Softmax};

// (13, 13, 32) flattens to 5408 values; the Dense was written for 5400.
type Net = (
    Conv2D<28, 28, 1, 32, 3, 3, 1, 1, 26, 26, Relu>,
    MaxPooling2D<26, 26, 32, 2, 2, 2, 2, 13, 13>,
    Flatten<13, 13, 32, 5408>,
    Dense<5400, 10, Softmax>,
);

fn main() {
    let _ = <Net as Layers<f32>>::PARAMS;
}
