use shaped::nn::Layers;

// The file's network ends with Dense(3, softmax) (tests/common/conv_nets.rs, `Strided`).
shaped::network! {
    type Features = (12, 10, 3) => [
        Conv2D(4, (3, 2), strides = (2, 1), padding = "same", activation = "tanh"),
        MaxPooling2D(2),
        Conv2D(5, 2, activation = "relu"),
        Flatten,
    ];
}

static WEIGHTS: <Features as Layers<f32>>::Params =
    shaped::include_weights!(Features, "../../tests/fixtures/strided_conv.weights");

fn main() {
    let _ = &WEIGHTS;
}
