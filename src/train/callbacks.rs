//! Callbacks of `fit`: a hook after each batch and epoch, early stopping and checkpoints,
//! with Keras's semantics.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use core::marker::PhantomData;
use std::path::PathBuf;

use super::history::{Evaluation, History};
use crate::element::Scalar;
use crate::nn::Layers;

/// What a callback asks of `fit` after an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop after this epoch (Keras's `model.stop_training = True`).
    Stop,
}

/// A callback of [`Compiled::fit_with_callbacks`](super::Compiled::fit_with_callbacks),
/// for a network whose weights are `P` (`N::Params`).
pub trait Callback<P> {
    /// When `fit` begins, with the names of the quantities it will record each epoch
    /// (`"loss"`, the compiled metrics, their `val_` forms with validation data). An
    /// error stops `fit` before any weight changes ([`TrainError::Callback`]). A
    /// callback that keeps state across epochs resets it here, so that one callback
    /// serves several fits.
    ///
    /// [`TrainError::Callback`]: super::TrainError::Callback
    fn on_train_begin(&mut self, recorded: &[&'static str]) -> Result<(), String> {
        let _ = recorded;
        Ok(())
    }

    /// After each batch: `batch` counts from 1 within the epoch; `logs` holds the running
    /// means of the epoch so far (what Keras's progress bar shows).
    fn on_batch_end(&mut self, epoch: usize, batch: usize, logs: &Evaluation) {
        let _ = (epoch, batch, logs);
    }

    /// After each epoch (counted from 1), with the history so far (this epoch included)
    /// and the weights.
    fn on_epoch_end(&mut self, epoch: usize, history: &History, weights: &P) -> Control {
        let _ = (epoch, history, weights);
        Control::Continue
    }

    /// When training ends (all epochs done or a callback stopped it); the weights may be
    /// replaced (as `EarlyStopping` restores the best).
    fn on_train_end(&mut self, weights: &mut P) {
        let _ = weights;
    }
}

/// A closure called after each epoch with the epoch (from 1) and the history so far.
///
/// ```
/// use shaped::train::{Control, OnEpochEnd};
/// // Stop once the training loss is under 0.1.
/// let mut stop = OnEpochEnd::new(|_epoch, history| {
///     if history.loss.last().is_some_and(|&l| l < 0.1) { Control::Stop } else { Control::Continue }
/// });
/// # let _ = &mut stop;
/// ```
pub struct OnEpochEnd<F>(pub F);

impl<F: FnMut(usize, &History) -> Control> OnEpochEnd<F> {
    /// The callback calling `f`.
    pub fn new(f: F) -> Self {
        OnEpochEnd(f)
    }
}

impl<P, F: FnMut(usize, &History) -> Control> Callback<P> for OnEpochEnd<F> {
    fn on_epoch_end(&mut self, epoch: usize, history: &History, _: &P) -> Control {
        (self.0)(epoch, history)
    }
}

/// The quantity a callback watches: a name of [`History::get`] (`"val_loss"`, `"loss"`,
/// `"val_accuracy"`, `"mae"`, ...). Accuracies improve upward, losses and errors downward
/// (Keras's `mode="auto"`).
fn improves_upward(monitor: &str) -> bool {
    monitor.ends_with("accuracy")
}

/// Whether `current` improves on `best` by more than `min_delta`.
fn improved(monitor: &str, current: f64, best: Option<f64>, min_delta: f64) -> bool {
    match best {
        // Keras starts from +inf (or -inf): anything but NaN improves on it.
        None => !current.is_nan(),
        Some(best) if improves_upward(monitor) => current - min_delta > best,
        Some(best) => current + min_delta < best,
    }
}

/// Keras's `EarlyStopping`: stop when `monitor` has not improved by more than
/// `min_delta` for `patience` epochs, and with `restore_best_weights` put back the
/// weights of the best epoch when it stops.
///
/// As in Keras: the first epoch sets the best; each later epoch without improvement adds
/// one to a wait that an improvement resets; training stops when the wait reaches
/// `patience` (so `patience: 0` stops at the first epoch without improvement); the best
/// weights are restored only if it stops early. A monitor that the fit does not record
/// (`val_loss` without validation data, a misspelt metric) and a `min_delta` that is NaN
/// or negative are errors before the first epoch ([`TrainError::Callback`]); each fit
/// starts afresh, so one `EarlyStopping` serves several fits.
///
/// [`TrainError::Callback`]: super::TrainError::Callback
#[derive(Debug)]
pub struct EarlyStopping<P> {
    /// The quantity watched (Keras's default: `"val_loss"`).
    pub monitor: String,
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// The smallest change that counts as an improvement.
    pub min_delta: f64,
    /// Restore the weights of the best epoch when stopping.
    pub restore_best_weights: bool,
    best: Option<f64>,
    best_epoch: usize,
    wait: usize,
    stopped_epoch: Option<usize>,
    /// The weights of the best epoch, allocated zeroed on the heap and copied into heap
    /// to heap: a `Params` of several MB must never pass through the stack.
    best_weights: Option<Box<P>>,
}

impl<P: Copy + crate::Zeroable> EarlyStopping<P> {
    /// Watches `monitor` with Keras's defaults: patience 0, min_delta 0, no restore.
    pub fn new(monitor: &str) -> Self {
        EarlyStopping {
            monitor: monitor.to_string(),
            patience: 0,
            min_delta: 0.0,
            restore_best_weights: false,
            best: None,
            best_epoch: 0,
            wait: 0,
            stopped_epoch: None,
            best_weights: None,
        }
    }

    /// Epochs without improvement before stopping.
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// The smallest change that counts as an improvement: a finite number >= 0 (`fit`
    /// refuses NaN, infinity and a negative one, where Keras would take its absolute value
    /// silently).
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta;
        self
    }

    /// Restore the weights of the best epoch when stopping.
    pub fn restore_best_weights(mut self, restore: bool) -> Self {
        self.restore_best_weights = restore;
        self
    }

    /// The epoch (from 1) training stopped after, if it stopped early.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    /// The best value of the monitored quantity, and its epoch (from 1).
    pub fn best(&self) -> Option<(f64, usize)> {
        self.best.map(|b| (b, self.best_epoch))
    }
}

impl<P: Copy + crate::Zeroable> Callback<P> for EarlyStopping<P> {
    /// Checks the monitor and `min_delta`, and forgets an earlier fit's best.
    fn on_train_begin(&mut self, recorded: &[&'static str]) -> Result<(), String> {
        self.best = None;
        self.best_epoch = 0;
        self.wait = 0;
        self.stopped_epoch = None;
        self.best_weights = None;
        if !(self.min_delta >= 0.0 && self.min_delta.is_finite()) {
            return Err(format!(
                "EarlyStopping: min_delta = {} must be a finite number >= 0",
                self.min_delta
            ));
        }
        check_monitor("EarlyStopping", &self.monitor, recorded)
    }

    fn on_epoch_end(&mut self, epoch: usize, history: &History, weights: &P) -> Control {
        let Some(&current) = history.get(&self.monitor).and_then(|v| v.last()) else {
            // Checked in `on_train_begin`: only a callback driven by hand gets here.
            return Control::Continue;
        };
        self.wait += 1;
        if improved(&self.monitor, current, self.best, self.min_delta) {
            self.best = Some(current);
            self.best_epoch = epoch;
            self.wait = 0;
            if self.restore_best_weights {
                // `copy_from_slice` of a `Copy` type is one memcpy, with no temporary on
                // the stack at any opt-level (`Box::new(*weights)`, `extend_from_slice`
                // and `to_vec` went through one at opt-level 0: `tests/small_stack.rs`).
                let best = self.best_weights.get_or_insert_with(crate::zeroed::zeroed_box::<P>);
                core::slice::from_mut(&mut **best).copy_from_slice(core::slice::from_ref(weights));
            }
            return Control::Continue;
        }
        if self.wait >= self.patience && epoch > 1 {
            self.stopped_epoch = Some(epoch);
            return Control::Stop;
        }
        Control::Continue
    }

    fn on_train_end(&mut self, weights: &mut P) {
        if let (Some(_), true, Some(best)) =
            (self.stopped_epoch, self.restore_best_weights, &self.best_weights)
        {
            core::slice::from_mut(weights).copy_from_slice(core::slice::from_ref(&**best));
        }
    }
}

/// Whether `monitor` is one of the quantities the fit records; the error names them,
/// and the cause when it is a `val_` quantity without validation data.
fn check_monitor(who: &str, monitor: &str, recorded: &[&'static str]) -> Result<(), String> {
    if recorded.contains(&monitor) {
        return Ok(());
    }
    let hint = if monitor.starts_with("val_") && recorded.contains(&&monitor[4..]) {
        " (the fit has no validation data: pass validation_split or validation_data)".to_string()
    } else {
        String::new()
    };
    Err(format!("{who} monitors `{monitor}`, which this fit does not record; it records {recorded:?}{hint}"))
}

/// Keras's `ModelCheckpoint` with `save_weights_only=True`: writes the weights
/// (`save_weights`'s format) after each epoch, or with `save_best_only` only when
/// `monitor` improved. A write that fails stops training with the error kept in
/// [`ModelCheckpoint::error`].
pub struct ModelCheckpoint<N, T = f32> {
    /// The file to write.
    pub path: PathBuf,
    /// The quantity watched for `save_best_only`.
    pub monitor: String,
    /// Write only when `monitor` improves.
    pub save_best_only: bool,
    best: Option<f64>,
    saved: usize,
    error: Option<std::io::Error>,
    _net: PhantomData<fn() -> (N, T)>,
}

impl<N: Layers<T>, T: Scalar> ModelCheckpoint<N, T> {
    /// Writes the weights to `path` after every epoch, watching `val_loss`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ModelCheckpoint {
            path: path.into(),
            monitor: "val_loss".to_string(),
            save_best_only: false,
            best: None,
            saved: 0,
            error: None,
            _net: PhantomData,
        }
    }

    /// Writes only when `monitor` improves.
    pub fn save_best_only(mut self, monitor: &str) -> Self {
        self.save_best_only = true;
        self.monitor = monitor.to_string();
        self
    }

    /// How many times the weights were written.
    pub fn saved(&self) -> usize {
        self.saved
    }

    /// The write error that stopped training, if any.
    pub fn error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }
}

impl<N: Layers<T>, T: Scalar> Callback<N::Params> for ModelCheckpoint<N, T> {
    /// Checks the monitor of `save_best_only`, and forgets an earlier fit's best.
    fn on_train_begin(&mut self, recorded: &[&'static str]) -> Result<(), String> {
        self.best = None;
        self.error = None;
        if self.save_best_only { check_monitor("ModelCheckpoint", &self.monitor, recorded) } else { Ok(()) }
    }

    fn on_epoch_end(&mut self, _epoch: usize, history: &History, weights: &N::Params) -> Control {
        if self.save_best_only {
            let Some(&current) = history.get(&self.monitor).and_then(|v| v.last()) else {
                // Checked in `on_train_begin`: only a callback driven by hand gets here.
                return Control::Continue;
            };
            if !improved(&self.monitor, current, self.best, 0.0) {
                return Control::Continue;
            }
            self.best = Some(current);
        }
        match crate::nn::write_weights_file::<N, T>(weights, &self.path) {
            Ok(()) => {
                self.saved += 1;
                Control::Continue
            }
            Err(e) => {
                self.error = Some(e);
                Control::Stop
            }
        }
    }
}
