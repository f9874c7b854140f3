//! The optimizers' update loops: one pass over weights, gradients and state, the
//! update mode (in place or not) a compile-time choice.

use super::{AdamStep, RmsPropStep, SgdStep};
use crate::element::Scalar;
use crate::linalg::simd::multiversion;

/// An array updated in place (`src` empty) or read from `src` and written to `out`.
pub(super) struct Io<'a, T> {
    pub(super) out: &'a mut [T],
    pub(super) src: &'a [T],
}

impl<'a, T: Scalar> Io<'a, T> {
    #[inline(always)]
    pub(super) fn in_place(out: &'a mut [T]) -> Self {
        Io { out, src: &[] }
    }
    /// From `src` into `out`. An empty `src` with a non-empty `out` would read `out`:
    /// an empty `out` is what that means here, so it is a length of 0.
    #[inline(always)]
    pub(super) fn from(src: &'a [T], out: &'a mut [T]) -> Self {
        if src.is_empty() { Io { out: &mut [], src: &[] } } else { Io { out, src } }
    }
    /// Elements to update.
    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        if self.src.is_empty() { self.out.len() } else { self.out.len().min(self.src.len()) }
    }
    /// The first `n` elements, as (out, src).
    #[inline(always)]
    pub(super) fn split(self, n: usize) -> (&'a mut [T], &'a [T]) {
        let src = if self.src.is_empty() { self.src } else { &self.src[..n] };
        (&mut self.out[..n], src)
    }
}

/// Element `i` before the update: from `out` when updating in place, else from `src`.
/// A compile-time choice: a run-time one per element, times three arrays, kept LLVM from
/// taking the branches out of the loop and vectorizing it (the update ran 3x slower).
#[inline(always)]
pub(super) fn old<T: Scalar, const IN_PLACE: bool>(out: &[T], src: &[T], i: usize) -> T {
    if IN_PLACE { out[i] } else { src[i] }
}

/// Runs `$body::<IN_PLACE>(args)` for the mode of this call, chosen once.
macro_rules! by_mode {
    ($in_place:expr, $body:ident::<$t:ty>($($arg:expr),*)) => {
        if $in_place { $body::<$t, true>($($arg),*) } else { $body::<$t, false>($($arg),*) }
    };
}

#[inline(always)]
pub(super) fn rmsprop_body<T: Scalar, const FMA: bool>(
    w: Io<'_, T>,
    g: &[T],
    v: Io<'_, T>,
    s: RmsPropStep<T>,
) -> bool {
    let n = w.len().min(g.len()).min(v.len());
    let ((w, w0), g, (v, v0)) = (w.split(n), &g[..n], v.split(n));
    // Weights and state are updated in place together, or out of place together.
    by_mode!(w0.is_empty() && v0.is_empty(), rmsprop_loop::<T>(w, w0, g, v, v0, s))
}

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into several arrays
pub(super) fn rmsprop_loop<T: Scalar, const IN_PLACE: bool>(
    w: &mut [T],
    w0: &[T],
    g: &[T],
    v: &mut [T],
    v0: &[T],
    s: RmsPropStep<T>,
) -> bool {
    let n = w.len();
    let (g, v) = (&g[..n], &mut v[..n]);
    let (w0, v0) = (if IN_PLACE { w0 } else { &w0[..n] }, if IN_PLACE { v0 } else { &v0[..n] });
    let mut finite = true;
    for i in 0..n {
        let gi = g[i];
        let vi = s.rho * old::<T, IN_PLACE>(v, v0, i) + s.one_minus_rho * gi * gi;
        let wi = old::<T, IN_PLACE>(w, w0, i) - s.learning_rate * gi / (vi + s.epsilon).sqrt();
        finite &= vi.is_finite() & wi.is_finite();
        (v[i], w[i]) = (vi, wi);
    }
    finite
}

#[inline(always)]
pub(super) fn adam_body<T: Scalar, const FMA: bool>(
    w: Io<'_, T>,
    g: &[T],
    m: Io<'_, T>,
    v: Io<'_, T>,
    s: AdamStep<T>,
) -> bool {
    let n = w.len().min(g.len()).min(m.len()).min(v.len());
    let ((w, w0), g, (m, m0), (v, v0)) = (w.split(n), &g[..n], m.split(n), v.split(n));
    let in_place = w0.is_empty() && m0.is_empty() && v0.is_empty();
    by_mode!(in_place, adam_loop::<T>(w, w0, g, (m, m0), (v, v0), s))
}

#[inline(always)]
#[allow(clippy::needless_range_loop, clippy::type_complexity)] // one index into several arrays
pub(super) fn adam_loop<T: Scalar, const IN_PLACE: bool>(
    w: &mut [T],
    w0: &[T],
    g: &[T],
    (m, m0): (&mut [T], &[T]),
    (v, v0): (&mut [T], &[T]),
    s: AdamStep<T>,
) -> bool {
    let n = w.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    let (w0, m0, v0) = if IN_PLACE { (w0, m0, v0) } else { (&w0[..n], &m0[..n], &v0[..n]) };
    let mut finite = true;
    for i in 0..n {
        let gi = g[i];
        let (mo, vo) = (old::<T, IN_PLACE>(m, m0, i), old::<T, IN_PLACE>(v, v0, i));
        let mi = mo + (gi - mo) * s.one_minus_beta_1;
        let vi = vo + (gi * gi - vo) * s.one_minus_beta_2;
        let wi = old::<T, IN_PLACE>(w, w0, i) - s.alpha * mi / (vi.sqrt() + s.epsilon);
        finite &= mi.is_finite() & vi.is_finite() & wi.is_finite();
        (m[i], v[i], w[i]) = (mi, vi, wi);
    }
    finite
}

#[inline(always)]
pub(super) fn sgd_body<T: Scalar, const FMA: bool>(
    w: Io<'_, T>,
    g: &[T],
    velocity: Io<'_, T>,
    s: SgdStep<T>,
) -> bool {
    let n =
        if s.momentum == T::zero() { w.len().min(g.len()) } else { w.len().min(g.len()).min(velocity.len()) };
    let ((w, w0), g) = (w.split(n), &g[..n]);
    let (v, v0) = if s.momentum == T::zero() {
        let n = velocity.len();
        velocity.split(n)
    } else {
        velocity.split(n)
    };
    let in_place = w0.is_empty() && v0.is_empty();
    by_mode!(in_place, sgd_loop::<T>(w, w0, g, v, v0, s))
}

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into several arrays
pub(super) fn sgd_loop<T: Scalar, const IN_PLACE: bool>(
    w: &mut [T],
    w0: &[T],
    g: &[T],
    v: &mut [T],
    v0: &[T],
    s: SgdStep<T>,
) -> bool {
    let n = w.len();
    let g = &g[..n];
    let w0 = if IN_PLACE { w0 } else { &w0[..n] };
    let mut finite = true;
    if s.momentum == T::zero() {
        for i in 0..n {
            let wi = old::<T, IN_PLACE>(w, w0, i) - s.learning_rate * g[i];
            finite &= wi.is_finite();
            w[i] = wi;
        }
        // The velocity is not used without momentum: carried over unchanged.
        if !IN_PLACE {
            v.copy_from_slice(&v0[..v.len()]);
        }
        return finite;
    }
    let (v, v0) = (&mut v[..n], if IN_PLACE { v0 } else { &v0[..n] });
    for i in 0..n {
        let gi = g[i];
        let vi = s.momentum * old::<T, IN_PLACE>(v, v0, i) - s.learning_rate * gi;
        let wo = old::<T, IN_PLACE>(w, w0, i);
        let wi = if s.nesterov { wo + s.momentum * vi - s.learning_rate * gi } else { wo + vi };
        finite &= vi.is_finite() & wi.is_finite();
        (v[i], w[i]) = (vi, wi);
    }
    finite
}

multiversion! {
    /// RMSprop on one array.
    pub(super) fn rmsprop_update / rmsprop_update_at<'a, T: Scalar;>
        (w: Io<'a, T>, g: &'a [T], v: Io<'a, T>, s: RmsPropStep<T>) -> bool
        => rmsprop_body
}

multiversion! {
    /// Adam on one array.
    pub(super) fn adam_update / adam_update_at<'a, T: Scalar;>
        (w: Io<'a, T>, g: &'a [T], m: Io<'a, T>, v: Io<'a, T>, s: AdamStep<T>) -> bool
        => adam_body
}

multiversion! {
    /// SGD on one array.
    pub(super) fn sgd_update / sgd_update_at<'a, T: Scalar;>
        (w: Io<'a, T>, g: &'a [T], velocity: Io<'a, T>, s: SgdStep<T>) -> bool
        => sgd_body
}
