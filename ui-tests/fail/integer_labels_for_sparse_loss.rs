use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{RmsProp, SparseCategoricalCrossentropy};

fn main() {
    let model = Sequential::<(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)>::new(&mut StdRng::seed_from_u64(0))
        .compile(RmsProp::default(), SparseCategoricalCrossentropy, &[])
        .unwrap();
    let images = vec![[0.0f32; 784]; 4];
    // Raw class numbers, as read from an IDX label file.
    let labels = vec![3u8; 4];
    let _ = model.evaluate(&images, &labels);
}
