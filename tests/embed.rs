//! Weight files compiled into the binary (`include_weights!`) against the run-time loader.

use shaped::nn::{Dense, Layers, ModelRef, Relu, Scratch, Sequential, Sigmoid, Softmax, Tanh};
use shaped::rand::{RngExt, SeedableRng, rngs::StdRng};

#[path = "common/conv_nets.rs"]
mod conv_nets;
use conv_nets::{Pooled, Strided};

type Xor = (Dense<2, 8, Relu>, Dense<8, 2, Softmax>);
type Three = (Dense<3, 5, Tanh>, Dense<5, 4, Relu>, Dense<4, 2, Sigmoid>);
type One = (Dense<6, 3, Softmax>,);

// The fixtures are `Sequential::<Xor>::new(&mut StdRng::seed_from_u64(1)).save_weights(..)`,
// and the same for `Three` (f64, seed 2) and `One` (seed 3).

static XOR: <Xor as Layers<f32>>::Params = shaped::include_weights!(Xor, "fixtures/xor.weights");
static THREE: <Three as Layers<f64>>::Params =
    shaped::include_weights!(Three, f64, "fixtures/three_f64.weights");
static ONE: <One as Layers<f32>>::Params = shaped::include_weights!(One, "fixtures/one.weights");

// Convnets (version-3 files): `Sequential::<Strided>::new(&mut StdRng::seed_from_u64(4))`
// and `Sequential::<Pooled, f64>::new(&mut StdRng::seed_from_u64(5))`, each weight array's
// value `i` raised by `0.01 * i` (so that the biases are not zero), then `save_weights`.
static STRIDED: <Strided as Layers<f32>>::Params =
    shaped::include_weights!(Strided, "fixtures/strided_conv.weights");
static POOLED: <Pooled as Layers<f64>>::Params =
    shaped::include_weights!(Pooled, f64, "fixtures/pooled_conv_f64.weights");

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

#[test]
fn embedded_convnets_equal_the_loaded_ones_bit_for_bit() {
    let mut strided = Sequential::<Strided>::zeros();
    strided.load_weights(fixture("strided_conv.weights")).unwrap();
    assert_eq!(bits::<Strided, f32>(strided.params()), bits::<Strided, f32>(&STRIDED));
    let mut pooled = Sequential::<Pooled, f64>::zeros();
    pooled.load_weights(fixture("pooled_conv_f64.weights")).unwrap();
    assert_eq!(bits::<Pooled, f64>(pooled.params()), bits::<Pooled, f64>(&POOLED));
    // Every array read: no layer's kernel or bias is left at zero.
    let mut arrays = 0;
    Strided::visit_params(&STRIDED, &mut |a| {
        arrays += 1;
        assert!(a.iter().all(|&x| x != 0.0) || a[1..].iter().all(|&x| x != 0.0), "array {arrays} has zeros");
    });
    Pooled::visit_params(&POOLED, &mut |a| {
        arrays += 1;
        assert!(a[1..].iter().all(|&x| x != 0.0), "array {arrays} has zeros");
    });
    assert_eq!(arrays, 6 + 4);
    let (kernel, bias) = (&STRIDED.0.kernel, &STRIDED.0.bias);
    assert_eq!(bias[3], 0.03, "the first conv's bias is the file's");
    // The file's first array is the (3, 2, 3, 4) kernel, row-major: value 1 is [0][0][0][1].
    assert_eq!(kernel[0][0][0][1], strided.get_weights()[0][1]);
}

#[test]
fn an_embedded_convnet_predicts_as_the_heap_one_with_or_without_scratch() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut heap = Sequential::<Strided>::zeros();
    heap.load_weights(fixture("strided_conv.weights")).unwrap();
    let embedded = ModelRef::<Strided>::new(&STRIDED);
    let mut scratch: Box<Scratch<Strided>> = shaped::zeroed_box();
    let xs: Vec<[[[f32; 3]; 10]; 12]> = (0..20)
        .map(|_| {
            core::array::from_fn(|_| {
                core::array::from_fn(|_| core::array::from_fn(|_| rng.random_range(-1.0..1.0)))
            })
        })
        .collect();
    let batch = heap.predict_batch(&xs);
    for (x, b) in xs.iter().zip(&batch) {
        let p = embedded.predict(x);
        assert_eq!(heap.predict(x), p);
        // The scratch is reused dirty: every layer writes all of its output.
        assert_eq!(embedded.predict_in(x, &mut scratch), p);
        for (a, b) in p.iter().zip(b) {
            assert!((a - b).abs() < 1e-5, "one sample {a} against the batch's {b}");
        }
    }
    let mut heap = Sequential::<Pooled, f64>::zeros();
    heap.load_weights(fixture("pooled_conv_f64.weights")).unwrap();
    let embedded = ModelRef::<Pooled, f64>::new(&POOLED);
    let mut scratch = <Scratch<Pooled, f64> as shaped::Zeroable>::ZERO;
    for _ in 0..20 {
        let x: [[[f64; 2]; 8]; 9] =
            core::array::from_fn(|_| core::array::from_fn(|_| [rng.random(), -rng.random::<f64>()]));
        let p = heap.predict(&x);
        assert_eq!(embedded.predict(&x), p);
        assert_eq!(embedded.predict_in(&x, &mut scratch), p);
    }
}

#[test]
fn the_scratch_holds_each_layers_output_and_no_more() {
    use core::mem::size_of;
    // Strided: (6, 10, 4), (3, 5, 4), (2, 4, 5), Flatten's 40; the last layer's 3 are `out`.
    assert_eq!(size_of::<Scratch<Strided>>(), (6 * 10 * 4 + 3 * 5 * 4 + 2 * 4 * 5 + 40) * 4);
    // Pooled: (7, 6, 3), (4, 3, 3), (3,).
    assert_eq!(size_of::<Scratch<Pooled, f64>>(), (7 * 6 * 3 + 4 * 3 * 3 + 3) * 8);
    assert_eq!(size_of::<Scratch<One>>(), 0);
    assert_eq!(size_of::<Scratch<Xor>>(), 8 * 4);
}
