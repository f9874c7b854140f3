//! Activations: applied to each sample's row of pre-activations, in place.

use crate::element::Scalar;
use core::fmt::Debug;

/// An activation function of a layer, applied to one sample's outputs at a time.
///
/// Each is a zero-sized marker type named in the network's type:
/// `Dense<784, 512, Relu>`.
pub trait Activation: Copy + Default + Debug + Send + Sync + 'static {
    /// The name Keras gives it (`"relu"`).
    const NAME: &'static str;

    /// `z <- f(z)` for one sample's row.
    fn forward<T: Scalar>(z: &mut [T]);

    /// [`forward`](Activation::forward) in code compiled with fused multiply-adds when
    /// `FMA` (the one-sample pass); the same function, rounded in fewer steps.
    #[doc(hidden)]
    #[inline(always)]
    fn forward_with<T: Scalar, const FMA: bool>(z: &mut [T]) {
        Self::forward(z)
    }

    /// Turns `dy`, the gradient with respect to the outputs `y = f(z)`, into the gradient
    /// with respect to `z`, in place. Every activation here can do that from `y` alone.
    fn backward<T: Scalar>(y: &[T], dy: &mut [T]);
}

/// `x` limited to `[low, high]`; a NaN stays NaN (`max`/`min` would turn it into a
/// number and hide it). The one clip of the crate: Keras's clip of probabilities in the
/// losses and [`Tensor::clip`](crate::Tensor::clip) both use it.
#[cfg(feature = "alloc")]
#[inline]
pub(crate) fn clip<T: Scalar>(x: T, low: T, high: T) -> T {
    if x < low {
        low
    } else if x > high {
        high
    } else {
        x
    }
}

/// `op` over all of `z`: element `i` into lane `i mod 8`, then the eight lanes pairwise
/// (three levels). `init` must leave a value unchanged (`-inf` for a maximum, `-0.0` for
/// a sum), so the compiler drops the lanes that a short row leaves empty.
#[inline(always)]
fn lane_fold<T: Copy>(z: &[T], init: T, op: impl Fn(T, T) -> T) -> T {
    if let [a, b, c, d] = *z {
        // Four values (a common number of classes): two levels.
        return op(op(a, c), op(b, d));
    }
    let mut lanes = [init; 8];
    let (chunks, rest) = z.as_chunks::<8>();
    for c in chunks {
        for l in 0..8 {
            lanes[l] = op(lanes[l], c[l]);
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        lanes[l] = op(lanes[l], v);
    }
    let [a, b, c, d, e, f, g, h] = lanes;
    op(op(op(a, e), op(c, g)), op(op(b, f), op(d, h)))
}

/// `max(0, z)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;
/// `1 / (1 + exp(-z))` (the exponential as in [`Softmax`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;
/// `tanh(z)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;
/// `exp(z_i) / sum_j exp(z_j)` over the sample's row, computed with the row's maximum
/// subtracted first so that no `exp` overflows. In `f32` the exponentials are a
/// vectorized polynomial within one ulp of `exp` ([`Scalar::exp_activation`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Softmax;
/// The identity: Keras's `activation=None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Linear;

impl Activation for Relu {
    const NAME: &'static str = "relu";
    #[inline(always)]
    fn forward<T: Scalar>(z: &mut [T]) {
        // Not `max`: it would turn a NaN into 0 and hide it from the loss. A select,
        // not a conditional store, so that it vectorizes.
        for v in z {
            *v = if *v < T::zero() { T::zero() } else { *v };
        }
    }
    #[inline]
    fn backward<T: Scalar>(y: &[T], dy: &mut [T]) {
        for (d, &y) in dy.iter_mut().zip(y) {
            *d = if y <= T::zero() { T::zero() } else { *d };
        }
    }
}

impl Activation for Sigmoid {
    const NAME: &'static str = "sigmoid";
    #[inline(always)]
    fn forward<T: Scalar>(z: &mut [T]) {
        Self::forward_with::<T, false>(z)
    }
    #[inline(always)]
    fn forward_with<T: Scalar, const FMA: bool>(z: &mut [T]) {
        for v in z {
            *v = T::one() / (T::one() + (-*v).exp_activation_with::<FMA>());
        }
    }
    #[inline]
    fn backward<T: Scalar>(y: &[T], dy: &mut [T]) {
        for (d, &y) in dy.iter_mut().zip(y) {
            *d = *d * y * (T::one() - y);
        }
    }
}

impl Activation for Tanh {
    const NAME: &'static str = "tanh";
    #[inline(always)]
    fn forward<T: Scalar>(z: &mut [T]) {
        for v in z {
            *v = v.tanh();
        }
    }
    #[inline]
    fn backward<T: Scalar>(y: &[T], dy: &mut [T]) {
        for (d, &y) in dy.iter_mut().zip(y) {
            *d = *d * (T::one() - y * y);
        }
    }
}

impl Activation for Softmax {
    const NAME: &'static str = "softmax";
    #[inline(always)]
    fn forward<T: Scalar>(z: &mut [T]) {
        Self::forward_with::<T, false>(z)
    }
    #[inline(always)]
    fn forward_with<T: Scalar, const FMA: bool>(z: &mut [T]) {
        // The maximum and the sum are folded as trees (a few values wait on their chains
        // of dependent operations); the exponentials run in a loop of their own, which
        // vectorizes; dividing by the sum rounds once, as Keras does.
        // A plain select, not `max` (which also orders NaN, an extra operation or two
        // on the chain): a NaN dropped here still reaches every output through its
        // exponential and the sum.
        let max = lane_fold(z, T::neg_infinity(), |a, b| if b > a { b } else { a });
        for v in z.iter_mut() {
            *v = (*v - max).exp_nonpositive_with::<FMA>();
        }
        let sum = lane_fold(z, -T::zero(), |a, b| a + b);
        for v in z {
            *v = *v / sum;
        }
    }
    #[inline]
    fn backward<T: Scalar>(y: &[T], dy: &mut [T]) {
        // dz_i = y_i (dy_i - sum_j dy_j y_j)
        let s = y.iter().zip(dy.iter()).fold(T::zero(), |s, (&y, &d)| s + y * d);
        for (d, &y) in dy.iter_mut().zip(y) {
            *d = y * (*d - s);
        }
    }
}

impl Activation for Linear {
    const NAME: &'static str = "linear";
    #[inline(always)]
    fn forward<T: Scalar>(_: &mut [T]) {}
    #[inline]
    fn backward<T: Scalar>(_: &[T], _: &mut [T]) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_is_stable_and_normalized() {
        let mut z = [1000.0f32, 1001.0, 999.0];
        Softmax::forward(&mut z);
        assert!(z.iter().all(|v| v.is_finite()));
        assert!((z.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(z[1] > z[0] && z[0] > z[2]);
        // A spread wider than exp's range: only the maximum subtracted keeps it finite,
        // at each position of the maximum and each fold (four values, and eight lanes).
        for len in [3, 4, 5, 9] {
            for at in 0..len {
                let mut wide: std::vec::Vec<f32> = (0..len).map(|i| -100.0 * i as f32).collect();
                wide[at] = 200.0;
                Softmax::forward_with::<f32, true>(&mut wide);
                assert_eq!(wide[at], 1.0, "length {len}, maximum at {at}: {wide:?}");
                assert!(wide.iter().all(|v| v.is_finite()), "{wide:?}");
            }
        }
        let e = [(-1.0f64).exp(), 1.0, (-2.0f64).exp()];
        let s: f64 = e.iter().sum();
        for (v, e) in z.iter().zip(e) {
            assert!((*v as f64 - e / s).abs() < 1e-6);
        }
    }

    /// Every row length (the folds take four values, eight lanes and their remainders
    /// apart), with and without FMA, against the softmax computed in `f64`; a NaN
    /// anywhere in a row makes the whole row NaN.
    #[test]
    fn softmax_of_every_length_matches_f64() {
        for len in 1..=40usize {
            let z: std::vec::Vec<f32> = (0..len).map(|i| ((i * 37 % 11) as f32 - 5.0) * 1.7).collect();
            let max = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
            let e: std::vec::Vec<f64> = z.iter().map(|&v| (v as f64 - max).exp()).collect();
            let sum: f64 = e.iter().sum();
            let mut plain = z.clone();
            Softmax::forward(&mut plain);
            let mut fused = z.clone();
            Softmax::forward_with::<f32, true>(&mut fused);
            for got in [&plain, &fused] {
                for (i, (g, w)) in got.iter().zip(&e).enumerate() {
                    let w = w / sum;
                    assert!(
                        (*g as f64 - w).abs() <= 1e-6 * w.max(1e-30),
                        "length {len}, value {i}: {g} vs {w}"
                    );
                }
            }
            // The maximum is a plain select, which may drop a NaN: the NaN must reach
            // every output anyway, wherever it sits in the row.
            for at in 0..len {
                let mut with_nan = z.clone();
                with_nan[at] = f32::NAN;
                let mut fused = with_nan.clone();
                Softmax::forward(&mut with_nan);
                Softmax::forward_with::<f32, true>(&mut fused);
                assert!(with_nan.iter().all(|v| v.is_nan()), "length {len}, NaN at {at}: {with_nan:?}");
                assert!(fused.iter().all(|v| v.is_nan()), "length {len}, NaN at {at}: {fused:?}");
            }
            // A value of -inf beside finite ones gets 0, and the others still sum to 1.
            if len > 1 {
                let mut minus = z.clone();
                minus[len / 2] = f32::NEG_INFINITY;
                Softmax::forward(&mut minus);
                assert_eq!(minus[len / 2], 0.0, "length {len}");
                let total: f32 = minus.iter().sum();
                assert!((total - 1.0).abs() < 1e-5, "length {len}: {minus:?}");
            }
        }
    }

    #[test]
    fn pointwise_values() {
        let mut r = [-1.0f64, 0.0, 2.5, f64::NAN];
        Relu::forward(&mut r);
        assert_eq!(r[..3], [0.0, 0.0, 2.5]);
        assert!(r[3].is_nan(), "relu must propagate NaN");
        let mut s = [0.0f64, 2.0];
        Sigmoid::forward(&mut s);
        assert_eq!(s[0], 0.5);
        assert!((s[1] - 1.0 / (1.0 + (-2.0f64).exp())).abs() < 1e-15);
        assert!(clip(f64::NAN, 0.0, 1.0).is_nan(), "clip must propagate NaN");
        assert_eq!(
            (clip(-2.0f64, -1.0, 1.0), clip(2.0f64, -1.0, 1.0), clip(0.5f64, -1.0, 1.0)),
            (-1.0, 1.0, 0.5)
        );
        let mut t = [0.5f64];
        Tanh::forward(&mut t);
        assert!((t[0] - 0.5f64.tanh()).abs() < 1e-15);
    }
}
