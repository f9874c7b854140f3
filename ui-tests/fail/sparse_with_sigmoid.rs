use shaped::nn::{Dense, Relu, Sequential, Sigmoid};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{RmsProp, SparseCategoricalCrossentropy};

fn main() {
    let _ = Sequential::<(Dense<4, 8, Relu>, Dense<8, 3, Sigmoid>)>::new(&mut StdRng::seed_from_u64(0))
        .compile(RmsProp::default(), SparseCategoricalCrossentropy, &[]);
}
