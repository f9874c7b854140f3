use shaped::nn::{Dense, Relu, Sequential, Sigmoid};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{BinaryCrossentropy, Metric, RmsProp};

fn main() {
    let model = Sequential::<(Dense<4, 8, Relu>, Dense<8, 1, Sigmoid>)>::new(&mut StdRng::seed_from_u64(0))
        .compile(RmsProp::default(), BinaryCrossentropy, &[Metric::Accuracy])
        .unwrap();
    let x = vec![[0.0f32; 4]; 8];
    // Two-column one-hot labels for a one-output sigmoid.
    let y = vec![[1.0f32, 0.0]; 8];
    let _ = model.evaluate(&x, &y);
}
