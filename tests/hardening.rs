//! Issue #30, by class: what a hostile or mistaken input used to get through silently, or
//! lose. Each test failed before its fix.

use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{
    CategoricalCrossentropy, EarlyStopping, FitOptions, Metric, ModelCheckpoint, RmsProp, TrainError,
};

type Net = (Dense<4, 8, Relu>, Dense<8, 3, Softmax>);

fn data(n: usize) -> (Vec<[f32; 4]>, Vec<[f32; 3]>) {
    let x = (0..n).map(|s| core::array::from_fn(|i| ((s * 7 + i * 3) % 11) as f32 / 5.5 - 1.0)).collect();
    let y = (0..n).map(|s| core::array::from_fn(|j| if j == s % 3 { 1.0 } else { 0.0 })).collect();
    (x, y)
}

fn compiled(seed: u64) -> shaped::train::Compiled<Net, RmsProp, CategoricalCrossentropy> {
    Sequential::<Net>::new(&mut StdRng::seed_from_u64(seed))
        .compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy])
        .unwrap()
}

fn quiet<'a>(epochs: usize) -> FitOptions<'a, [f32; 4], [f32; 3]> {
    FitOptions::new(epochs, 8).verbose(false)
}

/// A monitor the fit does not record is an error before any weight changes, naming
/// what the fit records and, for `val_`, the missing validation data.
#[test]
fn early_stopping_refuses_a_monitor_the_fit_does_not_record() {
    let (x, y) = data(32);
    for (monitor, hint) in
        [("accuracyy", "records"), ("val_loss", "no validation data"), ("val_accuracy", "validation")]
    {
        let mut model = compiled(1);
        let before = model.get_weights();
        let mut stop = EarlyStopping::new(monitor);
        let err = model.fit_with_callbacks(&x, &y, quiet(3), &mut [&mut stop]).unwrap_err();
        assert!(matches!(err, TrainError::Callback(_)), "{monitor}: {err}");
        let text = err.to_string();
        assert!(text.contains(monitor) && text.contains(hint), "{text}");
        assert_eq!(format!("{err:?}"), text, "Debug is Display");
        assert_eq!(model.get_weights(), before, "{monitor}: the weights changed");
    }
    // The same monitor with validation data is fine, and so is a metric compiled in.
    let mut model = compiled(1);
    let mut stop = EarlyStopping::new("val_accuracy");
    model.fit_with_callbacks(&x, &y, quiet(2).validation_split(0.25), &mut [&mut stop]).unwrap();
    let mut checkpoint = ModelCheckpoint::<Net>::new(std::env::temp_dir().join("shaped-never-written"));
    let mut checkpoint = std::mem::replace(&mut checkpoint, ModelCheckpoint::new("x")).save_best_only("mae");
    let err = model.fit_with_callbacks(&x, &y, quiet(2), &mut [&mut checkpoint]).unwrap_err();
    assert!(err.to_string().contains("ModelCheckpoint monitors `mae`"), "{err}");
    assert_eq!(checkpoint.saved(), 0);
}

#[test]
fn early_stopping_refuses_a_nan_or_negative_min_delta() {
    let (x, y) = data(32);
    for delta in [f64::NAN, -0.1, f64::INFINITY] {
        let mut stop = EarlyStopping::new("loss").min_delta(delta);
        let err = compiled(2).fit_with_callbacks(&x, &y, quiet(2), &mut [&mut stop]).unwrap_err();
        assert!(err.to_string().contains("min_delta"), "{delta}: {err}");
    }
}

/// One `EarlyStopping` used for a second fit starts afresh: it neither stops the second
/// model early on the first's best loss nor gives it the first model's weights.
#[test]
fn early_stopping_starts_afresh_at_each_fit() {
    let (x, y) = data(48);
    let mut stop = EarlyStopping::new("loss").patience(1).restore_best_weights(true);
    // A first model that reaches a low loss.
    let mut first = compiled(3);
    first.fit_with_callbacks(&x, &y, quiet(40), &mut [&mut stop]).unwrap();
    let first_best = stop.best().unwrap().0;
    // A second, fresh model: its loss starts above the first's best.
    let mut second = compiled(4);
    let history = second.fit_with_callbacks(&x, &y, quiet(3), &mut [&mut stop]).unwrap();
    assert!(history.loss[0] > first_best, "the test needs the second model to start worse");
    assert_eq!(history.epochs(), 3, "the second fit stopped on the first fit's best");
    assert_ne!(second.get_weights(), first.get_weights(), "the second model holds the first's weights");
    assert!(stop.best().unwrap().0 >= history.loss.iter().cloned().fold(f64::INFINITY, f64::min));
}

/// `set_weights` refuses NaN and infinite values (the loaders do), naming where, and the
/// model keeps its weights.
#[test]
fn set_weights_refuses_non_finite_values() {
    let mut model = compiled(5);
    let before = model.get_weights();
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut w = before.clone();
        w[2][7] = bad;
        let e = model.set_weights(&w).unwrap_err();
        assert_eq!(e.to_string(), format!("weight array 2 holds {bad} at 7: weights must be finite"));
        assert_eq!(format!("{e:?}"), e.to_string());
        assert_eq!(model.get_weights(), before);
    }
    model.set_weights(&before).unwrap();
}

/// Binary cross-entropy refuses targets outside [0, 1] (a label 2, a -1, NaN) in fit,
/// evaluate and train_on_batch, naming the label.
#[test]
fn binary_crossentropy_refuses_labels_outside_zero_one() {
    use shaped::nn::Sigmoid;
    use shaped::train::BinaryCrossentropy;
    type Binary = (Dense<4, 8, Relu>, Dense<8, 1, Sigmoid>);
    let (x, _) = data(16);
    for bad in [2.0f32, -1.0, f32::NAN, 1.5] {
        let mut y: Vec<[f32; 1]> = (0..16).map(|s| [(s % 2) as f32]).collect();
        y[9] = [bad];
        let mut m = Sequential::<Binary>::new(&mut StdRng::seed_from_u64(6))
            .compile(RmsProp::default(), BinaryCrossentropy, &[Metric::Accuracy])
            .unwrap();
        let before = m.get_weights();
        let e = m.fit_with(&x, &y, FitOptions::new(1, 4).verbose(false)).unwrap_err();
        assert!(matches!(e, TrainError::Label { index: 9, .. }), "{bad}: {e}");
        assert!(e.to_string().starts_with("label 9: binary cross-entropy takes targets in [0, 1]"), "{e}");
        assert!(m.evaluate(&x, &y).is_err());
        assert!(m.train_on_batch(&x, &y).is_err());
        assert_eq!(m.get_weights(), before);
        // In the validation data too.
        let good: Vec<[f32; 1]> = (0..16).map(|s| [(s % 2) as f32]).collect();
        let e =
            m.fit_with(&x, &good, FitOptions::new(1, 4).verbose(false).validation_data(&x, &y)).unwrap_err();
        assert!(matches!(e, TrainError::Label { .. }), "{e}");
        // Soft labels in [0, 1] are fine.
        let soft: Vec<[f32; 1]> = (0..16).map(|s| [s as f32 / 15.0]).collect();
        m.fit_with(&x, &soft, FitOptions::new(1, 4).verbose(false)).unwrap();
    }
}

/// `evaluate` on NaN or infinite inputs is an error, not `Ok(NaN)`.
#[test]
fn evaluate_refuses_a_non_finite_loss() {
    let (mut x, y) = data(16);
    let model = compiled(7);
    assert!(model.evaluate(&x, &y).unwrap().loss.is_finite());
    for bad in [f32::NAN, f32::INFINITY] {
        x[4][1] = bad;
        let e = model.evaluate(&x, &y).unwrap_err();
        assert!(matches!(e, TrainError::NonFiniteEvaluation { .. }), "{bad}: {e}");
        assert!(e.to_string().contains("NaN or infinite"), "{e}");
        assert!(model.test_on_batch(&x, &y).is_err());
    }
}

/// A thread count above the machine's is a cap: `SHAPED_THREADS=3000` (it aborted on a
/// failed allocation) and `100000` (it did not finish in 20 s) run `predict_batch` and
/// `fit` on the machine's cores, and `FitOptions::threads(100_000)` on at most four
/// times them. Run in child processes, since the variable is read once per process.
#[test]
fn large_thread_counts_are_caps() {
    if let Ok(asked) = std::env::var("SHAPED_THREADS") {
        let asked: usize = asked.parse().unwrap();
        assert_eq!(shaped::parallel::threads(), asked.min(shaped::parallel::cores()));
        type Big = (Dense<64, 512, Relu>, Dense<512, 3, Softmax>);
        let model = Sequential::<Big>::new(&mut StdRng::seed_from_u64(1));
        let xs: Vec<[f32; 64]> =
            (0..1024).map(|s| core::array::from_fn(|i| ((s + i) % 7) as f32 / 7.0)).collect();
        let out = model.predict_batch(&xs);
        assert_eq!(out.len(), 1024);
        let (x, y) = data(64);
        compiled(1).fit_with(&x, &y, quiet(1).threads(100_000)).unwrap();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for asked in ["3000", "100000", "1"] {
        let started = std::time::Instant::now();
        let out = std::process::Command::new(&exe)
            .args(["--exact", "large_thread_counts_are_caps", "--quiet"])
            .env("SHAPED_THREADS", asked)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "SHAPED_THREADS={asked}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(started.elapsed().as_secs() < 20, "SHAPED_THREADS={asked} took {:?}", started.elapsed());
    }
}

/// Every public error prints its message as `Debug` too: `fn main() -> Result<(),
/// Box<dyn Error>>` prints `Debug`, and a user should read the file, the shapes and the
/// fix, not a field dump (`Io(Os { code: 2, .. })`, `CompileError(Setting(..))`).
#[test]
fn every_error_debugs_as_its_message() {
    fn same(e: &(impl std::fmt::Debug + std::fmt::Display)) -> String {
        assert_eq!(format!("{e:?}"), e.to_string());
        e.to_string()
    }
    let bad = RmsProp { learning_rate: f64::NAN, ..RmsProp::default() };
    let e = Sequential::<Net>::zeros().compile(bad, CategoricalCrossentropy, &[]).err().unwrap();
    assert!(same(&e).contains("learning_rate = NaN"));
    let e = Sequential::<Net>::zeros().load_weights("/no/such/w.weights").unwrap_err();
    assert!(same(&e).contains("/no/such/w.weights"));
    let e = Sequential::<Net>::zeros().save_weights("/no/such/w.weights").unwrap_err();
    assert!(same(&e).contains("w.weights"));
    let e = Sequential::<Net>::zeros().set_weights(&[vec![0.0f32; 3]]).unwrap_err();
    same(&e);
    let e = shaped::data::load_idx_labels("/no/such/labels.idx").unwrap_err();
    assert!(same(&e).contains("labels.idx"));
    let e = shaped::data::load_npy::<f32>("/no/such/x.npy").unwrap_err();
    assert!(same(&e).contains("x.npy"));
    let e = shaped::data::to_categorical::<f32, 3>(&[5]).unwrap_err();
    same(&e);
    let (x, y) = data(4);
    let e = shaped::data::train_test_split(&x, &y, 2.0, 0).unwrap_err();
    same(&e);
    let e = Sequential::<Net>::zeros().quantize(&[]).err().unwrap();
    same(&e);
    let e = shaped::Tensor2::<f32, 2, 3>::from_flat(&[1.0; 5]).unwrap_err();
    same(&e);
    let e = compiled(1).fit(&x, &y[..3], 1, 2).unwrap_err();
    same(&e);
}
