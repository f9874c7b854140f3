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

    /// [`update`](Self::update) with the gradient `g + h`, where `g` may be overwritten:
    /// what `fit` calls with the gradients of two threads' shares of a batch.
    ///
    /// The default adds `h` into `g` and calls `update`, so an optimizer of your own
    /// needs nothing more. `Sgd`, `RmsProp` and `Adam` add inside their update loop
    /// instead: one pass over the gradients less per step, measured at about 0.3 s of a
    /// 4 s MNIST fit on this machine (BENCHMARKS.md).
    fn update_sum<T: Scalar>(&self, w: &mut [T], g: &mut [T], h: &[T], state: &mut [T]) {
        crate::linalg::small::add_assign(g, h);
        self.update(w, g, state);
    }
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
        self.update_sum(w, &mut [], g, state)
    }
    fn update_sum<T: Scalar>(&self, w: &mut [T], g: &mut [T], h: &[T], state: &mut [T]) {
        let step = SgdStep {
            learning_rate: T::from_f64(self.learning_rate),
            momentum: T::from_f64(self.momentum),
            nesterov: self.nesterov,
        };
        sgd_update(w, Grad { g, h }, state, step);
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
        self.update_sum(w, &mut [], g, state)
    }
    fn update_sum<T: Scalar>(&self, w: &mut [T], g: &mut [T], h: &[T], state: &mut [T]) {
        let step = RmsPropStep {
            learning_rate: T::from_f64(self.learning_rate),
            rho: T::from_f64(self.rho),
            one_minus_rho: T::from_f64(1.0 - self.rho),
            epsilon: T::from_f64(self.epsilon),
        };
        rmsprop_update(w, Grad { g, h }, state, step);
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
        self.update_sum(w, &mut [], g, state)
    }
    fn update_sum<T: Scalar>(&self, w: &mut [T], g: &mut [T], h: &[T], state: &mut [T]) {
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
        adam_update(w, Grad { g, h }, m, v, step);
    }
}

/// A gradient given as `g + h` (either may be empty: the other alone), summed inside the
/// update loops so the sum costs no pass of its own.
#[derive(Clone, Copy)]
struct Grad<'a, T> {
    g: &'a [T],
    h: &'a [T],
}

impl<'a, T: Scalar> Grad<'a, T> {
    /// The gradient's length: the non-empty part's, or the shorter one's.
    #[inline(always)]
    fn len(&self) -> usize {
        match (self.g.is_empty(), self.h.is_empty()) {
            (true, _) => self.h.len(),
            (_, true) => self.g.len(),
            _ => self.g.len().min(self.h.len()),
        }
    }
    /// The first `n` values of each non-empty part (both, if both are non-empty).
    #[inline(always)]
    fn parts(&self, n: usize) -> (&'a [T], &'a [T]) {
        match (self.g.is_empty(), self.h.is_empty()) {
            (true, _) => (&self.h[..n], &[]),
            (_, true) => (&self.g[..n], &[]),
            _ => (&self.g[..n], &self.h[..n]),
        }
    }
}

/// Gradient `i`: `a[i] + b[i]`, or `a[i]` alone when `b` is empty (the branch is the
/// same for the whole loop; the compiler takes it out of the loop).
#[inline(always)]
fn at<T: Scalar>(a: &[T], b: &[T], i: usize) -> T {
    if b.is_empty() { a[i] } else { a[i] + b[i] }
}

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into three arrays
fn rmsprop_body<T: Scalar, const FMA: bool>(w: &mut [T], g: Grad<'_, T>, v: &mut [T], s: RmsPropStep<T>) {
    let n = w.len().min(g.len()).min(v.len());
    let (w, (a, b), v) = (&mut w[..n], g.parts(n), &mut v[..n]);
    for i in 0..n {
        let gi = at(a, b, i);
        v[i] = s.rho * v[i] + s.one_minus_rho * gi * gi;
        w[i] = w[i] - s.learning_rate * gi / (v[i] + s.epsilon).sqrt();
    }
}

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into four arrays
fn adam_body<T: Scalar, const FMA: bool>(
    w: &mut [T],
    g: Grad<'_, T>,
    m: &mut [T],
    v: &mut [T],
    s: AdamStep<T>,
) {
    let n = w.len().min(g.len()).min(m.len()).min(v.len());
    let (w, (a, b), m, v) = (&mut w[..n], g.parts(n), &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let gi = at(a, b, i);
        m[i] = m[i] + (gi - m[i]) * s.one_minus_beta_1;
        v[i] = v[i] + (gi * gi - v[i]) * s.one_minus_beta_2;
        w[i] = w[i] - s.alpha * m[i] / (v[i].sqrt() + s.epsilon);
    }
}

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into three arrays
fn sgd_body<T: Scalar, const FMA: bool>(w: &mut [T], g: Grad<'_, T>, velocity: &mut [T], s: SgdStep<T>) {
    let n = w.len().min(g.len());
    if s.momentum == T::zero() {
        let (w, (a, b)) = (&mut w[..n], g.parts(n));
        for i in 0..n {
            w[i] = w[i] - s.learning_rate * at(a, b, i);
        }
        return;
    }
    let n = n.min(velocity.len());
    let (w, (a, b), velocity) = (&mut w[..n], g.parts(n), &mut velocity[..n]);
    for i in 0..n {
        let gi = at(a, b, i);
        velocity[i] = s.momentum * velocity[i] - s.learning_rate * gi;
        w[i] = if s.nesterov {
            w[i] + s.momentum * velocity[i] - s.learning_rate * gi
        } else {
            w[i] + velocity[i]
        };
    }
}

multiversion! {
    /// RMSprop on one array.
    fn rmsprop_update / rmsprop_update_at<'a, T: Scalar;>
        (w: &'a mut [T], g: Grad<'a, T>, v: &'a mut [T], s: RmsPropStep<T>)
        => rmsprop_body
}

multiversion! {
    /// Adam on one array.
    fn adam_update / adam_update_at<'a, T: Scalar;>
        (w: &'a mut [T], g: Grad<'a, T>, m: &'a mut [T], v: &'a mut [T], s: AdamStep<T>)
        => adam_body
}

multiversion! {
    /// SGD on one array.
    fn sgd_update / sgd_update_at<'a, T: Scalar;>
        (w: &'a mut [T], g: Grad<'a, T>, velocity: &'a mut [T], s: SgdStep<T>)
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
    /// lengths that are not multiples of the vector width, with the gradient given whole,
    /// in two parts (`g + h`, as fit's two threads give it) and as the second part alone.
    #[test]
    fn update_kernels_match_reference_on_every_isa() {
        let mut rng = StdRng::seed_from_u64(5);
        for len in [1usize, 7, 16, 33, 100] {
            let w0: Vec<f32> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let g1: Vec<f32> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let g2: Vec<f32> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let s0: Vec<f32> = (0..len).map(|_| rng.random_range(0.0..1.0)).collect();
            let sum: Vec<f32> = g1.iter().zip(&g2).map(|(a, b)| a + b).collect();
            let cases: [(Grad<'_, f32>, &[f32]); 3] = [
                (Grad { g: &g1, h: &[] }, &g1),
                (Grad { g: &g1, h: &g2 }, &sum),
                (Grad { g: &[], h: &g2 }, &g2),
            ];
            for isa in available() {
                for (grad, g) in cases {
                    // RMSprop.
                    let step =
                        RmsPropStep { learning_rate: 0.01f32, rho: 0.9, one_minus_rho: 0.1, epsilon: 1e-7 };
                    let (mut w, mut v) = (w0.clone(), s0.clone());
                    rmsprop_update_at(isa, &mut w, grad, &mut v, step);
                    for i in 0..len {
                        let vi = 0.9 * s0[i] + 0.1 * g[i] * g[i];
                        let wi = w0[i] - 0.01 * g[i] / (vi + 1e-7).sqrt();
                        assert!(
                            (v[i] - vi).abs() <= 1e-6 && (w[i] - wi).abs() <= 1e-6,
                            "{isa:?} rmsprop {i}"
                        );
                    }
                    // Adam.
                    let step = AdamStep {
                        alpha: 0.01f32,
                        one_minus_beta_1: 0.1,
                        one_minus_beta_2: 0.001,
                        epsilon: 1e-7,
                    };
                    let (mut w, mut m, mut v) = (w0.clone(), s0.clone(), s0.clone());
                    adam_update_at(isa, &mut w, grad, &mut m, &mut v, step);
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
                        sgd_update_at(isa, &mut w, grad, &mut vel, step);
                        for i in 0..len {
                            let (vi, wi) = if momentum == 0.0 {
                                (s0[i], w0[i] - 0.1 * g[i])
                            } else {
                                let vi = momentum * s0[i] - 0.1 * g[i];
                                (vi, if nesterov { w0[i] + momentum * vi - 0.1 * g[i] } else { w0[i] + vi })
                            };
                            assert!(
                                (vel[i] - vi).abs() <= 1e-6 && (w[i] - wi).abs() <= 1e-6,
                                "{isa:?} sgd {i}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// An optimizer that only implements `update` gets a correct `update_sum`.
    #[test]
    fn default_update_sum_adds_the_parts() {
        #[derive(Clone, Debug)]
        struct Plain;
        impl Optimizer for Plain {
            const NAME: &'static str = "plain";
            const SLOTS: usize = 0;
            fn update<T: Scalar>(&self, w: &mut [T], g: &[T], _: &mut [T]) {
                for (w, &g) in w.iter_mut().zip(g) {
                    *w = *w - g;
                }
            }
        }
        let (mut w, mut g) = ([1.0f64, 2.0, 3.0], [0.5, 0.25, 0.0]);
        Plain.update_sum(&mut w, &mut g, &[0.5, 0.25, 1.0], &mut []);
        assert_eq!(w, [0.0, 1.5, 2.0]);
        // The built-in optimizers' fused sum equals the sum given whole.
        let (mut a, mut b) = ([1.0f64, -1.0], [1.0f64, -1.0]);
        let (mut sa, mut sb) = ([0.0; 2], [0.0; 2]);
        RmsProp::default().update_sum(&mut a, &mut [0.5, 0.1], &[1.5, 0.2], &mut sa);
        RmsProp::default().update(&mut b, &[2.0, 0.30000000000000004], &mut sb);
        assert_eq!((a, sa), (b, sb));
    }
}
