//! Compute kernels.
//!
//! Two engines:
//! - our own const-size kernels ([`matmul_rows`], [`affine_rows`], [`vecmat`], [`matvec`],
//!   [`dot`]): no allocation, sizes known to the compiler, the innermost loop runs over
//!   contiguous output lanes with independent accumulators so LLVM unrolls and vectorizes
//!   it. With `std` they are compiled three times (portable, AVX2+FMA, AVX-512) and the
//!   best one for the running CPU is picked at run time, as matrixmultiply does.
//! - `matrixmultiply` (with `alloc`) for large batched products, through
//!   [`Scalar::gemm`](crate::Scalar::gemm) and [`gemm`].

use crate::element::Scalar;

/// A read-only strided matrix view: element `(i, j)` is `data[i * row_stride + j * col_stride]`.
///
/// A row-major `rows x cols` matrix has strides `(cols, 1)`; its transpose is the same
/// data with strides `(1, cols)`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    /// The elements.
    pub data: &'a [T],
    /// Distance between rows, in elements.
    pub row_stride: usize,
    /// Distance between columns, in elements.
    pub col_stride: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// A dense row-major matrix with `cols` columns.
    pub fn row_major(data: &'a [T], cols: usize) -> Self {
        MatRef { data, row_stride: cols, col_stride: 1 }
    }
    /// The transpose of a dense row-major matrix with `cols` columns.
    pub fn transposed(data: &'a [T], cols: usize) -> Self {
        MatRef { data, row_stride: 1, col_stride: cols }
    }
    /// Whether a `rows x cols` matrix with these strides lies inside `data`.
    pub fn fits(&self, rows: usize, cols: usize) -> bool {
        if rows == 0 || cols == 0 {
            return true;
        }
        let last = (rows - 1)
            .checked_mul(self.row_stride)
            .and_then(|r| (cols - 1).checked_mul(self.col_stride).and_then(|c| r.checked_add(c)));
        matches!(last, Some(l) if l < self.data.len())
    }
}

/// `c = a * b + beta * c` for dense or strided operands, through `matrixmultiply`.
///
/// `a` is `m x k`, `b` is `k x n`, `c` is dense row-major `m x n`.
///
/// # Panics
/// If a view is too small for its dimensions.
#[cfg(feature = "alloc")]
pub fn gemm<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: &mut [T],
) {
    T::gemm(m, k, n, a, b, beta, c)
}

#[inline(always)]
fn madd<T: Scalar, const FMA: bool>(a: T, b: T, c: T) -> T {
    if FMA { T::fused_mul_add(a, b, c) } else { a * b + c }
}

/// `c[i] += a[i] * b` for every row `i`: the body of every row kernel.
///
/// Four rows of `b` are folded into each pass over an output row, so each output lane
/// is loaded and stored once per four multiply-adds.
///
/// (Blocks of rows held in registers across `K` would suit narrow outputs better, but
/// LLVM vectorizes such blocks across rows with gathers: 40x slower at 16x16x16.)
#[inline(always)]
fn acc_rows_body<T: Scalar, const K: usize, const N: usize, const FMA: bool>(
    a: &[[T; K]],
    b: &[[T; N]; K],
    c: &mut [[T; N]],
) {
    if N <= 64 {
        for (ar, cr) in a.iter().zip(c.iter_mut()) {
            acc_row_narrow::<T, K, N, FMA>(ar, b, cr);
        }
        return;
    }
    for (ar, cr) in a.iter().zip(c.iter_mut()) {
        let mut k = 0;
        while k + 4 <= K {
            let (x0, x1, x2, x3) = (ar[k], ar[k + 1], ar[k + 2], ar[k + 3]);
            let (b0, b1, b2, b3) = (&b[k], &b[k + 1], &b[k + 2], &b[k + 3]);
            for j in 0..N {
                let mut s = cr[j];
                s = madd::<T, FMA>(x0, b0[j], s);
                s = madd::<T, FMA>(x1, b1[j], s);
                s = madd::<T, FMA>(x2, b2[j], s);
                s = madd::<T, FMA>(x3, b3[j], s);
                cr[j] = s;
            }
            k += 4;
        }
        while k < K {
            let x = ar[k];
            let br = &b[k];
            for j in 0..N {
                cr[j] = madd::<T, FMA>(x, br[j], cr[j]);
            }
            k += 1;
        }
    }
}

/// `c += a * b` for one row of a narrow output (`N <= 64`, a few vector registers).
///
/// With few lanes, one accumulator per lane would make every multiply-add wait for the
/// previous one; four accumulators, one per `k mod 4`, run four independent chains and
/// stay in registers across all of `K`.
#[inline(always)]
fn acc_row_narrow<T: Scalar, const K: usize, const N: usize, const FMA: bool>(
    a: &[T; K],
    b: &[[T; N]; K],
    c: &mut [T; N],
) {
    let mut acc0 = [T::zero(); N];
    let mut acc1 = [T::zero(); N];
    let mut acc2 = [T::zero(); N];
    let mut acc3 = [T::zero(); N];
    let (a4, a_rest) = a.as_chunks::<4>();
    let (b4, b_rest) = b.as_chunks::<4>();
    for (x, w) in a4.iter().zip(b4) {
        for j in 0..N {
            acc0[j] = madd::<T, FMA>(x[0], w[0][j], acc0[j]);
            acc1[j] = madd::<T, FMA>(x[1], w[1][j], acc1[j]);
            acc2[j] = madd::<T, FMA>(x[2], w[2][j], acc2[j]);
            acc3[j] = madd::<T, FMA>(x[3], w[3][j], acc3[j]);
        }
    }
    for (&x, w) in a_rest.iter().zip(b_rest) {
        for j in 0..N {
            acc0[j] = madd::<T, FMA>(x, w[j], acc0[j]);
        }
    }
    for j in 0..N {
        c[j] = c[j] + ((acc0[j] + acc1[j]) + (acc2[j] + acc3[j]));
    }
}

/// `sum(a[i] * b[i])` with sixteen independent accumulators.
#[inline(always)]
fn dot_body<T: Scalar, const FMA: bool>(a: &[T], b: &[T]) -> T {
    const L: usize = 16;
    let mut acc = [T::zero(); L];
    let (ac, ar) = a.as_chunks::<L>();
    let (bc, br) = b.as_chunks::<L>();
    for (x, y) in ac.iter().zip(bc) {
        for l in 0..L {
            acc[l] = madd::<T, FMA>(x[l], y[l], acc[l]);
        }
    }
    let mut tail = T::zero();
    for (x, y) in ar.iter().zip(br) {
        tail = madd::<T, FMA>(*x, *y, tail);
    }
    // Pairwise fold of the lanes.
    let mut width = L;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] = acc[l] + acc[l + width];
        }
    }
    acc[0] + tail
}

#[inline(always)]
fn matvec_body<T: Scalar, const M: usize, const K: usize, const FMA: bool>(
    a: &[[T; K]; M],
    x: &[T; K],
    out: &mut [T; M],
) {
    for (o, row) in out.iter_mut().zip(a) {
        *o = dot_body::<T, FMA>(row, x);
    }
}

/// Which instruction set the kernels run with on this CPU.
/// Ordered from least to most capable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// The target's baseline (SSE2 on x86-64), or whatever `-C target-feature` enables.
    Portable,
    /// AVX2 with FMA, detected at run time.
    Avx2Fma,
    /// AVX-512F with FMA, detected at run time.
    Avx512,
}

/// The instruction set the kernels pick on this CPU.
///
/// Without `std` there is no run-time detection: the kernels use what the build's target
/// features allow ([`Isa::Portable`]). With `std`, the environment variable `SHAPED_ISA`
/// (`portable`, `avx2` or `avx512`) can lower the choice, to measure or test the other
/// paths; it never raises it above what the CPU has.
#[inline]
pub fn isa() -> Isa {
    #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
    {
        static CHOICE: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *CHOICE.get_or_init(|| {
            let detected = if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma")
            {
                Isa::Avx512
            } else if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                Isa::Avx2Fma
            } else {
                Isa::Portable
            };
            let cap = match std::env::var("SHAPED_ISA").as_deref() {
                Ok("portable") => Isa::Portable,
                Ok("avx2") => Isa::Avx2Fma,
                _ => Isa::Avx512,
            };
            detected.min(cap)
        })
    }
    #[cfg(not(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64"))))]
    Isa::Portable
}

/// A computation made of `#[inline(always)]` kernels, run by [`dispatch`] with the best
/// instruction set of this CPU; `FMA` tells whether fused multiply-adds may be used.
pub trait Job {
    /// What it returns.
    type Out;
    /// Runs it; called from inside a function compiled for the chosen instruction set.
    fn run<const FMA: bool>(self) -> Self::Out;
}

/// Runs `job` compiled three times (portable, AVX2+FMA, AVX-512), the best one for this
/// CPU: one run-time choice for a whole computation, everything inside inlined.
#[inline]
pub fn dispatch<J: Job>(job: J) -> J::Out {
    #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
    {
        match isa() {
            // SAFETY: `isa()` reported AVX-512F and FMA on this CPU.
            Isa::Avx512 => return unsafe { run_avx512(job) },
            // SAFETY: `isa()` reported AVX2 and FMA on this CPU.
            Isa::Avx2Fma => return unsafe { run_avx2(job) },
            Isa::Portable => {}
        }
    }
    if cfg!(target_feature = "fma") { job.run::<true>() } else { job.run::<false>() }
}

#[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
#[target_feature(enable = "avx512f,avx2,fma")]
fn run_avx512<J: Job>(job: J) -> J::Out {
    job.run::<true>()
}

#[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<J: Job>(job: J) -> J::Out {
    job.run::<true>()
}

/// The body of [`accumulate_rows`], for kernels composed inside a [`Job`].
#[doc(hidden)]
#[inline(always)]
pub fn acc_rows_inline<T: Scalar, const K: usize, const N: usize, const FMA: bool>(
    a: &[[T; K]],
    b: &[[T; N]; K],
    c: &mut [[T; N]],
) {
    acc_rows_body::<T, K, N, FMA>(a, b, c)
}

/// Defines a kernel three times (portable, AVX2+FMA, AVX-512) over one generic body and a
/// public entry point that dispatches on [`isa`].
macro_rules! multiversion {
    (
        $(#[$doc:meta])*
        pub fn $name:ident<$($g:ident: $gb:path),*; $(const $c:ident: usize),*>($($arg:ident: $ty:ty),*) $(-> $ret:ty)?
        => $body:ident::<$($bg:tt),*>
    ) => {
        $(#[$doc])*
        #[inline]
        pub fn $name<$($g: $gb,)* $(const $c: usize,)*>($($arg: $ty),*) $(-> $ret)? {
            $name::dispatch::<$($g,)* $($c,)*>(isa(), $($arg),*)
        }

        #[allow(non_snake_case)]
        pub(crate) mod $name {
            #[allow(unused_imports)]
            use super::*;

            /// Runs the kernel with the given instruction set, falling back to the
            /// portable version where the CPU lacks it.
            #[inline]
            pub(crate) fn dispatch<$($g: $gb,)* $(const $c: usize,)*>(isa: Isa, $($arg: $ty),*) $(-> $ret)? {
                #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
                {
                    if isa == Isa::Avx512 && super::isa() == Isa::Avx512 {
                        // SAFETY: `isa()` just reported AVX-512F and FMA on this CPU, the
                        // features `avx512` is compiled for.
                        return unsafe { avx512::<$($g,)* $($c,)*>($($arg),*) };
                    }
                    if isa != Isa::Portable && super::isa() != Isa::Portable {
                        // SAFETY: `isa()` reported at least AVX2 and FMA on this CPU, the
                        // features `avx2` is compiled for.
                        return unsafe { avx2::<$($g,)* $($c,)*>($($arg),*) };
                    }
                }
                let _ = isa;
                portable::<$($g,)* $($c,)*>($($arg),*)
            }

            #[inline(always)]
            pub(crate) fn portable<$($g: $gb,)* $(const $c: usize,)*>($($arg: $ty),*) $(-> $ret)? {
                if cfg!(target_feature = "fma") {
                    $body::<$($bg,)* true>($($arg),*)
                } else {
                    $body::<$($bg,)* false>($($arg),*)
                }
            }

            #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
            #[target_feature(enable = "avx2,fma")]
            pub(crate) fn avx2<$($g: $gb,)* $(const $c: usize,)*>($($arg: $ty),*) $(-> $ret)? {
                $body::<$($bg,)* true>($($arg),*)
            }

            #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
            #[target_feature(enable = "avx512f,avx2,fma")]
            pub(crate) fn avx512<$($g: $gb,)* $(const $c: usize,)*>($($arg: $ty),*) $(-> $ret)? {
                $body::<$($bg,)* true>($($arg),*)
            }
        }
    };
}

multiversion! {
    /// `c[i] += a[i] * b` for every row: a batch of samples times a weight matrix in
    /// Keras layout (`K` inputs x `N` outputs), accumulated into `c`.
    ///
    /// Rows beyond the shorter of `a` and `c` are left alone.
    pub fn accumulate_rows<T: Scalar; const K: usize, const N: usize>(a: &[[T; K]], b: &[[T; N]; K], c: &mut [[T; N]])
        => acc_rows_body::<T, K, N>
}

multiversion! {
    /// `sum(a[i] * b[i])` over the common length of `a` and `b`.
    pub fn dot_slices<T: Scalar;>(a: &[T], b: &[T]) -> T
        => dot_body::<T>
}

multiversion! {
    /// `out = a * x` for an `M x K` matrix and a vector of `K`.
    pub fn matvec<T: Scalar; const M: usize, const K: usize>(a: &[[T; K]; M], x: &[T; K], out: &mut [T; M])
        => matvec_body::<T, M, K>
}

/// The gradient `g + g2` (`g2` empty: `g` alone).
#[inline(always)]
fn grad_at<T: Scalar>(g: &[T], g2: &[T], i: usize) -> T {
    if g2.is_empty() { g[i] } else { g[i] + g2[i] }
}

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into four arrays
fn rmsprop_body<T: Scalar, const FMA: bool>(w: &mut [T], g: &[T], g2: &[T], v: &mut [T], h: [T; 4]) {
    let (lr, rho, one_minus_rho, eps) = (h[0], h[1], h[2], h[3]);
    let n = w.len().min(g.len()).min(v.len());
    let (w, g, v) = (&mut w[..n], &g[..n], &mut v[..n]);
    let g2 = if g2.len() >= n { &g2[..n] } else { &g2[..0] };
    for i in 0..n {
        let gi = grad_at(g, g2, i);
        v[i] = rho * v[i] + one_minus_rho * gi * gi;
        w[i] = w[i] - lr * gi / (v[i] + eps).sqrt();
    }
}

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into four arrays
fn adam_body<T: Scalar, const FMA: bool>(
    w: &mut [T],
    g: &[T],
    g2: &[T],
    m: &mut [T],
    v: &mut [T],
    h: [T; 4],
) {
    let (alpha, k1, k2, eps) = (h[0], h[1], h[2], h[3]);
    let n = w.len().min(g.len()).min(m.len()).min(v.len());
    let (w, g, m, v) = (&mut w[..n], &g[..n], &mut m[..n], &mut v[..n]);
    let g2 = if g2.len() >= n { &g2[..n] } else { &g2[..0] };
    for i in 0..n {
        let gi = grad_at(g, g2, i);
        m[i] = m[i] + (gi - m[i]) * k1;
        v[i] = v[i] + (gi * gi - v[i]) * k2;
        w[i] = w[i] - alpha * m[i] / (v[i].sqrt() + eps);
    }
}

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into four arrays
fn sgd_body<T: Scalar, const FMA: bool>(w: &mut [T], g: &[T], g2: &[T], velocity: &mut [T], h: [T; 4]) {
    let (lr, momentum, nesterov) = (h[0], h[1], h[2] != T::zero());
    let n = w.len().min(g.len());
    let (w, g) = (&mut w[..n], &g[..n]);
    let g2 = if g2.len() >= n { &g2[..n] } else { &g2[..0] };
    if momentum == T::zero() {
        for i in 0..n {
            w[i] = w[i] - lr * grad_at(g, g2, i);
        }
        return;
    }
    let velocity = &mut velocity[..n];
    for i in 0..n {
        let gi = grad_at(g, g2, i);
        velocity[i] = momentum * velocity[i] - lr * gi;
        w[i] = if nesterov { w[i] + momentum * velocity[i] - lr * gi } else { w[i] + velocity[i] };
    }
}

#[inline(always)]
fn finite_body<T: Scalar, const FMA: bool>(x: &[T]) -> bool {
    // A bitwise fold (no early exit) vectorizes.
    x.iter().fold(true, |ok, &v| ok & v.is_finite())
}

multiversion! {
    /// RMSprop on one array: `v = rho v + (1 - rho) g^2; w -= lr g / sqrt(v + eps)`, with
    /// `g` the sum of `g` and `g2` (`g2` empty: `g` alone), `h = [lr, rho, 1 - rho, eps]`.
    pub fn rmsprop_update<T: Scalar;>(w: &mut [T], g: &[T], g2: &[T], v: &mut [T], h: [T; 4])
        => rmsprop_body::<T>
}

multiversion! {
    /// Adam on one array, `h = [alpha_t, 1 - beta1, 1 - beta2, eps]`; `g` as in
    /// [`rmsprop_update`].
    pub fn adam_update<T: Scalar;>(w: &mut [T], g: &[T], g2: &[T], m: &mut [T], v: &mut [T], h: [T; 4])
        => adam_body::<T>
}

multiversion! {
    /// SGD on one array, `h = [lr, momentum, nesterov (0 or 1), unused]`; `g` as in
    /// [`rmsprop_update`].
    pub fn sgd_update<T: Scalar;>(w: &mut [T], g: &[T], g2: &[T], velocity: &mut [T], h: [T; 4])
        => sgd_body::<T>
}

multiversion! {
    /// Whether every value is finite (no NaN, no infinity).
    pub fn all_finite<T: Scalar;>(x: &[T]) -> bool
        => finite_body::<T>
}

/// `c = a * b` for a batch of rows `a` (each `K` long) and a `K x N` matrix.
///
/// The const-size kernel: no allocation, and faster than a packing GEMM for a few rows.
///
/// ```
/// let a = [[1.0f32, 2.0], [3.0, 4.0]];
/// let b = [[1.0f32, 0.0, 1.0], [0.0, 1.0, 1.0]];
/// let mut c = [[0.0f32; 3]; 2];
/// shaped::kernels::matmul_rows(&a, &b, &mut c);
/// assert_eq!(c, [[1.0, 2.0, 3.0], [3.0, 4.0, 7.0]]);
/// ```
///
/// # Panics
/// If `a` and `c` hold different numbers of rows.
#[inline]
pub fn matmul_rows<T: Scalar, const K: usize, const N: usize>(
    a: &[[T; K]],
    b: &[[T; N]; K],
    c: &mut [[T; N]],
) {
    assert_eq!(a.len(), c.len(), "matmul_rows: {} input rows but {} output rows", a.len(), c.len());
    c.fill([T::zero(); N]);
    accumulate_rows(a, b, c);
}

/// `c[i] = a[i] * w + bias` for every row: the affine map of a Dense layer.
///
/// # Panics
/// If `a` and `c` hold different numbers of rows.
#[inline]
pub fn affine_rows<T: Scalar, const K: usize, const N: usize>(
    a: &[[T; K]],
    w: &[[T; N]; K],
    bias: &[T; N],
    c: &mut [[T; N]],
) {
    assert_eq!(a.len(), c.len(), "affine_rows: {} input rows but {} output rows", a.len(), c.len());
    c.fill(*bias);
    accumulate_rows(a, w, c);
}

/// `out = x * w` for one sample: GEMV with the weights in Keras layout (`K x N`).
#[inline]
pub fn vecmat<T: Scalar, const K: usize, const N: usize>(x: &[T; K], w: &[[T; N]; K], out: &mut [T; N]) {
    *out = [T::zero(); N];
    accumulate_rows(core::slice::from_ref(x), w, core::slice::from_mut(out));
}

/// `sum(a[i] * b[i])` for two vectors of one length.
#[inline]
pub fn dot<T: Scalar, const N: usize>(a: &[T; N], b: &[T; N]) -> T {
    dot_slices(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng, rngs::StdRng};

    fn reference_matmul<const K: usize, const N: usize>(
        a: &[[f64; K]],
        b: &[[f64; N]; K],
    ) -> std::vec::Vec<[f64; N]> {
        a.iter()
            .map(|row| {
                let mut out = [0.0; N];
                for (j, o) in out.iter_mut().enumerate() {
                    for k in 0..K {
                        *o += row[k] * b[k][j];
                    }
                }
                out
            })
            .collect()
    }

    fn random<const N: usize>(rng: &mut StdRng) -> [f64; N] {
        core::array::from_fn(|_| rng.random_range(-1.0..1.0))
    }

    fn isas() -> std::vec::Vec<Isa> {
        let mut v = std::vec![Isa::Portable];
        if isa() != Isa::Portable {
            v.push(Isa::Avx2Fma);
        }
        if isa() == Isa::Avx512 {
            v.push(Isa::Avx512);
        }
        v
    }

    fn check_rows<const M: usize, const K: usize, const N: usize>(rng: &mut StdRng) {
        let a: std::vec::Vec<[f64; K]> = (0..M).map(|_| random::<K>(rng)).collect();
        // Boxed: the larger cases do not fit a test thread's stack in debug builds.
        let b: std::boxed::Box<[[f64; N]; K]> = (0..K)
            .map(|_| random::<N>(rng))
            .collect::<std::vec::Vec<_>>()
            .into_boxed_slice()
            .try_into()
            .unwrap();
        let want = reference_matmul(&a, &b);
        for isa in isas() {
            let mut c = std::vec![[0.5f64; N]; M];
            accumulate_rows::dispatch(isa, &a, &b, &mut c);
            for (got, want) in c.iter().zip(&want) {
                for (g, w) in got.iter().zip(want) {
                    assert!((g - (w + 0.5)).abs() < 1e-12, "{isa:?} {M}x{K}x{N}: {g} vs {}", w + 0.5);
                }
            }
        }
        // f32 through the public entry point.
        let a32: std::vec::Vec<[f32; K]> = a.iter().map(|r| r.map(|x| x as f32)).collect();
        let b32: std::boxed::Box<[[f32; N]; K]> = b
            .iter()
            .map(|r| r.map(|x| x as f32))
            .collect::<std::vec::Vec<_>>()
            .into_boxed_slice()
            .try_into()
            .unwrap();
        let mut c32 = std::vec![[9.0f32; N]; M];
        matmul_rows(&a32, &b32, &mut c32);
        for (got, want) in c32.iter().zip(&want) {
            for (g, w) in got.iter().zip(want) {
                assert!((*g as f64 - w).abs() < 1e-4, "f32 {M}x{K}x{N}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn row_kernels_match_reference() {
        let mut rng = StdRng::seed_from_u64(7);
        check_rows::<1, 1, 1>(&mut rng);
        check_rows::<3, 5, 7>(&mut rng);
        check_rows::<4, 4, 4>(&mut rng);
        check_rows::<16, 16, 16>(&mut rng);
        check_rows::<5, 13, 33>(&mut rng);
        check_rows::<2, 100, 10>(&mut rng);
        check_rows::<1, 784, 51>(&mut rng);
        check_rows::<9, 3, 0>(&mut rng);
        // Blocks of 8 rows (N <= 16) and 4 rows (N <= 32) with remainders.
        check_rows::<19, 7, 16>(&mut rng);
        check_rows::<11, 9, 17>(&mut rng);
        check_rows::<10, 6, 32>(&mut rng);
        check_rows::<0, 3, 3>(&mut rng);
    }

    #[test]
    fn dot_and_matvec_match_reference() {
        let mut rng = StdRng::seed_from_u64(8);
        for len in [0usize, 1, 7, 15, 16, 17, 33, 100, 1000] {
            let a: std::vec::Vec<f64> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let b: std::vec::Vec<f64> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let want: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            for isa in isas() {
                let got = dot_slices::dispatch(isa, &a, &b);
                assert!((got - want).abs() < 1e-12, "{isa:?} len {len}: {got} vs {want}");
            }
        }
        let a: [[f64; 19]; 5] = core::array::from_fn(|_| random::<19>(&mut rng));
        let x = random::<19>(&mut rng);
        for isa in isas() {
            let mut out = [0.0; 5];
            matvec::dispatch(isa, &a, &x, &mut out);
            for (o, row) in out.iter().zip(&a) {
                let want: f64 = row.iter().zip(&x).map(|(p, q)| p * q).sum();
                assert!((o - want).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn affine_and_vecmat() {
        let w = [[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let mut out = [0.0; 2];
        vecmat(&[1.0, 1.0, 1.0], &w, &mut out);
        assert_eq!(out, [9.0, 12.0]);
        let mut c = [[0.0f32; 2]; 2];
        affine_rows(&[[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]], &w, &[0.5, -0.5], &mut c);
        assert_eq!(c, [[1.5, 1.5], [10.5, 11.5]]);
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn gemm_strided_matches_reference() {
        let mut rng = StdRng::seed_from_u64(9);
        for (m, k, n) in [(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 64, 64)] {
            let a: std::vec::Vec<f64> = (0..m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
            let b: std::vec::Vec<f64> = (0..k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let at: std::vec::Vec<f64> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
            let mut want = std::vec![0.0; m * n];
            for i in 0..m {
                for j in 0..n {
                    for p in 0..k {
                        want[i * n + j] += a[i * k + p] * b[p * n + j];
                    }
                }
            }
            let mut c = std::vec![1.0; m * n];
            gemm(m, k, n, MatRef::row_major(&a, k), MatRef::row_major(&b, n), 0.0, &mut c);
            let mut ct = std::vec![1.0; m * n];
            gemm(m, k, n, MatRef::transposed(&at, m), MatRef::row_major(&b, n), 1.0, &mut ct);
            for i in 0..m * n {
                assert!((c[i] - want[i]).abs() < 1e-12);
                assert!((ct[i] - want[i] - 1.0).abs() < 1e-12);
            }
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    #[should_panic(expected = "smaller")]
    fn gemm_rejects_short_views() {
        let a = [0.0f32; 5];
        let mut c = [0.0f32; 4];
        gemm(2, 3, 2, MatRef::row_major(&a, 3), MatRef::row_major(&a, 2), 0.0, &mut c);
    }

    /// A job over the row kernel, for checking `dispatch`'s variants.
    struct RowsJob<'a> {
        a: &'a [[f64; 13]],
        b: &'a [[f64; 33]; 13],
        c: &'a mut [[f64; 33]],
    }

    impl Job for RowsJob<'_> {
        type Out = f64;
        #[inline(always)]
        fn run<const FMA: bool>(self) -> f64 {
            acc_rows_inline::<f64, 13, 33, FMA>(self.a, self.b, self.c);
            self.c[0][0]
        }
    }

    #[test]
    fn dispatch_variants_match_reference() {
        let mut rng = StdRng::seed_from_u64(21);
        let a: std::vec::Vec<[f64; 13]> = (0..5).map(|_| random::<13>(&mut rng)).collect();
        let b: [[f64; 33]; 13] = core::array::from_fn(|_| random::<33>(&mut rng));
        let want = reference_matmul(&a, &b);
        let mut runs: std::vec::Vec<(&str, std::vec::Vec<[f64; 33]>)> = std::vec::Vec::new();
        let fresh = || std::vec![[0.0f64; 33]; 5];
        let mut c = fresh();
        RowsJob { a: &a, b: &b, c: &mut c }.run::<false>();
        runs.push(("portable", c));
        let mut c = fresh();
        dispatch(RowsJob { a: &a, b: &b, c: &mut c });
        runs.push(("dispatch", c));
        #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
        {
            if isa() >= Isa::Avx2Fma {
                let mut c = fresh();
                // SAFETY: `isa()` reported AVX2 and FMA.
                unsafe { run_avx2(RowsJob { a: &a, b: &b, c: &mut c }) };
                runs.push(("avx2", c));
            }
            if isa() >= Isa::Avx512 {
                let mut c = fresh();
                // SAFETY: `isa()` reported AVX-512F and FMA.
                unsafe { run_avx512(RowsJob { a: &a, b: &b, c: &mut c }) };
                runs.push(("avx512", c));
            }
        }
        for (name, c) in runs {
            for (got, want) in c.iter().zip(&want) {
                for (x, y) in got.iter().zip(want) {
                    assert!((x - y).abs() < 1e-12, "{name}: {x} vs {y}");
                }
            }
        }
    }

    #[test]
    fn matref_fits() {
        let d = [0u8; 6];
        assert!(MatRef::row_major(&d, 3).fits(2, 3));
        assert!(!MatRef::row_major(&d, 3).fits(3, 3));
        assert!(MatRef::transposed(&d, 3).fits(3, 2));
        assert!(MatRef::row_major(&d, usize::MAX).fits(1, 1));
        assert!(!MatRef::row_major(&d, usize::MAX).fits(3, 1));
    }
}
