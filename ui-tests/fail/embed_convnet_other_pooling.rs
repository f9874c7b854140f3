use shaped::nn::Layers;

// The file's network pools with MaxPooling2D (tests/common/conv_nets.rs, `Strided`).
shaped::network! {
    type Strided = (12, 10, 3) => [
        Conv2D(4, (3, 2), strides = (2, 1), padding = "same", activation = "tanh"),
        AveragePooling2D(2),
        Conv2D(5, 2, activation = "relu"),
        Flatten,
        Dense(3, activation = "softmax"),
    ];
}

static WEIGHTS: <Strided as Layers<f32>>::Params =
    shaped::include_weights!(Strided, "../../tests/fixtures/strided_conv.weights");

fn main() {
    let _ = &WEIGHTS;
}
