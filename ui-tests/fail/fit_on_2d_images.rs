use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{CategoricalCrossentropy, RmsProp};

fn main() {
    let mut model = Sequential::<(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)>::new(&mut StdRng::seed_from_u64(0))
        .compile(RmsProp::default(), CategoricalCrossentropy, &[])
        .unwrap();
    // 28x28 images, not flattened.
    let images = vec![[[0.0f32; 28]; 28]; 4];
    let labels = vec![[0.0f32; 10]; 4];
    let _ = model.fit(&images, &labels, 1, 2);
}
