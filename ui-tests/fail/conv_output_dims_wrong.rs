use shaped::nn::{Conv2D, Layers, Relu};

// A 3 x 3 kernel on 28 x 28 gives 26 x 26, not 27 x 27 (a hand-written type: the check
// is made when it is built).
type Net = Conv2D<28, 28, 1, 32, 3, 3, 1, 1, 27, 27, Relu>;

fn main() {
    let _ = <Net as Layers<f32>>::CHECK;
}
