//! Networks against plain reference implementations.

use shaped::nn::{
    Activation, Dense, DenseParams, Layers, Linear, ModelRef, Relu, Sequential, Sigmoid, Softmax, Tanh,
};
use shaped::rand::{SeedableRng, rngs::StdRng};

/// `act(x . kernel + bias)` with explicit loops, in f64.
fn reference_dense<const I: usize, const O: usize>(
    p: &DenseParams<f64, I, O>,
    x: &[f64],
    act: &str,
) -> Vec<f64> {
    let mut z: Vec<f64> =
        (0..O).map(|j| p.bias[j] + (0..I).map(|i| x[i] * p.kernel[i][j]).sum::<f64>()).collect();
    match act {
        "relu" => z.iter_mut().for_each(|v| *v = v.max(0.0)),
        "sigmoid" => z.iter_mut().for_each(|v| *v = 1.0 / (1.0 + (-*v).exp())),
        "tanh" => z.iter_mut().for_each(|v| *v = v.tanh()),
        "softmax" => {
            let e: Vec<f64> = z.iter().map(|v| v.exp()).collect();
            let s: f64 = e.iter().sum();
            z = e.iter().map(|v| v / s).collect();
        }
        _ => {}
    }
    z
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "element {i}: {x} vs {y}");
    }
}

fn random_sample<const N: usize>(rng: &mut StdRng) -> [f64; N] {
    let mut x = [0.0; N];
    shaped::random::fill_uniform(rng, &mut x, -1.0, 1.0);
    x
}

fn check_stack<const I: usize, const H: usize, const O: usize, A: Activation, B: Activation>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model = Sequential::<(Dense<I, H, A>, Dense<H, O, B>), f64>::new(&mut rng);
    // Non-zero biases, so that they are exercised.
    shaped::random::fill_uniform(&mut rng, &mut model.params_mut().0.bias, -0.5, 0.5);
    shaped::random::fill_uniform(&mut rng, &mut model.params_mut().1.bias, -0.5, 0.5);
    let xs: Vec<[f64; I]> = (0..37).map(|_| random_sample::<I>(&mut rng)).collect();
    let batch = model.predict_batch(&xs);
    for (x, got_batch) in xs.iter().zip(&batch) {
        let h = reference_dense(&model.params().0, x, A::NAME);
        let want = reference_dense(&model.params().1, &h, B::NAME);
        close(&model.predict(x), &want, 1e-12);
        close(got_batch, &want, 1e-12);
    }
}

#[test]
fn forward_matches_reference() {
    check_stack::<3, 5, 2, Relu, Softmax>(1);
    check_stack::<17, 33, 9, Tanh, Sigmoid>(2);
    check_stack::<64, 8, 3, Sigmoid, Linear>(3);
    check_stack::<100, 130, 10, Relu, Softmax>(4);
}

#[test]
fn glorot_uniform_init_is_seeded_and_bounded() {
    type Net = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
    let a = Sequential::<Net>::new(&mut StdRng::seed_from_u64(9));
    let b = Sequential::<Net>::new(&mut StdRng::seed_from_u64(9));
    let c = Sequential::<Net>::new(&mut StdRng::seed_from_u64(10));
    assert_eq!(a.params(), b.params());
    assert_ne!(a.params().0.kernel[0], c.params().0.kernel[0]);
    let limit = (6.0f32 / (784.0 + 512.0)).sqrt();
    let k = a.params().0.kernel.as_flattened();
    assert!(k.iter().all(|w| w.abs() <= limit));
    // Spread over the whole interval: the max is near the limit, the mean near 0.
    let max = k.iter().fold(0.0f32, |m, w| m.max(w.abs()));
    assert!(max > 0.99 * limit);
    assert!((k.iter().sum::<f32>() / k.len() as f32).abs() < 0.01 * limit);
    assert!(a.params().0.bias.iter().chain(&a.params().1.bias).all(|&b| b == 0.0));
}

#[test]
fn weights_set_in_keras_layout() {
    type Net = (Dense<2, 3, Relu>, Dense<3, 1, Linear>);
    let mut m = Sequential::<Net>::zeros();
    // kernel[i][j]: from input i to output j.
    m.params_mut().0.kernel = [[1.0, -1.0, 0.5], [2.0, 0.0, 0.5]];
    m.params_mut().0.bias = [0.0, 1.0, 0.0];
    m.params_mut().1 = DenseParams::new([[1.0], [10.0], [100.0]], [0.25]);
    // h = relu([1+4, -1+0+1, 0.5+1]) = [5, 0, 1.5]; y = 5 + 0 + 150 + 0.25.
    assert_eq!(m.predict(&[1.0, 2.0]), [155.25]);
    let copy = m.clone();
    assert_eq!(copy.params(), m.params());
    assert_eq!(ModelRef::<Net>::new(copy.params()).predict(&[1.0, 2.0]), [155.25]);
}

#[test]
fn summary_matches_keras() {
    type Net = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
    let m = Sequential::<Net>::zeros();
    let want = "\
Model: \"sequential\"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 dense (Dense, relu)         (None, 512)               401,920   

 dense_1 (Dense, softmax)    (None, 10)                5,130     
=================================================================
Total params: 407,050 (1.55 MB)
Trainable params: 407,050 (1.55 MB)
Non-trainable params: 0 (0 B)
_________________________________________________________________";
    assert_eq!(m.summary().to_string(), want);
    assert_eq!(Sequential::<Net>::PARAMS, 407_050);
    assert_eq!(<Net as Layers<f32>>::DEPTH, 2);
    assert_eq!(
        format!("{m:?}"),
        "Sequential<Dense(512, relu, input 784) -> Dense(10, softmax, input 512)>, 407,050 params"
    );
}

#[test]
fn deep_network_runs() {
    type Deep = (
        Dense<16, 32, Relu>,
        Dense<32, 32, Relu>,
        Dense<32, 32, Relu>,
        Dense<32, 32, Relu>,
        Dense<32, 32, Relu>,
        Dense<32, 32, Relu>,
        Dense<32, 32, Relu>,
        Dense<32, 32, Relu>,
        Dense<32, 32, Relu>,
        Dense<32, 4, Softmax>,
    );
    let m = Sequential::<Deep, f64>::new(&mut StdRng::seed_from_u64(3));
    assert_eq!(Sequential::<Deep, f64>::PARAMS, 16 * 32 + 32 + 8 * (32 * 32 + 32) + 32 * 4 + 4);
    let x = random_sample::<16>(&mut StdRng::seed_from_u64(4));
    // Layer by layer through the reference, with the weights in visiting order.
    let mut arrays: Vec<Vec<f64>> = Vec::new();
    Deep::visit_params(m.params(), &mut |w| arrays.push(w.to_vec()));
    let mut layers = Vec::new();
    <Deep as Layers<f64>>::describe(&mut |l| layers.push(l));
    assert_eq!(arrays.len(), 2 * layers.len());
    let mut h = x.to_vec();
    for (l, w) in layers.iter().zip(arrays.chunks(2)) {
        let (kernel, bias) = (&w[0], &w[1]);
        assert_eq!((kernel.len(), bias.len()), (l.inputs * l.outputs, l.outputs));
        let mut z: Vec<f64> = (0..l.outputs)
            .map(|j| bias[j] + (0..l.inputs).map(|i| h[i] * kernel[i * l.outputs + j]).sum::<f64>())
            .collect();
        if l.activation == "relu" {
            z.iter_mut().for_each(|v| *v = v.max(0.0));
        } else {
            assert_eq!(l.activation, "softmax");
            let s: f64 = z.iter().map(|v| v.exp()).sum();
            z.iter_mut().for_each(|v| *v = v.exp() / s);
        }
        h = z;
    }
    let y = h;
    close(&m.predict(&x), &y, 1e-12);
}

/// `predict_batch` keeps a packed copy of the kernels (made at the first large batch):
/// every way of writing the weights must drop it, or batches would answer with the old
/// weights while `predict` answers with the new ones.
#[test]
fn batch_predictions_follow_every_write_of_the_weights() {
    use shaped::train::{CategoricalCrossentropy, FitOptions, RmsProp};
    type Net = (Dense<300, 200, Relu>, Dense<200, 10, Softmax>);
    let mut rng = StdRng::seed_from_u64(31);
    // 256 rows: enough work for every core this machine has, in shares of 8 rows.
    let xs: Vec<[f32; 300]> =
        (0..256).map(|_| core::array::from_fn(|_| rand::RngExt::random_range(&mut rng, 0.0..1.0))).collect();
    let agrees = |model: &Sequential<Net>| -> Vec<[f32; 10]> {
        let batch = model.predict_batch(&xs);
        for (x, b) in xs.iter().zip(&batch) {
            let one = model.predict(x);
            assert!(one.iter().zip(b).all(|(p, q)| (p - q).abs() < 1e-5), "{one:?} vs {b:?}");
        }
        batch
    };
    let mut model = Sequential::<Net>::new(&mut rng);
    let mut last = agrees(&model);
    let mut changed = |model: &Sequential<Net>, what: &str| {
        let now = agrees(model);
        assert_ne!(now, last, "{what}: the batch did not change");
        last = now;
    };

    for w in model.params_mut().0.kernel.as_flattened_mut() {
        *w *= -1.5;
    }
    changed(&model, "params_mut");

    let mut weights = model.get_weights();
    weights[1].iter_mut().for_each(|b| *b += 0.25);
    model.set_weights(&weights).unwrap();
    changed(&model, "set_weights");

    let other = Sequential::<Net>::new(&mut StdRng::seed_from_u64(5));
    let path = std::env::temp_dir().join(format!("shaped-batch-cache-{}.weights", std::process::id()));
    other.save_weights(&path).unwrap();
    model.load_weights(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    changed(&model, "load_weights");

    // A clone has a cache of its own: writing it leaves the original's batches alone.
    let before = agrees(&model);
    let mut copy = model.clone();
    copy.params_mut().1.bias[3] += 10.0;
    assert_eq!(agrees(&model), before);
    assert_ne!(agrees(&copy), before);

    let ys: Vec<[f32; 10]> = (0..256).map(|i| core::array::from_fn(|c| (c == i % 10) as u8 as f32)).collect();
    let mut compiled = model.compile(RmsProp::default(), CategoricalCrossentropy, &[]).unwrap();
    compiled.fit_with(&xs, &ys, FitOptions::new(1, 64).verbose(0)).unwrap();
    let model = compiled.into_model();
    changed(&model, "fit");
}

/// Every layer's weights start on a cache line, wherever they live (the heap of a
/// `Sequential`, whose first allocations here shift where it lands; a `static`; the
/// stack), so that whole-vector rows never straddle two lines.
#[test]
fn weights_start_on_cache_lines() {
    type Net = (Dense<16, 32, Relu>, Dense<32, 32, Relu>, Dense<32, 4, Softmax>);
    let line = |p: *const u8| p as usize % 64;
    for pad in [0usize, 8, 16, 24, 40, 48, 100] {
        let _shift = vec![0u8; pad];
        let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(pad as u64));
        let p = model.params();
        assert_eq!(line((&p.0.kernel as *const [[f32; 32]; 16]).cast()), 0, "first layer, pad {pad}");
        assert_eq!(line((&p.1.0.kernel as *const [[f32; 32]; 32]).cast()), 0, "second layer");
        assert_eq!(line((&p.1.1.kernel as *const [[f32; 4]; 32]).cast()), 0, "third layer");
    }
    static ONE: DenseParams<f32, 3, 5> = DenseParams::new([[1.0; 5]; 3], [0.0; 5]);
    assert_eq!(line((&ONE as *const DenseParams<f32, 3, 5>).cast()), 0);
    let on_stack = DenseParams::<f64, 2, 2>::new([[0.0; 2]; 2], [0.0; 2]);
    assert_eq!(line((&on_stack as *const DenseParams<f64, 2, 2>).cast()), 0);
    assert_eq!(core::mem::align_of::<DenseParams<f32, 784, 512>>(), 64);
}
