use shaped::constraint::Dims1;
use shaped::nn::{Dense, Dropout, Relu, Sequential, Softmax};

// The dropout is written for 32 values, but the layer before it has 64 outputs.
type Net = (Dense<784, 64, Relu>, Dropout<Dims1<32>, 500>, Dense<32, 10, Softmax>);

fn main() {
    let _ = Sequential::<Net>::zeros();
}
