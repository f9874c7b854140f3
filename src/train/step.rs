//! One training step, split over a team of threads: each member runs forward, loss and
//! backward on its rows of the batch; then the gradients are summed and the optimizer
//! updates the weights.
//!
//! With fewer than 16 rows a member (more threads than the batch feeds), the weight
//! gradients are split by columns instead: a first team step runs forward, loss and the
//! backward pass of the pre-activation gradients on each member's rows; a second gives
//! each member a share of every layer's output columns, whose weight gradients it
//! computes over every member's rows. The shares are then copied into one gradient:
//! nothing is summed across members.
//!
//! The members share this state through locks that are never contended (each member
//! writes only its own buffers; the rows and traces are read by all in the second step
//! of a column split; the weights are read by all during a step and written only between
//! steps), so the team's steps are the only synchronization.

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
/// rows), allocated once per `fit`: its rows and their trace (read by the other members
/// when the weight gradients are split by columns), and its own scratch.
struct Member<N: Backprop<T>, T: Scalar> {
    rows: RwLock<Rows<N, T>>,
    own: Mutex<Own<N, T>>,
}

/// A member's rows of the batch and what the forward and backward passes kept of them.
struct Rows<N: Backprop<T>, T: Scalar> {
    x: Vec<N::Input>,
    trace: N::Trace,
    /// How many of `x` the last step used.
    len: usize,
    /// What the last step computed over these rows.
    sums: StepSums,
}

/// What only its member touches: the gradients it computed and the products' scratch.
struct Own<N: Backprop<T>, T: Scalar> {
    grads: Box<N::Params>,
    workspace: Workspace<T>,
    /// Whether the gradients it computed in the last step are finite.
    finite: bool,
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

/// Whether a team of `size` splits the weight gradients of batches of `batch` by
/// columns: when its members would have fewer than
/// [`MIN_ROWS_PER_THREAD`](crate::parallel::MIN_ROWS_PER_THREAD) rows each, too few for
/// each to compute a whole weight gradient (and for the update to sum one per member).
pub(super) fn split_columns(batch: usize, size: usize) -> bool {
    size > 1 && batch / size < crate::parallel::MIN_ROWS_PER_THREAD
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
    members: Vec<Member<N, T>>,
    /// Whether a step splits its weight gradients by columns ([`Trainer::step`]).
    columns: bool,
    /// Which half of a column-split step the team runs: 1, then 2.
    phase: AtomicUsize,
    /// How many members the team that ran the last step had (fewer than `members` when
    /// threads could not be spawned): the column shares are its.
    team_size: AtomicUsize,
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
        let size = members.max(1);
        let members = (0..size)
            .map(|_| Member {
                rows: RwLock::new(Rows {
                    x: alloc::vec![N::Input::zeros(); batch],
                    trace: N::new_trace(batch),
                    len: 0,
                    sums: StepSums { finite: true, ..StepSums::default() },
                }),
                own: Mutex::new(Own {
                    grads: crate::zeroed::zeroed_box(),
                    workspace: Workspace::new(),
                    finite: true,
                }),
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
            columns: split_columns(batch, size),
            phase: AtomicUsize::new(1),
            team_size: AtomicUsize::new(size),
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

    /// One training step of the team on the batch of [`set_batch`](Self::set_batch):
    /// each member's rows forward and backward in one team step or, when the weight
    /// gradients are split by columns, in two (the second needs every member's rows).
    pub fn step<W: Fn(usize, usize) + Sync>(&self, team: &crate::parallel::Team<'_, W>) {
        self.team_size.store(team.size(), Ordering::Relaxed);
        if self.columns {
            self.phase.store(1, Ordering::Relaxed);
            team.step();
            self.phase.store(2, Ordering::Relaxed);
            team.step();
        } else {
            team.step();
        }
    }

    /// Member `k` of `size`'s part of the team's step.
    pub fn run_share(&self, k: usize, size: usize) {
        if self.columns && self.phase.load(Ordering::Relaxed) == 2 {
            self.weight_grads_columns(k, size);
        } else {
            self.run_rows(k, size);
        }
    }

    /// Share `k` of `size` of every layer's weight gradients (its columns), over every
    /// member's rows.
    fn weight_grads_columns(&self, k: usize, size: usize) {
        // The rows of the team's members (all of `members` unless threads could not be
        // spawned).
        let all: Vec<RwLockReadGuard<'_, Rows<N, T>>> = self.members[..size.min(self.members.len())]
            .iter()
            .map(|m| m.rows.read().unwrap_or_else(PoisonError::into_inner))
            .collect();
        let parts: Vec<(&[N::Input], &N::Trace)> = all.iter().map(|r| (&r.x[..r.len], &r.trace)).collect();
        let mut own = lock(&self.members[k].own);
        let own = &mut *own;
        N::weight_grads_columns(&parts, &mut own.grads, (k, size), &mut own.workspace);
        own.finite = N::columns_finite(&own.grads, (k, size));
    }

    /// Member `k` of `size`: forward, loss and backward over its rows of the batch (the
    /// weight gradients too unless they are split by columns).
    fn run_rows(&self, k: usize, size: usize) {
        let mut guard = self.members[k].rows.write().unwrap_or_else(PoisonError::into_inner);
        let m = &mut *guard;
        let mut own = lock(&self.members[k].own);
        let own = &mut *own;
        let (start, len) = (self.batch_start.load(Ordering::Relaxed), self.batch_len.load(Ordering::Relaxed));
        let (s, e) = thread_rows(len, k, size);
        let rows = e - s;
        m.len = rows;
        let order = self.order.read().unwrap_or_else(PoisonError::into_inner);
        let picked = &order[start + s..start + e];
        for (dst, &i) in m.x[..rows].iter_mut().zip(picked) {
            *dst = self.inputs[i];
        }
        let p = self.params.read().unwrap_or_else(PoisonError::into_inner);
        N::forward_train(&p, &m.x[..rows], &mut m.trace, &mut own.workspace);
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
        sums.finite = true;
        if self.columns {
            N::backward_data(&p, &m.x[..rows], &mut m.trace, None, &mut own.workspace);
        } else {
            N::backward(&p, &m.x[..rows], &mut m.trace, &mut own.grads, None, &mut own.workspace);
            let mut finite = true;
            N::visit_params(&own.grads, &mut |g| finite &= all_finite(g));
            own.finite = finite;
        }
        m.sums = sums;
    }

    /// The sums of the last step's members.
    pub fn sums(&self) -> StepSums {
        self.members.iter().fold(StepSums { finite: true, ..StepSums::default() }, |s, m| {
            let sums = m.rows.read().unwrap_or_else(PoisonError::into_inner).sums;
            let finite = lock(&m.own).finite;
            StepSums {
                loss: s.loss + sums.loss,
                accuracy: s.accuracy + sums.accuracy,
                mae: s.mae + sums.mae,
                mse: s.mse + sums.mse,
                finite: s.finite & finite,
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
        let mut first = lock(&self.members[0].own);
        let size = self.team_size.load(Ordering::Relaxed).clamp(1, self.members.len());
        if self.columns {
            // Each member of the team computed its own columns over the whole batch:
            // gathered into the first member's gradients, nothing to sum.
            for (k, m) in self.members.iter().enumerate().take(size).skip(1) {
                N::copy_columns(&mut first.grads, &lock(&m.own).grads, (k, size));
            }
        } else {
            for m in self.members.iter().skip(2) {
                N::zip_params(&mut first.grads, &lock(&m.own).grads, &mut |a, b| add_assign(a, b));
            }
        }
        let second = if self.columns { None } else { self.members.get(1).map(|m| lock(&m.own)) };
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
