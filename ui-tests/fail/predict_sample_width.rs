use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);

fn main() {
    let model = Sequential::<Chapter2>::new(&mut StdRng::seed_from_u64(0));
    // A 28x28 image must be flattened to 784 values first.
    let _ = model.predict(&[0.0f32; 28]);
}
