//! The parts of a batch (one per thread) that the weight gradients are summed over, and
//! their operands on the stack.

use alloc::vec::Vec;

use crate::element::Scalar;
use crate::linalg::MatRef;

/// The parts of a batch that a weight gradient is summed over, each a thread's inputs
/// and its trace: `get(i)` for `i < len`. A function, not a slice, so that a stack's
/// layers see their own inputs and traces without a list built per step (which would be
/// an allocation per batch).
pub struct Parts<'a, I, Tr> {
    len: usize,
    get: &'a (dyn Fn(usize) -> (&'a [I], &'a Tr) + 'a),
}

impl<I, Tr> Clone for Parts<'_, I, Tr> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<I, Tr> Copy for Parts<'_, I, Tr> {}

impl<'a, I, Tr> Parts<'a, I, Tr> {
    /// `len` parts, part `i` given by `get(i)`.
    pub fn new(len: usize, get: &'a (dyn Fn(usize) -> (&'a [I], &'a Tr) + 'a)) -> Self {
        Parts { len, get }
    }
    /// The number of parts.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Part `i`: its inputs and its trace.
    pub fn get(&self, i: usize) -> (&'a [I], &'a Tr) {
        (self.get)(i)
    }
    /// The parts in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [I], &'a Tr)> + '_ {
        (0..self.len).map(|i| self.get(i))
    }
}

/// The operands of a product summed over parts (`a`'s and `b`'s part `i` from `part(i)`),
/// given to `f` as slices: on the stack for up to 16 parts (a team has a member per
/// core at most, by default), on the heap beyond.
pub(crate) fn part_operands<'a, T: Scalar, R>(
    n: usize,
    part: impl Fn(usize) -> ((MatRef<'a, T>, usize), (MatRef<'a, T>, usize)),
    f: impl FnOnce(&[(MatRef<'a, T>, usize)], &[(MatRef<'a, T>, usize)]) -> R,
) -> R {
    const ON_STACK: usize = 16;
    if n <= ON_STACK {
        let empty = (MatRef::new(&[][..], 0, 0), 0);
        let (mut a, mut b) = ([empty; ON_STACK], [empty; ON_STACK]);
        for i in 0..n {
            (a[i], b[i]) = part(i);
        }
        f(&a[..n], &b[..n])
    } else {
        let (a, b): (Vec<_>, Vec<_>) = (0..n).map(part).unzip();
        f(&a, &b)
    }
}
