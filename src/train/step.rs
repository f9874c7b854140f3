//! One training step, split over a team of threads: each member runs forward, loss and
//! backward on its rows of the batch; then the gradients are summed and the optimizer
//! updates the weights.
//!
//! The members share this state through locks that are never contended (each member
//! locks its own buffers; the weights are read by all during a step and written only
//! between steps), so the team's step is the only synchronization.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use super::backprop::{Backprop, Workspace};
use super::loss::Objective;
use super::optim::Optimizer;
use super::options::MetricSet;
use crate::element::Scalar;
use crate::linalg::small::{add_assign, all_finite};
use crate::nn::{Layers, Vector};

/// One member's buffers, sized for a whole batch (a smaller team gives each member more
/// rows), allocated once per `fit`.
struct Member<N: Backprop<T>, T: Scalar> {
    x: Vec<N::Input>,
    trace: N::Trace,
    grads: Box<N::Params>,
    workspace: Workspace<T>,
    /// What the last step computed over this member's rows.
    sums: StepSums,
}

/// What a step's members computed, summed.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct StepSums {
    /// Sum of the samples' losses.
    pub loss: f64,
    /// Sum of the samples' accuracies.
    pub accuracy: f64,
    /// Sum of the samples' mean absolute errors.
    pub mae: f64,
    /// Sum of the samples' mean squared errors.
    pub mse: f64,
    /// Whether every gradient was finite.
    pub finite: bool,
}

impl StepSums {
    /// The sums of two sets of samples.
    pub fn plus(&self, other: &StepSums) -> StepSums {
        StepSums {
            loss: self.loss + other.loss,
            accuracy: self.accuracy + other.accuracy,
            mae: self.mae + other.mae,
            mse: self.mse + other.mse,
            finite: self.finite && other.finite,
        }
    }

    /// The means over `n` samples.
    pub fn mean(&self, metrics: MetricSet, n: usize) -> super::Evaluation {
        metrics.mean(n.max(1) as f64, self.loss, self.accuracy, self.mae, self.mse)
    }
}

/// Calls `f` with array `index` of `p`, in the order of `Layers::visit_params`.
fn with_array<N: Layers<T>, T: Scalar>(p: &N::Params, index: usize, f: &mut dyn FnMut(&[T])) {
    let mut i = 0;
    N::visit_params(p, &mut |a| {
        if i == index {
            f(a);
        }
        i += 1;
    });
}

/// Calls `f` with array `index` of `p`, writable.
fn with_array_mut<N: Layers<T>, T: Scalar>(p: &mut N::Params, index: usize, f: &mut dyn FnMut(&mut [T])) {
    let mut i = 0;
    N::visit_params_mut(p, &mut |a| {
        if i == index {
            f(a);
        }
        i += 1;
    });
}

/// Rows `[start, end)` of a batch of `len` that member `k` of `size` takes.
pub(super) fn thread_rows(len: usize, k: usize, size: usize) -> (usize, usize) {
    (len * k / size, len * (k + 1) / size)
}

fn lock<G>(m: &Mutex<G>) -> MutexGuard<'_, G> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The state of one `fit` that the team's members share.
pub(super) struct Trainer<'a, N: Backprop<T>, L, T: Scalar, Y> {
    inputs: &'a [N::Input],
    labels: &'a [Y],
    /// The model's weights: the box is swapped with `spare` after each good update.
    params: RwLock<&'a mut Box<N::Params>>,
    /// Where an update writes the new weights before they are known to be finite.
    spare: Mutex<Box<N::Params>>,
    /// Likewise for the optimizer's state.
    spare_state: Mutex<Vec<T>>,
    order: RwLock<Vec<usize>>,
    members: Vec<Mutex<Member<N, T>>>,
    batch_start: AtomicUsize,
    batch_len: AtomicUsize,
    metrics: MetricSet,
    _loss: PhantomData<L>,
}

impl<'a, N, L, T, Y> Trainer<'a, N, L, T, Y>
where
    N: Backprop<T>,
    L: Objective<T, N::Output, Y, N::Last>,
    T: Scalar,
    Y: Sync,
{
    /// Buffers for `members` threads and batches of up to `batch` samples.
    pub fn new(
        params: &'a mut Box<N::Params>,
        state_len: usize,
        inputs: &'a [N::Input],
        labels: &'a [Y],
        batch: usize,
        members: usize,
        metrics: MetricSet,
    ) -> Self {
        let members = (0..members.max(1))
            .map(|_| {
                Mutex::new(Member {
                    x: alloc::vec![N::Input::zeros(); batch],
                    trace: N::new_trace(batch),
                    grads: crate::zeroed::zeroed_box(),
                    workspace: Workspace::new(),
                    sums: StepSums { finite: true, ..StepSums::default() },
                })
            })
            .collect();
        Trainer {
            inputs,
            labels,
            params: RwLock::new(params),
            spare: Mutex::new(crate::zeroed::zeroed_box()),
            spare_state: Mutex::new(alloc::vec![T::zero(); state_len]),
            order: RwLock::new((0..inputs.len()).collect()),
            members,
            batch_start: AtomicUsize::new(0),
            batch_len: AtomicUsize::new(0),
            metrics,
            _loss: PhantomData,
        }
    }

    /// A new order of the samples (Fisher-Yates, from a seeded generator).
    pub fn shuffle<R: rand::Rng>(&self, rng: &mut R) {
        use rand::RngExt;
        let mut v = self.order.write().unwrap_or_else(PoisonError::into_inner);
        for i in (1..v.len()).rev() {
            let j = rng.random_range(0..=i);
            v.swap(i, j);
        }
    }

    /// The next step trains on positions `start..start + len` of the order.
    pub fn set_batch(&self, start: usize, len: usize) {
        // The team's step hands these to the members under a lock: relaxed is enough.
        self.batch_start.store(start, Ordering::Relaxed);
        self.batch_len.store(len, Ordering::Relaxed);
    }

    /// Member `k` of `size`: forward, loss and backward over its rows of the batch.
    pub fn run_share(&self, k: usize, size: usize) {
        let mut guard = lock(&self.members[k]);
        let m = &mut *guard;
        let (start, len) = (self.batch_start.load(Ordering::Relaxed), self.batch_len.load(Ordering::Relaxed));
        let (s, e) = thread_rows(len, k, size);
        let rows = e - s;
        let order = self.order.read().unwrap_or_else(PoisonError::into_inner);
        let picked = &order[start + s..start + e];
        for (dst, &i) in m.x[..rows].iter_mut().zip(picked) {
            *dst = self.inputs[i];
        }
        let p = self.params.read().unwrap_or_else(PoisonError::into_inner);
        N::forward_train(&p, &m.x[..rows], &mut m.trace, &mut m.workspace);
        let scale = T::one() / T::from_f64(len as f64);
        let (yhat, dz) = N::output_and_grad(&mut m.trace);
        let mut sums = StepSums::default();
        for ((pred, d), &i) in yhat[..rows].iter().zip(&mut dz[..rows]).zip(picked) {
            let label = &self.labels[i];
            if self.metrics.accuracy {
                sums.accuracy += L::accuracy(pred, label).to_f64();
            }
            if self.metrics.mae || self.metrics.mse {
                let (abs, sq) = L::errors(pred, label);
                (sums.mae, sums.mse) = (sums.mae + abs.to_f64(), sums.mse + sq.to_f64());
            }
            sums.loss += L::loss_and_grad(pred, label, d, scale).to_f64();
        }
        N::backward(&p, &m.x[..rows], &mut m.trace, &mut m.grads, None, &mut m.workspace);
        let mut finite = true;
        N::visit_params(&m.grads, &mut |g| finite &= all_finite(g));
        sums.finite = finite;
        m.sums = sums;
    }

    /// The sums of the last step's members.
    pub fn sums(&self) -> StepSums {
        self.members.iter().fold(StepSums { finite: true, ..StepSums::default() }, |s, m| {
            let m = lock(m).sums;
            StepSums {
                loss: s.loss + m.loss,
                accuracy: s.accuracy + m.accuracy,
                mae: s.mae + m.mae,
                mse: s.mse + m.mse,
                finite: s.finite & m.finite,
            }
        })
    }

    /// Applies the optimizer with the sum of the members' gradients. The new weights
    /// and state are written to spare buffers and take the old ones' place only if every
    /// value is finite; otherwise nothing changes (the optimizer's step count included)
    /// and this returns `false`. `state` holds the optimizer's slots, array by array in
    /// the order of `Layers::visit_params`.
    ///
    /// The second member's gradient is summed inside the optimizer's update loop
    /// ([`Optimizer::update_from`]): one pass over the gradients; members beyond two are
    /// added into the first's beforehand.
    pub fn update<O: Optimizer>(&self, optimizer: &mut O, state: &mut Vec<T>) -> bool {
        let mut first = lock(&self.members[0]);
        for m in self.members.iter().skip(2) {
            N::zip_params(&mut first.grads, &lock(m).grads, &mut |a, b| add_assign(a, b));
        }
        let second = self.members.get(1).map(lock);
        let mut current = self.params.write().unwrap_or_else(PoisonError::into_inner);
        let mut spare = lock(&self.spare);
        let mut spare_state = lock(&self.spare_state);
        let before = optimizer.clone();
        optimizer.begin_step();
        let (mut offset, mut array, mut finite) = (0, 0, true);
        let new_states: &mut Vec<T> = &mut spare_state;
        N::visit_params_mut(&mut spare, &mut |w_out| {
            let len = O::SLOTS * w_out.len();
            let (old_state, new_state) =
                (&state[offset..offset + len], &mut new_states[offset..offset + len]);
            offset += len;
            with_array::<N, T>(&current, array, &mut |w| {
                with_array_mut::<N, T>(&mut first.grads, array, &mut |g| {
                    let h: &[T] = &[];
                    let mut run =
                        |h: &[T]| finite &= optimizer.update_from((w, old_state), g, h, w_out, new_state);
                    match &second {
                        Some(second) => with_array::<N, T>(&second.grads, array, &mut run),
                        None => run(h),
                    }
                });
            });
            array += 1;
        });
        if finite {
            core::mem::swap(&mut **current, &mut *spare);
            core::mem::swap(state, &mut *spare_state);
        } else {
            *optimizer = before;
        }
        finite
    }

    /// The weights, for evaluation between steps.
    pub fn params(&self) -> RwLockReadGuard<'_, &'a mut Box<N::Params>> {
        self.params.read().unwrap_or_else(PoisonError::into_inner)
    }
}
