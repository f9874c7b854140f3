use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

fn main() {
    let model = Sequential::<(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)>::new(&mut StdRng::seed_from_u64(0));
    let pixels: Vec<f32> = vec![0.0; 784];
    let _ = model.predict(&pixels);
}
