use shaped::nn::{Dense, Layers, Linear, ModelRef, Relu, Sequential, Sigmoid, Softmax, Tanh};
use shaped::rand::{SeedableRng, rngs::StdRng};

type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
type Deep = (
    Dense<16, 32, Relu>,
    Dense<32, 32, Tanh>,
    Dense<32, 32, Sigmoid>,
    Dense<32, 32, Linear>,
    Dense<32, 32, Relu>,
    Dense<32, 32, Relu>,
    Dense<32, 32, Relu>,
    Dense<32, 4, Softmax>,
);
// A stack may hold stacks.
type Nested = ((Dense<4, 8, Relu>, Dense<8, 8, Relu>), Dense<8, 2, Softmax>);

fn main() {
    const P: usize = <Chapter2 as Layers<f32>>::PARAMS;
    assert_eq!(P, 407_050);
    let mut rng = StdRng::seed_from_u64(1);
    let m = Sequential::<Chapter2>::new(&mut rng);
    let _: [f32; 10] = m.predict(&[0.0; 784]);
    let d = Sequential::<Deep, f64>::new(&mut rng);
    let _: [f64; 4] = d.predict(&[1.0; 16]);
    assert_eq!(<Deep as Layers<f64>>::DEPTH, 8);
    let n = Sequential::<Nested>::new(&mut rng);
    let _: [f32; 2] = ModelRef::<Nested>::new(n.params()).predict(&[1.0; 4]);
}
