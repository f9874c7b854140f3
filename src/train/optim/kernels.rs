//! The optimizers' update loops: one pass over weights, gradients and state, the
//! update mode (in place or not, one gradient or two) a compile-time choice.

use super::{AdamStep, RmsPropStep, SgdStep};
use crate::element::Scalar;
use crate::linalg::simd::multiversion;

/// A gradient given as `g + h` (either may be empty: the other alone), summed inside the
/// update loops so the sum costs no pass of its own.
#[derive(Clone, Copy)]
pub(super) struct Grad<'a, T> {
    pub(super) g: &'a [T],
    pub(super) h: &'a [T],
}

impl<'a, T: Scalar> Grad<'a, T> {
    /// The gradient's length: the non-empty part's, or the shorter one's.
    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        match (self.g.is_empty(), self.h.is_empty()) {
            (true, _) => self.h.len(),
            (_, true) => self.g.len(),
            _ => self.g.len().min(self.h.len()),
        }
    }
    /// The first `n` values of each non-empty part (both, if both are non-empty).
    #[inline(always)]
    pub(super) fn parts(&self, n: usize) -> (&'a [T], &'a [T]) {
        match (self.g.is_empty(), self.h.is_empty()) {
            (true, _) => (&self.h[..n], &[]),
            (_, true) => (&self.g[..n], &[]),
            _ => (&self.g[..n], &self.h[..n]),
        }
    }
}

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

/// Gradient `i`: `a[i] + b[i]` with two parts, else `a[i]` (a compile-time choice).
#[inline(always)]
pub(super) fn at<T: Scalar, const SUM: bool>(a: &[T], b: &[T], i: usize) -> T {
    if SUM { a[i] + b[i] } else { a[i] }
}

/// Runs `$body::<IN_PLACE, SUM>(args)` for the mode of this call, chosen once.
macro_rules! by_mode {
    ($in_place:expr, $sum:expr, $body:ident::<$t:ty>($($arg:expr),*)) => {
        match ($in_place, $sum) {
            (true, false) => $body::<$t, true, false>($($arg),*),
            (true, true) => $body::<$t, true, true>($($arg),*),
            (false, false) => $body::<$t, false, false>($($arg),*),
            (false, true) => $body::<$t, false, true>($($arg),*),
        }
    };
}

#[inline(always)]
pub(super) fn rmsprop_body<T: Scalar, const FMA: bool>(
    w: Io<'_, T>,
    g: Grad<'_, T>,
    v: Io<'_, T>,
    s: RmsPropStep<T>,
) -> bool {
    let n = w.len().min(g.len()).min(v.len());
    let ((w, w0), (a, b), (v, v0)) = (w.split(n), g.parts(n), v.split(n));
    // Weights and state are updated in place together, or out of place together.
    by_mode!(w0.is_empty() && v0.is_empty(), !b.is_empty(), rmsprop_loop::<T>(w, w0, a, b, v, v0, s))
}

#[inline(always)]
#[allow(clippy::needless_range_loop, clippy::too_many_arguments)] // one index into several arrays
pub(super) fn rmsprop_loop<T: Scalar, const IN_PLACE: bool, const SUM: bool>(
    w: &mut [T],
    w0: &[T],
    a: &[T],
    b: &[T],
    v: &mut [T],
    v0: &[T],
    s: RmsPropStep<T>,
) -> bool {
    let n = w.len();
    let (a, v) = (&a[..n], &mut v[..n]);
    let (w0, b, v0) = (
        if IN_PLACE { w0 } else { &w0[..n] },
        if SUM { &b[..n] } else { b },
        if IN_PLACE { v0 } else { &v0[..n] },
    );
    let mut finite = true;
    for i in 0..n {
        let gi = at::<T, SUM>(a, b, i);
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
    g: Grad<'_, T>,
    m: Io<'_, T>,
    v: Io<'_, T>,
    s: AdamStep<T>,
) -> bool {
    let n = w.len().min(g.len()).min(m.len()).min(v.len());
    let ((w, w0), (a, b), (m, m0), (v, v0)) = (w.split(n), g.parts(n), m.split(n), v.split(n));
    let in_place = w0.is_empty() && m0.is_empty() && v0.is_empty();
    by_mode!(in_place, !b.is_empty(), adam_loop::<T>(w, w0, a, b, (m, m0), (v, v0), s))
}

#[inline(always)]
#[allow(clippy::needless_range_loop, clippy::too_many_arguments, clippy::type_complexity)]
pub(super) fn adam_loop<T: Scalar, const IN_PLACE: bool, const SUM: bool>(
    w: &mut [T],
    w0: &[T],
    a: &[T],
    b: &[T],
    (m, m0): (&mut [T], &[T]),
    (v, v0): (&mut [T], &[T]),
    s: AdamStep<T>,
) -> bool {
    let n = w.len();
    let (a, m, v) = (&a[..n], &mut m[..n], &mut v[..n]);
    let b = if SUM { &b[..n] } else { b };
    let (w0, m0, v0) = if IN_PLACE { (w0, m0, v0) } else { (&w0[..n], &m0[..n], &v0[..n]) };
    let mut finite = true;
    for i in 0..n {
        let gi = at::<T, SUM>(a, b, i);
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
    g: Grad<'_, T>,
    velocity: Io<'_, T>,
    s: SgdStep<T>,
) -> bool {
    let n =
        if s.momentum == T::zero() { w.len().min(g.len()) } else { w.len().min(g.len()).min(velocity.len()) };
    let ((w, w0), (a, b)) = (w.split(n), g.parts(n));
    let (v, v0) = if s.momentum == T::zero() {
        let n = velocity.len();
        velocity.split(n)
    } else {
        velocity.split(n)
    };
    let in_place = w0.is_empty() && v0.is_empty();
    by_mode!(in_place, !b.is_empty(), sgd_loop::<T>(w, w0, a, b, v, v0, s))
}

#[inline(always)]
#[allow(clippy::needless_range_loop, clippy::too_many_arguments)] // one index into several arrays
pub(super) fn sgd_loop<T: Scalar, const IN_PLACE: bool, const SUM: bool>(
    w: &mut [T],
    w0: &[T],
    a: &[T],
    b: &[T],
    v: &mut [T],
    v0: &[T],
    s: SgdStep<T>,
) -> bool {
    let n = w.len();
    let a = &a[..n];
    let b = if SUM { &b[..n] } else { b };
    let w0 = if IN_PLACE { w0 } else { &w0[..n] };
    let mut finite = true;
    if s.momentum == T::zero() {
        for i in 0..n {
            let wi = old::<T, IN_PLACE>(w, w0, i) - s.learning_rate * at::<T, SUM>(a, b, i);
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
        let gi = at::<T, SUM>(a, b, i);
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
        (w: Io<'a, T>, g: Grad<'a, T>, v: Io<'a, T>, s: RmsPropStep<T>) -> bool
        => rmsprop_body
}

multiversion! {
    /// Adam on one array.
    pub(super) fn adam_update / adam_update_at<'a, T: Scalar;>
        (w: Io<'a, T>, g: Grad<'a, T>, m: Io<'a, T>, v: Io<'a, T>, s: AdamStep<T>) -> bool
        => adam_body
}

multiversion! {
    /// SGD on one array.
    pub(super) fn sgd_update / sgd_update_at<'a, T: Scalar;>
        (w: Io<'a, T>, g: Grad<'a, T>, velocity: Io<'a, T>, s: SgdStep<T>) -> bool
        => sgd_body
}
