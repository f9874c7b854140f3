use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::Tensor1;

fn main() {
    let model = Sequential::<(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)>::new(&mut StdRng::seed_from_u64(0));
    let image = Tensor1::<f32, 784>::zeros();
    let _ = model.predict(&image);
}
