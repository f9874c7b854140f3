use shaped::nn::{Dense, Layers, Softmax, Tanh};

type Net = (Dense<2, 8, Tanh>, Dense<8, 2, Softmax>);

static WEIGHTS: <Net as Layers<f32>>::Params = shaped::include_weights!(Net, "../../tests/fixtures/xor.weights");

fn main() {
    let _ = &WEIGHTS;
}
