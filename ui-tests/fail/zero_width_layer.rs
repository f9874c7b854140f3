use shaped::nn::{Dense, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

fn main() {
    // A layer of no outputs has nothing to learn: refused when the program is built.
    let model = Sequential::<(Dense<784, 0, Softmax>,)>::new(&mut StdRng::seed_from_u64(0));
    let _ = model.predict(&[0.5f32; 784]);
}
