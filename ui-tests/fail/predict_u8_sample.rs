use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

fn main() {
    let model = Sequential::<(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)>::new(&mut StdRng::seed_from_u64(0));
    // Raw pixels: they must be scaled to f32 first.
    let pixels = [0u8; 784];
    let _ = model.predict(&pixels);
}
