use shaped::nn::{Conv2D, Dense, Layers, Relu};

// A convolution takes images; the Dense before it gives a vector.
type Net = (Dense<784, 784, Relu>, Conv2D<28, 28, 1, 8, 3, 3, 1, 1, 26, 26, Relu>);

fn main() {
    let _ = <Net as Layers<f32>>::PARAMS;
}
