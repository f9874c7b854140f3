use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

fn main() {
    let model = Sequential::<(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)>::new(&mut StdRng::seed_from_u64(0));
    // An f64 image for an f32 network.
    let image = [0.5f64; 784];
    let _ = model.predict(&image);
}
