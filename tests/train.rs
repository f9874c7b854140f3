//! Training: gradients against finite differences (f64), losses, fit, errors.

use shaped::nn::{Dense, Layers, Linear, Relu, Sequential, Sigmoid, Softmax, TakesSample, Tanh};
use shaped::rand::{RngExt, SeedableRng, rngs::StdRng};
use shaped::train::{
    Adam, BinaryCrossentropy, CategoricalCrossentropy, Class, FitOptions, MeanAbsoluteError,
    MeanSquaredError, Metric, Objective, RmsProp, Sgd, SparseCategoricalCrossentropy, TrainError,
};
use shaped::train::{Backprop, Workspace};

mod common;
use common::gradients::{check_gradients, flat};

fn one_hot<const C: usize>(labels: &[usize]) -> Vec<[f64; C]> {
    labels.iter().map(|&l| std::array::from_fn(|i| if i == l { 1.0 } else { 0.0 })).collect()
}

#[test]
fn gradients_categorical_crossentropy_relu_softmax() {
    check_gradients::<(Dense<3, 5, Relu>, Dense<5, 4, Softmax>), CategoricalCrossentropy, _>(
        1,
        &one_hot::<4>(&[0, 3, 1, 2, 3]),
    );
}

#[test]
fn gradients_sparse_categorical_crossentropy() {
    let y: Vec<Class<4>> = [2, 0, 3, 1].iter().map(|&c| Class::new(c).unwrap()).collect();
    check_gradients::<(Dense<3, 6, Tanh>, Dense<6, 4, Softmax>), SparseCategoricalCrossentropy, _>(2, &y);
}

#[test]
fn gradients_binary_crossentropy_sigmoid() {
    let y = vec![[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [0.3, 0.8]];
    check_gradients::<(Dense<4, 5, Sigmoid>, Dense<5, 2, Sigmoid>), BinaryCrossentropy, _>(3, &y);
}

#[test]
fn gradients_mean_squared_error_through_each_activation() {
    let y = vec![[0.5, -1.0, 2.0], [0.0, 0.1, -0.3], [1.0, 1.0, 1.0]];
    check_gradients::<(Dense<3, 5, Sigmoid>, Dense<5, 3, Linear>), MeanSquaredError, _>(4, &y);
    check_gradients::<(Dense<3, 5, Relu>, Dense<5, 3, Tanh>), MeanSquaredError, _>(5, &y);
    // Softmax inside the network: its general (unfused) backward.
    check_gradients::<(Dense<3, 4, Softmax>, Dense<4, 3, Relu>), MeanSquaredError, _>(6, &y);
    check_gradients::<(Dense<3, 4, Tanh>, Dense<4, 3, Softmax>), MeanSquaredError, _>(7, &y);
    check_gradients::<(Dense<3, 4, Relu>, Dense<4, 3, Sigmoid>), MeanSquaredError, _>(8, &y);
}

#[test]
fn gradients_mean_absolute_error() {
    let y = vec![[0.5, -1.0], [0.0, 0.1], [1.0, 3.0]];
    check_gradients::<(Dense<3, 5, Tanh>, Dense<5, 2, Linear>), MeanAbsoluteError, _>(9, &y);
}

#[test]
fn gradients_of_a_deeper_stack() {
    type Net = (Dense<4, 6, Relu>, Dense<6, 40, Tanh>, Dense<40, 5, Sigmoid>, Dense<5, 3, Softmax>);
    check_gradients::<Net, CategoricalCrossentropy, _>(10, &one_hot::<3>(&[0, 1, 2, 2, 1, 0, 1]));
}

/// Two Gaussian blobs per class in 2-D, 3 classes: learnable to high accuracy.
fn blobs(n: usize, seed: u64) -> (Vec<[f32; 2]>, Vec<[f32; 3]>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let centers = [[-2.0f32, 0.0], [2.0, 0.0], [0.0, 2.5]];
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..n {
        let c = i % 3;
        x.push([centers[c][0] + rng.random_range(-0.8..0.8), centers[c][1] + rng.random_range(-0.8..0.8)]);
        y.push(std::array::from_fn(|j| if j == c { 1.0 } else { 0.0 }));
    }
    (x, y)
}

type Blob = (Dense<2, 16, Relu>, Dense<16, 3, Softmax>);

fn trained<O: shaped::train::Optimizer>(optimizer: O) -> (f64, f64, f64) {
    let (x, y) = blobs(300, 1);
    let mut m = Sequential::<Blob>::new(&mut StdRng::seed_from_u64(2))
        .compile(optimizer, CategoricalCrossentropy, &[Metric::Accuracy])
        .unwrap();
    let before = m.evaluate(&x, &y).unwrap().loss;
    let h = m.fit_with(&x, &y, FitOptions::new(20, 16).verbose(false)).unwrap();
    let after = m.evaluate(&x, &y).unwrap();
    assert_eq!(h.loss.len(), 20);
    assert!(h.loss[19] < h.loss[0], "{:?}", h.loss);
    (before, after.loss, after.accuracy.unwrap())
}

#[test]
fn every_optimizer_learns() {
    for (name, (before, after, acc)) in [
        ("sgd", trained(Sgd { learning_rate: 0.1, ..Sgd::default() })),
        ("sgd+nesterov", trained(Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: true })),
        ("rmsprop", trained(RmsProp::default())),
        ("adam", trained(Adam::with_learning_rate(0.01))),
    ] {
        assert!(after < before * 0.5, "{name}: loss {before} -> {after}");
        assert!(acc > 0.95, "{name}: accuracy {acc}");
    }
}

#[test]
fn same_seed_same_history_and_weights() {
    let (x, y) = blobs(200, 3);
    let run = |seed: u64| {
        let mut m = Sequential::<Blob>::new(&mut StdRng::seed_from_u64(4))
            .compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy])
            .unwrap();
        let h = m.fit_with(&x, &y, FitOptions::new(3, 32).seed(seed).verbose(false)).unwrap();
        (h.loss, h.accuracy, *m.params())
    };
    let (a, b, c) = (run(7), run(7), run(8));
    assert_eq!(a, b);
    assert_ne!(a.0, c.0);
}

#[test]
fn validation_split_and_data() {
    let (x, y) = blobs(100, 5);
    let mut m = Sequential::<Blob>::new(&mut StdRng::seed_from_u64(6))
        .compile(Adam::default(), CategoricalCrossentropy, &[Metric::Accuracy])
        .unwrap();
    let h = m.fit_with(&x, &y, FitOptions::new(2, 10).validation_split(0.2).verbose(false)).unwrap();
    assert_eq!((h.loss.len(), h.val_loss.len(), h.val_accuracy.len()), (2, 2, 2));
    // The held-out part is the last 20 samples, evaluated with the final weights.
    let last = m.evaluate(&x[80..], &y[80..]).unwrap();
    assert!((h.val_loss[1] - last.loss).abs() < 1e-9);
    let h = m
        .fit_with(
            &x[..50],
            &y[..50],
            FitOptions::new(1, 10).validation_data(&x[50..], &y[50..]).verbose(false),
        )
        .unwrap();
    assert_eq!(h.val_loss.len(), 1);
    assert!(matches!(
        m.fit_with(&x, &y, FitOptions::new(1, 10).validation_split(1.0)),
        Err(TrainError::ValidationSplit(_))
    ));
    // Empty validation data is refused before any training: the weights stay.
    let before = *m.params();
    let empty: (&[[f32; 2]], &[[f32; 3]]) = (&[], &[]);
    let err = m.fit_with(&x, &y, FitOptions::new(1, 10).validation_data(empty.0, empty.1)).unwrap_err();
    assert_eq!(err, TrainError::NoSamples);
    assert_eq!(*m.params(), before);
}

#[test]
fn bad_arguments_are_errors() {
    let (x, y) = blobs(30, 7);
    let mut m = Sequential::<Blob>::new(&mut StdRng::seed_from_u64(8))
        .compile(RmsProp::default(), CategoricalCrossentropy, &[])
        .unwrap();
    let err = m.fit(&x, &y[..29], 1, 8).unwrap_err();
    assert_eq!(err, TrainError::LengthMismatch { samples: 30, labels: 29 });
    assert_eq!(err.to_string(), "30 samples but 29 labels: each sample needs one label");
    assert_eq!(m.fit(&x, &y, 1, 0).unwrap_err(), TrainError::ZeroBatchSize);
    assert_eq!(m.fit::<[f32; 2], [f32; 3]>(&[], &[], 1, 8).unwrap_err(), TrainError::NoSamples);
    assert_eq!(
        m.evaluate(&x[..3], &y[..2]).unwrap_err(),
        TrainError::LengthMismatch { samples: 3, labels: 2 }
    );
    // No accuracy compiled in, none reported.
    assert_eq!(m.evaluate(&x, &y).unwrap().accuracy, None);
}

#[test]
fn nan_loss_stops_fit_and_keeps_the_weights() {
    let (mut x, y) = blobs(64, 9);
    x[37][1] = f32::NAN;
    let mut m = Sequential::<Blob>::new(&mut StdRng::seed_from_u64(10))
        .compile(Sgd::default(), CategoricalCrossentropy, &[Metric::Accuracy])
        .unwrap();
    // A first epoch without the NaN sample trains normally.
    m.fit_with(&x[..32], &y[..32], FitOptions::new(1, 8).verbose(false)).unwrap();
    let before = *m.params();
    // One batch per epoch: the NaN is in epoch 1, batch 1.
    let err = m.fit_with(&x, &y, FitOptions::new(3, 64).verbose(false)).unwrap_err();
    match &err {
        TrainError::NonFiniteLoss { epoch: 1, batch: 1, loss, history } => {
            assert!(loss.is_nan());
            assert!(history.loss.is_empty());
        }
        other => panic!("expected a non-finite loss, got {other:?}"),
    }
    assert!(err.to_string().contains("epoch 1, batch 1"), "{err}");
    assert_eq!(*m.params(), before, "the weights must be those from before the bad batch");

    // Divergence in a later epoch: the epochs before it are in the history.
    let (x, y) = blobs(64, 11);
    let mut m = Sequential::<Blob>::new(&mut StdRng::seed_from_u64(12))
        .compile(Sgd { learning_rate: 1e30, ..Sgd::default() }, MeanSquaredError, &[])
        .unwrap();
    match m.fit_with(&x, &y, FitOptions::new(50, 16).verbose(false)) {
        Err(TrainError::NonFiniteLoss { epoch, batch, history, .. }) => {
            assert_eq!(history.loss.len(), epoch - 1);
            assert!((1..=4).contains(&batch));
            assert!(m.params().0.kernel.as_flattened().iter().all(|w| !w.is_nan()));
        }
        other => panic!("expected divergence, got {other:?}"),
    }
}

/// Fits network `N` two epochs on `samples` random samples of `C` classes in batches of
/// `batch`, on one thread and on each team of `teams`: the weights must equal one
/// thread's bit for bit, and the losses within the rounding of their sums.
fn split_equals_one_thread<N, const I: usize, const C: usize>(
    seed: u64,
    samples: usize,
    batch: usize,
    teams: &[usize],
) where
    N: Backprop<f64, Input = [f64; I], Output = [f64; C]> + TakesSample<f64, [f64; I]>,
    CategoricalCrossentropy: shaped::train::PairsWith<N::Last> + Objective<f64, [f64; C], [f64; C], N::Last>,
{
    split_equals_one_thread_on::<N, I, C>(seed, samples, batch, teams, |rng, _, _| {
        rng.random_range(-1.0..1.0)
    })
}

/// [`split_equals_one_thread`] on inputs `input(rng, sample, column)`.
fn split_equals_one_thread_on<N, const I: usize, const C: usize>(
    seed: u64,
    samples: usize,
    batch: usize,
    teams: &[usize],
    input: impl Fn(&mut StdRng, usize, usize) -> f64,
) where
    N: Backprop<f64, Input = [f64; I], Output = [f64; C]> + TakesSample<f64, [f64; I]>,
    CategoricalCrossentropy: shaped::train::PairsWith<N::Last> + Objective<f64, [f64; C], [f64; C], N::Last>,
{
    let mut rng = StdRng::seed_from_u64(seed);
    let x: Vec<[f64; I]> = (0..samples).map(|i| std::array::from_fn(|j| input(&mut rng, i, j))).collect();
    let y: Vec<[f64; C]> =
        (0..samples).map(|i| std::array::from_fn(|c| if c == (i * 7) % C { 1.0 } else { 0.0 })).collect();
    let model = Sequential::<N, f64>::new(&mut StdRng::seed_from_u64(seed + 1));
    let fit = |threads: usize| {
        let mut compiled = model.clone().compile(RmsProp::default(), CategoricalCrossentropy, &[]).unwrap();
        let history =
            compiled.fit_with(&x, &y, FitOptions::new(2, batch).verbose(false).threads(threads)).unwrap();
        (flat::<N>(compiled.params()), history.loss)
    };
    let (want, want_loss) = fit(1);
    assert_ne!(want, flat::<N>(model.params()), "it trained");
    for &threads in teams {
        let (got, loss) = fit(threads);
        assert_eq!(got, want, "{threads} threads");
        for (l, w) in loss.iter().zip(&want_loss) {
            assert!((l - w).abs() <= 1e-12 * w.abs(), "{threads} threads: loss {l} vs {w}");
        }
    }
}

/// On a team of threads, `fit` splits each step's weight gradients into shares (every
/// thread a block of every kernel's rows and of every bias, over the whole batch, as one
/// product as deep as the batch) and updates each share on the thread that computed it:
/// nothing is summed across threads. Whatever the thread count (some leaving a layer's
/// share empty, some with fewer rows than threads), two epochs of uneven batches (70
/// samples in batches of 24) give one thread's weights bit for bit. Every layer here is
/// too wide for the inline kernel of tiny products, so the forward products of one row
/// and of a whole batch round alike.
#[test]
fn split_fit_equals_one_thread_bit_for_bit() {
    type Net = (Dense<30, 40, Relu>, Dense<40, 20, Tanh>, Dense<20, 26, Softmax>);
    split_equals_one_thread::<Net, 30, 26>(21, 70, 24, &[2, 3, 4, 5, 7, 8, 12, 24, 31]);
}

/// The same with a narrow last layer (10 classes), whose forward product takes the row
/// kernels at any batch.
#[test]
fn split_fit_with_a_narrow_layer_equals_one_thread_bit_for_bit() {
    type Net = (Dense<30, 64, Relu>, Dense<64, 10, Softmax>);
    split_equals_one_thread::<Net, 30, 10>(23, 70, 24, &[2, 3, 5, 8, 24]);
}

/// Batches deeper than one depth block of the packed product (1,100 rows: three blocks
/// of 367), whose blocks cross the threads' rows.
#[test]
fn split_fit_over_deep_batches_equals_one_thread_bit_for_bit() {
    type Net = (Dense<30, 40, Relu>, Dense<40, 26, Softmax>);
    split_equals_one_thread::<Net, 30, 26>(25, 1100, 1100, &[2, 3, 7]);
}

/// Inputs that are zero in every row of a batch are left out of the first layer's
/// products (its forward product and its kernel's gradient). Each thread leaves out those
/// zero in its own rows, one thread those zero in the whole batch: the weights must still
/// equal one thread's bit for bit. A quarter of the inputs are zero in every sample
/// (some `-0.0`), a quarter live in one sample of seven (so a thread's rows may or may
/// not hold them), the rest random. The first layer is wide enough for the packed
/// products on every team here (6 rows a thread on 8 threads), the second narrow enough
/// for the row kernels on all: a product that takes another engine on another team
/// rounds differently, with or without inputs left out.
#[test]
fn split_fit_skipping_zero_inputs_equals_one_thread_bit_for_bit() {
    type Net = (Dense<120, 200, Relu>, Dense<200, 10, Softmax>);
    let input = |rng: &mut StdRng, i: usize, j: usize| match j % 4 {
        0 if i.is_multiple_of(2) => 0.0,
        0 => -0.0,
        1 if i % 7 != j % 7 => 0.0,
        _ => rng.random_range(-1.0..1.0),
    };
    split_equals_one_thread_on::<Net, 120, 10>(27, 96, 48, &[2, 3, 8], input);
}

/// A layer's forward pass and kernel gradient over inputs zero in most columns (the
/// products then leave those columns out) equal plain sums; the gradients of the kernel
/// rows of those inputs are exactly zero; a NaN in an otherwise zero column is not left
/// out: it reaches the outputs and the gradients. The columns are left out indeed: a
/// NaN weight met only by zero inputs does not reach the outputs (`0 x NaN` is never
/// computed; `fit` keeps its weights finite, where that term is zero).
#[test]
#[allow(clippy::needless_range_loop)] // the sums written as in the formulas
fn zero_inputs_left_out_of_the_products_change_nothing() {
    type Net = (Dense<200, 48>,);
    let mut rng = StdRng::seed_from_u64(31);
    let model = Sequential::<Net, f64>::new(&mut rng);
    let params = model.params();
    let rows = 40;
    let live = |j: usize| j % 3 == 1 || j == 199;
    let mut x: Vec<[f64; 200]> = (0..rows)
        .map(|_| std::array::from_fn(|j| if live(j) { rng.random_range(-1.0..1.0) } else { 0.0 }))
        .collect();
    let dz: Vec<[f64; 48]> =
        (0..rows).map(|_| std::array::from_fn(|_| rng.random_range(-1.0..1.0))).collect();
    let run = |x: &[[f64; 200]]| {
        let mut trace = Net::new_trace(rows);
        let mut ws = Workspace::new();
        Net::forward_train(params, x, &mut trace, &mut ws);
        let y = Net::output_and_grad(&mut trace).0[..rows].to_vec();
        Net::output_and_grad(&mut trace).1[..rows].copy_from_slice(&dz);
        let mut grads = *params;
        Net::backward(params, x, &mut trace, &mut grads, None, &mut ws);
        (y, grads)
    };
    let (y, grads) = run(&x);
    for i in 0..rows {
        for o in 0..48 {
            let want: f64 = params.bias[o] + (0..200).map(|j| x[i][j] * params.kernel[j][o]).sum::<f64>();
            assert!((y[i][o] - want).abs() < 1e-12, "y[{i}][{o}]");
        }
    }
    for j in 0..200 {
        for o in 0..48 {
            let want: f64 = (0..rows).map(|i| x[i][j] * dz[i][o]).sum();
            let got = grads.kernel[j][o];
            if live(j) {
                assert!((got - want).abs() < 1e-12, "dW[{j}][{o}]");
            } else {
                assert_eq!(got.to_bits(), 0.0f64.to_bits(), "dW[{j}][{o}] of an input zero in every row");
            }
        }
    }
    let mut nan_row = *params;
    nan_row.kernel[0] = [f64::NAN; 48];
    let mut trace = Net::new_trace(rows);
    Net::forward_train(&nan_row, &x, &mut trace, &mut Workspace::new());
    let y_nan = &Net::output_and_grad(&mut trace).0[..rows];
    assert_eq!(y_nan, &y[..], "a weight met only by zero inputs is left out");

    x[5][0] = f64::NAN;
    let (y, grads) = run(&x);
    assert!(y[5].iter().all(|v| v.is_nan()), "a NaN input reaches the outputs");
    assert!(grads.kernel[0].iter().all(|v| v.is_nan()), "and its kernel row's gradient");
    assert!(grads.kernel[3].iter().all(|&v| v == 0.0));
}

/// A NaN in a batch split over threads stops `fit` as it does on one thread: the error
/// names the batch and the weights are those from before it.
#[test]
fn split_nan_keeps_the_weights() {
    for threads in [2, 3, 8] {
        let (mut x, y) = blobs(64, 9);
        x[37][1] = f32::NAN;
        let mut m = Sequential::<Blob>::new(&mut StdRng::seed_from_u64(10))
            .compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy])
            .unwrap();
        m.fit_with(&x[..32], &y[..32], FitOptions::new(1, 32).verbose(false).threads(threads)).unwrap();
        let before = *m.params();
        let err = m.fit_with(&x, &y, FitOptions::new(2, 64).verbose(false).threads(threads)).unwrap_err();
        assert!(matches!(err, TrainError::NonFiniteLoss { epoch: 1, batch: 1, .. }), "{threads}: {err:?}");
        assert_eq!(*m.params(), before, "{threads} threads");
    }
}

#[test]
fn losses_by_hand() {
    let p = [0.7f64, 0.2, 0.1];
    let t = [0.0f64, 1.0, 0.0];
    let cce = <CategoricalCrossentropy as Objective<f64, [f64; 3], [f64; 3], Softmax>>::loss(&p, &t);
    assert!((cce - -(0.2f64).ln()).abs() < 1e-12);
    let c = Class::<3>::new(1).unwrap();
    let scce = <SparseCategoricalCrossentropy as Objective<f64, [f64; 3], Class<3>, Softmax>>::loss(&p, &c);
    assert_eq!(scce, cce);
    let acc = <CategoricalCrossentropy as Objective<f64, [f64; 3], [f64; 3], Softmax>>::accuracy(&p, &t);
    assert_eq!(acc, 0.0);
    let bce =
        <BinaryCrossentropy as Objective<f64, [f64; 2], [f64; 2], Sigmoid>>::loss(&[0.9, 0.2], &[1.0, 0.0]);
    assert!((bce - -(0.9f64.ln() + 0.8f64.ln()) / 2.0).abs() < 1e-12);
    // Keras clips probabilities: a confident wrong answer costs -ln(1e-7), not infinity.
    let clipped = <CategoricalCrossentropy as Objective<f64, [f64; 2], [f64; 2], Softmax>>::loss(
        &[1.0, 0.0],
        &[0.0, 1.0],
    );
    assert!((clipped - -(1e-7f64).ln()).abs() < 1e-9);
    let mse =
        <MeanSquaredError as Objective<f64, [f64; 2], [f64; 2], Linear>>::loss(&[1.0, 2.0], &[0.0, 4.0]);
    assert_eq!(mse, 2.5);
    let mae =
        <MeanAbsoluteError as Objective<f64, [f64; 2], [f64; 2], Linear>>::loss(&[1.0, 2.0], &[0.0, 4.0]);
    assert_eq!(mae, 1.5);
}

/// `fit`'s update (the threads' gradients summed, the update split into parts of every
/// array, the optimizer's state split with them and put back between fits) equals Adam
/// applied by hand to the full batch's gradient, over three steps: two in a first fit,
/// one in a second on another number of threads.
#[test]
fn fit_update_equals_adam_by_hand_on_the_full_batch() {
    use shaped::train::{Adam, CategoricalCrossentropy, FitOptions, Optimizer};
    type Net = (Dense<100, 64, Tanh>, Dense<64, 3, Softmax>);
    let mut rng = StdRng::seed_from_u64(11);
    let x: Vec<[f64; 100]> = (0..40).map(|_| std::array::from_fn(|_| rng.random_range(-1.0..1.0))).collect();
    let y: Vec<[f64; 3]> =
        (0..40).map(|i| std::array::from_fn(|c| if c == i % 3 { 1.0 } else { 0.0 })).collect();
    let model = Sequential::<Net, f64>::new(&mut StdRng::seed_from_u64(5));

    // By hand: the full batch's gradient from Backprop, then Adam array by array.
    let mut p = *model.params();
    let mut adam = Adam::default();
    let mut state: Vec<Vec<f64>> = Vec::new();
    Net::visit_params(&p, &mut |w| state.push(vec![0.0; 2 * w.len()]));
    for _ in 0..3 {
        let mut trace = Net::new_trace(x.len());
        let mut ws = Workspace::new();
        Net::forward_train(&p, &x, &mut trace, &mut ws);
        let (yhat, dz) = Net::output_and_grad(&mut trace);
        for ((pred, d), t) in yhat.iter().zip(dz.iter_mut()).zip(&y) {
            <CategoricalCrossentropy as shaped::train::Objective<f64, [f64; 3], [f64; 3], Softmax>>::loss_and_grad(
                pred,
                t,
                d,
                1.0 / x.len() as f64,
            );
        }
        let mut grads = p;
        Net::backward(&p, &x, &mut trace, &mut grads, None, &mut ws);
        adam.begin_step();
        let mut i = 0;
        let copy = grads;
        Net::zip_params(&mut p, &copy, &mut |w, g| {
            adam.update(w, g, &mut state[i]);
            i += 1;
        });
    }

    // Through fit: one batch of all 40 samples a step, split over 1 to 8 threads (8:
    // five rows a thread), then over `then`, equal to the steps written out by hand
    // within rounding.
    for threads in [1, 2, 3, 4, 8] {
        let mut compiled = model.clone().compile(Adam::default(), CategoricalCrossentropy, &[]).unwrap();
        compiled.fit_with(&x, &y, FitOptions::new(2, 40).verbose(false).threads(threads)).unwrap();
        let then = threads % 4 + 1;
        compiled.fit_with(&x, &y, FitOptions::new(1, 40).verbose(false).threads(then)).unwrap();
        let (got, want) = (flat::<Net>(compiled.params()), flat::<Net>(&p));
        assert_eq!(got.len(), 100 * 64 + 64 + 64 * 3 + 3);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-9 * (1.0 + w.abs()),
                "{threads} threads, weight {i}: fit {g}, by hand {w}"
            );
        }
    }
}

/// A bad setting is refused by `compile`, which hands the model back unchanged.
#[test]
fn bad_settings_are_refused_at_compile_and_the_model_comes_back() {
    use shaped::train::{Optimizer, SettingError};
    let model = Sequential::<Blob>::new(&mut StdRng::seed_from_u64(20));
    let before = *model.params();
    fn refused<O: Optimizer>(model: Sequential<Blob>, o: O) -> (SettingError, Sequential<Blob>) {
        let e = model.compile(o, CategoricalCrossentropy, &[]).err().expect("must be refused");
        match e.error {
            shaped::train::CompileProblem::Setting(s) => (s, e.model),
            other => panic!("refused for another reason: {other}"),
        }
    }
    let (e, model) = refused(model, RmsProp { learning_rate: f64::NAN, ..RmsProp::default() });
    assert_eq!(e.setting, "learning_rate");
    let (e, model) = refused(model, Adam { beta_1: 1.0, ..Adam::default() });
    assert_eq!(e.setting, "beta_1");
    let (e, model) = refused(model, Sgd { momentum: -0.1, ..Sgd::default() });
    assert_eq!(e.to_string(), "sgd: momentum = -0.1 is not in [0, 1)".replace("is not in", "is outside"));
    let (e, model) = refused(model, RmsProp { epsilon: 0.0, ..RmsProp::default() });
    assert_eq!(e.setting, "epsilon");
    assert_eq!(*model.params(), before, "the model must come back unchanged");
    // The error reads well from `main`: Debug is short, and it is a std::error::Error.
    let err = model
        .compile(Sgd { learning_rate: -1.0, ..Sgd::default() }, CategoricalCrossentropy, &[])
        .err()
        .unwrap();
    assert_eq!(format!("{err:?}").lines().count(), 1);
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert!(boxed.source().is_some());
}

/// An update that makes a weight infinite (a learning rate valid as an `f64` setting
/// but infinite in `f32`, 1e39)
/// stops `fit` with its own error, and the weights and the optimizer are those from
/// before that batch: a next fit with a sane rate starts from them.
#[test]
fn non_finite_weights_stop_fit_and_keep_the_weights() {
    let (x, y) = blobs(64, 13);
    let mut m = Sequential::<Blob>::new(&mut StdRng::seed_from_u64(14))
        .compile(Sgd { learning_rate: 1e39, ..Sgd::default() }, CategoricalCrossentropy, &[])
        .unwrap();
    let before = *m.params();
    let err = m.fit_with(&x, &y, FitOptions::new(2, 64).verbose(false)).unwrap_err();
    match &err {
        TrainError::NonFiniteWeights { epoch: 1, batch: 1, history } => assert!(history.loss.is_empty()),
        other => panic!("expected non-finite weights, got {other:?}"),
    }
    assert!(err.to_string().contains("epoch 1, batch 1"), "{err}");
    assert_eq!(*m.params(), before, "the weights must be those from before the bad batch");
    // Adam's step count is not advanced by a refused update either: after a refused
    // step, one good step equals one good step from scratch.
    let good = Adam::default();
    let huge = Adam { learning_rate: 1e39, ..Adam::default() };
    let mut a = Sequential::<Blob>::new(&mut StdRng::seed_from_u64(15))
        .compile(huge, CategoricalCrossentropy, &[])
        .unwrap();
    let b = Sequential::<Blob>::new(&mut StdRng::seed_from_u64(15));
    assert!(matches!(
        a.fit_with(&x, &y, FitOptions::new(1, 64).verbose(false)),
        Err(TrainError::NonFiniteWeights { .. })
    ));
    assert_eq!(a.optimizer(), &huge, "the optimizer's step count must not move");
    let mut a = a.into_model().compile(good, CategoricalCrossentropy, &[]).unwrap();
    let mut b = b.compile(good, CategoricalCrossentropy, &[]).unwrap();
    a.fit_with(&x, &y, FitOptions::new(1, 64).verbose(false)).unwrap();
    b.fit_with(&x, &y, FitOptions::new(1, 64).verbose(false)).unwrap();
    assert_eq!(a.params(), b.params());
}
