use shaped::nn::{Dense, Relu, Sequential};
use shaped::rand::{SeedableRng, rngs::StdRng};

fn main() {
    let _ = Sequential::<(Dense<4, 8, Relu>, u32)>::new(&mut StdRng::seed_from_u64(0));
}
