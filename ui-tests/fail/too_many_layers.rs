use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

type D = Dense<8, 8, Relu>;
type Deep = (D, D, D, D, D, D, D, D, D, D, D, D, D, Dense<8, 2, Softmax>);

fn main() {
    let _model = Sequential::<Deep>::new(&mut StdRng::seed_from_u64(0));
}
