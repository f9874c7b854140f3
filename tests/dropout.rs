//! `Dropout`: the identity at inference; while training, a seeded mask that depends on
//! the sample and not on the threads, with the rate's share of values dropped and the
//! others scaled; gradients against finite differences of the training loss.

mod common;
use common::gradients::{check_gradients, check_training_gradients};

use shaped::constraint::{Dims1, Dims3};
use shaped::nn::{Dense, Dropout, Relu, Sequential, Softmax, Tanh};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{Backprop, CategoricalCrossentropy, FitOptions, MeanSquaredError, RmsProp, Workspace};

type WithDropout = (Dense<6, 16, Relu>, Dropout<Dims1<16>, 500>, Dense<16, 3, Softmax>);
type WithoutDropout = (Dense<6, 16, Relu>, Dense<16, 3, Softmax>);

shaped::network! {
    type Convnet = (8, 8, 2) => [
        Conv2D(4, 3, activation = "relu"),
        Dropout(0.25),
        MaxPooling2D(2),
        Flatten,
        Dropout(rate = 0.5),
        Dense(3, activation = "softmax"),
    ];
}

fn one_hot(i: usize) -> [f32; 3] {
    std::array::from_fn(|c| if c == i % 3 { 1.0 } else { 0.0 })
}

fn samples(n: usize) -> (Vec<[f32; 6]>, Vec<[f32; 3]>) {
    let x = (0..n).map(|s| std::array::from_fn(|j| ((s * 7 + j * 5) % 11) as f32 / 11.0 - 0.4)).collect();
    (x, (0..n).map(one_hot).collect())
}

#[test]
fn inference_is_the_identity() {
    let with = Sequential::<WithDropout>::new(&mut StdRng::seed_from_u64(1));
    let mut without = Sequential::<WithoutDropout>::zeros();
    without.set_weights(&with.get_weights()).unwrap();
    let (x, _) = samples(20);
    for x in &x {
        assert_eq!(with.predict(x), without.predict(x));
    }
    assert_eq!(with.predict_batch(&x), without.predict_batch(&x));
    let summary = shaped::nn::Summary::<WithDropout>::new().to_string();
    assert!(summary.contains("dropout (Dropout)"), "{summary}");
    assert_eq!(format!("{:?}", Dropout::<Dims1<16>, 250>::default()), "Dropout(0.25)");
}

#[test]
fn training_drops_the_rate_and_scales_the_rest() {
    type Wide<const R: u32> = (Dropout<Dims3<16, 16, 8>, R>,);
    fn check<const R: u32>() {
        let x = vec![[[[1.0f64; 8]; 16]; 16]; 40];
        let mut trace = <Wide<R> as Backprop<f64>>::new_trace(40);
        <Wide<R> as Backprop<f64>>::forward_train(&(), &x, &mut trace, &mut Workspace::new());
        let out = <Wide<R> as Backprop<f64>>::output(&trace);
        let values: Vec<f64> = out.iter().flat_map(|o| o.as_flattened().as_flattened().to_vec()).collect();
        let rate = R as f64 / 1000.0;
        let dropped = values.iter().filter(|&&v| v == 0.0).count() as f64 / values.len() as f64;
        // 81,920 values: the share within 5 standard deviations of the rate.
        let sd = (rate * (1.0 - rate) / values.len() as f64).sqrt();
        assert!((dropped - rate).abs() <= 5.0 * sd + 1e-12, "rate {rate}: {dropped} dropped");
        for &v in &values {
            assert!(v == 0.0 || (v - 1.0 / (1.0 - rate)).abs() < 1e-12, "{v}");
        }
        // Rows are not one mask repeated.
        assert!(R == 0 || out[0] != out[1]);
    }
    check::<0>();
    check::<100>();
    check::<500>();
    check::<900>();
}

#[test]
fn gradients_match_finite_differences_of_the_training_loss() {
    let y: Vec<[f64; 3]> =
        (0..5).map(|i| std::array::from_fn(|c| if c == i % 3 { 1.0 } else { 0.0 })).collect();
    check_training_gradients::<
        (Dense<4, 12, Tanh>, Dropout<Dims1<12>, 400>, Dense<12, 3, Softmax>),
        CategoricalCrossentropy,
        _,
    >(3, &y);
    check_training_gradients::<Convnet, CategoricalCrossentropy, _>(4, &y);
    let y: Vec<[f64; 5]> = (0..4).map(|i| std::array::from_fn(|c| (i + c) as f64 / 9.0)).collect();
    check_training_gradients::<(Dropout<Dims1<7>, 300>, Dense<7, 5, Tanh>), MeanSquaredError, _>(5, &y);
    // Rate 0 is the identity while training too.
    check_gradients::<(Dense<4, 6, Tanh>, Dropout<Dims1<6>, 0>, Dense<6, 5, Tanh>), MeanSquaredError, _>(
        6, &y,
    );
}

// Every layer too wide for the inline kernel of tiny products, so that one row and a
// whole batch round alike (as in tests/train.rs): then a team of threads gives one
// thread's weights bit for bit, and so must dropout's masks.
type Wide = (Dense<30, 40, Relu>, Dropout<Dims1<40>, 500>, Dense<40, 26, Softmax>);
type WideWithout = (Dense<30, 40, Relu>, Dense<40, 26, Softmax>);
type WideZero = (Dense<30, 40, Relu>, Dropout<Dims1<40>, 0>, Dense<40, 26, Softmax>);

fn fit<N>(seed: u64, threads: usize) -> Vec<Vec<f32>>
where
    N: Backprop<f32> + shaped::nn::TakesSample<f32, [f32; 30]>,
    CategoricalCrossentropy: shaped::train::Objective<f32, N::Output, [f32; 26], N::Last>,
    CategoricalCrossentropy: shaped::train::PairsWith<N::Last>,
{
    let x: Vec<[f32; 30]> =
        (0..70).map(|s| std::array::from_fn(|j| ((s * 7 + j * 5) % 11) as f32 / 11.0 - 0.4)).collect();
    let y: Vec<[f32; 26]> =
        (0..70).map(|i| std::array::from_fn(|c| if c == (i * 7) % 26 { 1.0 } else { 0.0 })).collect();
    let mut model = Sequential::<N>::new(&mut StdRng::seed_from_u64(1))
        .compile(RmsProp::default(), CategoricalCrossentropy, &[])
        .unwrap();
    // Batches of 24, 24 and 22.
    let options = FitOptions::new(2, 24).verbose(false).threads(threads).seed(seed);
    model.fit_with(&x, &y, options).unwrap();
    model.model().get_weights()
}

#[test]
fn masks_follow_the_seed_not_the_threads() {
    let one = fit::<Wide>(7, 1);
    for threads in [2, 3, 5] {
        assert_eq!(fit::<Wide>(7, threads), one, "{threads} threads");
    }
    assert_eq!(fit::<Wide>(7, 1), one, "the same seed, the same run");
    assert_ne!(fit::<Wide>(8, 1), one, "another seed, other masks (and shuffles)");
    // Against the same network without dropout (same shuffles): it did drop values.
    assert_ne!(fit::<WideWithout>(7, 1), one);
    // At rate 0 it trains as the network without it, bit for bit.
    assert_eq!(fit::<WideZero>(7, 2), fit::<WideWithout>(7, 2));
}

#[test]
fn train_on_batch_draws_new_masks_each_call() {
    let (x, y) = samples(32);
    let train = |calls: usize| {
        let mut model = Sequential::<WithDropout>::new(&mut StdRng::seed_from_u64(2))
            .compile(shaped::train::Sgd::default(), CategoricalCrossentropy, &[])
            .unwrap();
        (0..calls).map(|_| model.train_on_batch(&x, &y).unwrap().loss).collect::<Vec<_>>()
    };
    let losses = train(3);
    // The same first call from the same model; the calls' masks differ (so do the
    // weights): losses that repeat exactly would mean one mask.
    assert_eq!(train(1)[0], losses[0]);
    assert!(losses[0] != losses[1] && losses[1] != losses[2], "{losses:?}");
}

#[test]
fn weight_files_and_safetensors_skip_dropout() {
    let dir = std::env::temp_dir().join(format!("shaped-dropout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = Sequential::<Convnet>::new(&mut StdRng::seed_from_u64(9));
    let path = dir.join("convnet.weights");
    model.save_weights(&path).unwrap();
    let mut back = Sequential::<Convnet>::zeros();
    back.load_weights(&path).unwrap();
    assert_eq!(back.get_weights(), model.get_weights());
    for convention in [shaped::nn::Convention::Keras, shaped::nn::Convention::PyTorch] {
        let path = dir.join("convnet.safetensors");
        model.save_safetensors_as(&path, convention).unwrap();
        let mut back = Sequential::<Convnet>::zeros();
        back.load_safetensors_with(&path, shaped::nn::LoadOptions::new(convention)).unwrap();
        assert_eq!(back.get_weights(), model.get_weights(), "{convention:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
