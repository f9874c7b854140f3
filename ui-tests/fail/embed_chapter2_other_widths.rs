use shaped::nn::{Dense, Layers, ModelRef, Relu, Softmax};

// data/chapter2.weights holds (Dense<784, 512, Relu>, Dense<512, 10, Softmax>).
type Smaller = (Dense<784, 256, Relu>, Dense<256, 10, Softmax>);

static WEIGHTS: <Smaller as Layers<f32>>::Params = shaped::include_weights!(Smaller, "../../data/chapter2.weights");

fn main() {
    let _ = ModelRef::<Smaller>::new(&WEIGHTS).predict(&[0.0; 784]);
}
