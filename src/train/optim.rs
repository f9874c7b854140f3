//! Optimizers, with Keras's defaults and update rules.

use core::fmt::Debug;

use crate::element::Scalar;
use crate::kernels;

/// An optimizer: updates weights from their gradients, one array at a time.
pub trait Optimizer: Clone + Debug + Send + Sync + 'static {
    /// Keras's name (`"rmsprop"`).
    const NAME: &'static str;
    /// Slots of state per weight (momentum, velocity, ...).
    const SLOTS: usize;

    /// Called once per step, before the arrays are updated.
    fn begin_step(&mut self) {}

    /// Updates `w` by its gradient, `g + g2` (`g2` empty: `g` alone; training sums the
    /// gradients of two threads' halves of a batch in the same pass); `state` holds
    /// `SLOTS * w.len()` values, zero at the first step.
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], g2: &[T], state: &mut [T]);
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

impl Optimizer for Sgd {
    const NAME: &'static str = "sgd";
    const SLOTS: usize = 1;
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], g2: &[T], state: &mut [T]) {
        let nesterov = if self.nesterov { T::one() } else { T::zero() };
        let h = [T::from_f64(self.learning_rate), T::from_f64(self.momentum), nesterov, T::zero()];
        kernels::sgd_update(w, g, g2, state, h);
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

impl Optimizer for RmsProp {
    const NAME: &'static str = "rmsprop";
    const SLOTS: usize = 1;
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], g2: &[T], state: &mut [T]) {
        let h = [
            T::from_f64(self.learning_rate),
            T::from_f64(self.rho),
            T::from_f64(1.0 - self.rho),
            T::from_f64(self.epsilon),
        ];
        kernels::rmsprop_update(w, g, g2, state, h);
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

impl Optimizer for Adam {
    const NAME: &'static str = "adam";
    const SLOTS: usize = 2;
    fn begin_step(&mut self) {
        self.step += 1;
    }
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], g2: &[T], state: &mut [T]) {
        let t = self.step.max(1) as i32;
        use num_traits::Float;
        let alpha = self.learning_rate * Float::sqrt(1.0 - Float::powi(self.beta_2, t))
            / (1.0 - Float::powi(self.beta_1, t));
        let h = [
            T::from_f64(alpha),
            T::from_f64(1.0 - self.beta_1),
            T::from_f64(1.0 - self.beta_2),
            T::from_f64(self.epsilon),
        ];
        let (m, v) = state.split_at_mut(w.len().min(state.len()));
        kernels::adam_update(w, g, g2, m, v, h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        RmsProp::default().update(&mut w, &[2.0], &[], &mut s);
        assert!((s[0] - 0.4).abs() < 1e-15);
        assert!((w[0] - (1.0 - 0.002 / (0.4f64 + 1e-7).sqrt())).abs() < 1e-15);
        // Adam, first step: m = 0.2, v = 0.004; alpha = 0.001 * sqrt(0.001) / 0.1.
        let mut adam = Adam::default();
        adam.begin_step();
        let (mut w, mut s) = ([1.0f64], [0.0f64; 2]);
        adam.update(&mut w, &[2.0], &[], &mut s);
        let alpha = 0.001 * (0.001f64).sqrt() / 0.1;
        assert!((w[0] - (1.0 - alpha * 0.2 / (0.004f64.sqrt() + 1e-7))).abs() < 1e-15);
        // SGD with Nesterov momentum, two steps.
        let sgd = Sgd { learning_rate: 0.1, momentum: 0.9, nesterov: true };
        let (mut w, mut s) = ([1.0f64], [0.0f64]);
        sgd.update(&mut w, &[1.0], &[], &mut s); // v = -0.1, w = 1 - 0.09 - 0.1
        assert!((w[0] - 0.81).abs() < 1e-15);
        sgd.update(&mut w, &[1.0], &[], &mut s); // v = -0.19, w = 0.81 - 0.171 - 0.1
        assert!((w[0] - 0.539).abs() < 1e-12);
        // Two gradients are summed.
        let (mut w, mut s) = ([1.0f64], [0.0f64]);
        RmsProp::default().update(&mut w, &[1.5], &[0.5], &mut s);
        assert!((s[0] - 0.4).abs() < 1e-15);
        // Plain SGD.
        let (mut w, mut s) = ([1.0f64], [0.0f64]);
        Sgd::default().update(&mut w, &[3.0], &[], &mut s);
        assert!((w[0] - 0.97).abs() < 1e-15);
    }
}
