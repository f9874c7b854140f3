use shaped::nn::{Dense, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

fn main() {
    let model = Sequential::<Dense<0, 10, Softmax>>::new(&mut StdRng::seed_from_u64(0));
    let _ = model.predict(&[0.0f32; 0]);
}
