use shaped::nn::{Dense, Layers, Relu, Softmax};

// The file holds (Dense<2, 8, Relu>, Dense<8, 2, Softmax>).
type Net = (Dense<2, 9, Relu>, Dense<9, 2, Softmax>);

static WEIGHTS: <Net as Layers<f32>>::Params = shaped::include_weights!(Net, "../../tests/fixtures/xor.weights");

fn main() {
    let _ = &WEIGHTS;
}
