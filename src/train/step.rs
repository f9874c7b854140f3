//! One training step, split over a team of threads: each member runs forward, loss and
//! backward on its rows of the batch; then, in a second team step, each member sums the
//! members' gradients over its part of every array and runs the optimizer's update on
//! that part (an element-wise optimizer's: [`Optimizer::ELEMENTWISE`]; another's update
//! runs whole on the first member).
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
//! of a column split, the gradients by all in the update; the weights are read by all
//! during a step and written only between steps), so the team's steps are the only
//! synchronization. The first member writes its parts of the new weights in place; the
//! others' parts are copied there after the update's team step: safe Rust cannot hand
//! the parts of one array to threads that outlive the borrow, and this copy (a member's
//! share of the weights) is what that costs.

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
    /// The gradients it computed (read by every member in the update).
    grads: RwLock<Box<N::Params>>,
    own: Mutex<Own<T>>,
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

/// What only its member touches: the products' scratch.
struct Own<T: Scalar> {
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

/// Calls `f` with array `index` of `p` (in the order of `Layers::visit_params`), writable.
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

fn read<G>(m: &RwLock<G>) -> RwLockReadGuard<'_, G> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<G>(m: &RwLock<G>) -> std::sync::RwLockWriteGuard<'_, G> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

/// Array `index` of `p`, in the order of `Layers::visit_params` (empty past the last).
fn array<N: Layers<T>, T: Scalar>(p: &N::Params, index: usize) -> &[T] {
    let (mut found, mut i): (&[T], usize) = (&[], 0);
    N::visit_params(p, &mut |a| {
        if i == index {
            found = a;
        }
        i += 1;
    });
    found
}

/// Elements `[start, end)` of an array of `len` in part `j` of `parts`: bounds on
/// multiples of 16 (a cache line of `f32`), the last part to the end.
pub(super) fn part_range(len: usize, j: usize, parts: usize) -> (usize, usize) {
    let bound = |j: usize| if j >= parts { len } else { len / 16 * j / parts * 16 };
    (bound(j), bound(j + 1))
}

/// Part `j` of the update: elements [`part_range`]`(len, j, parts)` of every array, with
/// the optimizer's state of those elements (array by array, `SLOTS` runs of the part's
/// length each).
struct Part<T> {
    /// The state between steps (`state[current]`) and the one an update writes, which
    /// becomes current if every value of the update is finite.
    state: [Vec<T>; 2],
    current: usize,
    /// The part's new weights when a member other than the first computed them.
    weights: Vec<T>,
    /// Whether `weights` holds this step's new weights, to copy into the spare ones.
    written: bool,
    /// Whether the last update of this part wrote only finite values.
    finite: bool,
    /// The sum of the first member's gradient and those beyond the second (teams of more
    /// than two): the update sums the second's itself.
    scratch: Vec<T>,
}

/// The state of one `fit` that the team's members share. The optimizer's state is split
/// into the update's parts while it lives, and put back when it is dropped.
pub(super) struct Trainer<'a, N: Backprop<T>, L, T: Scalar, Y, O: Optimizer> {
    inputs: &'a [N::Input],
    labels: &'a [Y],
    /// The model's weights: the box is swapped with `spare` after each good update.
    params: RwLock<&'a mut Box<N::Params>>,
    /// Where an update writes the new weights before they are known to be finite.
    spare: Mutex<Box<N::Params>>,
    optimizer: RwLock<&'a mut O>,
    /// The optimizer's state as `Compiled` keeps it (array by array, `SLOTS` runs of the
    /// array's length each), split into `parts` while training.
    home: &'a mut Vec<T>,
    parts: Vec<Mutex<Part<T>>>,
    /// The lengths of the arrays, in the order of `Layers::visit_params`.
    lens: Vec<usize>,
    order: RwLock<Vec<usize>>,
    members: Vec<Member<N, T>>,
    /// Whether a step splits its weight gradients by columns ([`Trainer::step`]).
    columns: bool,
    /// What the team's next step runs: rows (1), a column split's weight gradients (2)
    /// or the update (3).
    phase: AtomicUsize,
    /// How many members the team that ran the last step had (fewer than `members` when
    /// threads could not be spawned): the column shares are its.
    team_size: AtomicUsize,
    batch_start: AtomicUsize,
    batch_len: AtomicUsize,
    metrics: MetricSet,
    _loss: PhantomData<L>,
}

impl<'a, N, L, T, Y, O> Trainer<'a, N, L, T, Y, O>
where
    N: Backprop<T>,
    L: Objective<T, N::Output, Y, N::Last>,
    T: Scalar,
    Y: Sync,
    O: Optimizer,
{
    /// Buffers for `members` threads and batches of up to `batch` samples; `state` is
    /// the optimizer's (`O::SLOTS` values per weight).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        params: &'a mut Box<N::Params>,
        optimizer: &'a mut O,
        state: &'a mut Vec<T>,
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
                grads: RwLock::new(crate::zeroed::zeroed_box()),
                own: Mutex::new(Own { workspace: Workspace::new(), finite: true }),
            })
            .collect();
        let mut lens = Vec::new();
        N::visit_params(params, &mut |a| lens.push(a.len()));
        let count = if O::ELEMENTWISE { size } else { 1 };
        let parts = (0..count).map(|j| Mutex::new(Part::split(state, &lens, j, count, O::SLOTS))).collect();
        Trainer {
            inputs,
            labels,
            params: RwLock::new(params),
            spare: Mutex::new(crate::zeroed::zeroed_box()),
            optimizer: RwLock::new(optimizer),
            home: state,
            parts,
            lens,
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
        self.phase.store(1, Ordering::Relaxed);
        team.step();
        if self.columns {
            self.phase.store(2, Ordering::Relaxed);
            team.step();
        }
    }

    /// Member `k` of `size`'s part of the team's step.
    pub fn run_share(&self, k: usize, size: usize) {
        match self.phase.load(Ordering::Relaxed) {
            2 => self.weight_grads_columns(k, size),
            3 => self.update_parts(k, size),
            _ => self.run_rows(k, size),
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
        let mut grads = write(&self.members[k].grads);
        N::weight_grads_columns(&parts, &mut grads, (k, size), &mut own.workspace);
        own.finite = N::columns_finite(&grads, (k, size));
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
            let mut grads = write(&self.members[k].grads);
            N::backward(&p, &m.x[..rows], &mut m.trace, &mut grads, None, &mut own.workspace);
            let mut finite = true;
            N::visit_params(&grads, &mut |g| finite &= all_finite(g));
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

    /// Applies the optimizer to the sum of the members' gradients, as a team step: each
    /// member updates its parts ([`Part`]). The new weights and state are written to
    /// spare buffers and take the old ones' place only if every value is finite;
    /// otherwise nothing changes (the optimizer's step count included) and this returns
    /// `false`.
    ///
    /// The first two members' gradients are summed inside the optimizer's update loop
    /// ([`Optimizer::update_from`]): one pass over the gradients; members beyond two are
    /// added into a part's scratch beforehand.
    pub fn update<W: Fn(usize, usize) + Sync>(&self, team: &crate::parallel::Team<'_, W>) -> bool {
        let size = self.team_size.load(Ordering::Relaxed).clamp(1, self.members.len());
        if self.columns {
            // Each member of the team computed its own columns over the whole batch:
            // gathered into the first member's gradients, nothing to sum.
            let mut first = write(&self.members[0].grads);
            for (k, m) in self.members.iter().enumerate().take(size).skip(1) {
                N::copy_columns(&mut first, &read(&m.grads), (k, size));
            }
        }
        let before = {
            let mut optimizer = write(&self.optimizer);
            let before = (**optimizer).clone();
            optimizer.begin_step();
            before
        };
        self.phase.store(3, Ordering::Relaxed);
        team.step();
        // Nothing here allocates: a step's allocations would grow with the batches.
        if !self.parts.iter().all(|p| lock(p).finite) {
            **write(&self.optimizer) = before;
            return false;
        }
        let mut current = write(&self.params);
        let mut spare = lock(&self.spare);
        // The parts the other members wrote into their own buffers, array by array in
        // the order `update_parts` wrote them.
        let count = self.parts.len();
        for (j, part) in self.parts.iter().enumerate() {
            let part = lock(part);
            if !part.written {
                continue;
            }
            let mut at = 0;
            for (i, &n) in self.lens.iter().enumerate() {
                let (a, b) = part_range(n, j, count);
                with_array_mut::<N, T>(&mut spare, i, &mut |out| {
                    out[a..b].copy_from_slice(&part.weights[at..at + b - a]);
                });
                at += b - a;
            }
        }
        core::mem::swap(&mut **current, &mut *spare);
        for part in &self.parts {
            lock(part).current ^= 1;
        }
        true
    }

    /// Member `k` of `size`'s share of the update: parts `k`, `k + size`, ... (all of
    /// them when the optimizer is not element-wise and there is one part). The first
    /// member writes its parts' weights into the spare weights, the others into the
    /// parts' own buffers.
    fn update_parts(&self, k: usize, size: usize) {
        let params = self.params.read().unwrap_or_else(PoisonError::into_inner);
        let optimizer = read(&self.optimizer);
        // Whose gradients to sum: the team's members', or after a column split the first's,
        // which holds all of them.
        let summed = if self.columns { 1 } else { size.min(self.members.len()) };
        let first = read(&self.members[0].grads);
        let second = self.members[..summed].get(1).map(|m| read(&m.grads));
        let mut spare = (k == 0).then(|| lock(&self.spare));
        let count = self.parts.len();
        for j in (k..count).step_by(size.max(1)) {
            let mut part = lock(&self.parts[j]);
            let Part { state, current, weights, written, finite, scratch } = &mut *part;
            let [s0, s1] = state;
            let (old, new) = if *current == 0 { (&*s0, s1) } else { (&*s1, s0) };
            let (mut at_state, mut at_weights, mut ok) = (0, 0, true);
            for (i, &n) in self.lens.iter().enumerate() {
                let (a, b) = part_range(n, j, count);
                let len = b - a;
                let run = O::SLOTS * len;
                let (old, new) = (&old[at_state..at_state + run], &mut new[at_state..at_state + run]);
                at_state += run;
                let g = &array::<N, T>(&first, i)[a..b];
                let g: &[T] = if summed > 2 {
                    // (Grows once, to the largest part of an array: not per step.)
                    scratch.clear();
                    scratch.extend_from_slice(g);
                    for m in &self.members[2..summed] {
                        add_assign(scratch, &array::<N, T>(&read(&m.grads), i)[a..b]);
                    }
                    scratch
                } else {
                    g
                };
                let h: &[T] = second.as_ref().map_or(&[], |h| &array::<N, T>(h, i)[a..b]);
                let w = &array::<N, T>(&params, i)[a..b];
                match &mut spare {
                    Some(spare) => with_array_mut::<N, T>(spare, i, &mut |out| {
                        ok &= optimizer.update_from((w, old), g, h, &mut out[a..b], new);
                    }),
                    None => {
                        let out = &mut weights[at_weights..at_weights + len];
                        ok &= optimizer.update_from((w, old), g, h, out, new);
                    }
                }
                at_weights += len;
            }
            *written = spare.is_none();
            *finite = ok;
        }
    }

    /// The weights, for evaluation between steps.
    pub fn params(&self) -> RwLockReadGuard<'_, &'a mut Box<N::Params>> {
        self.params.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Scalar> Part<T> {
    /// Part `j` of `count` of `state` (laid out as `Compiled` keeps it), taken whole
    /// when there is one part.
    fn split(state: &mut Vec<T>, lens: &[usize], j: usize, count: usize, slots: usize) -> Self {
        let (mut mine, mut weights, mut offset) = (Vec::new(), 0, 0);
        if count == 1 {
            mine = core::mem::take(state);
            weights = lens.iter().sum();
        } else {
            for &n in lens {
                let (a, b) = part_range(n, j, count);
                for s in 0..slots {
                    mine.extend_from_slice(&state[offset + s * n + a..offset + s * n + b]);
                }
                offset += slots * n;
                weights += b - a;
            }
        }
        let spare = alloc::vec![T::zero(); mine.len()];
        // Only a part that another member updates writes its weights here.
        let weights = if j == 0 { Vec::new() } else { alloc::vec![T::zero(); weights] };
        Part { state: [mine, spare], current: 0, weights, written: false, finite: true, scratch: Vec::new() }
    }

    /// Puts this part's current state back into `state`, laid out as `Compiled` keeps it.
    fn join(&mut self, state: &mut Vec<T>, lens: &[usize], j: usize, count: usize, slots: usize) {
        let mine = &mut self.state[self.current];
        if count == 1 {
            *state = core::mem::take(mine);
            return;
        }
        let (mut offset, mut at) = (0, 0);
        for &n in lens {
            let (a, b) = part_range(n, j, count);
            for s in 0..slots {
                state[offset + s * n + a..offset + s * n + b].copy_from_slice(&mine[at..at + b - a]);
                at += b - a;
            }
            offset += slots * n;
        }
    }
}

impl<N: Backprop<T>, L, T: Scalar, Y, O: Optimizer> Drop for Trainer<'_, N, L, T, Y, O> {
    /// The optimizer's state goes back where `Compiled` keeps it, whatever ended the
    /// training (an error or a panic included).
    fn drop(&mut self) {
        let count = self.parts.len();
        for (j, part) in self.parts.iter_mut().enumerate() {
            let part = part.get_mut().unwrap_or_else(PoisonError::into_inner);
            part.join(self.home, &self.lens, j, count, O::SLOTS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::part_range;

    /// The parts of an array cover it once, in order, on bounds of 16 values.
    #[test]
    fn parts_cover_each_array_once() {
        for len in [0, 1, 3, 15, 16, 17, 40, 64, 100, 1_200, 401_408] {
            for parts in 1..=9 {
                let mut next = 0;
                for j in 0..parts {
                    let (a, b) = part_range(len, j, parts);
                    assert_eq!(a, next, "len {len}, part {j} of {parts}");
                    assert!(a <= b && b <= len);
                    assert!(b == len || b % 16 == 0, "len {len}, part {j} of {parts}: {a}..{b}");
                    next = b;
                }
                assert_eq!(next, len, "len {len}, {parts} parts");
                if len >= 16 * parts * 4 {
                    // Large arrays are split evenly, to within a line of 16 per part.
                    for j in 0..parts {
                        let (a, b) = part_range(len, j, parts);
                        assert!((b - a).abs_diff(len / parts) <= 16 + len % 16, "len {len}: {a}..{b}");
                    }
                }
            }
        }
    }
}
