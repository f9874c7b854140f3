use shaped::nn::{Dense, Layers, Relu, Softmax};

// `data/convnet.weights` holds the chapter-5 convnet, not the chapter-2 network.
type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);

static WEIGHTS: <Chapter2 as Layers<f32>>::Params =
    shaped::include_weights!(Chapter2, "../../data/convnet.weights");

fn main() {
    let _ = &WEIGHTS;
}
