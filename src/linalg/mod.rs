//! Matrix products and the kernels behind them.
//!
//! Not part of the user-facing API (hidden from the docs, like faer's `hacks`): the
//! network and tensor code call it, and the benches reach it to compare engines.
//!
//! Engines, chosen in one place ([`engine`]):
//! - [`Engine::Inline`] and [`Engine::Rows`]: const-size row kernels ([`small`]), no
//!   allocation, sizes known to the compiler;
//! - [`Engine::Packed`]: our BLIS-style GEMM ([`packed`]) whose packing buffers the caller
//!   owns, so a training step allocates nothing;
//! - [`Engine::Matrixmultiply`]: the `matrixmultiply` crate, for large products where no
//!   packing buffers are at hand.
//!
//! [`matmul_rows`] (dense rows, const widths) and [`matmul`] (strided views) are the
//! entries; both ask [`engine`].

pub mod exp;
pub mod int8;
#[cfg(feature = "alloc")]
pub mod packed;
#[cfg(test)]
pub(crate) mod reference;
mod row4;
pub(crate) mod simd;
pub mod small;
#[cfg(all(feature = "alloc", feature = "std", target_arch = "x86_64"))]
mod x86;

#[cfg(feature = "alloc")]
pub use packed::Packing;
pub use simd::{Isa, Job, dispatch, dispatch_at, isa};

#[cfg(feature = "alloc")]
use alloc::vec::Vec;
use core::fmt::Debug;

/// Products of at most this many multiply-adds run inline on the portable row kernel:
/// too small to pay for a call through the run-time dispatch.
pub const TINY_WORK: usize = 8 * 8 * 8;
/// Products with at most this many rows run on the row kernels, whatever their size
/// (one sample, or a few: packing would cost more than it saves).
pub const SMALL_ROWS: usize = 4;
/// Products of at most this many multiply-adds run on the row kernels. Measured in
/// `benches/matmul.rs` (BENCHMARKS.md): above it matrixmultiply wins.
pub const SMALL_WORK: usize = 48 * 48 * 48;
/// Products at most this many columns wide run on the row kernels, whatever their size:
/// a packed micro-kernel's tile is 32 columns wide, mostly padding for a layer of 10
/// classes (64 x 512 x 10: 16.6 us on the row kernel, 33.3 packed, 24.8 matrixmultiply;
/// at 24 columns the three are even, at 32 the packed product wins).
pub const NARROW: usize = 16;

/// The real numbers the kernels are written for: `f32` and `f64` (sealed).
///
/// The per-type hooks of the matrix products live here, not on
/// [`Scalar`](crate::Scalar), so that element types do not depend on the kernels.
pub trait Real: num_traits::Float + Default + Debug + Send + Sync + 'static + sealed::Sealed {
    /// `a * b + c`, fused into one instruction where the running code has FMA.
    fn fused_mul_add(a: Self, b: Self, c: Self) -> Self;

    /// The micro-kernel of [`packed`] for this type on this CPU, if there is a fast one.
    #[cfg(feature = "alloc")]
    fn micro_kernel() -> Option<packed::MicroKernel<Self>>;

    /// The same micro-kernel reading `B` at picked rows, if there is a fast one.
    #[cfg(feature = "alloc")]
    fn picked_kernel() -> Option<packed::PickedKernel<Self>>;

    /// `c = a * b + beta * c` through `matrixmultiply`, for a checked product.
    #[cfg(feature = "alloc")]
    fn matrixmultiply(p: &Product<'_, Self>, beta: Self, c: &mut [Self]);

    /// Runs `f` with packing buffers for `A` of products of `m` rows and depth `k` (see
    /// [`Packing::for_inputs`]): with `std`, this thread's, kept between calls (a fresh
    /// 200 KiB buffer per call costs page faults every time); otherwise new ones.
    #[cfg(feature = "alloc")]
    fn with_input_packing<R>(m: usize, k: usize, f: impl FnOnce(&mut Packing<Self>) -> R) -> R;

    /// `c += a * b` for one row of four outputs with fused multiply-adds, by a kernel of
    /// this type's own where the build has one (`f32` where the target has AVX-512F and
    /// FMA: `linalg/row4.rs`); `false`, with `c` untouched, where it has none.
    #[doc(hidden)]
    fn acc_row4<const K: usize>(a: &[Self; K], b: &[[Self; 4]; K], c: &mut [Self; 4]) -> bool;

    /// `acc[j] += sum_k a[k] * w[k * stride + j]` for eight outputs, by a kernel of this
    /// type's own where the build has one (`f32` on Cortex-M cores with a single-precision
    /// FPU: `linalg/row4.rs`); `false`, with `acc` untouched, where it has none.
    #[doc(hidden)]
    fn acc_block8(a: &[Self], w: &[Self], stride: usize, acc: &mut [Self; 8]) -> bool {
        let _ = (a, w, stride, acc);
        false
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

macro_rules! real {
    ($t:ty, $gemm:ident, $kernel:expr, $picked:expr, $row4:ident) => {
        impl Real for $t {
            #[inline(always)]
            fn acc_row4<const K: usize>(a: &[Self; K], b: &[[Self; 4]; K], c: &mut [Self; 4]) -> bool {
                row4::$row4::<K>(a, b, c)
            }
            #[inline(always)]
            fn acc_block8(a: &[Self], w: &[Self], stride: usize, acc: &mut [Self; 8]) -> bool {
                <$t as row4::Block8>::block8(a, w, stride, acc)
            }
            #[cfg(feature = "alloc")]
            fn with_input_packing<R>(m: usize, k: usize, f: impl FnOnce(&mut Packing<Self>) -> R) -> R {
                #[cfg(feature = "std")]
                {
                    std::thread_local! {
                        static BUFFERS: core::cell::RefCell<Packing<$t>> = core::cell::RefCell::new(Packing::empty());
                    }
                    // A nested call (none today) gets buffers of its own.
                    let mut f = Some(f);
                    let reused = BUFFERS.with(|b| {
                        b.try_borrow_mut().ok().map(|mut b| {
                            b.reserve_inputs(m, k);
                            (f.take().expect("called once"))(&mut b)
                        })
                    });
                    if let Some(r) = reused {
                        return r;
                    }
                    return (f.take().expect("called once"))(&mut Packing::for_inputs(m, k));
                }
                #[allow(unreachable_code)]
                f(&mut Packing::for_inputs(m, k))
            }
            #[inline(always)]
            fn fused_mul_add(a: Self, b: Self, c: Self) -> Self {
                num_traits::Float::mul_add(a, b, c)
            }
            #[cfg(feature = "alloc")]
            #[inline]
            fn micro_kernel() -> Option<packed::MicroKernel<Self>> {
                $kernel
            }
            #[cfg(feature = "alloc")]
            #[inline]
            fn picked_kernel() -> Option<packed::PickedKernel<Self>> {
                $picked
            }
            #[cfg(feature = "alloc")]
            fn matrixmultiply(p: &Product<'_, Self>, beta: Self, c: &mut [Self]) {
                assert!(
                    c.len() >= p.c_len,
                    "matmul: `c` holds {} elements, the product needs {}",
                    c.len(),
                    p.c_len
                );
                if p.m == 0 || p.n == 0 {
                    return;
                }
                // Strides become `isize`: `Product::new` refused any view whose last
                // element's offset exceeds `isize::MAX`, so none of them wraps.
                // SAFETY: `Product::new` proved that every element matrixmultiply reads
                // (`a` up to (m-1, k-1), `b` up to (k-1, n-1), with their strides) lies
                // inside the borrowed slices, and the assert above that every element
                // it writes (`c`, rows `ldc` apart, n columns) lies inside `c`, which is
                // borrowed mutably and so aliases neither.
                unsafe {
                    matrixmultiply::$gemm(
                        p.m,
                        p.k,
                        p.n,
                        1.0,
                        p.a.data.as_ptr(),
                        p.a.row_stride as isize,
                        p.a.col_stride as isize,
                        p.b.data.as_ptr(),
                        p.b.row_stride as isize,
                        p.b.col_stride as isize,
                        beta,
                        c.as_mut_ptr(),
                        p.ldc as isize,
                        1,
                    );
                }
            }
        }
    };
}
#[cfg(all(feature = "alloc", feature = "std", target_arch = "x86_64"))]
real!(f32, sgemm, x86::f32_kernel(), x86::f32_picked_kernel(), row4_f32);
#[cfg(not(all(feature = "alloc", feature = "std", target_arch = "x86_64")))]
real!(f32, sgemm, None, None, row4_f32);
real!(f64, dgemm, None, None, row4_f64);

/// A read-only strided matrix view: element `(i, j)` is `data[i * row_stride + j * col_stride]`.
///
/// A row-major `rows x cols` matrix has strides `(cols, 1)`; its transpose is the same
/// data with strides `(1, cols)`. Any strides are accepted here; a product checks that
/// its operands fit their views before it reads them.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    data: &'a [T],
    row_stride: usize,
    col_stride: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// A view with the given strides, in elements.
    pub fn new(data: &'a [T], row_stride: usize, col_stride: usize) -> Self {
        MatRef { data, row_stride, col_stride }
    }
    /// A dense row-major matrix with `cols` columns.
    pub fn row_major(data: &'a [T], cols: usize) -> Self {
        MatRef { data, row_stride: cols, col_stride: 1 }
    }
    /// The transpose of a dense row-major matrix with `cols` columns.
    pub fn transposed(data: &'a [T], cols: usize) -> Self {
        MatRef { data, row_stride: 1, col_stride: cols }
    }
    /// The elements.
    pub fn data(&self) -> &'a [T] {
        self.data
    }
    /// Distance between rows, in elements.
    pub fn row_stride(&self) -> usize {
        self.row_stride
    }
    /// Distance between columns, in elements.
    pub fn col_stride(&self) -> usize {
        self.col_stride
    }
    /// Whether a `rows x cols` matrix with these strides lies inside `data`, every offset
    /// computed without overflow and at most `isize::MAX`.
    pub fn fits(&self, rows: usize, cols: usize) -> bool {
        if rows == 0 || cols == 0 {
            return true;
        }
        let last = (rows - 1)
            .checked_mul(self.row_stride)
            .and_then(|r| (cols - 1).checked_mul(self.col_stride).and_then(|c| r.checked_add(c)));
        matches!(last, Some(l) if l < self.data.len() && l <= isize::MAX as usize)
    }
}

#[cfg(feature = "alloc")]
/// A product `m x k` times `k x n` into rows `ldc` apart, whose operands were checked to
/// fit their views: the only way to reach the engines.
#[derive(Clone, Copy, Debug)]
pub struct Product<'a, T> {
    m: usize,
    k: usize,
    n: usize,
    a: MatRef<'a, T>,
    b: MatRef<'a, T>,
    ldc: usize,
    /// Elements of `c` the product writes up to: `(m - 1) * ldc + n` (0 if empty).
    c_len: usize,
}

#[cfg(feature = "alloc")]
/// Why a product was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductError {
    /// `a` does not hold an `m x k` matrix with its strides.
    A,
    /// `b` does not hold a `k x n` matrix with its strides.
    B,
    /// `ldc < n`, or the extent of `c` overflows.
    C,
}

#[cfg(feature = "alloc")]
impl<'a, T> Product<'a, T> {
    /// Checks the operands of `c = a * b`; all arithmetic is checked.
    pub fn new(
        m: usize,
        k: usize,
        n: usize,
        a: MatRef<'a, T>,
        b: MatRef<'a, T>,
        ldc: usize,
    ) -> Result<Self, ProductError> {
        if !a.fits(m, k) {
            return Err(ProductError::A);
        }
        if !b.fits(k, n) {
            return Err(ProductError::B);
        }
        let c_len = output_len::<T>(m, n, ldc).ok_or(ProductError::C)?;
        Ok(Product { m, k, n, a, b, ldc, c_len })
    }
    /// Elements of `c` the product needs.
    pub fn c_len(&self) -> usize {
        self.c_len
    }
}

/// Elements of `c` that an `m x n` output with rows `ldc` apart reaches: `(m - 1) * ldc
/// + n` (0 if empty), or `None` if `ldc < n`, the arithmetic overflows, or the extent
/// exceeds what a slice of `T` can hold.
#[cfg(feature = "alloc")]
pub(crate) fn output_len<T>(m: usize, n: usize, ldc: usize) -> Option<usize> {
    if ldc < n {
        return None;
    }
    let len = if m == 0 || n == 0 { 0 } else { (m - 1).checked_mul(ldc)?.checked_add(n)? };
    (len <= isize::MAX as usize / core::mem::size_of::<T>().max(1)).then_some(len)
}

/// How a product is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The portable row kernel, inlined into the caller.
    Inline,
    /// The row kernels, through the run-time dispatch.
    Rows,
    /// Our packed GEMM, with the caller's packing buffers.
    Packed,
    /// `matrixmultiply`.
    Matrixmultiply,
}

/// The engine for an `m x k` times `k x n` product: the crate's one choice.
///
/// `const_size`: the operands are dense rows of compile-time widths (the row kernels
/// need that); `packing`: the caller has packing buffers for [`Engine::Packed`].
pub fn engine(m: usize, k: usize, n: usize, const_size: bool, packing: bool) -> Engine {
    let work = m.saturating_mul(k).saturating_mul(n);
    if const_size && work <= TINY_WORK {
        Engine::Inline
    } else if const_size && (m <= SMALL_ROWS || work <= SMALL_WORK || n <= NARROW) {
        Engine::Rows
    } else if packing {
        Engine::Packed
    } else {
        Engine::Matrixmultiply
    }
}

/// `c = a * b`, or `c += a * b` when `accumulate`, for rows `a` of `K` values and a
/// `K x N` matrix `b` (Keras's layout of a Dense kernel): the dense entry, which picks
/// the engine with [`engine`]. With `packing`, large products allocate nothing.
///
/// # Panics
/// If `a` and `c` hold different numbers of rows.
#[cfg(feature = "alloc")]
pub fn matmul_rows<T: Real, const K: usize, const N: usize>(
    a: &[[T; K]],
    b: &[[T; N]; K],
    c: &mut [[T; N]],
    accumulate: bool,
    packing: Option<&mut Packing<T>>,
) {
    assert_eq!(a.len(), c.len(), "matmul_rows: {} input rows but {} output rows", a.len(), c.len());
    if !accumulate {
        c.fill([T::zero(); N]);
    }
    match engine(a.len(), K, N, true, packing.is_some()) {
        Engine::Inline => small::accumulate_rows_portable(a, b, c),
        Engine::Rows => small::accumulate_rows(a, b, c),
        Engine::Packed | Engine::Matrixmultiply => matmul(
            a.len(),
            K,
            N,
            MatRef::row_major(a.as_flattened(), K),
            MatRef::row_major(b.as_flattened(), N),
            true,
            c.as_flattened_mut(),
            N,
            packing,
        ),
    }
}

/// Pushes onto `live` (cleared first) the columns of `a` that are not zero in every row,
/// in order (a NaN is not zero); `seen` is scratch, grown to `K`.
#[cfg(feature = "alloc")]
pub(crate) fn live_columns<T: Real, const K: usize>(
    a: &[[T; K]],
    live: &mut Vec<usize>,
    seen: &mut Vec<bool>,
) {
    seen.clear();
    seen.resize(K, false);
    for row in a {
        for (s, &v) in seen.iter_mut().zip(row) {
            *s |= v != T::zero();
        }
    }
    live.clear();
    live.extend(seen.iter().enumerate().filter(|(_, s)| **s).map(|(j, _)| j));
}

/// Whether a product of `rows` rows whose depth `k` has only `live` steps that are not
/// zero is worth running over those alone: at least `1/10 + 2/rows` of the depth left
/// out. Its `B` then has to be packed (and its `A` gathered), which the multiply-adds
/// saved must pay for, and with few rows they save little: a Dense layer of 784 x 512
/// trained on 8 rows, a forward and a backward pass, took 1.24x as long with 1/8 of its
/// inputs left out as whole, and broke even at about 0.30 of them left out; on 16 rows
/// at 0.19, on 32 at 0.14, on 64 at 0.12 (a probe, best of five runs).
#[cfg(feature = "alloc")]
pub(crate) fn worth_skipping(live: usize, k: usize, rows: usize) -> bool {
    let dead = k.saturating_sub(live);
    dead.saturating_mul(rows.saturating_mul(10)) >= k.saturating_mul(rows.saturating_add(20))
}

/// [`matmul_rows`] with the columns of `a` that are zero in every row left out of the
/// product, with the rows of `b` they would meet, when they are worth it
/// ([`worth_skipping`]) and the product runs on the packed GEMM: the same values, bit
/// for bit, for a finite `b` ([`packed::gemm_live_depth`]). The input of a first layer
/// is often such (the blank border of an image, the absent words of a multi-hot text).
/// `live` receives the columns the product ran over; returns whether any were left out
/// (otherwise `live` may hold anything).
#[cfg(feature = "alloc")]
pub(crate) fn matmul_rows_skipping_zeros<T: Real, const K: usize, const N: usize>(
    a: &[[T; K]],
    b: &[[T; N]; K],
    c: &mut [[T; N]],
    accumulate: bool,
    packing: &mut Packing<T>,
    (live, seen): (&mut Vec<usize>, &mut Vec<bool>),
) -> bool {
    if engine(a.len(), K, N, true, true) != Engine::Packed {
        matmul_rows(a, b, c, accumulate, Some(packing));
        return false;
    }
    live_columns(a, live, seen);
    if !worth_skipping(live.len(), K, a.len()) {
        matmul_rows(a, b, c, accumulate, Some(packing));
        return false;
    }
    assert_eq!(a.len(), c.len(), "matmul_rows: {} input rows but {} output rows", a.len(), c.len());
    let (m, av, bv) =
        (a.len(), MatRef::row_major(a.as_flattened(), K), MatRef::row_major(b.as_flattened(), N));
    let p = Product::new(m, K, N, av, bv, N).expect("dense rows hold their product");
    packed::gemm_live_depth(&p, live, accumulate, c.as_flattened_mut(), packing);
    true
}

/// `c = a * b`, or `c += a * b` when `accumulate`, for an `m x k` view `a` and a `k x n`
/// view `b` (any strides) into `c`, row-major with rows `ldc` apart: the strided entry.
/// With `packing` it runs our packed GEMM and allocates nothing; without, matrixmultiply.
///
/// # Panics
/// If a view is too small for its dimensions, `ldc < n`, or `c` is too short; every
/// size is computed with checked arithmetic, so no input makes it touch memory outside
/// the slices.
#[cfg(feature = "alloc")]
#[allow(clippy::too_many_arguments)] // the BLAS signature: dims, operands, output, mode, buffers
pub fn matmul<T: Real>(
    m: usize,
    k: usize,
    n: usize,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    accumulate: bool,
    c: &mut [T],
    ldc: usize,
    packing: Option<&mut Packing<T>>,
) {
    let p = match Product::new(m, k, n, a, b, ldc) {
        Ok(p) => p,
        Err(ProductError::A) => panic!("matmul: `a` is smaller than {m}x{k} with its strides"),
        Err(ProductError::B) => panic!("matmul: `b` is smaller than {k}x{n} with its strides"),
        Err(ProductError::C) => panic!("matmul: `c` cannot hold {m}x{n} with row stride {ldc}"),
    };
    assert!(
        c.len() >= p.c_len,
        "matmul: `c` holds {} elements, {m}x{n} with row stride {ldc} needs {}",
        c.len(),
        p.c_len
    );
    match (engine(m, k, n, false, packing.is_some()), packing) {
        (Engine::Packed, Some(packing)) => packed::gemm(&p, accumulate, c, packing),
        _ => T::matrixmultiply(&p, if accumulate { T::one() } else { T::zero() }, c),
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use std::vec;

    #[test]
    fn engine_thresholds() {
        assert_eq!(engine(8, 8, 8, true, false), Engine::Inline);
        assert_eq!(engine(1, 784, 512, true, false), Engine::Rows);
        assert_eq!(engine(4, 784, 512, true, true), Engine::Rows);
        assert_eq!(engine(16, 16, 16, true, false), Engine::Rows);
        assert_eq!(engine(128, 784, 512, true, false), Engine::Matrixmultiply);
        assert_eq!(engine(128, 784, 512, true, true), Engine::Packed);
        assert_eq!(engine(2, 2, 2, false, false), Engine::Matrixmultiply);
        // A narrow layer: the rows kernel at any batch; strided operands still packed.
        assert_eq!(engine(128, 512, 10, true, true), Engine::Rows);
        assert_eq!(engine(128, 512, 17, true, true), Engine::Packed);
        assert_eq!(engine(128, 512, 10, false, true), Engine::Packed);
        assert_eq!(engine(usize::MAX, usize::MAX, 1000, true, true), Engine::Packed);
        assert_eq!(engine(usize::MAX, usize::MAX, 2, true, true), Engine::Rows);
    }

    #[test]
    fn live_columns_are_those_not_zero_in_every_row() {
        let rows = [[0.0f32, -0.0, 1.0, 0.0, f32::NAN], [0.0, 0.0, 0.0, -2.0, 0.0]];
        let (mut live, mut seen) = (vec![7], vec![true; 9]);
        live_columns(&rows, &mut live, &mut seen);
        assert_eq!(live, [2, 3, 4], "-0.0 is zero, NaN is not");
        live_columns::<f32, 5>(&[], &mut live, &mut seen);
        assert!(live.is_empty());
        // At least 1/10 + 2/rows of the depth: 20/100 on 20 rows, 12/100 on 100.
        assert!(worth_skipping(80, 100, 20) && !worth_skipping(81, 100, 20));
        assert!(worth_skipping(88, 100, 100) && !worth_skipping(89, 100, 100));
        assert!(!worth_skipping(0, 100, 1) && !worth_skipping(0, 100, 0));
        assert!(worth_skipping(0, 784, 64) && !worth_skipping(784, 784, usize::MAX));
    }

    #[test]
    fn views_that_overflow_are_refused() {
        let d = [0.0f32; 6];
        assert!(MatRef::row_major(&d, 3).fits(2, 3));
        assert!(!MatRef::row_major(&d, 3).fits(3, 3));
        assert!(MatRef::transposed(&d, 3).fits(3, 2));
        assert!(MatRef::row_major(&d, usize::MAX).fits(1, 1));
        assert!(!MatRef::row_major(&d, usize::MAX).fits(3, 1));
        // Zero strides fit any number of rows (every row is the same data)...
        let z = MatRef::new(&d, 0, 0);
        assert!(z.fits(usize::MAX, usize::MAX));
        // ...but the output of such a product cannot: m * ldc overflows.
        let half = 1usize << (usize::BITS / 2);
        assert_eq!(Product::new(half, 1, half, z, z, half).unwrap_err(), ProductError::C);
        assert_eq!(Product::new(usize::MAX, 1, 2, z, z, 2).unwrap_err(), ProductError::C);
        assert_eq!(Product::new(2, 1, 3, z, z, 2).unwrap_err(), ProductError::C);
        assert!(Product::new(2, 4, 3, z, MatRef::row_major(&d, 3), 3).is_err());
    }

    /// A product whose `m * n` wraps, with zero strides: refused before any write, by
    /// both engines (this once wrote past `c` in release builds).
    #[test]
    fn wrapping_output_size_is_refused() {
        let d = [1.0f32; 4];
        let z = MatRef::new(&d[..], 0, 0);
        let half = 1usize << (usize::BITS / 2);
        for packing in [false, true] {
            let result = std::panic::catch_unwind(|| {
                let mut c = vec![0.0f32; 4];
                let mut buffers = Packing::new();
                matmul(half, 1, half, z, z, false, &mut c, half, packing.then_some(&mut buffers));
            });
            let message = result.unwrap_err();
            let text = message.downcast_ref::<std::string::String>().unwrap();
            assert!(text.contains("`c` cannot hold"), "{text}");
        }
        let result = std::panic::catch_unwind(|| {
            let mut c = vec![0.0f32; 4];
            matmul(2, 1, 3, z, z, false, &mut c, 3, None);
        });
        assert!(result.is_err(), "c of 4 elements for 2x3 must be refused");
    }

    /// The matrixmultiply hook checks the output itself: a checked product with a short
    /// `c` is refused, not written past.
    #[test]
    fn matrixmultiply_hook_refuses_a_short_output() {
        let d = [1.0f64; 6];
        let p = Product::new(2, 3, 2, MatRef::row_major(&d, 3), MatRef::row_major(&d, 2), 2).unwrap();
        assert_eq!(p.c_len(), 4);
        let mut c = [0.0f64; 4];
        f64::matrixmultiply(&p, 0.0, &mut c);
        assert_eq!(c, [3.0; 4]);
        let result = std::panic::catch_unwind(|| f64::matrixmultiply(&p, 0.0, &mut [0.0; 3]));
        assert!(result.is_err());
    }

    #[test]
    fn strided_engines_match_reference() {
        use crate::linalg::reference::{matmul_dense, random_vec};
        use rand::{SeedableRng, rngs::StdRng};
        let mut rng = StdRng::seed_from_u64(9);
        for (m, k, n) in [(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 64, 64), (70, 300, 40)] {
            let a = random_vec(&mut rng, m * k);
            let b = random_vec(&mut rng, k * n);
            let at: std::vec::Vec<f64> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
            let want = matmul_dense(m, k, n, &a, &b);
            for packed in [false, true] {
                let mut buffers = Packing::new();
                let mut c = vec![1.0; m * n];
                let pk = packed.then_some(&mut buffers);
                matmul(m, k, n, MatRef::row_major(&a, k), MatRef::row_major(&b, n), false, &mut c, n, pk);
                let mut ct = vec![1.0; m * n];
                let pk = packed.then_some(&mut buffers);
                matmul(m, k, n, MatRef::transposed(&at, m), MatRef::row_major(&b, n), true, &mut ct, n, pk);
                for i in 0..m * n {
                    assert!((c[i] - want[i]).abs() < 1e-12);
                    assert!((ct[i] - want[i] - 1.0).abs() < 1e-12);
                }
            }
        }
    }
}
