use shaped::nn::{Conv2D, Flatten, Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

type Net = (Conv2D<28, 28, 1, 8, 3, 3, 1, 1, 26, 26, Relu>, Flatten<26, 26, 8, 5408>, Dense<5408, 10, Softmax>);

fn main() {
    let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(0));
    // Images of (28, 28), not (28, 28, 1).
    let image = [[0.0f32; 28]; 28];
    let _ = model.predict(&image);
}
