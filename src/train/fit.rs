//! `compile`, `fit`, `evaluate`: the Keras workflow.

use alloc::boxed::Box;
use alloc::vec::Vec;
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::backprop::Backprop;
use super::backprop::masks::mix;
use super::callbacks::{Callback, Control};
use super::checks::{check_labels, check_lengths};
use super::compile::{CompileError, CompileProblem};
use super::history::{Evaluation, History, TrainError};
use super::loss::{Loss, Objective, PairsWith};
use super::optim::Optimizer;
use super::options::{FitOptions, Metric, MetricSet, Validation};
use super::progress::Progress;
use super::step::{StepSums, Trainer};
use crate::element::Scalar;
use crate::nn::{Layers, ModelRef, Sequential, Summary, TakesSample, Vector};

/// A model with an optimizer, a loss and metrics: what Keras's `compile` makes.
///
/// It answers `predict`, `summary` and the weight accessors itself, and hands out its
/// [`Sequential`] with [`model`](Self::model) or [`into_model`](Self::into_model).
pub struct Compiled<N: Layers<T>, O: Optimizer, L: Loss, T: Scalar = f32> {
    model: Sequential<N, T>,
    optimizer: O,
    metrics: MetricSet,
    /// The optimizer's slots, array by array in the order of `Layers::zip_params`.
    state: Vec<T>,
    /// `train_on_batch` calls so far: their dropout masks differ call to call.
    batches: u64,
    _loss: L,
}

impl<N: Layers<T>, T: Scalar> Sequential<N, T> {
    /// Keras's `compile(optimizer, loss, metrics)`.
    ///
    /// The loss must fit the last layer's activation: categorical cross-entropy needs
    /// `Softmax`, binary cross-entropy `Sigmoid`; a mismatch does not compile. The
    /// optimizer's settings are checked here ([`Optimizer::validate`]): a NaN, infinite
    /// or negative learning rate, a decay rate outside `[0, 1)` or an epsilon <= 0 is an
    /// error, before any weight could be touched.
    ///
    /// ```
    /// use shaped::nn::{Dense, Sequential, Softmax};
    /// use shaped::train::{CategoricalCrossentropy, RmsProp};
    /// type Net = (Dense<4, 8>, Dense<8, 3, Softmax>);
    /// let bad = RmsProp { learning_rate: f64::NAN, ..RmsProp::default() };
    /// let err = Sequential::<Net>::zeros().compile(bad, CategoricalCrossentropy, &[]).err().unwrap();
    /// assert_eq!(err.to_string(), "rmsprop: learning_rate = NaN is not a finite number >= 0");
    /// let model = err.model; // nothing is lost: the model comes back
    /// ```
    pub fn compile<O: Optimizer, L: PairsWith<N::Last>>(
        self,
        optimizer: O,
        loss: L,
        metrics: &[Metric],
    ) -> Result<Compiled<N, O, L, T>, CompileError<N, T>> {
        if let Err(error) = optimizer.validate() {
            return Err(CompileError { error: CompileProblem::Setting(error), model: self });
        }
        let outputs = <N::Output as Vector<T>>::LEN;
        if metrics.contains(&Metric::Accuracy) && !L::accuracy_meaningful(outputs) {
            let error = CompileProblem::Metric { metric: Metric::Accuracy, loss: L::NAME, outputs };
            return Err(CompileError { error, model: self });
        }
        Ok(Compiled {
            model: self,
            optimizer,
            metrics: MetricSet::of(metrics),
            state: alloc::vec![T::zero(); O::SLOTS * N::PARAMS],
            batches: 0,
            _loss: loss,
        })
    }
}

impl<N: Layers<T>, O: Optimizer, L: Loss, T: Scalar> Compiled<N, O, L, T> {
    /// The model.
    pub fn model(&self) -> &Sequential<N, T> {
        &self.model
    }

    /// The model, writable (to set weights; the optimizer's state is kept).
    pub fn model_mut(&mut self) -> &mut Sequential<N, T> {
        &mut self.model
    }

    /// The model, without optimizer state.
    pub fn into_model(self) -> Sequential<N, T> {
        self.model
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// The weights: `compiled.params().0.kernel` is the first layer's kernel.
    pub fn params(&self) -> &N::Params {
        self.model.params()
    }

    /// The weights, writable.
    pub fn params_mut(&mut self) -> &mut N::Params {
        self.model.params_mut()
    }

    /// Keras's `get_weights`: see [`Sequential::get_weights`].
    pub fn get_weights(&self) -> Vec<Vec<T>> {
        self.model.get_weights()
    }

    /// Keras's `set_weights`: see [`Sequential::set_weights`]. The optimizer keeps its
    /// state (call [`reset_optimizer`](Self::reset_optimizer) for a fresh one).
    pub fn set_weights<A: AsRef<[T]>>(&mut self, weights: &[A]) -> Result<(), crate::nn::SetWeightsError> {
        self.model.set_weights(weights)
    }

    /// Keras's `save_weights`: see [`Sequential::save_weights`].
    pub fn save_weights(&self, path: impl AsRef<std::path::Path>) -> Result<(), crate::nn::WeightsError> {
        self.model.save_weights(path)
    }

    /// Keras's `load_weights`: see [`Sequential::load_weights`]; on an error the weights
    /// stay as they were.
    pub fn load_weights(&mut self, path: impl AsRef<std::path::Path>) -> Result<(), crate::nn::WeightsError> {
        self.model.load_weights(path)
    }

    /// A borrowed view for heap-free inference.
    pub fn as_ref(&self) -> ModelRef<'_, N, T> {
        self.model.as_ref()
    }

    /// The output for one sample, without touching the heap.
    pub fn predict<X>(&self, x: &X) -> N::Output
    where
        N: TakesSample<T, X>,
    {
        self.model.predict(x)
    }

    /// Outputs for a batch of samples.
    pub fn predict_batch<X: Sync>(&self, xs: &[X]) -> Vec<N::Output>
    where
        N: TakesSample<T, X>,
    {
        self.model.predict_batch(xs)
    }

    /// A Keras-like table of the layers, their output shapes and parameter counts.
    pub fn summary(&self) -> Summary<N, T> {
        Summary::new()
    }

    /// Zeroes the optimizer's state (moments, momentum) and its step count, as a freshly
    /// compiled one, keeping its settings and the weights.
    pub fn reset_optimizer(&mut self) {
        self.state.fill(T::zero());
        self.optimizer.reset();
    }

    /// Keras's `evaluate(x, y)`: the mean loss and the compiled metrics.
    pub fn evaluate<X: Sync, Y>(&self, x: &[X], y: &[Y]) -> Result<Evaluation, TrainError>
    where
        N: TakesSample<T, X>,
        L: Objective<T, N::Output, Y, N::Last>,
    {
        evaluate_with::<N, L, T, X, Y>(self.model.params(), x, y, self.metrics)
    }
}

impl<N: Backprop<T>, O: Optimizer, L: Loss, T: Scalar> Compiled<N, O, L, T> {
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
        self.fit_with(x, y, FitOptions::new(epochs, batch_size))
    }

    /// Keras's `fit` with its keyword arguments ([`FitOptions`]): shuffles the samples
    /// each epoch (unless told not to), prints a progress bar or line per epoch (see
    /// [`Verbosity`](super::Verbosity)), validates after each epoch if asked, and returns
    /// the history.
    ///
    /// A NaN or infinite loss, gradient or update stops training with an error; the
    /// weights and the optimizer are those from before that batch, and the error holds
    /// the history so far.
    pub fn fit_with<X: Sync, Y: Sync>(
        &mut self,
        x: &[X],
        y: &[Y],
        options: FitOptions<'_, X, Y>,
    ) -> Result<History, TrainError>
    where
        N: TakesSample<T, X>,
        L: Objective<T, N::Output, Y, N::Last>,
    {
        self.fit_with_callbacks(x, y, options, &mut [])
    }

    /// [`fit_with`](Self::fit_with) with callbacks (Keras's `callbacks=[...]`): each sees
    /// every batch and epoch, may stop training after an epoch, and may replace the
    /// weights when training ends ([`EarlyStopping`](super::EarlyStopping) with
    /// `restore_best_weights`).
    ///
    /// ```
    /// use shaped::nn::{Dense, Relu, Sequential, Softmax};
    /// use shaped::rand::{SeedableRng, rngs::StdRng};
    /// use shaped::train::{CategoricalCrossentropy, EarlyStopping, FitOptions, Metric, RmsProp};
    /// type Net = (Dense<2, 8, Relu>, Dense<8, 2, Softmax>);
    /// let x = vec![[0.0f32, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]];
    /// let y = vec![[1.0f32, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]];
    /// let mut model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(0))
    ///     .compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy])?;
    /// let mut stop = EarlyStopping::new("loss").patience(2).restore_best_weights(true);
    /// let history = model.fit_with_callbacks(&x, &y, FitOptions::new(100, 4).verbose(0), &mut [&mut stop])?;
    /// assert!(history.epochs() <= 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit_with_callbacks<X: Sync, Y: Sync>(
        &mut self,
        x: &[X],
        y: &[Y],
        options: FitOptions<'_, X, Y>,
        callbacks: &mut [&mut dyn Callback<N::Params>],
    ) -> Result<History, TrainError>
    where
        N: TakesSample<T, X>,
        L: Objective<T, N::Output, Y, N::Last>,
    {
        check_labels::<L, T, N::Output, Y, N::Last>(y)?;
        if let Validation::Data(_, vy) = options.validation {
            check_labels::<L, T, N::Output, Y, N::Last>(vy)?;
        }
        let ((train_x, train_y), val) = split_validation(x, y, options.batch_size, options.validation)?;
        let n = train_x.len();
        let batch = options.batch_size.min(n);
        let steps = n.div_ceil(batch);
        let threads = self.threads_for(batch, options.threads);
        let metrics = self.metrics;
        let mut rng = StdRng::seed_from_u64(options.seed);
        let mut history = History::default();
        let recorded = metrics.recorded(val.is_some());
        for cb in callbacks.iter_mut() {
            cb.on_train_begin(&recorded).map_err(TrainError::Callback)?;
        }
        let mut progress = Progress::new(options.verbose, options.output, options.epochs, steps);

        let Compiled { model, optimizer, state, .. } = self;
        let trainer = Trainer::<N, L, T, Y, O>::new(
            model.params_box_mut(),
            optimizer,
            state,
            N::view_batch(train_x),
            train_y,
            batch,
            threads,
            metrics,
        );
        let work = |k: usize, size: usize| trainer.run_share(k, size);
        crate::parallel::with_team(threads, &work, |team| {
            for epoch in 1..=options.epochs {
                let began = Instant::now();
                progress.epoch_begin(epoch);
                if options.shuffle {
                    trainer.shuffle(&mut rng);
                }
                // Dropout masks: a function of the seed, the epoch, the step and the
                // sample (the RNG above is left as it was, so shuffles do not change).
                trainer.set_dropout_key(mix(options.seed ^ mix(epoch as u64)));
                let mut totals = StepSums::default();
                let mut seen = 0;
                for step in 0..steps {
                    let len = batch.min(n - step * batch);
                    trainer.set_batch(step * batch, len);
                    trainer.step(team);
                    let sums = trainer.sums();
                    let mean = sums.loss / len as f64;
                    if !mean.is_finite() || !sums.finite {
                        let history = Box::new(core::mem::take(&mut history));
                        return Err(TrainError::NonFiniteLoss {
                            epoch,
                            batch: step + 1,
                            loss: mean,
                            history,
                        });
                    }
                    if !trainer.update(team) {
                        let history = Box::new(core::mem::take(&mut history));
                        return Err(TrainError::NonFiniteWeights { epoch, batch: step + 1, history });
                    }
                    totals = totals.plus(&sums);
                    seen += len;
                    let running = totals.mean(metrics, seen);
                    progress.batch_end(step + 1, &running);
                    for cb in callbacks.iter_mut() {
                        cb.on_batch_end(epoch, step + 1, &running);
                    }
                }
                let validation = match val {
                    Some((vx, vy)) => {
                        Some(evaluate_with::<N, L, T, X, Y>(&trainer.params(), vx, vy, metrics)?)
                    }
                    None => None,
                };
                let elapsed = began.elapsed();
                let train = totals.mean(metrics, n);
                history.record(train, validation, elapsed);
                progress.epoch_end(&train, validation.as_ref(), elapsed);
                let weights = trainer.params();
                let mut stop = false;
                for cb in callbacks.iter_mut() {
                    stop |= cb.on_epoch_end(epoch, &history, &weights) == Control::Stop;
                }
                if stop {
                    break;
                }
            }
            Ok(())
        })?;
        // Puts the optimizer's state back into `self` (an error above drops it too).
        drop(trainer);
        let weights = model.params_box_mut();
        for cb in callbacks.iter_mut() {
            cb.on_train_end(weights);
        }
        Ok(history)
    }

    /// Keras's `train_on_batch`: one gradient step on all of `x` as one batch (in order,
    /// no shuffle), returning the loss and metrics computed in that step (before the
    /// update, as Keras reports them). The same as one epoch of `fit` with
    /// `batch_size = x.len()`.
    pub fn train_on_batch<X: Sync, Y: Sync>(&mut self, x: &[X], y: &[Y]) -> Result<Evaluation, TrainError>
    where
        N: TakesSample<T, X>,
        L: Objective<T, N::Output, Y, N::Last>,
    {
        check_lengths(x, y)?;
        check_labels::<L, T, N::Output, Y, N::Last>(y)?;
        let n = x.len();
        let threads = self.threads_for(n, None);
        let metrics = self.metrics;
        self.batches += 1;
        let key = mix(!mix(self.batches));
        let Compiled { model, optimizer, state, .. } = self;
        let trainer = Trainer::<N, L, T, Y, O>::new(
            model.params_box_mut(),
            optimizer,
            state,
            N::view_batch(x),
            y,
            n,
            threads,
            metrics,
        );
        trainer.set_dropout_key(key);
        let work = |k: usize, size: usize| trainer.run_share(k, size);
        crate::parallel::with_team(threads, &work, |team| {
            trainer.set_batch(0, n);
            trainer.step(team);
            let sums = trainer.sums();
            let mean = sums.loss / n as f64;
            if !mean.is_finite() || !sums.finite {
                return Err(TrainError::NonFiniteLoss {
                    epoch: 1,
                    batch: 1,
                    loss: mean,
                    history: Box::default(),
                });
            }
            if !trainer.update(team) {
                return Err(TrainError::NonFiniteWeights { epoch: 1, batch: 1, history: Box::default() });
            }
            Ok(StepSums::default().plus(&sums).mean(metrics, n))
        })
    }

    /// Keras's `test_on_batch`: the loss and metrics on `x` as one batch, no update.
    pub fn test_on_batch<X: Sync, Y>(&self, x: &[X], y: &[Y]) -> Result<Evaluation, TrainError>
    where
        N: TakesSample<T, X>,
        L: Objective<T, N::Output, Y, N::Last>,
    {
        self.evaluate(x, y)
    }

    /// Threads for steps of `batch` samples: `forced`, or as many as pay.
    fn threads_for(&self, batch: usize, forced: Option<usize>) -> usize {
        match forced {
            Some(t) => t.min(batch).min(crate::parallel::max_forced_threads()),
            None => {
                let work = batch.saturating_mul(N::PARAMS).saturating_mul(3);
                use crate::parallel::{FIT_MIN_ROWS_PER_THREAD, FIT_WORK_PER_THREAD};
                crate::parallel::threads_for(work, batch, FIT_WORK_PER_THREAD, FIT_MIN_ROWS_PER_THREAD)
            }
        }
    }
}

#[allow(clippy::type_complexity)] // two pairs of slices
fn split_validation<'a, X, Y>(
    x: &'a [X],
    y: &'a [Y],
    batch_size: usize,
    validation: Validation<'a, X, Y>,
) -> Result<((&'a [X], &'a [Y]), Option<(&'a [X], &'a [Y])>), TrainError> {
    check_lengths(x, y)?;
    if batch_size == 0 {
        return Err(TrainError::ZeroBatchSize);
    }
    match validation {
        Validation::None => Ok(((x, y), None)),
        Validation::Data(vx, vy) => {
            // Refused now, not after a first epoch of training.
            check_lengths(vx, vy)?;
            Ok(((x, y), Some((vx, vy))))
        }
        Validation::Split(s) => {
            let held = (x.len() as f64 * s).round() as usize;
            if !(0.0..1.0).contains(&s) || held >= x.len() {
                return Err(TrainError::ValidationSplit(s));
            }
            let cut = x.len() - held;
            let val = if held > 0 { Some((&x[cut..], &y[cut..])) } else { None };
            Ok(((&x[..cut], &y[..cut]), val))
        }
    }
}

fn evaluate_with<N, L, T, X: Sync, Y>(
    params: &N::Params,
    x: &[X],
    y: &[Y],
    metrics: MetricSet,
) -> Result<Evaluation, TrainError>
where
    T: Scalar,
    N: TakesSample<T, X>,
    L: Objective<T, N::Output, Y, N::Last>,
{
    check_lengths(x, y)?;
    check_labels::<L, T, N::Output, Y, N::Last>(y)?;
    const CHUNK: usize = 2048;
    let model = ModelRef::<N, T>::new(params);
    let mut out = alloc::vec![N::Output::zeros(); CHUNK.min(x.len())];
    let (mut loss, mut acc, mut mae, mut mse) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (xc, yc) in x.chunks(CHUNK).zip(y.chunks(CHUNK)) {
        let out = &mut out[..xc.len()];
        model.predict_batch_into(xc, out);
        for (p, t) in out.iter().zip(yc) {
            loss += L::loss(p, t).to_f64();
            if metrics.accuracy {
                acc += L::accuracy(p, t).to_f64();
            }
            if metrics.mae || metrics.mse {
                let (a, s) = L::errors(p, t);
                (mae, mse) = (mae + a.to_f64(), mse + s.to_f64());
            }
        }
    }
    let e = metrics.mean(x.len() as f64, loss, acc, mae, mse);
    if !e.loss.is_finite() {
        return Err(TrainError::NonFiniteEvaluation { loss: e.loss });
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use crate::nn::{Dense, Relu, Sequential, Softmax};
    use crate::parallel::tests::with_failing_spawns;
    use crate::train::{CategoricalCrossentropy, FitOptions, Metric, RmsProp};
    use rand::{SeedableRng, rngs::StdRng};
    use std::vec::Vec;

    type Net = (Dense<8, 16, Relu>, Dense<16, 3, Softmax>);

    fn data() -> (Vec<[f32; 8]>, Vec<[f32; 3]>) {
        let x: Vec<[f32; 8]> =
            (0..300).map(|s| core::array::from_fn(|i| ((s * 7 + i * 3) % 10) as f32 / 10.0)).collect();
        let y = x
            .iter()
            .map(|r| {
                let c = if r[0] < 0.3 {
                    0
                } else if r[0] < 0.7 {
                    1
                } else {
                    2
                };
                core::array::from_fn(|i| if i == c { 1.0 } else { 0.0 })
            })
            .collect();
        (x, y)
    }

    /// `RmsProp`, not element-wise: `fit` gathers the gradient and updates on one thread.
    #[derive(Clone, Debug)]
    struct Whole(RmsProp);

    impl crate::train::Optimizer for Whole {
        const NAME: &'static str = "whole";
        const SLOTS: usize = 1;
        fn update<T: crate::element::Scalar>(&self, w: &mut [T], g: &[T], state: &mut [T]) {
            self.0.update(w, g, state);
        }
    }

    /// A fit that asked for more threads than it could spawn trains as one thread does,
    /// bit for bit: the shares of the weight gradients are computed by the team that
    /// ran (its member `k` taking shares `k`, `k + size`, ...), and gathered from it.
    #[test]
    fn split_with_failed_spawns_equals_one_thread() {
        let (x, y) = data();
        let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(3));
        let fit = |threads: usize, failing: bool, whole: bool| {
            let options = FitOptions::new(2, 40).verbose(false).threads(threads);
            let metrics = &[Metric::Accuracy];
            let (params, history) = if whole {
                // Not element-wise: the shares are gathered, then updated on one thread.
                let mut c = model
                    .clone()
                    .compile(Whole(RmsProp::default()), CategoricalCrossentropy, metrics)
                    .unwrap();
                let h = if failing {
                    with_failing_spawns(|| c.fit_with(&x, &y, options))
                } else {
                    c.fit_with(&x, &y, options)
                };
                (*c.params(), h.unwrap())
            } else {
                let mut c =
                    model.clone().compile(RmsProp::default(), CategoricalCrossentropy, metrics).unwrap();
                let h = if failing {
                    with_failing_spawns(|| c.fit_with(&x, &y, options))
                } else {
                    c.fit_with(&x, &y, options)
                };
                (*c.params(), h.unwrap())
            };
            (params, history.loss)
        };
        for whole in [false, true] {
            let (want, want_loss) = fit(1, false, whole);
            let (got, loss) = fit(8, true, whole);
            assert!(got == want, "whole update: {whole}");
            for (l, w) in loss.iter().zip(&want_loss) {
                assert!((l - w).abs() <= 1e-12 * w.abs(), "loss {l} vs {w}");
            }
        }
    }

    /// When no worker thread can be spawned, `fit` trains on the calling thread alone and
    /// returns (it once waited forever at a barrier sized for every thread), and gives the
    /// same result as a team that spawned its workers would on one thread.
    #[test]
    fn fit_and_predict_batch_survive_failed_spawns() {
        let (x, y) = data();
        let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(3));
        let mut compiled =
            model.clone().compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy]).unwrap();
        let options = FitOptions::new(3, 64).verbose(false).threads(2);
        let history = with_failing_spawns(|| compiled.fit_with(&x, &y, options)).unwrap();
        assert_eq!(history.loss.len(), 3);
        assert!(history.loss[2] < history.loss[0], "it trained: {:?}", history.loss);
        // A batch large enough that predict_batch wants every core (41 M multiply-adds).
        type Big = (Dense<256, 512, Relu>, Dense<512, 10, Softmax>);
        let big = Sequential::<Big>::new(&mut StdRng::seed_from_u64(4));
        let xs: Vec<[f32; 256]> =
            (0..300).map(|s| core::array::from_fn(|i| ((s + i) % 7) as f32 / 7.0)).collect();
        let batch = with_failing_spawns(|| big.predict_batch(&xs));
        assert_eq!(batch.len(), xs.len());
        for (p, s) in batch.iter().zip(&xs) {
            let one = big.predict(s);
            assert!(p.iter().zip(&one).all(|(a, b)| (a - b).abs() < 1e-5));
        }
    }
}
