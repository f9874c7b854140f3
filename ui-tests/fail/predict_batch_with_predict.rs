use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

fn main() {
    let model = Sequential::<(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)>::new(&mut StdRng::seed_from_u64(0));
    let images = vec![[0.0f32; 784]; 32];
    // A batch needs predict_batch.
    let _ = model.predict(&images);
}
