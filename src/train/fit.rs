//! `compile`, `fit`, `evaluate`: the Keras workflow.

use alloc::boxed::Box;
use alloc::vec::Vec;
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::backprop::Backprop;
use super::history::{Evaluation, History, TrainError, progress_line};
use super::loss::{Loss, Objective, PairsWith};
use super::optim::{Optimizer, SettingError};
use super::options::{FitOptions, Metric, Validation};
use super::step::Trainer;
use crate::element::Scalar;
use crate::nn::{Layers, ModelRef, Sequential, Summary, TakesSample, Vector};

/// [`Sequential::compile`] refused the optimizer's settings. The model comes back as it
/// was, in `model`.
pub struct CompileError<N: Layers<T>, T: Scalar = f32> {
    /// The setting out of range.
    pub error: SettingError,
    /// The model, unchanged.
    pub model: Sequential<N, T>,
}

impl<N: Layers<T>, T: Scalar> core::fmt::Debug for CompileError<N, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Short, for `fn main() -> Result<..>`: the error, not the weights.
        write!(f, "CompileError({:?})", self.error)
    }
}

impl<N: Layers<T>, T: Scalar> core::fmt::Display for CompileError<N, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.error, f)
    }
}

impl<N: Layers<T>, T: Scalar> std::error::Error for CompileError<N, T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// A model with an optimizer, a loss and metrics: what Keras's `compile` makes.
///
/// It answers `predict`, `summary` and the weight accessors itself, and hands out its
/// [`Sequential`] with [`model`](Self::model) or [`into_model`](Self::into_model).
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
            return Err(CompileError { error, model: self });
        }
        Ok(Compiled {
            model: self,
            optimizer,
            metrics: metrics.to_vec(),
            state: alloc::vec![T::zero(); O::SLOTS * N::PARAMS],
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

    fn accuracy_on(&self) -> bool {
        self.metrics.contains(&Metric::Accuracy)
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

    /// `fit` with Keras's other options: validation, seed, verbosity.
    ///
    /// Training splits each batch over the machine's cores where that pays (a step of at
    /// least about 5 M multiply-adds a thread and 16 rows a thread; see
    /// [`FitOptions::threads`] and [`crate::parallel::threads`]); the result does not
    /// depend on timing, only on the seed and the number of threads. Nothing is allocated
    /// per batch.
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
        let ((train_x, train_y), val) = split_validation(x, y, &options)?;
        let n = train_x.len();
        let batch = options.batch_size.min(n);
        let steps = n.div_ceil(batch);
        let threads = match options.threads {
            Some(t) => t.min(batch),
            None => {
                let work = batch.saturating_mul(N::PARAMS).saturating_mul(3);
                crate::parallel::threads_for(work, batch, crate::parallel::FIT_WORK_PER_THREAD)
            }
        };
        let accuracy_on = self.accuracy_on();
        let mut rng = StdRng::seed_from_u64(options.seed);
        let mut history = History::default();

        let Compiled { model, optimizer, state, .. } = self;
        let trainer = Trainer::<N, L, T, Y>::new(
            model.params_box_mut(),
            state.len(),
            N::view_batch(train_x),
            train_y,
            batch,
            threads,
            accuracy_on,
        );
        let work = |k: usize, size: usize| trainer.run_share(k, size);
        crate::parallel::with_team(threads, &work, |team| {
            for epoch in 1..=options.epochs {
                let began = Instant::now();
                trainer.shuffle(&mut rng);
                let (mut loss, mut accuracy) = (0.0, 0.0);
                for step in 0..steps {
                    let len = batch.min(n - step * batch);
                    trainer.set_batch(step * batch, len);
                    team.step();
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
                    if !trainer.update(optimizer, state) {
                        let history = Box::new(core::mem::take(&mut history));
                        return Err(TrainError::NonFiniteWeights { epoch, batch: step + 1, history });
                    }
                    (loss, accuracy) = (loss + sums.loss, accuracy + sums.accuracy);
                }
                let elapsed = began.elapsed();
                let validation = match val {
                    Some((vx, vy)) => {
                        Some(evaluate_with::<N, L, T, X, Y>(&trainer.params(), vx, vy, accuracy_on)?)
                    }
                    None => None,
                };
                let accuracy = accuracy_on.then_some(accuracy / n as f64);
                history.record(loss / n as f64, accuracy, validation, elapsed);
                if options.verbose {
                    let line = progress_line(steps, elapsed, accuracy, loss / n as f64, validation);
                    std::println!("Epoch {epoch}/{}\n{line}", options.epochs);
                }
            }
            Ok(())
        })?;
        Ok(history)
    }
}

/// Training data and validation data, as the options say; every length checked before
/// any weight changes.
#[allow(clippy::type_complexity)] // two pairs of slices
fn split_validation<'a, X, Y>(
    x: &'a [X],
    y: &'a [Y],
    options: &FitOptions<'a, X, Y>,
) -> Result<((&'a [X], &'a [Y]), Option<(&'a [X], &'a [Y])>), TrainError> {
    check_lengths(x, y)?;
    if options.batch_size == 0 {
        return Err(TrainError::ZeroBatchSize);
    }
    match options.validation {
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

/// As many samples as labels, and at least one.
fn check_lengths<X, Y>(x: &[X], y: &[Y]) -> Result<(), TrainError> {
    if x.len() != y.len() {
        return Err(TrainError::LengthMismatch { samples: x.len(), labels: y.len() });
    }
    if x.is_empty() {
        return Err(TrainError::NoSamples);
    }
    Ok(())
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
    check_lengths(x, y)?;
    const CHUNK: usize = 2048;
    let model = ModelRef::<N, T>::new(params);
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
