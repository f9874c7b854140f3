//! Optimizers, with Keras's defaults and update rules, and their update loops.

use core::fmt::Debug;

use crate::element::Scalar;
use crate::linalg::simd::multiversion;

/// An optimizer: updates weights from their gradients, one array at a time.
pub trait Optimizer: Clone + Debug + Send + Sync + 'static {
    /// Keras's name (`"rmsprop"`).
    const NAME: &'static str;
    /// Slots of state per weight (momentum, velocity, ...).
    const SLOTS: usize;

    /// Called once per step, before the arrays are updated.
    fn begin_step(&mut self) {}

    /// Updates `w` by its gradient `g`; `state` holds `SLOTS * w.len()` values, zero at
    /// the first step. Only the common length of `w`, `g` (and the state) is updated.
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], state: &mut [T]);
}

/// Stochastic gradient descent, optionally with (Nesterov) momentum.
///
/// Keras: `velocity = momentum * velocity - lr * g`, then `w += velocity` (or
/// `w += momentum * velocity - lr * g` with Nesterov); `w -= lr * g` without momentum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    /// Learning rate (Keras default 0.01).
    pub learning_rate: f64,
    /// Momentum (default 0).
    pub momentum: f64,
    /// Nesterov momentum (default false).
    pub nesterov: bool,
}

impl Default for Sgd {
    fn default() -> Self {
        Sgd { learning_rate: 0.01, momentum: 0.0, nesterov: false }
    }
}

/// One SGD step's constants, in the weights' type.
#[derive(Clone, Copy)]
struct SgdStep<T> {
    learning_rate: T,
    momentum: T,
    nesterov: bool,
}

impl Optimizer for Sgd {
    const NAME: &'static str = "sgd";
    const SLOTS: usize = 1;
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], state: &mut [T]) {
        let step = SgdStep {
            learning_rate: T::from_f64(self.learning_rate),
            momentum: T::from_f64(self.momentum),
            nesterov: self.nesterov,
        };
        sgd_update(w, g, state, step);
    }
}

/// RMSprop (Keras defaults: learning rate 0.001, rho 0.9, epsilon 1e-7).
///
/// Keras: `v = rho * v + (1 - rho) * g^2`, then `w -= lr * g / sqrt(v + epsilon)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsProp {
    /// Learning rate.
    pub learning_rate: f64,
    /// Decay of the running average of squared gradients.
    pub rho: f64,
    /// Added under the square root.
    pub epsilon: f64,
}

impl Default for RmsProp {
    fn default() -> Self {
        RmsProp { learning_rate: 0.001, rho: 0.9, epsilon: 1e-7 }
    }
}

/// One RMSprop step's constants, in the weights' type.
#[derive(Clone, Copy)]
struct RmsPropStep<T> {
    learning_rate: T,
    rho: T,
    one_minus_rho: T,
    epsilon: T,
}

impl Optimizer for RmsProp {
    const NAME: &'static str = "rmsprop";
    const SLOTS: usize = 1;
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], state: &mut [T]) {
        let step = RmsPropStep {
            learning_rate: T::from_f64(self.learning_rate),
            rho: T::from_f64(self.rho),
            one_minus_rho: T::from_f64(1.0 - self.rho),
            epsilon: T::from_f64(self.epsilon),
        };
        rmsprop_update(w, g, state, step);
    }
}

/// Adam (Keras defaults: learning rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7).
///
/// Keras: `m += (g - m) * (1 - beta1)`, `v += (g^2 - v) * (1 - beta2)`,
/// `w -= alpha * m / (sqrt(v) + epsilon)` with
/// `alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)` at step `t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adam {
    /// Learning rate.
    pub learning_rate: f64,
    /// Decay of the first moment.
    pub beta_1: f64,
    /// Decay of the second moment.
    pub beta_2: f64,
    /// Added to the denominator.
    pub epsilon: f64,
    step: u64,
}

impl Adam {
    /// Adam with the given learning rate and Keras's other defaults.
    pub fn with_learning_rate(learning_rate: f64) -> Self {
        Adam { learning_rate, ..Self::default() }
    }
}

impl Default for Adam {
    fn default() -> Self {
        Adam { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, step: 0 }
    }
}

/// One Adam step's constants, in the weights' type.
#[derive(Clone, Copy)]
struct AdamStep<T> {
    /// The step size at this step, bias corrections folded in.
    alpha: T,
    one_minus_beta_1: T,
    one_minus_beta_2: T,
    epsilon: T,
}

impl Optimizer for Adam {
    const NAME: &'static str = "adam";
    const SLOTS: usize = 2;
    fn begin_step(&mut self) {
        self.step += 1;
    }
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], state: &mut [T]) {
        let t = self.step.clamp(1, i32::MAX as u64) as i32;
        use num_traits::Float;
        let alpha = self.learning_rate * Float::sqrt(1.0 - Float::powi(self.beta_2, t))
            / (1.0 - Float::powi(self.beta_1, t));
        let step = AdamStep {
            alpha: T::from_f64(alpha),
            one_minus_beta_1: T::from_f64(1.0 - self.beta_1),
            one_minus_beta_2: T::from_f64(1.0 - self.beta_2),
            epsilon: T::from_f64(self.epsilon),
        };
        let (m, v) = state.split_at_mut(w.len().min(state.len()));
        adam_update(w, g, m, v, step);
    }
}

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into three arrays
fn rmsprop_body<T: Scalar, const FMA: bool>(w: &mut [T], g: &[T], v: &mut [T], s: RmsPropStep<T>) {
    let n = w.len().min(g.len()).min(v.len());
    let (w, g, v) = (&mut w[..n], &g[..n], &mut v[..n]);
    for i in 0..n {
        let gi = g[i];
        v[i] = s.rho * v[i] + s.one_minus_rho * gi * gi;
        w[i] = w[i] - s.learning_rate * gi / (v[i] + s.epsilon).sqrt();
    }
}

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into four arrays
fn adam_body<T: Scalar, const FMA: bool>(w: &mut [T], g: &[T], m: &mut [T], v: &mut [T], s: AdamStep<T>) {
    let n = w.len().min(g.len()).min(m.len()).min(v.len());
    let (w, g, m, v) = (&mut w[..n], &g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let gi = g[i];
        m[i] = m[i] + (gi - m[i]) * s.one_minus_beta_1;
        v[i] = v[i] + (gi * gi - v[i]) * s.one_minus_beta_2;
        w[i] = w[i] - s.alpha * m[i] / (v[i].sqrt() + s.epsilon);
    }
}

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into three arrays
fn sgd_body<T: Scalar, const FMA: bool>(w: &mut [T], g: &[T], velocity: &mut [T], s: SgdStep<T>) {
    let n = w.len().min(g.len());
    let (w, g) = (&mut w[..n], &g[..n]);
    if s.momentum == T::zero() {
        for i in 0..n {
            w[i] = w[i] - s.learning_rate * g[i];
        }
        return;
    }
    let n = n.min(velocity.len());
    let velocity = &mut velocity[..n];
    for i in 0..n {
        velocity[i] = s.momentum * velocity[i] - s.learning_rate * g[i];
        w[i] = if s.nesterov {
            w[i] + s.momentum * velocity[i] - s.learning_rate * g[i]
        } else {
            w[i] + velocity[i]
        };
    }
}

multiversion! {
    /// RMSprop on one array.
    fn rmsprop_update / rmsprop_update_at<'a, T: Scalar;>
        (w: &'a mut [T], g: &'a [T], v: &'a mut [T], s: RmsPropStep<T>)
        => rmsprop_body
}

multiversion! {
    /// Adam on one array.
    fn adam_update / adam_update_at<'a, T: Scalar;>
        (w: &'a mut [T], g: &'a [T], m: &'a mut [T], v: &'a mut [T], s: AdamStep<T>)
        => adam_body
}

multiversion! {
    /// SGD on one array.
    fn sgd_update / sgd_update_at<'a, T: Scalar;>
        (w: &'a mut [T], g: &'a [T], velocity: &'a mut [T], s: SgdStep<T>)
        => sgd_body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::simd::available;
    use rand::{RngExt, SeedableRng, rngs::StdRng};
    use std::vec::Vec;

    #[test]
    fn keras_defaults() {
        assert_eq!(RmsProp::default(), RmsProp { learning_rate: 0.001, rho: 0.9, epsilon: 1e-7 });
        let a = Adam::default();
        assert_eq!((a.learning_rate, a.beta_1, a.beta_2, a.epsilon), (0.001, 0.9, 0.999, 1e-7));
        assert_eq!(Sgd::default(), Sgd { learning_rate: 0.01, momentum: 0.0, nesterov: false });
    }

    #[test]
    fn one_step_by_hand() {
        // RMSprop: v = 0.1 * 4 = 0.4; w = 1 - 0.001 * 2 / sqrt(0.4 + 1e-7).
        let (mut w, mut s) = ([1.0f64], [0.0f64]);
        RmsProp::default().update(&mut w, &[2.0], &mut s);
        assert!((s[0] - 0.4).abs() < 1e-15);
        assert!((w[0] - (1.0 - 0.002 / (0.4f64 + 1e-7).sqrt())).abs() < 1e-15);
        // Adam, first step: m = 0.2, v = 0.004; alpha = 0.001 * sqrt(0.001) / 0.1.
        let mut adam = Adam::default();
        adam.begin_step();
        let (mut w, mut s) = ([1.0f64], [0.0f64; 2]);
        adam.update(&mut w, &[2.0], &mut s);
        let alpha = 0.001 * (0.001f64).sqrt() / 0.1;
        assert!((w[0] - (1.0 - alpha * 0.2 / (0.004f64.sqrt() + 1e-7))).abs() < 1e-15);
        // SGD with Nesterov momentum, two steps.
        let sgd = Sgd { learning_rate: 0.1, momentum: 0.9, nesterov: true };
        let (mut w, mut s) = ([1.0f64], [0.0f64]);
        sgd.update(&mut w, &[1.0], &mut s); // v = -0.1, w = 1 - 0.09 - 0.1
        assert!((w[0] - 0.81).abs() < 1e-15);
        sgd.update(&mut w, &[1.0], &mut s); // v = -0.19, w = 0.81 - 0.171 - 0.1
        assert!((w[0] - 0.539).abs() < 1e-12);
        // Plain SGD.
        let (mut w, mut s) = ([1.0f64], [0.0f64]);
        Sgd::default().update(&mut w, &[3.0], &mut s);
        assert!((w[0] - 0.97).abs() < 1e-15);
    }

    /// Every instruction-set variant of each update loop against a plain loop, over
    /// lengths that are not multiples of the vector width.
    #[test]
    fn update_kernels_match_reference_on_every_isa() {
        let mut rng = StdRng::seed_from_u64(5);
        for len in [1usize, 7, 16, 33, 100] {
            let w0: Vec<f32> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let g: Vec<f32> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let s0: Vec<f32> = (0..len).map(|_| rng.random_range(0.0..1.0)).collect();
            for isa in available() {
                // RMSprop.
                let step =
                    RmsPropStep { learning_rate: 0.01f32, rho: 0.9, one_minus_rho: 0.1, epsilon: 1e-7 };
                let (mut w, mut v) = (w0.clone(), s0.clone());
                rmsprop_update_at(isa, &mut w, &g, &mut v, step);
                for i in 0..len {
                    let vi = 0.9 * s0[i] + 0.1 * g[i] * g[i];
                    let wi = w0[i] - 0.01 * g[i] / (vi + 1e-7).sqrt();
                    assert!((v[i] - vi).abs() <= 1e-6 && (w[i] - wi).abs() <= 1e-6, "{isa:?} rmsprop {i}");
                }
                // Adam.
                let step = AdamStep {
                    alpha: 0.01f32,
                    one_minus_beta_1: 0.1,
                    one_minus_beta_2: 0.001,
                    epsilon: 1e-7,
                };
                let (mut w, mut m, mut v) = (w0.clone(), s0.clone(), s0.clone());
                adam_update_at(isa, &mut w, &g, &mut m, &mut v, step);
                for i in 0..len {
                    let mi = s0[i] + (g[i] - s0[i]) * 0.1;
                    let vi = s0[i] + (g[i] * g[i] - s0[i]) * 0.001;
                    let wi = w0[i] - 0.01 * mi / (vi.sqrt() + 1e-7);
                    assert!((m[i] - mi).abs() <= 1e-6 && (w[i] - wi).abs() <= 1e-5, "{isa:?} adam {i}");
                }
                // SGD, plain and with (Nesterov) momentum.
                for (momentum, nesterov) in [(0.0f32, false), (0.9, false), (0.9, true)] {
                    let step = SgdStep { learning_rate: 0.1f32, momentum, nesterov };
                    let (mut w, mut vel) = (w0.clone(), s0.clone());
                    sgd_update_at(isa, &mut w, &g, &mut vel, step);
                    for i in 0..len {
                        let (vi, wi) = if momentum == 0.0 {
                            (s0[i], w0[i] - 0.1 * g[i])
                        } else {
                            let vi = momentum * s0[i] - 0.1 * g[i];
                            (vi, if nesterov { w0[i] + momentum * vi - 0.1 * g[i] } else { w0[i] + vi })
                        };
                        assert!((vel[i] - vi).abs() <= 1e-6 && (w[i] - wi).abs() <= 1e-6, "{isa:?} sgd {i}");
                    }
                }
            }
        }
    }
}
