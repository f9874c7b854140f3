//! Optimizers, with Keras's defaults and update rules, and their update loops.

use core::fmt::Debug;

use crate::element::Scalar;
mod kernels;
mod settings;

use kernels::*;
pub use settings::SettingError;
use settings::{Range, check};

/// An optimizer: updates weights from their gradients, one array at a time.
///
/// Its settings are checked by [`validate`](Self::validate) when a model is compiled.
pub trait Optimizer: Clone + Debug + Send + Sync + 'static {
    /// Keras's name (`"rmsprop"`).
    const NAME: &'static str;
    /// Slots of state per weight (momentum, velocity, ...).
    const SLOTS: usize;

    /// Whether the settings make sense (a finite, non-negative learning rate, decay
    /// rates in `[0, 1)`, a positive epsilon, ...). The default accepts everything.
    fn validate(&self) -> Result<(), SettingError> {
        Ok(())
    }

    /// Called once per step, before the arrays are updated.
    fn begin_step(&mut self) {}

    /// Forgets what the optimizer learned (Adam's step count): a fresh optimizer with the
    /// same settings. The per-weight state (moments) lives with `Compiled` and is zeroed
    /// beside this by [`reset_optimizer`](super::Compiled::reset_optimizer).
    fn reset(&mut self) {}

    /// Updates `w` by its gradient `g`; `state` holds `SLOTS * w.len()` values, zero at
    /// the first step. Only the common length of `w`, `g` (and the state) is updated.
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], state: &mut [T]);

    /// Whether the update goes weight by weight: each weight's new value and state
    /// depend only on its own weight, gradient and state, so that updating an array in
    /// parts gives what updating it whole does. `fit` then splits every array's update
    /// over its threads, each part's state laid out as a whole array's (`SLOTS` runs of
    /// the part's length). `Sgd`, `RmsProp` and `Adam` are; the default, `false`, has one
    /// thread update whole arrays.
    const ELEMENTWISE: bool = false;

    /// One step out of place: the weights `w` and state `state` updated by the gradient
    /// `g` are written to `w_out` and `state_out` (same lengths), and the inputs are left
    /// as they were. Returns whether every value written is finite. This is what `fit`
    /// calls: it keeps the old weights until the new ones are known to be finite.
    ///
    /// The default copies, calls [`update`](Self::update) and checks, so an optimizer of
    /// your own needs nothing more. `Sgd`, `RmsProp` and `Adam` do it all in their one
    /// update loop.
    ///
    /// ```
    /// use shaped::train::{Optimizer, RmsProp};
    /// let (w, state, g) = ([1.0f32, 2.0], [0.0f32; 2], [1.0f32, 0.0]);
    /// let (mut w_out, mut state_out) = ([0.0f32; 2], [0.0f32; 2]);
    /// assert!(RmsProp::default().update_from((&w, &state), &g, &mut w_out, &mut state_out));
    /// assert!(w_out[0] < 1.0 && w_out[1] == 2.0); // only the first weight had a gradient
    /// assert_eq!(w, [1.0, 2.0]);
    /// ```
    fn update_from<T: Scalar>(
        &self,
        (w, state): (&[T], &[T]),
        g: &[T],
        w_out: &mut [T],
        state_out: &mut [T],
    ) -> bool {
        w_out.copy_from_slice(w);
        state_out.copy_from_slice(state);
        self.update(w_out, g, state_out);
        all_finite(w_out) && all_finite(state_out)
    }
}

fn all_finite<T: Scalar>(x: &[T]) -> bool {
    crate::linalg::small::all_finite(x)
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

impl Sgd {
    fn step<T: Scalar>(&self) -> SgdStep<T> {
        SgdStep {
            learning_rate: T::from_f64(self.learning_rate),
            momentum: T::from_f64(self.momentum),
            nesterov: self.nesterov,
        }
    }
}

impl Optimizer for Sgd {
    const NAME: &'static str = "sgd";
    const ELEMENTWISE: bool = true;
    const SLOTS: usize = 1;
    fn validate(&self) -> Result<(), SettingError> {
        check("sgd", "learning_rate", self.learning_rate, Range::NonNegative)?;
        check("sgd", "momentum", self.momentum, Range::Decay)
    }
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], state: &mut [T]) {
        sgd_update(Io::in_place(w), g, Io::in_place(state), self.step());
    }
    fn update_from<T: Scalar>(
        &self,
        (w, state): (&[T], &[T]),
        g: &[T],
        w_out: &mut [T],
        state_out: &mut [T],
    ) -> bool {
        sgd_update(Io::from(w, w_out), g, Io::from(state, state_out), self.step())
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

impl RmsProp {
    fn step<T: Scalar>(&self) -> RmsPropStep<T> {
        RmsPropStep {
            learning_rate: T::from_f64(self.learning_rate),
            rho: T::from_f64(self.rho),
            one_minus_rho: T::from_f64(1.0 - self.rho),
            epsilon: T::from_f64(self.epsilon),
        }
    }
}

impl Optimizer for RmsProp {
    const NAME: &'static str = "rmsprop";
    const ELEMENTWISE: bool = true;
    const SLOTS: usize = 1;
    fn validate(&self) -> Result<(), SettingError> {
        check("rmsprop", "learning_rate", self.learning_rate, Range::NonNegative)?;
        check("rmsprop", "rho", self.rho, Range::Decay)?;
        check("rmsprop", "epsilon", self.epsilon, Range::Positive)
    }
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], state: &mut [T]) {
        rmsprop_update(Io::in_place(w), g, Io::in_place(state), self.step());
    }
    fn update_from<T: Scalar>(
        &self,
        (w, state): (&[T], &[T]),
        g: &[T],
        w_out: &mut [T],
        state_out: &mut [T],
    ) -> bool {
        rmsprop_update(Io::from(w, w_out), g, Io::from(state, state_out), self.step())
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
    /// Steps taken so far (Keras's `optimizer.iterations`): 0 for a new optimizer.
    pub iterations: u64,
}

impl Adam {
    /// Adam with the given learning rate and Keras's other defaults.
    pub fn with_learning_rate(learning_rate: f64) -> Self {
        Adam { learning_rate, ..Self::default() }
    }
}

impl Default for Adam {
    fn default() -> Self {
        Adam { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, iterations: 0 }
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

impl Adam {
    fn step<T: Scalar>(&self) -> AdamStep<T> {
        let t = self.iterations.clamp(1, i32::MAX as u64) as i32;
        use num_traits::Float;
        let alpha = self.learning_rate * Float::sqrt(1.0 - Float::powi(self.beta_2, t))
            / (1.0 - Float::powi(self.beta_1, t));
        AdamStep {
            alpha: T::from_f64(alpha),
            one_minus_beta_1: T::from_f64(1.0 - self.beta_1),
            one_minus_beta_2: T::from_f64(1.0 - self.beta_2),
            epsilon: T::from_f64(self.epsilon),
        }
    }
}

impl Optimizer for Adam {
    const NAME: &'static str = "adam";
    const ELEMENTWISE: bool = true;
    const SLOTS: usize = 2;
    fn validate(&self) -> Result<(), SettingError> {
        check("adam", "learning_rate", self.learning_rate, Range::NonNegative)?;
        check("adam", "beta_1", self.beta_1, Range::Decay)?;
        check("adam", "beta_2", self.beta_2, Range::Decay)?;
        check("adam", "epsilon", self.epsilon, Range::Positive)
    }
    fn reset(&mut self) {
        self.iterations = 0;
    }

    fn begin_step(&mut self) {
        self.iterations += 1;
    }
    fn update<T: Scalar>(&self, w: &mut [T], g: &[T], state: &mut [T]) {
        let (m, v) = state.split_at_mut(w.len().min(state.len()));
        adam_update(Io::in_place(w), g, Io::in_place(m), Io::in_place(v), self.step());
    }
    fn update_from<T: Scalar>(
        &self,
        (w, state): (&[T], &[T]),
        g: &[T],
        w_out: &mut [T],
        state_out: &mut [T],
    ) -> bool {
        let split = w.len().min(state.len());
        let (m, v) = state.split_at(split);
        let (m_out, v_out) = state_out.split_at_mut(split.min(state_out.len()));
        adam_update(Io::from(w, w_out), g, Io::from(m, m_out), Io::from(v, v_out), self.step())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::simd::available;
    use rand::{RngExt, SeedableRng, rngs::StdRng};
    use std::string::ToString;
    use std::vec;
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

    /// Runs `f` in place on copies of `w0` and `s0`, then out of place from them into
    /// fresh buffers; checks both give the same results, that the inputs of the out of
    /// place run are untouched, and returns the results and the finiteness flag.
    fn both_ways(
        w0: &[f32],
        s0: &[f32],
        f: &dyn Fn(Io<'_, f32>, Io<'_, f32>) -> bool,
    ) -> (Vec<f32>, Vec<f32>, bool) {
        let (mut w, mut s) = (w0.to_vec(), s0.to_vec());
        let finite = f(Io::in_place(&mut w), Io::in_place(&mut s));
        let (mut w_out, mut s_out) = (vec![7.0; w0.len()], vec![7.0; s0.len()]);
        let (w_in, s_in) = (w0.to_vec(), s0.to_vec());
        let finite_from = f(Io::from(&w_in, &mut w_out), Io::from(&s_in, &mut s_out));
        let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            (bits(&w_in), bits(&s_in)),
            (bits(w0), bits(s0)),
            "out of place must not write its inputs"
        );
        assert_eq!(
            (bits(&w), bits(&s), finite),
            (bits(&w_out), bits(&s_out), finite_from),
            "in place and out of place differ"
        );
        (w, s, finite)
    }

    /// Every instruction-set variant of each update loop against a plain loop, over
    /// lengths that are not multiples of the vector width, in place and out of place.
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
                let (w, v, finite) = both_ways(&w0, &s0, &|w, v| rmsprop_update_at(isa, w, &g, v, step));
                assert!(finite);
                for i in 0..len {
                    let vi = 0.9 * s0[i] + 0.1 * g[i] * g[i];
                    let wi = w0[i] - 0.01 * g[i] / (vi + 1e-7).sqrt();
                    assert!((v[i] - vi).abs() <= 1e-6 && (w[i] - wi).abs() <= 1e-6, "{isa:?} rmsprop {i}");
                }
                // Adam (m and v both start at s0).
                let step = AdamStep {
                    alpha: 0.01f32,
                    one_minus_beta_1: 0.1,
                    one_minus_beta_2: 0.001,
                    epsilon: 1e-7,
                };
                let mv0: Vec<f32> = s0.iter().chain(&s0).copied().collect();
                let (w, mv, finite) = both_ways(&w0, &mv0, &|w, mv| {
                    let n = mv.len() / 2;
                    let (m, v) = if mv.src.is_empty() {
                        let (m, v) = mv.out.split_at_mut(n);
                        (Io::in_place(m), Io::in_place(v))
                    } else {
                        let (m0, v0) = mv.src.split_at(n);
                        let (m, v) = mv.out.split_at_mut(n);
                        (Io::from(m0, m), Io::from(v0, v))
                    };
                    adam_update_at(isa, w, &g, m, v, step)
                });
                assert!(finite);
                for i in 0..len {
                    let mi = s0[i] + (g[i] - s0[i]) * 0.1;
                    let vi = s0[i] + (g[i] * g[i] - s0[i]) * 0.001;
                    let wi = w0[i] - 0.01 * mi / (vi.sqrt() + 1e-7);
                    assert!((mv[i] - mi).abs() <= 1e-6 && (w[i] - wi).abs() <= 1e-5, "{isa:?} adam {i}");
                }
                // SGD, plain and with (Nesterov) momentum.
                for (momentum, nesterov) in [(0.0f32, false), (0.9, false), (0.9, true)] {
                    let step = SgdStep { learning_rate: 0.1f32, momentum, nesterov };
                    let (w, vel, finite) = both_ways(&w0, &s0, &|w, v| sgd_update_at(isa, w, &g, v, step));
                    assert!(finite);
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

    /// Every variant reports a non-finite result (an overflow, a NaN state), in place and
    /// out of place. (Skipped under valgrind, whose emulation of the vector compare behind
    /// `is_finite` reads NaN as finite; see .ci/memcheck.)
    #[test]
    fn update_kernels_report_non_finite_results() {
        let mut rng = StdRng::seed_from_u64(6);
        for len in [1usize, 7, 16, 33] {
            let w0: Vec<f32> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let g1: Vec<f32> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let s0: Vec<f32> = (0..len).map(|_| rng.random_range(0.0..1.0)).collect();
            for isa in available() {
                // A result that overflows is reported, in place and out of place.
                let step = SgdStep { learning_rate: 1e30f32, momentum: 0.0, nesterov: false };
                let big = vec![1e30f32; len];
                let (_, _, finite) = both_ways(&w0, &s0, &|w, v| sgd_update_at(isa, w, &big, v, step));
                assert!(!finite, "{isa:?}: 1e30 * 1e30 overflows");
                let step =
                    RmsPropStep { learning_rate: 0.01f32, rho: 0.9, one_minus_rho: 0.1, epsilon: 1e-7 };
                let nan_state = vec![f32::NAN; len];
                let (_, _, finite) =
                    both_ways(&w0, &nan_state, &|w, v| rmsprop_update_at(isa, w, &g1, v, step));
                assert!(!finite, "{isa:?}: a NaN state is reported");
            }
        }
    }

    /// An optimizer that only implements `update` gets a correct `update_from`.
    #[test]
    fn default_update_from() {
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
        let w = [1.0f64, 2.0, 3.0];
        let mut out = [0.0; 3];
        assert!(Plain.update_from((&w, &[]), &[0.5, 0.25, 0.0], &mut out, &mut []));
        assert_eq!((w, out), ([1.0, 2.0, 3.0], [0.5, 1.75, 3.0]));
        assert!(!Plain.update_from((&w, &[]), &[f64::INFINITY, 0.0, 0.0], &mut out, &mut []));
        // The built-in optimizers' out-of-place update equals their update in place.
        let (mut a, mut b) = ([1.0f64, -1.0], [1.0f64, -1.0]);
        let (mut sa, mut sb) = ([0.0; 2], [0.0; 2]);
        assert!(RmsProp::default().update_from((&[1.0, -1.0], &[0.0; 2]), &[2.0, 0.3], &mut a, &mut sa));
        RmsProp::default().update(&mut b, &[2.0, 0.3], &mut sb);
        assert_eq!((a, sa), (b, sb));
    }

    /// Each bad setting is refused by name; Keras's defaults pass.
    #[test]
    fn settings_are_validated() {
        assert!(Sgd::default().validate().is_ok() && RmsProp::default().validate().is_ok());
        assert!(Adam::default().validate().is_ok());
        let bad_sgd = [
            Sgd { learning_rate: f64::NAN, ..Sgd::default() },
            Sgd { learning_rate: f64::INFINITY, ..Sgd::default() },
            Sgd { learning_rate: -0.1, ..Sgd::default() },
            Sgd { momentum: 1.0, ..Sgd::default() },
            Sgd { momentum: -0.5, ..Sgd::default() },
            Sgd { momentum: f64::NAN, ..Sgd::default() },
        ];
        for o in bad_sgd {
            assert!(o.validate().is_err(), "{o:?}");
        }
        let bad_rms = [
            RmsProp { rho: 1.0, ..RmsProp::default() },
            RmsProp { rho: -0.1, ..RmsProp::default() },
            RmsProp { epsilon: 0.0, ..RmsProp::default() },
            RmsProp { epsilon: -1e-7, ..RmsProp::default() },
            RmsProp { learning_rate: -1.0, ..RmsProp::default() },
        ];
        for o in bad_rms {
            assert!(o.validate().is_err(), "{o:?}");
        }
        for (beta_1, beta_2, epsilon) in
            [(1.0, 0.999, 1e-7), (0.9, 1.5, 1e-7), (f64::NAN, 0.999, 1e-7), (0.9, 0.999, 0.0)]
        {
            let o = Adam { beta_1, beta_2, epsilon, ..Adam::default() };
            assert!(o.validate().is_err(), "{o:?}");
        }
        let e = Adam { beta_2: 1.0, ..Adam::default() }.validate().unwrap_err();
        assert_eq!((e.optimizer, e.setting, e.value), ("adam", "beta_2", 1.0));
        assert_eq!(e.to_string(), "adam: beta_2 = 1 is outside [0, 1)");
        // Zero learning rate and zero momentum are valid (a frozen model, plain SGD).
        assert!(Sgd { learning_rate: 0.0, momentum: 0.0, nesterov: false }.validate().is_ok());
    }
}
