use shaped::nn::{Dense, Layers, Relu, Softmax};

type Net = (Dense<2, 8, Relu>, Dense<8, 2, Softmax>);

// The file holds f32 weights.
static WEIGHTS: <Net as Layers<f64>>::Params = shaped::include_weights!(Net, f64, "../../tests/fixtures/xor.weights");

fn main() {
    let _ = &WEIGHTS;
}
