//! Keras's training API: train_on_batch, shuffle, callbacks, the progress output,
//! metrics, weights as arrays, the optimizer's reset, the history as CSV and SVG.

use std::cell::RefCell;

use shaped::nn::{Dense, Linear, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{
    Adam, Callback, CategoricalCrossentropy, CompileProblem, Control, EarlyStopping, FitOptions, History,
    MeanSquaredError, Metric, ModelCheckpoint, OnEpochEnd, RmsProp,
};

type Net = (Dense<4, 8, Relu>, Dense<8, 3, Softmax>);
type Reg = (Dense<4, 8, Relu>, Dense<8, 1, Linear>);

fn data(n: usize) -> (Vec<[f32; 4]>, Vec<[f32; 3]>) {
    let x: Vec<[f32; 4]> =
        (0..n).map(|s| core::array::from_fn(|i| ((s * 7 + i * 3) % 11) as f32 / 11.0)).collect();
    let y = x
        .iter()
        .map(|r| {
            let c = if r[0] + r[1] < 0.6 {
                0
            } else if r[2] < 0.5 {
                1
            } else {
                2
            };
            core::array::from_fn(|i| if i == c { 1.0 } else { 0.0 })
        })
        .collect();
    (x, y)
}

fn compiled(seed: u64) -> shaped::train::Compiled<Net, Adam, CategoricalCrossentropy> {
    Sequential::<Net>::new(&mut StdRng::seed_from_u64(seed))
        .compile(Adam::default(), CategoricalCrossentropy, &[Metric::Accuracy])
        .unwrap()
}

fn quiet(epochs: usize, batch: usize) -> FitOptions<'static, [f32; 4], [f32; 3]> {
    FitOptions::new(epochs, batch).verbose(0)
}

#[test]
fn train_on_batch_is_one_fit_step() {
    let (x, y) = data(24);
    let (mut a, mut b) = (compiled(1), compiled(1));
    let step = a.train_on_batch(&x, &y).unwrap();
    let history = b.fit_with(&x, &y, quiet(1, 24).shuffle(false)).unwrap();
    assert_eq!(a.params(), b.params());
    assert_eq!(step.loss, history.loss[0]);
    assert_eq!(step.accuracy, Some(history.accuracy[0]));
    // test_on_batch changes nothing and reports the loss after the step.
    let before = *a.params();
    let test = a.test_on_batch(&x, &y).unwrap();
    assert_eq!(&before, a.params());
    assert!(test.loss < step.loss, "{} then {}", step.loss, test.loss);
}

#[test]
fn without_shuffle_the_seed_does_not_matter() {
    let (x, y) = data(40);
    let (mut a, mut b, mut c) = (compiled(2), compiled(2), compiled(2));
    a.fit_with(&x, &y, quiet(2, 8).shuffle(false).seed(1)).unwrap();
    b.fit_with(&x, &y, quiet(2, 8).shuffle(false).seed(99)).unwrap();
    c.fit_with(&x, &y, quiet(2, 8).seed(99)).unwrap();
    assert_eq!(a.params(), b.params());
    assert_ne!(a.params(), c.params(), "shuffling must change the batches");
}

/// Records the weights after each epoch.
struct Record(Vec<<Net as shaped::nn::Layers<f32>>::Params>);

impl Callback<<Net as shaped::nn::Layers<f32>>::Params> for Record {
    fn on_epoch_end(
        &mut self,
        _: usize,
        _: &History,
        w: &<Net as shaped::nn::Layers<f32>>::Params,
    ) -> Control {
        self.0.push(*w);
        Control::Continue
    }
}

#[test]
fn early_stopping_stops_after_patience_and_restores_the_best() {
    let (x, y) = data(60);
    // Validation labels are the training labels shifted: the better the model fits the
    // training data, the worse the validation loss, soon.
    let val_y: Vec<[f32; 3]> = y.iter().map(|r| [r[2], r[0], r[1]]).collect();
    let mut model = compiled(3);
    let mut record = Record(Vec::new());
    let mut stop = EarlyStopping::new("val_loss").patience(2).restore_best_weights(true);
    let history = model
        .fit_with_callbacks(&x, &y, quiet(50, 10).validation_data(&x, &val_y), &mut [&mut record, &mut stop])
        .unwrap();
    let stopped = stop.stopped_epoch().expect("the validation loss rises: it must stop");
    let (best, best_epoch) = stop.best().unwrap();
    assert_eq!(history.epochs(), stopped);
    assert_eq!(stopped, best_epoch + 2, "patience 2: two epochs without improvement, then stop");
    let min = history.val_loss.iter().cloned().fold(f64::INFINITY, f64::min);
    assert_eq!(best, min);
    assert_eq!(history.val_loss[best_epoch - 1], best);
    assert_eq!(model.params(), &record.0[best_epoch - 1], "the best epoch's weights come back");
    // Without restore_best_weights, the last epoch's weights stay.
    let mut model = compiled(3);
    let mut record = Record(Vec::new());
    let mut stop = EarlyStopping::new("val_loss").patience(2);
    model
        .fit_with_callbacks(&x, &y, quiet(50, 10).validation_data(&x, &val_y), &mut [&mut record, &mut stop])
        .unwrap();
    assert_eq!(model.params(), record.0.last().unwrap());
}

#[test]
fn early_stopping_follows_keras_on_a_given_history() {
    type P = [f32; 1];
    let mut stop = EarlyStopping::<P>::new("loss").patience(2).min_delta(0.1).restore_best_weights(true);
    let mut h = History::default();
    let mut run = |loss: f64, w: f32| {
        h.loss.push(loss);
        let e = h.loss.len();
        stop.on_epoch_end(e, &h, &[w])
    };
    assert_eq!(run(1.0, 1.0), Control::Continue); // the first sets the best
    assert_eq!(run(0.95, 2.0), Control::Continue); // within min_delta: no improvement, wait 1
    assert_eq!(run(0.5, 3.0), Control::Continue); // improvement: wait 0, best 0.5
    assert_eq!(run(0.45, 4.0), Control::Continue); // within min_delta again: wait 1
    assert_eq!(run(0.44, 5.0), Control::Stop); // wait 2 = patience: stop
    let mut w = [9.0];
    stop.on_train_end(&mut w);
    assert_eq!(w, [3.0]);
    assert_eq!(stop.best(), Some((0.5, 3)));
    // Accuracy improves upward.
    let mut stop = EarlyStopping::<P>::new("accuracy").patience(0);
    let mut h = History::default();
    h.loss.push(1.0);
    h.accuracy.push(0.5);
    assert_eq!(stop.on_epoch_end(1, &h, &[0.0]), Control::Continue);
    h.loss.push(1.0);
    h.accuracy.push(0.6);
    assert_eq!(stop.on_epoch_end(2, &h, &[0.0]), Control::Continue);
    h.loss.push(1.0);
    h.accuracy.push(0.6);
    assert_eq!(stop.on_epoch_end(3, &h, &[0.0]), Control::Stop);
}

#[test]
fn a_checkpoint_keeps_the_best_weights() {
    let (x, y) = data(60);
    let val_y: Vec<[f32; 3]> = y.iter().map(|r| [r[2], r[0], r[1]]).collect();
    let path = std::env::temp_dir().join(format!("shaped-checkpoint-{}.weights", std::process::id()));
    let mut model = compiled(3);
    let mut record = Record(Vec::new());
    let mut checkpoint = ModelCheckpoint::<Net>::new(&path).save_best_only("val_loss");
    let history = model
        .fit_with_callbacks(
            &x,
            &y,
            quiet(8, 10).validation_data(&x, &val_y),
            &mut [&mut record, &mut checkpoint],
        )
        .unwrap();
    let best =
        (0..history.epochs()).min_by(|&a, &b| history.val_loss[a].total_cmp(&history.val_loss[b])).unwrap();
    let mut saved = Sequential::<Net>::zeros();
    saved.load_weights(&path).unwrap();
    assert_eq!(saved.params(), &record.0[best]);
    assert!(checkpoint.saved() >= 1 && checkpoint.saved() <= history.epochs());
    std::fs::remove_file(&path).unwrap();
    // A callback closure can stop training.
    let mut model = compiled(4);
    let mut stop_at_3 =
        OnEpochEnd::new(|epoch, _: &History| if epoch == 3 { Control::Stop } else { Control::Continue });
    let history = model.fit_with_callbacks(&x, &y, quiet(10, 10), &mut [&mut stop_at_3]).unwrap();
    assert_eq!(history.epochs(), 3);
}

#[test]
fn fit_prints_clean_lines_to_a_pipe_and_live_ones_to_a_terminal() {
    let (x, y) = data(40);
    let sink: RefCell<Vec<u8>> = RefCell::new(Vec::new());
    let mut model = compiled(5);
    model.fit_with(&x, &y, FitOptions::new(2, 8).output_to(&sink, false)).unwrap();
    let text = String::from_utf8(sink.into_inner()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], "Epoch 1/2");
    assert!(lines[1].starts_with("5/5 ━━━━━━━━━━━━━━━━━━━━ 0s "), "{}", lines[1]);
    // The step time's unit depends on the machine's speed (valgrind: ms).
    let per_step = ["us/step - accuracy: ", "ms/step - accuracy: "];
    assert!(per_step.iter().any(|p| lines[1].contains(p)) && lines[1].contains(" - loss: "), "{}", lines[1]);
    assert!(!text.contains('\r') && !text.contains('\x1b'));
    // verbose 2: one line per epoch without the bar.
    let sink: RefCell<Vec<u8>> = RefCell::new(Vec::new());
    model.fit_with(&x, &y, FitOptions::new(1, 8).verbose(2u8).output_to(&sink, true)).unwrap();
    let text = String::from_utf8(sink.into_inner()).unwrap();
    assert!(text.starts_with("Epoch 1/1\n5/5 - 0s - ") && !text.contains('━'), "{text}");
    // Silent.
    let sink: RefCell<Vec<u8>> = RefCell::new(Vec::new());
    model.fit_with(&x, &y, FitOptions::new(1, 8).verbose(false).output_to(&sink, true)).unwrap();
    assert!(sink.into_inner().is_empty());
}

#[test]
fn regression_metrics_and_no_meaningless_accuracy() {
    let x: Vec<[f32; 4]> =
        (0..64).map(|s| core::array::from_fn(|i| ((s * 5 + i) % 9) as f32 / 9.0)).collect();
    let y: Vec<[f32; 1]> = x.iter().map(|r| [r[0] + 2.0 * r[1] - r[3]]).collect();
    let model = Sequential::<Reg>::new(&mut StdRng::seed_from_u64(6));
    let refused = model.compile(RmsProp::default(), MeanSquaredError, &[Metric::Accuracy]).err().unwrap();
    assert!(matches!(refused.error, CompileProblem::Metric { metric: Metric::Accuracy, outputs: 1, .. }));
    assert!(refused.to_string().contains("means nothing"), "{refused}");
    let mut model = refused
        .model
        .compile(RmsProp::default(), MeanSquaredError, &[Metric::MeanAbsoluteError, Metric::MeanSquaredError])
        .unwrap();
    let history = model.fit_with(&x, &y, FitOptions::new(5, 16).verbose(0).validation_split(0.25)).unwrap();
    assert_eq!((history.mae.len(), history.val_mae.len()), (5, 5));
    // mse as a metric is the loss (both are the mean squared error).
    for (m, l) in history.val_mse.iter().zip(&history.val_loss) {
        assert!((m - l).abs() <= 1e-6 * l.abs().max(1e-6), "{m} vs {l}");
    }
    let e = model.evaluate(&x, &y).unwrap();
    let by_hand: f64 =
        x.iter().zip(&y).map(|(x, y)| (model.predict(x)[0] as f64 - y[0] as f64).abs()).sum::<f64>() / 64.0;
    assert!((e.mae.unwrap() - by_hand).abs() < 1e-6, "{:?} vs {by_hand}", e.mae);
    assert_eq!(e.accuracy, None);
    // Accuracy on several outputs is still fine with a regression loss.
    assert!(
        Sequential::<Net>::zeros().compile(RmsProp::default(), MeanSquaredError, &[Metric::Accuracy]).is_ok()
    );
}

#[test]
fn resetting_the_optimizer_makes_it_fresh() {
    let (x, y) = data(32);
    let mut a = compiled(7);
    a.fit_with(&x, &y, quiet(2, 8)).unwrap();
    assert!(a.optimizer().iterations > 0);
    a.reset_optimizer();
    assert_eq!(a.optimizer().iterations, 0);
    // A fresh optimizer on the same weights takes the same next step.
    let mut b = compiled(0);
    b.model_mut().set_weights(&a.model().get_weights()).unwrap();
    a.train_on_batch(&x, &y).unwrap();
    b.train_on_batch(&x, &y).unwrap();
    assert_eq!(a.params(), b.params());
}

#[test]
fn the_history_as_csv_and_svg() {
    let (x, y) = data(40);
    let mut model = compiled(8);
    let history = model.fit_with(&x, &y, quiet(3, 8).validation_split(0.25)).unwrap();
    let csv = history.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "epoch,accuracy,loss,val_accuracy,val_loss");
    assert_eq!(lines.len(), 4);
    assert!(lines[3].starts_with("2,"));
    assert_eq!(lines[1].split(',').nth(2).unwrap().parse::<f64>().unwrap(), history.loss[0]);
    let svg = history.to_svg();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<polyline").count(), 2, "a validation line per panel (loss, accuracy)");
    assert_eq!(svg.matches("<circle").count(), 2 * 3 + 2, "three training points per panel, and the legends");
    assert!(svg.contains("Training and validation loss"));
}

#[test]
fn errors_read_well_from_main() {
    let (x, mut y) = data(16);
    y[3][0] = f32::NAN;
    let mut model = compiled(9);
    let e = model.fit_with(&x, &y, quiet(1, 4)).unwrap_err();
    let debug = format!("{e:?}");
    assert_eq!(debug, e.to_string(), "Debug is Display");
    assert!(!debug.contains("History"), "{debug}");
    assert!(debug.len() < 300, "{debug}");
}

#[test]
fn a_compiled_model_has_keras_weight_calls() {
    let (x, y) = data(16);
    let mut a = compiled(10);
    a.fit_with(&x, &y, quiet(1, 8)).unwrap();
    let mut b = compiled(11);
    assert_ne!(a.params(), b.params());
    b.set_weights(&a.get_weights()).unwrap();
    assert_eq!(a.params(), b.params());
    assert!(b.set_weights(&a.get_weights()[1..]).is_err());
    let path = std::env::temp_dir().join(format!("shaped-compiled-{}.weights", std::process::id()));
    a.save_weights(&path).unwrap();
    let mut c = compiled(12);
    c.load_weights(&path).unwrap();
    assert_eq!(a.params(), c.params());
    std::fs::remove_file(&path).unwrap();
}
