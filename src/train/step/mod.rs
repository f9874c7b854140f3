//! One training step, split over a team of threads. In a first team step each member
//! runs forward, loss and the backward pass of the pre-activation gradients on its rows
//! of the batch. In a second, each member computes its share of every weight gradient
//! (a block of every kernel's rows and of every bias: `Backprop::share_ranges`) over
//! the whole batch, as one product as deep as the batch, and, for an element-wise
//! optimizer ([`Optimizer::ELEMENTWISE`]), runs the update on that same share at once,
//! while its gradient is still in its cache. Nothing is summed across members, and the
//! gradients and weights equal one thread's bit for bit (given the same forward pass: a
//! member's product of few rows may take another kernel than the whole batch's, the row
//! kernels or the inline kernel of tiny products, which round differently; inputs left
//! out of a product for being zero in every row change nothing). Another optimizer's
//! update runs
//! whole on the first member, over the shares gathered. A team of one computes the
//! whole gradient in the first step and updates in a second.
//!
//! The members share this state through locks that are never contended (each member
//! writes only its own buffers; the rows and traces are read by all in the second step;
//! the weights are read by all during a step and written only between steps), so the
//! team's steps are the only synchronization. The first member writes its shares of the
//! new weights in place; the others' shares are copied there after the team step: safe
//! Rust cannot hand the parts of one array to threads that outlive the borrow, and this
//! copy (a member's share of the weights) is what that costs.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::marker::PhantomData;
use core::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use super::backprop::masks::mix;
use super::backprop::{Backprop, Workspace};

mod part;
use super::loss::Objective;
use super::optim::Optimizer;
use super::options::MetricSet;
use crate::element::Scalar;
use crate::linalg::small::all_finite;
use crate::nn::Vector;
use part::{Part, copy_ranges, update_part};

/// One member's buffers, sized for a whole batch (a smaller team gives each member more
/// rows), allocated once per `fit`: its rows and their trace (read by the other members
/// for their shares of the weight gradients), and its own scratch.
struct Member<N: Backprop<T>, T: Scalar> {
    rows: RwLock<Rows<N, T>>,
    /// The gradients it computed: its shares (or, in a team of one, all of them).
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

/// Copies row `src[idx[r]]` into `dst[r]` for every `r`, eight rows at a time, a cache
/// line of each in turn. The rows are picked at random from the whole training set, and
/// copying them one after another waited on memory at each (eight streams in flight
/// instead of one: 44 -> 27 us a step for 64 rows of MNIST, timed inside `fit`).
///
/// # Panics
/// If an index is out of `src`.
fn gather<T: Scalar, V: Vector<T>>(dst: &mut [V], src: &[V], idx: &[usize]) {
    const LINE: usize = 16;
    let lines = V::LEN / LINE;
    for (dst, idx) in dst.chunks_mut(8).zip(idx.chunks(8)) {
        for c in 0..lines {
            for (d, &i) in dst.iter_mut().zip(idx) {
                let (d, _) = d.as_mut_slice().as_chunks_mut::<LINE>();
                let (s, _) = src[i].as_slice().as_chunks::<LINE>();
                d[c] = s[c];
            }
        }
        for (d, &i) in dst.iter_mut().zip(idx) {
            d.as_mut_slice()[lines * LINE..].copy_from_slice(&src[i].as_slice()[lines * LINE..]);
        }
    }
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
    /// The optimizer as it was before the step whose update is under way: put back if
    /// that update is refused or never applied.
    before: Mutex<Option<O>>,
    /// The optimizer's state as `Compiled` keeps it (array by array, `SLOTS` runs of the
    /// array's length each), split into `parts` while training.
    home: &'a mut Vec<T>,
    parts: Vec<Mutex<Part<T>>>,
    /// The elements of each array in each share of the weight gradients (one share per
    /// member).
    shares: Vec<Vec<Range<usize>>>,
    /// The lengths of the arrays, in the order of `Layers::visit_params`.
    lens: Vec<usize>,
    order: RwLock<Vec<usize>>,
    members: Vec<Member<N, T>>,
    /// What the team's next step runs: rows (1), the shares of the weight gradients and
    /// their update (2), or the whole update (3).
    phase: AtomicUsize,
    /// How many members the team that ran the last step had (fewer than `members` when
    /// threads could not be spawned): its member `k` computed shares `k`, `k + size`, ...
    team_size: AtomicUsize,
    batch_start: AtomicUsize,
    batch_len: AtomicUsize,
    /// The epoch's key for dropout masks (`Workspace::begin_dropout`).
    dropout_key: AtomicU64,
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
        let ranges = |j: usize, count: usize| {
            let mut r = Vec::new();
            N::share_ranges((j, count), &mut r);
            r
        };
        let shares: Vec<_> = (0..size).map(|j| ranges(j, size)).collect();
        let count = if O::ELEMENTWISE { size } else { 1 };
        let parts = (0..count)
            .map(|j| Mutex::new(Part::split(state, &lens, ranges(j, count), j, O::SLOTS)))
            .collect();
        Trainer {
            inputs,
            labels,
            params: RwLock::new(params),
            spare: Mutex::new(crate::zeroed::zeroed_box()),
            optimizer: RwLock::new(optimizer),
            before: Mutex::new(None),
            home: state,
            parts,
            shares,
            lens,
            order: RwLock::new((0..inputs.len()).collect()),
            members,
            phase: AtomicUsize::new(1),
            team_size: AtomicUsize::new(size),
            batch_start: AtomicUsize::new(0),
            batch_len: AtomicUsize::new(0),
            dropout_key: AtomicU64::new(0),
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

    /// The key of the dropout masks of the next steps (with each step's start).
    pub fn set_dropout_key(&self, key: u64) {
        self.dropout_key.store(key, Ordering::Relaxed);
    }

    /// The next step trains on positions `start..start + len` of the order.
    pub fn set_batch(&self, start: usize, len: usize) {
        // The team's step hands these to the members under a lock: relaxed is enough.
        self.batch_start.store(start, Ordering::Relaxed);
        self.batch_len.store(len, Ordering::Relaxed);
    }

    /// Whether the weight gradients are computed in shares (a team of more than one).
    fn in_shares(&self) -> bool {
        self.shares.len() > 1
    }

    /// Whether the update runs inside [`step`](Self::step), each member on its shares.
    fn update_in_step(&self) -> bool {
        self.parts.len() > 1
    }

    /// One training step of the team on the batch of [`set_batch`](Self::set_batch):
    /// each member's rows forward and backward, then (a team of more than one) the
    /// shares of the weight gradients, with the update of an element-wise optimizer
    /// (applied by [`update`](Self::update)).
    pub fn step<W: Fn(usize, usize) + Sync>(&self, team: &crate::parallel::Team<'_, W>) {
        self.team_size.store(team.size(), Ordering::Relaxed);
        if self.update_in_step() {
            self.begin_update();
        }
        self.phase.store(1, Ordering::Relaxed);
        team.step();
        if self.in_shares() {
            self.phase.store(2, Ordering::Relaxed);
            team.step();
        }
    }

    /// Starts an update: the optimizer's step (Adam's count, say) advances, and the
    /// optimizer as it was is kept to put back if the update is not applied.
    fn begin_update(&self) {
        let mut optimizer = write(&self.optimizer);
        *lock(&self.before) = Some((**optimizer).clone());
        optimizer.begin_step();
    }

    /// Puts back the optimizer of before the update under way, if any.
    fn cancel_update(&self) {
        if let Some(before) = lock(&self.before).take() {
            **write(&self.optimizer) = before;
        }
    }

    /// Member `k` of `size`'s part of the team's step.
    pub fn run_share(&self, k: usize, size: usize) {
        match self.phase.load(Ordering::Relaxed) {
            2 => self.weight_grads_shares(k, size),
            3 => self.update_whole(k),
            _ => self.run_rows(k, size),
        }
    }

    /// Shares `k`, `k + size`, ... of the weight gradients, over every member's rows,
    /// each updated at once when the update is split.
    fn weight_grads_shares(&self, k: usize, size: usize) {
        // The rows of the team's members (all of `members` unless threads could not be
        // spawned).
        // Read guards of every member's rows: on the stack for up to 16 members (no
        // allocation per batch), on the heap for more.
        let members = &self.members[..size.min(self.members.len())];
        fn read_rows<N: Backprop<T>, T: Scalar>(m: &Member<N, T>) -> RwLockReadGuard<'_, Rows<N, T>> {
            m.rows.read().unwrap_or_else(PoisonError::into_inner)
        }
        let mut on_stack: [Option<RwLockReadGuard<'_, Rows<N, T>>>; 16] = Default::default();
        let on_heap: Vec<RwLockReadGuard<'_, Rows<N, T>>>;
        let guards: &[Option<RwLockReadGuard<'_, Rows<N, T>>>];
        let heap_guards: &[RwLockReadGuard<'_, Rows<N, T>>];
        if members.len() <= on_stack.len() {
            for (slot, m) in on_stack.iter_mut().zip(members) {
                *slot = Some(read_rows::<N, T>(m));
            }
            (guards, heap_guards) = (&on_stack[..members.len()], &[]);
        } else {
            on_heap = members.iter().map(read_rows::<N, T>).collect();
            (guards, heap_guards) = (&[], &on_heap);
        }
        let get = |i: usize| {
            let r: &Rows<N, T> = match guards.get(i) {
                Some(Some(g)) => g,
                _ => &heap_guards[i],
            };
            (&r.x[..r.len], &r.trace)
        };
        let rows = super::backprop::Parts::new(members.len(), &get);
        let mut own = lock(&self.members[k].own);
        let own = &mut *own;
        let mut grads = write(&self.members[k].grads);
        let count = self.shares.len();
        let update = self
            .update_in_step()
            .then(|| (self.params.read().unwrap_or_else(PoisonError::into_inner), read(&self.optimizer)));
        let mut spare = (update.is_some() && k == 0).then(|| lock(&self.spare));
        let mut finite = true;
        for j in (k..count).step_by(size.max(1)) {
            N::weight_grads_share(rows, &mut grads, (j, count), &mut own.workspace);
            let mut i = 0;
            N::visit_params(&grads, &mut |g| {
                finite &= all_finite(&g[self.shares[j][i].clone()]);
                i += 1;
            });
            if let Some((params, optimizer)) = &update {
                update_part::<N, T, O>(
                    &mut lock(&self.parts[j]),
                    optimizer,
                    (&grads, params),
                    spare.as_deref_mut().map(|b| &mut **b),
                );
            }
        }
        own.finite = finite;
    }

    /// Member `k` of `size`: forward, loss and backward over its rows of the batch (the
    /// weight gradients too for a team of one).
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
        gather::<T, N::Input>(&mut m.x[..rows], self.inputs, picked);
        let p = self.params.read().unwrap_or_else(PoisonError::into_inner);
        let key = mix(self.dropout_key.load(Ordering::Relaxed) ^ mix(start as u64));
        own.workspace.begin_dropout(key, picked);
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
        if self.in_shares() {
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

    /// Applies the optimizer's update to the weights and its state. The new weights and
    /// state were (or are now) written to spare buffers; they take the old ones' place
    /// only if every value is finite; otherwise nothing changes (the optimizer's step
    /// count included) and this returns `false`.
    ///
    /// An element-wise optimizer's update ran in [`step`](Self::step), share by share;
    /// another's runs here, whole on the first member, after the shares of the gradient
    /// are gathered into its buffer.
    pub fn update<W: Fn(usize, usize) + Sync>(&self, team: &crate::parallel::Team<'_, W>) -> bool {
        if !self.update_in_step() {
            let size = self.team_size.load(Ordering::Relaxed).clamp(1, self.members.len());
            if self.in_shares() {
                let mut first = write(&self.members[0].grads);
                for (j, ranges) in self.shares.iter().enumerate() {
                    let from = j % size;
                    if from != 0 {
                        copy_ranges::<N, T>(&mut first, &read(&self.members[from].grads), ranges);
                    }
                }
            }
            self.begin_update();
            self.phase.store(3, Ordering::Relaxed);
            team.step();
        }
        // Nothing here allocates: a step's allocations would grow with the batches.
        if !self.parts.iter().all(|p| lock(p).finite) {
            self.cancel_update();
            return false;
        }
        *lock(&self.before) = None;
        let mut current = write(&self.params);
        let mut spare = lock(&self.spare);
        // The parts other members wrote into their own buffers.
        for part in &self.parts {
            lock(part).copy_written::<N>(&mut spare);
        }
        core::mem::swap(&mut **current, &mut *spare);
        for part in &self.parts {
            lock(part).current ^= 1;
        }
        true
    }

    /// The whole update, on the first member, from its gradients.
    fn update_whole(&self, k: usize) {
        if k != 0 {
            return;
        }
        let params = self.params.read().unwrap_or_else(PoisonError::into_inner);
        let grads = read(&self.members[0].grads);
        let optimizer = read(&self.optimizer);
        update_part::<N, T, O>(
            &mut lock(&self.parts[0]),
            &optimizer,
            (&grads, &params),
            Some(&mut lock(&self.spare)),
        );
    }

    /// The weights, for evaluation between steps.
    pub fn params(&self) -> RwLockReadGuard<'_, &'a mut Box<N::Params>> {
        self.params.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<N: Backprop<T>, L, T: Scalar, Y, O: Optimizer> Drop for Trainer<'_, N, L, T, Y, O> {
    /// The optimizer and its state go back where `Compiled` keeps them, whatever ended
    /// the training (an error or a panic included); an update begun but not applied is
    /// undone.
    fn drop(&mut self) {
        if let Some(before) = self.before.get_mut().unwrap_or_else(PoisonError::into_inner).take() {
            **self.optimizer.get_mut().unwrap_or_else(PoisonError::into_inner) = before;
        }
        for part in &mut self.parts {
            let part = part.get_mut().unwrap_or_else(PoisonError::into_inner);
            part.join(self.home, &self.lens, O::SLOTS);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::nn::{Dense, Relu, Softmax};
    use crate::train::backprop::Backprop;
    use alloc::vec::Vec;

    /// The shares of every array of a network cover it once, in order, for any number
    /// of shares: kernels by whole rows, biases by lines of 16 values.
    fn shares_cover<N: Backprop<f32>>() {
        let mut lens = Vec::new();
        let params: alloc::boxed::Box<N::Params> = crate::zeroed::zeroed_box();
        N::visit_params(&params, &mut |a| lens.push(a.len()));
        for count in 1..=9 {
            let shares: Vec<Vec<core::ops::Range<usize>>> = (0..count)
                .map(|j| {
                    let mut r = Vec::new();
                    N::share_ranges((j, count), &mut r);
                    r
                })
                .collect();
            for (i, &len) in lens.iter().enumerate() {
                let mut next = 0;
                for (j, share) in shares.iter().enumerate() {
                    let r = &share[i];
                    assert_eq!(r.start, next, "array {i}, share {j} of {count}");
                    assert!(r.start <= r.end && r.end <= len);
                    next = r.end;
                }
                assert_eq!(next, len, "array {i}: {count} shares");
            }
        }
    }

    /// Every row lands where its index says, whole, whatever the width (lines of 16
    /// and a tail) and the number of rows (groups of eight and a rest).
    #[test]
    fn gather_copies_each_picked_row() {
        fn check<const W: usize>() {
            let src: Vec<[f32; W]> =
                (0..50).map(|r| core::array::from_fn(|c| (r * 1000 + c) as f32)).collect();
            for n in [0, 1, 7, 8, 9, 20] {
                let idx: Vec<usize> = (0..n).map(|r| (r * 37 + 11) % 50).collect();
                let mut dst = alloc::vec![[0.0f32; W]; n];
                super::gather::<f32, [f32; W]>(&mut dst, &src, &idx);
                for (d, &i) in dst.iter().zip(&idx) {
                    assert_eq!(d, &src[i], "width {W}, {n} rows");
                }
            }
        }
        check::<1>();
        check::<15>();
        check::<16>();
        check::<33>();
        check::<784>();
    }

    #[test]
    fn shares_cover_each_array_once() {
        shares_cover::<(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)>();
        shares_cover::<(Dense<3, 40>, Dense<40, 1>)>();
        shares_cover::<(Dense<5, 7>, Dense<7, 7>, Dense<7, 2>)>();
    }
}
