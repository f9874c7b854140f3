//! `compile`, `fit`, `evaluate`: the Keras workflow.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex, RwLock};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::loss::{Loss, Objective, PairsWith};
use super::optim::Optimizer;
use crate::element::Scalar;
use crate::gemm::Packing;
use crate::nn::{Layers, Sequential, TakesSample, Vector};

/// A metric reported beside the loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Keras's `"accuracy"`: categorical, sparse or binary, following the loss.
    Accuracy,
}

/// Why training or evaluation stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    /// The samples and the labels differ in number.
    LengthMismatch {
        /// Samples given.
        samples: usize,
        /// Labels given.
        labels: usize,
    },
    /// No samples to train or evaluate on.
    NoSamples,
    /// A batch size of zero.
    ZeroBatchSize,
    /// A validation split outside `[0, 1)`, or one that leaves no training samples.
    ValidationSplit(f64),
    /// The loss of a batch, or its gradient, was NaN or infinite. The weights are those
    /// from before that batch; `history` holds the epochs completed before it.
    NonFiniteLoss {
        /// The epoch, from 1.
        epoch: usize,
        /// The batch within the epoch, from 1.
        batch: usize,
        /// The batch's mean loss.
        loss: f64,
        /// The epochs completed before.
        history: Box<History>,
    },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::LengthMismatch { samples, labels } => {
                write!(f, "{samples} samples but {labels} labels: each sample needs one label")
            }
            TrainError::NoSamples => write!(f, "no samples"),
            TrainError::ZeroBatchSize => write!(f, "the batch size must be at least 1"),
            TrainError::ValidationSplit(s) => {
                write!(f, "validation split {s} must be in [0, 1) and leave samples to train on")
            }
            TrainError::NonFiniteLoss { epoch, batch, loss, .. } if loss.is_finite() => write!(
                f,
                "the gradient became NaN or infinite at epoch {epoch}, batch {batch} (loss {loss}); training stopped with the weights from before that batch"
            ),
            TrainError::NonFiniteLoss { epoch, batch, loss, .. } => write!(
                f,
                "the loss became {loss} at epoch {epoch}, batch {batch}; training stopped with the weights from before that batch"
            ),
        }
    }
}

impl std::error::Error for TrainError {}

/// Loss and metrics per epoch, as Keras's `History.history`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Mean training loss of each epoch.
    pub loss: Vec<f64>,
    /// Training accuracy of each epoch (empty without [`Metric::Accuracy`]).
    pub accuracy: Vec<f64>,
    /// Validation loss after each epoch (empty without validation data).
    pub val_loss: Vec<f64>,
    /// Validation accuracy after each epoch.
    pub val_accuracy: Vec<f64>,
    /// Wall time of each epoch's training.
    pub epoch_time: Vec<Duration>,
}

/// The loss and metrics of [`Compiled::evaluate`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean loss.
    pub loss: f64,
    /// Accuracy, if [`Metric::Accuracy`] was compiled in.
    pub accuracy: Option<f64>,
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(a) = self.accuracy {
            write!(f, "accuracy: {a:.4} - ")?;
        }
        write!(f, "loss: {:.4}", self.loss)
    }
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

/// Options of [`Compiled::fit_with`], Keras's keyword arguments.
#[derive(Clone, Copy, Debug)]
pub struct Fit<'a, X, Y> {
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
}

impl<'a, X, Y> Fit<'a, X, Y> {
    /// `epochs` passes in batches of `batch_size`, shuffled from seed 0, verbose.
    pub fn new(epochs: usize, batch_size: usize) -> Self {
        Fit { epochs, batch_size, validation: Validation::None, seed: 0, verbose: true }
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
    /// Whether to print a progress line per epoch.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }
}

/// A model with an optimizer, a loss and metrics: what Keras's `compile` makes.
///
/// It dereferences to its [`Sequential`] for `predict` and `summary`.
pub struct Compiled<N: Layers<T>, O: Optimizer, L: Loss, T: Scalar = f32> {
    model: Sequential<N, T>,
    optimizer: O,
    metrics: Vec<Metric>,
    /// The optimizer's slots, array by array in the order of `Layers::zip_params`.
    state: Vec<T>,
    _loss: L,
}

impl<N: Layers<T>, T: Scalar> Sequential<N, T> {
    /// Keras's `compile(optimizer, loss, metrics)`.
    ///
    /// The loss must fit the last layer's activation: categorical cross-entropy needs
    /// `Softmax`, binary cross-entropy `Sigmoid`; a mismatch does not compile.
    pub fn compile<O: Optimizer, L: PairsWith<N::Last>>(
        self,
        optimizer: O,
        loss: L,
        metrics: &[Metric],
    ) -> Compiled<N, O, L, T> {
        Compiled {
            model: self,
            optimizer,
            metrics: metrics.to_vec(),
            state: alloc::vec![T::zero(); O::SLOTS * N::PARAMS],
            _loss: loss,
        }
    }
}

impl<N: Layers<T>, O: Optimizer, L: Loss, T: Scalar> core::ops::Deref for Compiled<N, O, L, T> {
    type Target = Sequential<N, T>;
    fn deref(&self) -> &Sequential<N, T> {
        &self.model
    }
}

impl<N: Layers<T>, O: Optimizer, L: Loss, T: Scalar> core::ops::DerefMut for Compiled<N, O, L, T> {
    fn deref_mut(&mut self) -> &mut Sequential<N, T> {
        &mut self.model
    }
}

/// One thread's share of a training step, allocated once per `fit`.
struct Worker<N: Layers<T>, T: Scalar> {
    x: Vec<N::Input>,
    trace: N::Trace,
    grads: Box<N::Params>,
    packing: Packing<T>,
    loss: f64,
    accuracy: f64,
    /// Whether every gradient of the last step is finite.
    finite: bool,
}

/// Rows `[start, end)` of a batch of `len` that thread `k` of `threads` takes.
fn share(len: usize, k: usize, threads: usize) -> (usize, usize) {
    (len * k / threads, len * (k + 1) / threads)
}

/// Keras's progress bar, full.
const BAR: &str = "━━━━━━━━━━━━━━━━━━━━";

impl<N: Layers<T>, O: Optimizer, L: Loss, T: Scalar> Compiled<N, O, L, T> {
    /// The model, without optimizer state.
    pub fn into_model(self) -> Sequential<N, T> {
        self.model
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    fn accuracy_on(&self) -> bool {
        self.metrics.contains(&Metric::Accuracy)
    }

    /// Keras's `fit(x, y, epochs, batch_size)`: shuffles each epoch (seed 0), prints a
    /// progress line per epoch, returns the history.
    pub fn fit<X: Sync, Y: Sync>(
        &mut self,
        x: &[X],
        y: &[Y],
        epochs: usize,
        batch_size: usize,
    ) -> Result<History, TrainError>
    where
        N: TakesSample<T, X>,
        L: Objective<T, N::Output, Y, N::Last>,
    {
        self.fit_with(x, y, Fit::new(epochs, batch_size))
    }

    /// `fit` with Keras's other options: validation, seed, verbosity.
    ///
    /// Training splits each batch over the machine's cores (see
    /// [`crate::parallel::threads`]); the result does not depend on timing, only on the
    /// seed and the number of threads. Nothing is allocated per batch.
    pub fn fit_with<X: Sync, Y: Sync>(
        &mut self,
        x: &[X],
        y: &[Y],
        options: Fit<'_, X, Y>,
    ) -> Result<History, TrainError>
    where
        N: TakesSample<T, X>,
        L: Objective<T, N::Output, Y, N::Last>,
    {
        if x.len() != y.len() {
            return Err(TrainError::LengthMismatch { samples: x.len(), labels: y.len() });
        }
        if options.batch_size == 0 {
            return Err(TrainError::ZeroBatchSize);
        }
        let (train_x, train_y, val) = match options.validation {
            Validation::None => (x, y, None),
            Validation::Data(vx, vy) => {
                if vx.len() != vy.len() {
                    return Err(TrainError::LengthMismatch { samples: vx.len(), labels: vy.len() });
                }
                // Refused now, not after a first epoch of training.
                if vx.is_empty() {
                    return Err(TrainError::NoSamples);
                }
                (x, y, Some((vx, vy)))
            }
            Validation::Split(s) => {
                let held = (x.len() as f64 * s).round() as usize;
                if !(0.0..1.0).contains(&s) || held >= x.len() {
                    return Err(TrainError::ValidationSplit(s));
                }
                let cut = x.len() - held;
                let val = if held > 0 { Some((&x[cut..], &y[cut..])) } else { None };
                (&x[..cut], &y[..cut], val)
            }
        };
        let n = train_x.len();
        if n == 0 {
            return Err(TrainError::NoSamples);
        }
        let inputs = N::view_batch(train_x);
        let batch = options.batch_size.min(n);
        let steps = n.div_ceil(batch);
        let threads = crate::parallel::threads().min(batch).max(1);
        let accuracy_on = self.accuracy_on();

        let workers: Vec<Mutex<Worker<N, T>>> = (0..threads)
            .map(|k| {
                let (s, e) = share(batch, k, threads);
                Mutex::new(Worker {
                    x: alloc::vec![N::Input::zeros(); e - s],
                    trace: N::new_trace(e - s),
                    grads: crate::tensor::zeroed_box(),
                    packing: Packing::new(),
                    loss: 0.0,
                    accuracy: 0.0,
                    finite: true,
                })
            })
            .collect();
        let order = RwLock::new((0..n).collect::<Vec<usize>>());
        let mut rng = StdRng::seed_from_u64(options.seed);
        let mut history = History::default();

        let Compiled { model, optimizer, state, .. } = self;
        let params = RwLock::new(model.params_mut());
        let start = Barrier::new(threads);
        let done = Barrier::new(threads);
        let stop = AtomicBool::new(false);
        let batch_start = AtomicUsize::new(0);
        let batch_len = AtomicUsize::new(0);

        // One step of thread `k`: forward and backward over its share of the batch.
        let run_share = |k: usize| {
            let mut guard = workers[k].lock().unwrap_or_else(|e| e.into_inner());
            let w = &mut *guard;
            let order = order.read().unwrap_or_else(|e| e.into_inner());
            let (b0, len) = (batch_start.load(Ordering::Acquire), batch_len.load(Ordering::Acquire));
            let (s, e) = share(len, k, threads);
            let rows = e - s;
            let picked = &order[b0 + s..b0 + e];
            for (dst, &i) in w.x[..rows].iter_mut().zip(picked) {
                *dst = inputs[i];
            }
            let p = params.read().unwrap_or_else(|e| e.into_inner());
            N::forward_train(&p, &w.x[..rows], &mut w.trace, &mut w.packing);
            let scale = T::one() / T::from_f64(len as f64);
            let (yhat, dz) = N::head(&mut w.trace);
            let (mut loss, mut acc) = (0.0, 0.0);
            for ((pred, d), &i) in yhat[..rows].iter().zip(&mut dz[..rows]).zip(picked) {
                loss += L::loss_and_grad(pred, &train_y[i], d, scale).to_f64();
                if accuracy_on {
                    acc += L::accuracy(pred, &train_y[i]).to_f64();
                }
            }
            w.loss = loss;
            w.accuracy = acc;
            N::backward(&p, &w.x[..rows], &mut w.trace, &mut w.grads, None, &mut w.packing);
            let mut finite = true;
            N::visit_params(&w.grads, &mut |g| finite &= crate::kernels::all_finite(g));
            w.finite = finite;
        };

        let outcome = std::thread::scope(|scope| {
            for k in 1..threads {
                let (start, done, stop, run_share) = (&start, &done, &stop, &run_share);
                scope.spawn(move || {
                    loop {
                        start.wait();
                        if stop.load(Ordering::Acquire) {
                            break;
                        }
                        run_share(k);
                        done.wait();
                    }
                });
            }
            // Releases the workers however the loop below ends.
            let release = || {
                stop.store(true, Ordering::Release);
                start.wait();
            };
            for epoch in 1..=options.epochs {
                let began = Instant::now();
                shuffle(&mut order.write().unwrap_or_else(|e| e.into_inner()), &mut rng);
                let (mut loss_sum, mut acc_sum) = (0.0f64, 0.0f64);
                for step in 0..steps {
                    let b0 = step * batch;
                    let len = batch.min(n - b0);
                    batch_start.store(b0, Ordering::Release);
                    batch_len.store(len, Ordering::Release);
                    start.wait();
                    run_share(0);
                    done.wait();

                    let mut guards: [Option<std::sync::MutexGuard<'_, Worker<N, T>>>; 2] = [None, None];
                    let (mut loss, mut acc, mut finite) = (0.0, 0.0, true);
                    for (k, w) in workers.iter().enumerate() {
                        let w = w.lock().unwrap_or_else(|e| e.into_inner());
                        loss += w.loss;
                        acc += w.accuracy;
                        finite &= w.finite;
                        if k < 2 {
                            guards[k] = Some(w);
                        }
                    }
                    let mean = loss / len as f64;
                    if !mean.is_finite() || !finite {
                        drop(guards);
                        release();
                        return Err(TrainError::NonFiniteLoss {
                            epoch,
                            batch: step + 1,
                            loss: mean,
                            history: Box::new(core::mem::take(&mut history)),
                        });
                    }
                    let [Some(mut first), second] = guards else { unreachable!("at least one worker") };
                    // More than two threads: fold the others into the first.
                    for w in workers.iter().skip(2) {
                        let w = w.lock().unwrap_or_else(|e| e.into_inner());
                        add_grads::<N, T>(&mut first.grads, &w.grads);
                    }
                    // The second thread's gradients, array by array, summed with the
                    // first's inside the update (one pass over the weights).
                    const MAX_ARRAYS: usize = 64;
                    let mut extra: [&[T]; MAX_ARRAYS] = [&[]; MAX_ARRAYS];
                    let mut arrays = 0;
                    if let Some(second) = &second {
                        N::visit_params(&second.grads, &mut |g| {
                            if arrays < MAX_ARRAYS {
                                extra[arrays] = g;
                            }
                            arrays += 1;
                        });
                        if arrays > MAX_ARRAYS {
                            add_grads::<N, T>(&mut first.grads, &second.grads);
                            extra = [&[]; MAX_ARRAYS];
                        }
                    }
                    loss_sum += loss;
                    acc_sum += acc;
                    optimizer.begin_step();
                    let mut p = params.write().unwrap_or_else(|e| e.into_inner());
                    let (mut offset, mut index) = (0, 0);
                    N::zip_params(&mut p, &first.grads, &mut |w, g| {
                        let slots = O::SLOTS * w.len();
                        let g2 = extra.get(index).copied().unwrap_or(&[]);
                        optimizer.update(w, g, g2, &mut state[offset..offset + slots]);
                        offset += slots;
                        index += 1;
                    });
                }
                let elapsed = began.elapsed();
                history.loss.push(loss_sum / n as f64);
                if accuracy_on {
                    history.accuracy.push(acc_sum / n as f64);
                }
                history.epoch_time.push(elapsed);
                let val_eval = match val {
                    Some((vx, vy)) => {
                        let p = params.read().unwrap_or_else(|e| e.into_inner());
                        match evaluate_with::<N, L, T, X, Y>(&p, vx, vy, accuracy_on) {
                            Ok(v) => Some(v),
                            Err(e) => {
                                drop(p);
                                release();
                                return Err(e);
                            }
                        }
                    }
                    None => None,
                };
                if let Some(v) = val_eval {
                    history.val_loss.push(v.loss);
                    if let Some(a) = v.accuracy {
                        history.val_accuracy.push(a);
                    }
                }
                if options.verbose {
                    let mut line = std::format!(
                        "{steps}/{steps} {BAR} {}s {}ms/step",
                        elapsed.as_secs_f64().round(),
                        (elapsed.as_secs_f64() * 1000.0 / steps as f64).round()
                    );
                    if accuracy_on {
                        line += &std::format!(" - accuracy: {:.4}", acc_sum / n as f64);
                    }
                    line += &std::format!(" - loss: {:.4}", loss_sum / n as f64);
                    if let Some(v) = val_eval {
                        if let Some(a) = v.accuracy {
                            line += &std::format!(" - val_accuracy: {a:.4}");
                        }
                        line += &std::format!(" - val_loss: {:.4}", v.loss);
                    }
                    std::println!("Epoch {epoch}/{}\n{line}", options.epochs);
                }
            }
            release();
            Ok(())
        });
        outcome.map(|()| history)
    }

    /// Keras's `evaluate(x, y)`: the mean loss and the compiled metrics.
    pub fn evaluate<X: Sync, Y>(&self, x: &[X], y: &[Y]) -> Result<Evaluation, TrainError>
    where
        N: TakesSample<T, X>,
        L: Objective<T, N::Output, Y, N::Last>,
    {
        evaluate_with::<N, L, T, X, Y>(self.model.params(), x, y, self.accuracy_on())
    }
}

/// `into += from`, weight by weight.
fn add_grads<N: Layers<T>, T: Scalar>(into: &mut N::Params, from: &N::Params) {
    N::zip_params(into, from, &mut |a, b| {
        for (a, &b) in a.iter_mut().zip(b) {
            *a = *a + b;
        }
    });
}

/// Fisher-Yates, from a seeded generator.
fn shuffle<R: rand::Rng>(v: &mut [usize], rng: &mut R) {
    use rand::RngExt;
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

fn evaluate_with<N, L, T, X: Sync, Y>(
    params: &N::Params,
    x: &[X],
    y: &[Y],
    accuracy_on: bool,
) -> Result<Evaluation, TrainError>
where
    T: Scalar,
    N: TakesSample<T, X>,
    L: Objective<T, N::Output, Y, N::Last>,
{
    if x.len() != y.len() {
        return Err(TrainError::LengthMismatch { samples: x.len(), labels: y.len() });
    }
    if x.is_empty() {
        return Err(TrainError::NoSamples);
    }
    const CHUNK: usize = 2048;
    let model = crate::nn::ModelRef::<N, T>::new(params);
    let mut out = alloc::vec![N::Output::zeros(); CHUNK.min(x.len())];
    let (mut loss, mut acc) = (0.0f64, 0.0f64);
    for (xc, yc) in x.chunks(CHUNK).zip(y.chunks(CHUNK)) {
        let out = &mut out[..xc.len()];
        model.predict_batch_into(xc, out);
        for (p, t) in out.iter().zip(yc) {
            loss += L::loss(p, t).to_f64();
            if accuracy_on {
                acc += L::accuracy(p, t).to_f64();
            }
        }
    }
    let n = x.len() as f64;
    Ok(Evaluation { loss: loss / n, accuracy: accuracy_on.then_some(acc / n) })
}
