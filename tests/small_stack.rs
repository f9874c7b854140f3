//! Large weights never travel through the stack (issue #30): training, evaluation,
//! callbacks, checkpoints and batched inference of a network of 3.3 MB of weights run in
//! a thread whose stack is 256 KiB, an eighth of Rust's default for spawned threads.

use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{RngExt, SeedableRng, rngs::StdRng};
use shaped::train::{CategoricalCrossentropy, EarlyStopping, FitOptions, Metric, ModelCheckpoint, RmsProp};

type Wide = (Dense<784, 1024, Relu>, Dense<1024, 10, Softmax>);

const STACK: usize = 256 * 1024;

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the work ran on a 256 KiB stack");
}

fn data(samples: usize) -> (Vec<[f32; 784]>, Vec<[f32; 10]>) {
    let mut rng = StdRng::seed_from_u64(30);
    let x = (0..samples).map(|_| core::array::from_fn(|_| rng.random_range(0.0..1.0))).collect();
    let y = (0..samples).map(|s| core::array::from_fn(|j| if j == s % 10 { 1.0 } else { 0.0 })).collect();
    (x, y)
}

#[test]
fn fit_evaluate_and_callbacks_on_a_small_stack() {
    on_small_stack(|| {
        let (x, y) = data(64);
        let model = Sequential::<Wide>::new(&mut StdRng::seed_from_u64(0));
        let mut model =
            model.compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy]).unwrap();
        let dir = std::env::temp_dir().join(format!("shaped-small-stack-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut stop = EarlyStopping::new("val_loss").patience(1).restore_best_weights(true);
        let mut checkpoint =
            ModelCheckpoint::<Wide>::new(dir.join("best.weights")).save_best_only("val_loss");
        let options = FitOptions::new(3, 16).verbose(false).validation_data(&x[..16], &y[..16]);
        let history = model.fit_with_callbacks(&x, &y, options, &mut [&mut stop, &mut checkpoint]).unwrap();
        assert!(history.epochs() >= 1);
        let e = model.evaluate(&x, &y).unwrap();
        assert!(e.loss.is_finite());
        model.fit_with(&x, &y, FitOptions::new(1, 64).verbose(false).threads(2)).unwrap();
        model.save_weights(dir.join("w.weights")).unwrap();
        model.load_weights(dir.join("w.weights")).unwrap();
        let out = model.predict_batch(&x);
        assert_eq!(out.len(), 64);
        let one = model.predict(&x[3]);
        assert!(out[3].iter().zip(&one).all(|(a, b)| (a - b).abs() < 1e-5), "{:?} vs {one:?}", out[3]);
        let _ = std::fs::remove_dir_all(&dir);
    });
}

#[test]
fn fit_variants_on_a_small_stack() {
    use shaped::train::{Adam, Sgd};
    on_small_stack(|| {
        let (x, y) = data(48);
        let new = || Sequential::<Wide>::new(&mut StdRng::seed_from_u64(1));
        let mut m = new().compile(Adam::default(), CategoricalCrossentropy, &[]).unwrap();
        m.fit(&x, &y, 1, 16).unwrap();
        m.fit_with(&x, &y, FitOptions::new(2, 8).validation_split(0.25).verbose(2)).unwrap();
        let sgd = Sgd { momentum: 0.9, nesterov: true, ..Sgd::default() };
        let mut m = new().compile(sgd, CategoricalCrossentropy, &[Metric::Accuracy]).unwrap();
        let mut stop = EarlyStopping::new("loss").patience(0).restore_best_weights(true);
        m.fit_with_callbacks(&x, &y, FitOptions::new(3, 48).verbose(false), &mut [&mut stop]).unwrap();
        m.train_on_batch(&x[..8], &y[..8]).unwrap();
        m.test_on_batch(&x[..8], &y[..8]).unwrap();
        let m64 = Sequential::<Wide, f64>::new(&mut StdRng::seed_from_u64(1));
        let x64: Vec<[f64; 784]> = x.iter().map(|r| r.map(f64::from)).collect();
        let y64: Vec<[f64; 10]> = y.iter().map(|r| r.map(f64::from)).collect();
        let mut m64 = m64.compile(RmsProp::default(), CategoricalCrossentropy, &[]).unwrap();
        m64.fit_with(&x64, &y64, FitOptions::new(1, 16).verbose(false)).unwrap();
        let _ = m64.get_weights();
        let _ = m.summary().to_string();
        let q = m.model().quantize(&x).unwrap();
        let _ = q.predict_batch(&x);
    });
}
