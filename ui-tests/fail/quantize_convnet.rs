use shaped::nn::{Conv2D, Dense, Flatten, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

type Net = (Conv2D<8, 8, 1, 4, 3, 3, 1, 1, 6, 6, Relu>, Flatten<6, 6, 4, 144>, Dense<144, 10, Softmax>);

fn main() {
    let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(0));
    // int8 kernels exist for Dense layers only.
    let _ = model.quantize(&[[[[0.0f32; 1]; 8]; 8]]);
}
