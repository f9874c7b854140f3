use shaped::nn::Layers;

// `data/convnet.weights` holds the chapter-5 convnet, whose first layer is
// Conv2D(32, 3): this type asks for 5x5 kernels.
shaped::network! {
    type Convnet = (28, 28, 1) => [
        Conv2D(32, 5, activation = "relu"),
        MaxPooling2D(2),
        Conv2D(64, 3, activation = "relu"),
        MaxPooling2D(2),
        Conv2D(64, 3, activation = "relu"),
        Flatten,
        Dense(64, activation = "relu"),
        Dense(10, activation = "softmax"),
    ];
}

static WEIGHTS: <Convnet as Layers<f32>>::Params =
    shaped::include_weights!(Convnet, "../../data/convnet.weights");

fn main() {
    let _ = &WEIGHTS;
}
