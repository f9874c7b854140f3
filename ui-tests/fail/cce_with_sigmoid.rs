use shaped::nn::{Dense, Relu, Sequential, Sigmoid};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{CategoricalCrossentropy, Metric, RmsProp};

fn main() {
    let model = Sequential::<(Dense<784, 512, Relu>, Dense<512, 10, Sigmoid>)>::new(&mut StdRng::seed_from_u64(0));
    let _ = model.compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy]);
}
