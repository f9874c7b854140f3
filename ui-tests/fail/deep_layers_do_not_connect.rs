use shaped::nn::{Dense, Layers, Relu, Softmax};

// The fourth layer of six expects 64 inputs, the third gives 32.
type Net = (
    Dense<16, 32, Relu>,
    Dense<32, 32, Relu>,
    Dense<32, 32, Relu>,
    Dense<64, 32, Relu>,
    Dense<32, 32, Relu>,
    Dense<32, 4, Softmax>,
);

fn main() {
    let _ = <Net as Layers<f32>>::PARAMS;
}
