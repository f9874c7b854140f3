use shaped::nn::{Dense, Layers, Relu, Softmax};

type Net = (Dense<2, 8, Relu>, Dense<8, 2, Softmax>);

static WEIGHTS: <Net as Layers<f32>>::Params =
    shaped::include_weights!(Net, "../../tests/fixtures/xor_truncated.weights");

fn main() {
    let _ = &WEIGHTS;
}
