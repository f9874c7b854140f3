use shaped::nn::Layers;

// The file holds f64 weights (tests/common/conv_nets.rs, `Pooled`), the static f32.
shaped::network! {
    type Pooled = (9, 8, 2) => [
        Conv2D(3, 3),
        AveragePooling2D(2, padding = "same"),
        GlobalAveragePooling2D,
        Dense(2, activation = "sigmoid"),
    ];
}

static WEIGHTS: <Pooled as Layers<f32>>::Params =
    shaped::include_weights!(Pooled, "../../tests/fixtures/pooled_conv_f64.weights");

fn main() {
    let _ = &WEIGHTS;
}
