//! What `compile` and `fit` take: metrics and Keras's keyword arguments of `fit`.

/// A metric reported beside the loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Keras's `"accuracy"`: categorical, sparse or binary, following the loss.
    Accuracy,
}

/// Validation during [`Compiled::fit_with`].
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
    /// Print a progress line per epoch.
    pub verbose: bool,
    /// Threads to split each batch over; `None`: as many as pay for themselves (one for
    /// small networks and batches), at most [`crate::parallel::threads`].
    pub threads: Option<usize>,
}

impl<'a, X, Y> FitOptions<'a, X, Y> {
    /// `epochs` passes in batches of `batch_size`, shuffled from seed 0, verbose.
    pub fn new(epochs: usize, batch_size: usize) -> Self {
        FitOptions { epochs, batch_size, validation: Validation::None, seed: 0, verbose: true, threads: None }
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
    /// Splits each batch over exactly `threads` threads (at least 1, at most the batch
    /// size), instead of as many as pay. Results depend on the seed and the thread count.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads.max(1));
        self
    }
    /// Whether to print a progress line per epoch.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }
}
