//! The update's parts: the elements of each weight array a member updates, with the
//! optimizer's state of those elements, and the arrays of a network's weights by index.

use alloc::vec::Vec;
use core::ops::Range;

use crate::element::Scalar;
use crate::nn::Layers;
use crate::train::optim::Optimizer;

/// Calls `f` with array `index` of `p` (in the order of `Layers::visit_params`), writable.
pub(super) fn with_array_mut<N: Layers<T>, T: Scalar>(
    p: &mut N::Params,
    index: usize,
    f: &mut dyn FnMut(&mut [T]),
) {
    let mut i = 0;
    N::visit_params_mut(p, &mut |a| {
        if i == index {
            f(a);
        }
        i += 1;
    });
}

/// Array `index` of `p`, in the order of `Layers::visit_params` (empty past the last).
pub(super) fn array<N: Layers<T>, T: Scalar>(p: &N::Params, index: usize) -> &[T] {
    let (mut found, mut i): (&[T], usize) = (&[], 0);
    N::visit_params(p, &mut |a| {
        if i == index {
            found = a;
        }
        i += 1;
    });
    found
}

/// Part `j` of the update: share `j` of every array ([`Backprop::share_ranges`](crate::train::Backprop::share_ranges), or
/// every array whole when the update is not split), with the optimizer's state of those
/// elements (array by array, `SLOTS` runs of the part's length each).
pub(super) struct Part<T> {
    /// The elements of each array, in the order of `Layers::visit_params`.
    pub(super) ranges: Vec<Range<usize>>,
    /// The state between steps (`state[current]`) and the one an update writes, which
    /// becomes current if every value of the update is finite.
    pub(super) state: [Vec<T>; 2],
    pub(super) current: usize,
    /// The part's new weights when a member other than the first computed them.
    pub(super) weights: Vec<T>,
    /// Whether `weights` holds this step's new weights, to copy into the spare ones.
    pub(super) written: bool,
    /// Whether the last update of this part wrote only finite values.
    pub(super) finite: bool,
}

/// Writes part `part`'s share of the update: its elements of every array of the new
/// weights (into `spare` when given, else into the part's own buffer) and of the new
/// state, from the gradients and weights in `grads.0` and `grads.1`.
pub(super) fn update_part<N: Layers<T>, T: Scalar, O: Optimizer>(
    part: &mut Part<T>,
    optimizer: &O,
    (grads, params): (&N::Params, &N::Params),
    mut spare: Option<&mut N::Params>,
) {
    let Part { ranges, state, current, weights, written, finite } = part;
    let [s0, s1] = state;
    let (old, new) = if *current == 0 { (&*s0, s1) } else { (&*s1, s0) };
    let (mut at_state, mut at_weights, mut ok) = (0, 0, true);
    for (i, r) in ranges.iter().enumerate() {
        let run = O::SLOTS * r.len();
        let (old, new) = (&old[at_state..at_state + run], &mut new[at_state..at_state + run]);
        at_state += run;
        let g = &array::<N, T>(grads, i)[r.clone()];
        let w = &array::<N, T>(params, i)[r.clone()];
        match spare.as_deref_mut() {
            Some(spare) => with_array_mut::<N, T>(spare, i, &mut |out| {
                ok &= optimizer.update_from((w, old), g, &mut out[r.clone()], new);
            }),
            None => {
                let out = &mut weights[at_weights..at_weights + r.len()];
                ok &= optimizer.update_from((w, old), g, out, new);
            }
        }
        at_weights += r.len();
    }
    *written = spare.is_none();
    *finite = ok;
}

/// Copies elements `ranges[i]` of every array `i` of `from` into `into`.
pub(super) fn copy_ranges<N: Layers<T>, T: Scalar>(
    into: &mut N::Params,
    from: &N::Params,
    ranges: &[Range<usize>],
) {
    for (i, r) in ranges.iter().enumerate() {
        let source = &array::<N, T>(from, i)[r.clone()];
        with_array_mut::<N, T>(into, i, &mut |out| out[r.clone()].copy_from_slice(source));
    }
}

impl<T: Scalar> Part<T> {
    /// Copies this step's new weights of the part into `spare`, if another member wrote
    /// them into the part's own buffer.
    pub(super) fn copy_written<N: Layers<T>>(&self, spare: &mut N::Params) {
        if !self.written {
            return;
        }
        let mut at = 0;
        for (i, r) in self.ranges.iter().enumerate() {
            with_array_mut::<N, T>(spare, i, &mut |out| {
                out[r.clone()].copy_from_slice(&self.weights[at..at + r.len()])
            });
            at += r.len();
        }
    }

    /// Part `j` of `state` (laid out as `Compiled` keeps it): elements `ranges` of every
    /// array; the whole state, taken, when `ranges` cover every array.
    pub(super) fn split(
        state: &mut Vec<T>,
        lens: &[usize],
        ranges: Vec<Range<usize>>,
        j: usize,
        slots: usize,
    ) -> Self {
        let whole = ranges.iter().zip(lens).all(|(r, &n)| r.start == 0 && r.end == n);
        let mut mine = Vec::new();
        if whole {
            mine = core::mem::take(state);
        } else {
            let mut offset = 0;
            for (r, &n) in ranges.iter().zip(lens) {
                for s in 0..slots {
                    mine.extend_from_slice(&state[offset + s * n + r.start..offset + s * n + r.end]);
                }
                offset += slots * n;
            }
        }
        let spare = alloc::vec![T::zero(); mine.len()];
        // Only a part that another member updates writes its weights here.
        let len = ranges.iter().map(|r| r.len()).sum();
        let weights = if j == 0 { Vec::new() } else { alloc::vec![T::zero(); len] };
        Part { ranges, state: [mine, spare], current: 0, weights, written: false, finite: true }
    }

    /// Puts this part's current state back into `state`, laid out as `Compiled` keeps it.
    pub(super) fn join(&mut self, state: &mut Vec<T>, lens: &[usize], slots: usize) {
        let mine = &mut self.state[self.current];
        if self.ranges.iter().zip(lens).all(|(r, &n)| r.start == 0 && r.end == n) {
            *state = core::mem::take(mine);
            return;
        }
        let (mut offset, mut at) = (0, 0);
        for (r, &n) in self.ranges.iter().zip(lens) {
            for s in 0..slots {
                state[offset + s * n + r.start..offset + s * n + r.end]
                    .copy_from_slice(&mine[at..at + r.len()]);
                at += r.len();
            }
            offset += slots * n;
        }
    }
}
