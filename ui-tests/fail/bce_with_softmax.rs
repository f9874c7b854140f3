use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{BinaryCrossentropy, Metric, RmsProp};

fn main() {
    let model = Sequential::<(Dense<16, 8, Relu>, Dense<8, 1, Softmax>)>::new(&mut StdRng::seed_from_u64(0));
    let _ = model.compile(RmsProp::default(), BinaryCrossentropy, &[Metric::Accuracy]);
}
