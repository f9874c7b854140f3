use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{Metric, RmsProp, SparseCategoricalCrossentropy};

fn main() {
    let mut model = Sequential::<(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)>::new(&mut StdRng::seed_from_u64(0))
        .compile(RmsProp::default(), SparseCategoricalCrossentropy, &[Metric::Accuracy])
        .unwrap();
    let images = vec![[0.0f32; 784]; 4];
    let labels = vec![[0.0f32; 10]; 4];
    let _ = model.fit(&images, &labels, 5, 128);
}
