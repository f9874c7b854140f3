//! Losses, their pairing with the last layer's activation, and the labels they take.

use core::fmt::Debug;

use crate::constraint::{DenseLabels, SparseLabels};
use crate::element::Scalar;
use crate::nn::{Activation, Sigmoid, Softmax};

/// Keras clips probabilities to `[EPSILON, 1 - EPSILON]` before taking logarithms.
const EPSILON: f64 = 1e-7;

/// A loss function, named as in Keras.
pub trait Loss: Copy + Debug + Default + Send + Sync + 'static {
    /// Keras's name (`"categorical_crossentropy"`).
    const NAME: &'static str;

    /// Whether Keras's `accuracy` means anything for outputs of width `outputs` under this
    /// loss: not for a regression loss on one output (its argmax always matches).
    fn accuracy_meaningful(outputs: usize) -> bool {
        let _ = outputs;
        true
    }
}

/// The loss fits a last layer with activation `A`.
#[diagnostic::on_unimplemented(
    message = "the loss `{Self}` does not fit a last layer with activation `{A}`",
    label = "`{Self}` cannot follow `{A}`",
    note = "categorical and sparse categorical cross-entropy need a `Softmax` last layer, binary cross-entropy a `Sigmoid` one; mean squared and mean absolute error fit any"
)]
pub trait PairsWith<A: Activation>: Loss {}

/// A loss on output rows `Out` (`[T; N]`) and labels of type `Y`, after activation `A`.
pub trait Objective<T: Scalar, Out, Y, A: Activation>: Loss {
    /// The loss of one sample.
    fn loss(y: &Out, label: &Y) -> T;

    /// The loss of one sample; writes into `dz` the gradient of `scale * loss` with
    /// respect to the last layer's pre-activations.
    fn loss_and_grad(y: &Out, label: &Y, dz: &mut Out, scale: T) -> T;

    /// Keras's `accuracy` for this loss: 1 or 0 for a class prediction (argmax), the
    /// fraction of outputs on the right side of 0.5 for binary cross-entropy.
    fn accuracy(y: &Out, label: &Y) -> T;

    /// Keras's `mae` and `mse` metrics of one sample: the mean absolute and the mean
    /// squared difference between the outputs and the targets (one-hot for class labels).
    fn errors(y: &Out, label: &Y) -> (T, T);

    /// Whether this loss can take `label`; the reason, naming the value, if not (binary
    /// cross-entropy takes targets in `[0, 1]`). `fit` and `evaluate` check every label
    /// before they start.
    fn check_label(label: &Y) -> Result<(), alloc::string::String> {
        let _ = label;
        Ok(())
    }
}

/// Mean absolute and mean squared difference of `y` and the targets `t`.
fn mean_errors<T: Scalar>(y: &[T], t: impl Iterator<Item = T>) -> (T, T) {
    let (mut abs, mut sq) = (T::zero(), T::zero());
    for (&p, t) in y.iter().zip(t) {
        let d = p - t;
        abs = abs + d.abs();
        sq = sq + d * d;
    }
    let n = T::from_f64(y.len().max(1) as f64);
    (abs / n, sq / n)
}

/// Index of the largest value (the first one on ties).
fn argmax<T: Scalar>(v: &[T]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Keras's clip to `[EPSILON, 1 - EPSILON]`; a NaN stays NaN.
fn clip<T: Scalar>(p: T) -> T {
    let eps = T::from_f64(EPSILON);
    crate::nn::activation::clip(p, eps, T::one() - eps)
}

/// `categorical_crossentropy`: `-sum(t * log(y))` against one-hot (or probability) rows.
/// Needs a `Softmax` last layer; the gradient is the fused `y * sum(t) - t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CategoricalCrossentropy;

/// `sparse_categorical_crossentropy`: `-log(y[class])` against [`Class`](crate::train::Class) labels.
/// Needs a `Softmax` last layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SparseCategoricalCrossentropy;

/// `binary_crossentropy`: `-mean(t log y + (1 - t) log(1 - y))`. Needs a `Sigmoid` last
/// layer; the gradient is the fused `(y - t) / N`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BinaryCrossentropy;

/// `mean_squared_error`: `mean((y - t)^2)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeanSquaredError;

/// `mean_absolute_error`: `mean(|y - t|)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeanAbsoluteError;

impl Loss for CategoricalCrossentropy {
    const NAME: &'static str = "categorical_crossentropy";
}
impl Loss for SparseCategoricalCrossentropy {
    const NAME: &'static str = "sparse_categorical_crossentropy";
}
impl Loss for BinaryCrossentropy {
    const NAME: &'static str = "binary_crossentropy";
}
impl Loss for MeanSquaredError {
    const NAME: &'static str = "mean_squared_error";
    fn accuracy_meaningful(outputs: usize) -> bool {
        outputs > 1
    }
}
impl Loss for MeanAbsoluteError {
    const NAME: &'static str = "mean_absolute_error";
    fn accuracy_meaningful(outputs: usize) -> bool {
        outputs > 1
    }
}

impl PairsWith<Softmax> for CategoricalCrossentropy {}
impl PairsWith<Softmax> for SparseCategoricalCrossentropy {}
impl PairsWith<Sigmoid> for BinaryCrossentropy {}
impl<A: Activation> PairsWith<A> for MeanSquaredError {}
impl<A: Activation> PairsWith<A> for MeanAbsoluteError {}

impl<T: Scalar, const N: usize, Y> Objective<T, [T; N], Y, Softmax> for CategoricalCrossentropy
where
    Y: DenseLabels<T, N>,
{
    fn loss(y: &[T; N], label: &Y) -> T {
        let t = Y::targets(label);
        y.iter().zip(t).fold(T::zero(), |s, (&p, &t)| s - t * clip(p).ln())
    }
    fn loss_and_grad(y: &[T; N], label: &Y, dz: &mut [T; N], scale: T) -> T {
        let t = Y::targets(label);
        let total = t.iter().fold(T::zero(), |s, &v| s + v);
        for ((d, &p), &t) in dz.iter_mut().zip(y).zip(t) {
            *d = scale * (p * total - t);
        }
        Self::loss(y, label)
    }
    fn accuracy(y: &[T; N], label: &Y) -> T {
        let t = Y::targets(label);
        if argmax(y) == argmax(t) { T::one() } else { T::zero() }
    }
    fn errors(y: &[T; N], label: &Y) -> (T, T) {
        mean_errors(y, Y::targets(label).iter().copied())
    }
}

impl<T: Scalar, const N: usize, Y> Objective<T, [T; N], Y, Softmax> for SparseCategoricalCrossentropy
where
    Y: SparseLabels<N>,
{
    fn loss(y: &[T; N], label: &Y) -> T {
        let c = Y::class(label);
        -clip(y[c]).ln()
    }
    fn loss_and_grad(y: &[T; N], label: &Y, dz: &mut [T; N], scale: T) -> T {
        let c = Y::class(label);
        for (d, &p) in dz.iter_mut().zip(y) {
            *d = scale * p;
        }
        dz[c] = dz[c] - scale;
        Self::loss(y, label)
    }
    fn accuracy(y: &[T; N], label: &Y) -> T {
        if argmax(y) == Y::class(label) { T::one() } else { T::zero() }
    }
    fn errors(y: &[T; N], label: &Y) -> (T, T) {
        let c = Y::class(label);
        mean_errors(y, (0..N).map(|i| if i == c { T::one() } else { T::zero() }))
    }
}

impl<T: Scalar, const N: usize, Y> Objective<T, [T; N], Y, Sigmoid> for BinaryCrossentropy
where
    Y: DenseLabels<T, N>,
{
    fn check_label(label: &Y) -> Result<(), alloc::string::String> {
        match Y::targets(label).iter().find(|&&t| !(t >= T::zero() && t <= T::one())) {
            Some(t) => Err(alloc::format!(
                "binary cross-entropy takes targets in [0, 1], not {}",
                Scalar::to_f64(*t)
            )),
            None => Ok(()),
        }
    }
    fn loss(y: &[T; N], label: &Y) -> T {
        let t = Y::targets(label);
        let s = y.iter().zip(t).fold(T::zero(), |s, (&p, &t)| {
            let p = clip(p);
            s - (t * p.ln() + (T::one() - t) * (T::one() - p).ln())
        });
        s / T::from_f64(N as f64)
    }
    fn loss_and_grad(y: &[T; N], label: &Y, dz: &mut [T; N], scale: T) -> T {
        let t = Y::targets(label);
        let k = scale / T::from_f64(N as f64);
        for ((d, &p), &t) in dz.iter_mut().zip(y).zip(t) {
            *d = k * (p - t);
        }
        Self::loss(y, label)
    }
    fn accuracy(y: &[T; N], label: &Y) -> T {
        let t = Y::targets(label);
        let half = T::from_f64(0.5);
        let right = y.iter().zip(t).filter(|&(&p, &t)| (p > half) == (t > half)).count();
        T::from_f64(right as f64 / N as f64)
    }
    fn errors(y: &[T; N], label: &Y) -> (T, T) {
        mean_errors(y, Y::targets(label).iter().copied())
    }
}

impl<T: Scalar, const N: usize, Y, A: Activation> Objective<T, [T; N], Y, A> for MeanSquaredError
where
    Y: DenseLabels<T, N>,
{
    fn loss(y: &[T; N], label: &Y) -> T {
        let t = Y::targets(label);
        let s = y.iter().zip(t).fold(T::zero(), |s, (&p, &t)| s + (p - t) * (p - t));
        s / T::from_f64(N as f64)
    }
    fn loss_and_grad(y: &[T; N], label: &Y, dz: &mut [T; N], scale: T) -> T {
        let t = Y::targets(label);
        let k = scale * T::from_f64(2.0 / N as f64);
        for ((d, &p), &t) in dz.iter_mut().zip(y).zip(t) {
            *d = k * (p - t);
        }
        A::backward(y, dz);
        <Self as Objective<T, [T; N], Y, A>>::loss(y, label)
    }
    fn accuracy(y: &[T; N], label: &Y) -> T {
        let t = Y::targets(label);
        if argmax(y) == argmax(t) { T::one() } else { T::zero() }
    }
    fn errors(y: &[T; N], label: &Y) -> (T, T) {
        mean_errors(y, Y::targets(label).iter().copied())
    }
}

impl<T: Scalar, const N: usize, Y, A: Activation> Objective<T, [T; N], Y, A> for MeanAbsoluteError
where
    Y: DenseLabels<T, N>,
{
    fn loss(y: &[T; N], label: &Y) -> T {
        let t = Y::targets(label);
        let s = y.iter().zip(t).fold(T::zero(), |s, (&p, &t)| s + (p - t).abs());
        s / T::from_f64(N as f64)
    }
    fn loss_and_grad(y: &[T; N], label: &Y, dz: &mut [T; N], scale: T) -> T {
        let t = Y::targets(label);
        let k = scale / T::from_f64(N as f64);
        for ((d, &p), &t) in dz.iter_mut().zip(y).zip(t) {
            let diff = p - t;
            *d = if diff > T::zero() {
                k
            } else if diff < T::zero() {
                -k
            } else {
                T::zero()
            };
        }
        A::backward(y, dz);
        <Self as Objective<T, [T; N], Y, A>>::loss(y, label)
    }
    fn accuracy(y: &[T; N], label: &Y) -> T {
        let t = Y::targets(label);
        if argmax(y) == argmax(t) { T::one() } else { T::zero() }
    }
    fn errors(y: &[T; N], label: &Y) -> (T, T) {
        mean_errors(y, Y::targets(label).iter().copied())
    }
}
