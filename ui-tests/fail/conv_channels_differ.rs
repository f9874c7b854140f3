use shaped::nn::{Conv2D, Layers, Relu};

// The second convolution expects 16 channels; the first gives 32.
type Net = (Conv2D<28, 28, 1, 32, 3, 3, 1, 1, 26, 26, Relu>, Conv2D<26, 26, 16, 64, 3, 3, 1, 1, 24, 24, Relu>);

fn main() {
    let _ = <Net as Layers<f32>>::PARAMS;
}
