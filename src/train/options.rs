//! What `compile` and `fit` take: metrics and Keras's keyword arguments of `fit`.

use core::cell::RefCell;
use core::fmt;

/// A metric reported beside the loss, per epoch (training and validation) and by
/// `evaluate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Keras's `"accuracy"`: categorical, sparse or binary, following the loss.
    /// `compile` refuses it for a regression loss on one output, where it means nothing.
    Accuracy,
    /// Keras's `"mae"`: the mean absolute difference of outputs and targets.
    MeanAbsoluteError,
    /// Keras's `"mse"`: the mean squared difference of outputs and targets.
    MeanSquaredError,
}

impl Metric {
    /// Keras's name (`"accuracy"`, `"mae"`, `"mse"`), as the progress line prints it.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::MeanAbsoluteError => "mae",
            Metric::MeanSquaredError => "mse",
        }
    }
}

/// Which metrics are on, as flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MetricSet {
    pub accuracy: bool,
    pub mae: bool,
    pub mse: bool,
}

impl MetricSet {
    pub(crate) fn of(metrics: &[Metric]) -> Self {
        MetricSet {
            accuracy: metrics.contains(&Metric::Accuracy),
            mae: metrics.contains(&Metric::MeanAbsoluteError),
            mse: metrics.contains(&Metric::MeanSquaredError),
        }
    }

    /// The names a fit records each epoch (as [`History::series`] lists them), with the
    /// `val_` ones if `validation`.
    ///
    /// [`History::series`]: super::History::series
    pub(crate) fn recorded(self, validation: bool) -> alloc::vec::Vec<&'static str> {
        let train = [("accuracy", self.accuracy), ("loss", true), ("mae", self.mae), ("mse", self.mse)];
        let val = [
            ("val_accuracy", self.accuracy),
            ("val_loss", true),
            ("val_mae", self.mae),
            ("val_mse", self.mse),
        ];
        let val = val.map(|(n, on)| (n, on && validation));
        train.into_iter().chain(val).filter(|&(_, on)| on).map(|(n, _)| n).collect()
    }

    /// An evaluation from sums over `n` samples.
    pub(crate) fn mean(self, n: f64, loss: f64, accuracy: f64, mae: f64, mse: f64) -> super::Evaluation {
        super::Evaluation {
            loss: loss / n,
            accuracy: self.accuracy.then_some(accuracy / n),
            mae: self.mae.then_some(mae / n),
            mse: self.mse.then_some(mse / n),
        }
    }
}

/// How much `fit` prints: Keras's `verbose`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// `verbose=0`: nothing.
    Silent,
    /// `verbose=1` (the default): a progress bar that updates as the epoch runs when the
    /// output is a terminal (at most 10 redraws a second), and one clean line per epoch
    /// otherwise (a pipe or a file gets no control characters).
    ProgressBar,
    /// `verbose=2`: one line per epoch.
    OneLine,
}

impl From<bool> for Verbosity {
    fn from(verbose: bool) -> Self {
        if verbose { Verbosity::ProgressBar } else { Verbosity::Silent }
    }
}

impl From<u8> for Verbosity {
    /// Keras's levels: 0, 1, 2 (and above: 2).
    fn from(level: u8) -> Self {
        match level {
            0 => Verbosity::Silent,
            1 => Verbosity::ProgressBar,
            _ => Verbosity::OneLine,
        }
    }
}

/// Somewhere `fit` can print its progress, shared behind a reference: a
/// `RefCell<W>` or a `Mutex<W>` of any [`std::io::Write`]. A failed write is ignored
/// (printing never stops training).
pub trait ProgressWriter {
    /// Writes `text`.
    fn write_text(&self, text: &str);
}

impl<W: std::io::Write> ProgressWriter for RefCell<W> {
    fn write_text(&self, text: &str) {
        if let Ok(mut w) = self.try_borrow_mut() {
            let _ = w.write_all(text.as_bytes()).and_then(|()| w.flush());
        }
    }
}

impl<W: std::io::Write> ProgressWriter for std::sync::Mutex<W> {
    fn write_text(&self, text: &str) {
        let mut w = self.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = w.write_all(text.as_bytes()).and_then(|()| w.flush());
    }
}

/// Where `fit` prints its progress.
#[derive(Clone, Copy)]
pub enum Output<'a> {
    /// Standard output; a terminal gets the live bar.
    Stdout,
    /// A writer, and whether to treat it as a terminal (for tests, or a log).
    Writer(&'a (dyn ProgressWriter + 'a), bool),
}

impl fmt::Debug for Output<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Stdout => write!(f, "Stdout"),
            Output::Writer(_, terminal) => write!(f, "Writer {{ terminal: {terminal} }}"),
        }
    }
}

/// Validation during [`Compiled::fit_with`](super::Compiled::fit_with).
#[derive(Clone, Copy, Debug)]
pub enum Validation<'a, X, Y> {
    /// None.
    None,
    /// The last fraction of the training data, set aside before shuffling (Keras's
    /// `validation_split`).
    Split(f64),
    /// Separate samples and labels (Keras's `validation_data`).
    Data(&'a [X], &'a [Y]),
}

/// Options of [`Compiled::fit_with`](super::Compiled::fit_with), Keras's keyword arguments.
#[derive(Clone, Copy, Debug)]
pub struct FitOptions<'a, X, Y> {
    /// Passes over the training data.
    pub epochs: usize,
    /// Samples per gradient step.
    pub batch_size: usize,
    /// Validation after each epoch.
    pub validation: Validation<'a, X, Y>,
    /// Seed of the shuffling.
    pub seed: u64,
    /// Shuffle the training samples before each epoch (Keras's `shuffle=True`).
    pub shuffle: bool,
    /// What to print.
    pub verbose: Verbosity,
    /// Where to print it.
    pub output: Output<'a>,
    /// Threads to split each batch over; `None`: as many as pay for themselves (one for
    /// small networks and batches), at most [`crate::parallel::threads`].
    pub threads: Option<usize>,
}

impl<'a, X, Y> FitOptions<'a, X, Y> {
    /// `epochs` passes in batches of `batch_size`, shuffled from seed 0, verbose.
    pub fn new(epochs: usize, batch_size: usize) -> Self {
        FitOptions {
            epochs,
            batch_size,
            validation: Validation::None,
            seed: 0,
            shuffle: true,
            verbose: Verbosity::ProgressBar,
            output: Output::Stdout,
            threads: None,
        }
    }
    /// Sets aside the last `fraction` of the data for validation.
    pub fn validation_split(mut self, fraction: f64) -> Self {
        self.validation = Validation::Split(fraction);
        self
    }
    /// Validates on separate data after each epoch.
    pub fn validation_data(mut self, x: &'a [X], y: &'a [Y]) -> Self {
        self.validation = Validation::Data(x, y);
        self
    }
    /// The seed of the per-epoch shuffle.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Splits each batch over `threads` threads (at least 1, at most the batch size and
    /// [`max_forced_threads`](crate::parallel::max_forced_threads), four times the cores),
    /// instead of as many as pay. The weights do not depend on it: they equal one
    /// thread's bit for bit (unless a thread's few rows take another kernel than the whole
    /// batch's, the row kernels or the inline kernel of tiny products, which round
    /// differently); the history's sums may differ in their last bits.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads.max(1));
        self
    }
    /// What to print: `false` or `0` nothing, `true` or `1` the progress bar, `2` a line
    /// per epoch (Keras's `verbose`).
    pub fn verbose(mut self, verbose: impl Into<Verbosity>) -> Self {
        self.verbose = verbose.into();
        self
    }
    /// Whether to shuffle the samples before each epoch (Keras's `shuffle`); without,
    /// batches are taken in the order of the data.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }
    /// Prints the progress to `writer` instead of standard output, as to a terminal if
    /// `terminal` (the live bar, with carriage returns).
    pub fn output_to(mut self, writer: &'a (dyn ProgressWriter + 'a), terminal: bool) -> Self {
        self.output = Output::Writer(writer, terminal);
        self
    }
}
