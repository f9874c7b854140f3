//! Weight files compiled into the binary (`include_weights!`) against the run-time loader.

use shaped::nn::{Dense, Layers, ModelRef, Relu, Sequential, Sigmoid, Softmax, Tanh};
use shaped::rand::{SeedableRng, rngs::StdRng};

type Xor = (Dense<2, 8, Relu>, Dense<8, 2, Softmax>);
type Three = (Dense<3, 5, Tanh>, Dense<5, 4, Relu>, Dense<4, 2, Sigmoid>);
type One = (Dense<6, 3, Softmax>,);

// The fixtures are `Sequential::<Xor>::new(&mut StdRng::seed_from_u64(1)).save_weights(..)`,
// and the same for `Three` (f64, seed 2) and `One` (seed 3).

static XOR: <Xor as Layers<f32>>::Params = shaped::include_weights!(Xor, "fixtures/xor.weights");
static THREE: <Three as Layers<f64>>::Params =
    shaped::include_weights!(Three, f64, "fixtures/three_f64.weights");
static ONE: <One as Layers<f32>>::Params = shaped::include_weights!(One, "fixtures/one.weights");

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The bits of every weight, in `visit_params` order.
fn bits<N: Layers<T>, T: shaped::Scalar>(p: &N::Params) -> Vec<f64> {
    let mut out = Vec::new();
    N::visit_params(p, &mut |a| out.extend(a.iter().map(|&x| shaped::Scalar::to_f64(x))));
    out
}

#[test]
fn embedded_weights_equal_the_loaded_ones_bit_for_bit() {
    let mut xor = Sequential::<Xor>::zeros();
    xor.load_weights(fixture("xor.weights")).unwrap();
    assert_eq!(xor.params(), &XOR);
    let mut three = Sequential::<Three, f64>::zeros();
    three.load_weights(fixture("three_f64.weights")).unwrap();
    assert_eq!(bits::<Three, f64>(three.params()), bits::<Three, f64>(&THREE));
    let mut one = Sequential::<One>::zeros();
    one.load_weights(fixture("one.weights")).unwrap();
    assert_eq!(one.params(), &ONE);
    // Not all zeros: the fixtures hold trained-like values.
    assert!(bits::<Xor, f32>(&XOR).iter().any(|&x| x != 0.0));
}

#[test]
fn an_embedded_model_predicts_as_the_heap_one() {
    let mut heap = Sequential::<Three, f64>::zeros();
    heap.load_weights(fixture("three_f64.weights")).unwrap();
    let embedded = ModelRef::<Three, f64>::new(&THREE);
    let xs = shaped::Tensor2::<f64, 20, 3>::random_uniform(&mut StdRng::seed_from_u64(9), -2.0, 2.0);
    for x in xs.as_array() {
        assert_eq!(heap.predict(x), embedded.predict(x));
    }
    let x = [0.5f32; 6];
    let mut one = Sequential::<One>::zeros();
    one.load_weights(fixture("one.weights")).unwrap();
    assert_eq!(one.predict(&x), ModelRef::<One>::new(&ONE).predict(&x));
}
