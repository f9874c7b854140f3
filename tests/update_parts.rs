//! `fit`'s update split over its threads (each thread updates the share of every array
//! whose gradient it computed, `Optimizer::ELEMENTWISE`) against the same optimizer
//! updating whole arrays on one thread: the same weights bit for bit, the optimizer's
//! state kept across fits, and nothing changed by a step refused for non-finite weights
//! or a non-finite loss (the split update runs inside the step, before the loss is
//! checked, and must be undone).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use shaped::element::Scalar;
use shaped::nn::{Dense, Layers, Relu, Sequential, Softmax, Tanh};
use shaped::rand::{RngExt, SeedableRng, rngs::StdRng};
use shaped::train::{Adam, CategoricalCrossentropy, FitOptions, Optimizer, RmsProp, Sgd, TrainError};

/// `O`, updating whole arrays: not element-wise, so `fit` does not split its update.
#[derive(Clone, Debug)]
struct Whole<O>(O);

impl<O: Optimizer> Optimizer for Whole<O> {
    const NAME: &'static str = "whole";
    const SLOTS: usize = O::SLOTS;
    fn begin_step(&mut self) {
        self.0.begin_step();
    }
    // `update_from` is the trait's default: a copy, then `O`'s update in place.
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], state: &mut [T]) {
        self.0.update(w, g, state);
    }
}

/// `O`, with its learning rate made infinite while `armed` is set (its update then
/// writes non-finite weights).
#[derive(Clone, Debug)]
struct Trip<O> {
    inner: O,
    huge: O,
    armed: Arc<AtomicBool>,
}

impl<O: Optimizer> Optimizer for Trip<O> {
    const NAME: &'static str = "trip";
    const SLOTS: usize = O::SLOTS;
    const ELEMENTWISE: bool = O::ELEMENTWISE;
    fn begin_step(&mut self) {
        self.inner.begin_step();
        self.huge.begin_step();
    }
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], state: &mut [T]) {
        self.inner.update(w, g, state);
    }
    fn update_from<T: Scalar>(
        &self,
        old: (&[T], &[T]),
        g: &[T],
        w_out: &mut [T],
        state_out: &mut [T],
    ) -> bool {
        let o = if self.armed.load(Ordering::Relaxed) { &self.huge } else { &self.inner };
        o.update_from(old, g, w_out, state_out)
    }
}

/// 30-40-20-3: arrays of 1,200, 40, 800, 20, 60 and 3 weights (parts of 16-value
/// bounds, some empty at 8 parts).
type Net = (Dense<30, 40, Relu>, Dense<40, 20, Tanh>, Dense<20, 3, Softmax>);

fn data<T: Scalar>(n: usize) -> (Vec<[T; 30]>, Vec<[T; 3]>) {
    let mut rng = StdRng::seed_from_u64(31);
    let x = (0..n).map(|_| std::array::from_fn(|_| T::from_f64(rng.random_range(-1.0..1.0)))).collect();
    let y = (0..n)
        .map(|i| std::array::from_fn(|c| if c == (i * 5) % 3 { T::one() } else { T::zero() }))
        .collect();
    (x, y)
}

fn flat<T: Scalar>(p: &<Net as Layers<T>>::Params) -> Vec<T>
where
    Net: Layers<T>,
{
    let mut v = Vec::new();
    <Net as Layers<T>>::visit_params(p, &mut |a| v.extend_from_slice(a));
    v
}

/// Two fits in a row (the second continues the first's optimizer state), on `threads`
/// then `then` threads, in `$t`: the weights and the losses.
macro_rules! two_fits {
    ($t:ty, $optimizer:expr, $threads:expr, $then:expr) => {{
        let (x, y) = data::<$t>(96);
        let mut m = Sequential::<Net, $t>::new(&mut StdRng::seed_from_u64(32))
            .compile($optimizer, CategoricalCrossentropy, &[])
            .unwrap();
        // Batches of 64 and a last of 32, over up to 7 threads.
        let options = FitOptions::new(2, 64).verbose(false);
        let mut loss = m.fit_with(&x, &y, options.threads($threads)).unwrap().loss;
        loss.extend(m.fit_with(&x, &y, options.threads($then)).unwrap().loss);
        (flat::<$t>(m.params()), loss)
    }};
}

fn split_equals_whole<O: Optimizer>(optimizer: O) {
    for (threads, then) in [(1, 1), (2, 2), (2, 3), (3, 2), (4, 1), (1, 4), (8, 2), (5, 7)] {
        let split = two_fits!(f32, optimizer.clone(), threads, then);
        let whole = two_fits!(f32, Whole(optimizer.clone()), threads, then);
        assert_eq!(split, whole, "{}: {threads} then {then} threads (f32)", O::NAME);
        let split = two_fits!(f64, optimizer.clone(), threads, then);
        let whole = two_fits!(f64, Whole(optimizer.clone()), threads, then);
        assert_eq!(split, whole, "{}: {threads} then {then} threads (f64)", O::NAME);
    }
}

#[test]
fn split_update_equals_whole_update_rmsprop() {
    split_equals_whole(RmsProp::default());
}

#[test]
fn split_update_equals_whole_update_adam() {
    split_equals_whole(Adam::with_learning_rate(0.01));
}

#[test]
fn split_update_equals_whole_update_sgd_momentum() {
    split_equals_whole(Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: true });
}

/// The split update trains: the weights moved and the loss fell.
#[test]
fn split_update_trains() {
    let (w, loss) = two_fits!(f32, RmsProp::default(), 2, 3);
    let (w0, _) = two_fits!(f32, RmsProp { learning_rate: 0.0, ..RmsProp::default() }, 2, 3);
    assert_ne!(w, w0);
    assert!(loss[3] < loss[0], "{loss:?}");
}

/// A refused update (non-finite weights) changes nothing, on any number of threads: not
/// the weights, not the optimizer's state or step count. A fit, a refused fit and a fit
/// end where two fits do.
#[test]
fn refused_update_keeps_weights_and_state() {
    let (x, y) = data::<f32>(96);
    for threads in [1, 2, 3, 8] {
        let options = FitOptions::new(1, 64).verbose(false).threads(threads);
        let run = |refuse: bool| {
            let armed = Arc::new(AtomicBool::new(false));
            let huge = Adam { learning_rate: 1e39, ..Adam::default() };
            let trip = Trip { inner: Adam::default(), huge, armed: Arc::clone(&armed) };
            let mut m = Sequential::<Net>::new(&mut StdRng::seed_from_u64(33))
                .compile(trip, CategoricalCrossentropy, &[])
                .unwrap();
            m.fit_with(&x, &y, options).unwrap();
            if refuse {
                let before = *m.params();
                armed.store(true, Ordering::Relaxed);
                let err = m.fit_with(&x, &y, options).unwrap_err();
                assert!(matches!(err, TrainError::NonFiniteWeights { epoch: 1, batch: 1, .. }), "{err:?}");
                assert_eq!(*m.params(), before, "{threads} threads");
                armed.store(false, Ordering::Relaxed);
            }
            m.fit_with(&x, &y, options).unwrap();
            flat::<f32>(m.params())
        };
        assert_eq!(run(true), run(false), "{threads} threads");
    }
}

/// A step refused for its loss (a NaN sample in the first batch) changes nothing either,
/// on any number of threads: on a team the update runs inside the step, before the loss
/// is known, so the step count it advanced (Adam's bias correction reads it) and the
/// state it wrote must be put back. A fit, a refused fit and a fit end where two fits do.
#[test]
fn refused_loss_keeps_weights_and_optimizer() {
    let (x, y) = data::<f32>(96);
    let mut bad = x.clone();
    bad[5][0] = f32::NAN;
    for threads in [1, 2, 3, 8] {
        let options = FitOptions::new(1, 64).verbose(false).shuffle(false).threads(threads);
        let run = |refuse: bool| {
            let mut m = Sequential::<Net>::new(&mut StdRng::seed_from_u64(34))
                .compile(Adam::with_learning_rate(0.01), CategoricalCrossentropy, &[])
                .unwrap();
            m.fit_with(&x, &y, options).unwrap();
            if refuse {
                let before = *m.params();
                let err = m.fit_with(&bad, &y, options).unwrap_err();
                assert!(matches!(err, TrainError::NonFiniteLoss { epoch: 1, batch: 1, .. }), "{err:?}");
                assert_eq!(*m.params(), before, "{threads} threads");
            }
            m.fit_with(&x, &y, options).unwrap();
            flat::<f32>(m.params())
        };
        assert_eq!(run(true), run(false), "{threads} threads");
    }
}
