use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

// The second layer expects 256 inputs, the first gives 512.
type Net = (Dense<784, 512, Relu>, Dense<256, 10, Softmax>);

fn main() {
    let _model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(0));
}
