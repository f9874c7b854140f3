use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{CategoricalCrossentropy, RmsProp};

fn main() {
    let mut model = Sequential::<(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)>::new(&mut StdRng::seed_from_u64(0))
        .compile(RmsProp::default(), CategoricalCrossentropy, &[])
        .unwrap();
    let images = vec![[0.0f32; 784]; 4];
    // Class numbers as read from an IDX label file, for a one-hot loss.
    let labels = vec![3u8; 4];
    let _ = model.fit(&images, &labels, 1, 2);
}
