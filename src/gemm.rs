//! A packed matrix product whose packing buffers belong to the caller, so that a training
//! step allocates nothing (matrixmultiply allocates its buffers on every call).
//!
//! The loops are those of BLIS: `B` is packed in panels of [`NR`] columns, `A` in panels
//! of [`MR`] rows, and a micro-kernel multiplies one `A` panel by one `B` panel into an
//! `MR x NR` tile held in registers. For `f32` on CPUs with AVX-512 the micro-kernel uses
//! `core::arch` intrinsics (16 accumulators of 16 lanes), with AVX2 and FMA in four
//! quarters of 8 accumulators; elsewhere a portable kernel of the same shape runs.

use alloc::vec;
use alloc::vec::Vec;

use crate::element::Scalar;
use crate::kernels::MatRef;

/// Rows of the micro-kernel's tile.
pub const MR: usize = 8;
/// Columns of the micro-kernel's tile.
pub const NR: usize = 32;
/// Most depth of one packed block (the `k` extent kept in cache); blocks are balanced.
const KC: usize = 512;
/// Rows of `A` packed at a time (a multiple of `MR`).
const MC: usize = 128;
/// Columns of `B` packed at a time (a multiple of `NR`).
const NC: usize = 512;

/// A micro-kernel: `out = a_panel * b_panel` over `kc` steps (`a_panel` is `kc x MR`,
/// `b_panel` is `kc x NR`, both packed).
pub type MicroKernel<T> = fn(usize, &[T], &[T], &mut [[T; NR]; MR]);

/// Packing buffers for [`gemm`]: allocated once, reused by every product.
#[derive(Clone, Debug)]
pub struct Packing<T> {
    a: Vec<T>,
    b: Vec<T>,
}

impl<T: Scalar> Packing<T> {
    /// Buffers for products of any size (about 650 KiB for `f32`).
    pub fn new() -> Self {
        Packing { a: vec![T::zero(); MC * KC], b: vec![T::zero(); KC * NC] }
    }
}

impl<T: Scalar> Default for Packing<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// `c = a * b`, or `c += a * b` when `accumulate`, for an `m x k` matrix `a` and a
/// `k x n` matrix `b` (any strides); `c` is row-major with `ldc` elements between rows.
///
/// Allocates nothing.
///
/// # Panics
/// If a view is too small for its dimensions or `ldc < n`.
#[allow(clippy::too_many_arguments)] // the BLAS signature: dims, operands, mode, output, buffers
pub fn gemm<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    accumulate: bool,
    c: &mut [T],
    ldc: usize,
    packing: &mut Packing<T>,
) {
    let kernel = T::micro_kernel().unwrap_or(portable_kernel::<T>);
    gemm_with(kernel, m, k, n, a, b, accumulate, c, ldc, packing);
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_with<T: Scalar>(
    kernel: MicroKernel<T>,
    m: usize,
    k: usize,
    n: usize,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    accumulate: bool,
    c: &mut [T],
    ldc: usize,
    packing: &mut Packing<T>,
) {
    assert!(a.fits(m, k), "gemm: `a` is smaller than {m}x{k}");
    assert!(b.fits(k, n), "gemm: `b` is smaller than {k}x{n}");
    assert!(ldc >= n, "gemm: row stride {ldc} of `c` is below its {n} columns");
    if m == 0 || n == 0 {
        return;
    }
    assert!(c.len() >= (m - 1) * ldc + n, "gemm: `c` is smaller than {m}x{n} with row stride {ldc}");
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                c[i * ldc..i * ldc + n].fill(T::zero());
            }
        }
        return;
    }
    // Blocks of equal depth: 784 is 2 x 392, not 256 + 256 + 256 + 16 (a last block
    // that shallow would spend more on loading and storing its tiles than on products).
    let kc_max = k.div_ceil(k.div_ceil(KC));
    // Every kernel call overwrites the whole tile.
    let mut tile = [[T::zero(); NR]; MR];
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        for pc in (0..k).step_by(kc_max) {
            let kc = kc_max.min(k - pc);
            pack_b(b, pc, kc, jc, nc, &mut packing.b);
            let add = accumulate || pc > 0;
            for ic in (0..m).step_by(MC) {
                let mc = MC.min(m - ic);
                pack_a(a, ic, mc, pc, kc, &mut packing.a);
                for jr in (0..nc).step_by(NR) {
                    let nr = NR.min(nc - jr);
                    let bp = &packing.b[(jr / NR) * kc * NR..][..kc * NR];
                    for ir in (0..mc).step_by(MR) {
                        let mr = MR.min(mc - ir);
                        let ap = &packing.a[(ir / MR) * kc * MR..][..kc * MR];
                        kernel(kc, ap, bp, &mut tile);
                        for (i, t) in tile.iter().enumerate().take(mr) {
                            let start = (ic + ir + i) * ldc + jc + jr;
                            let row = &mut c[start..start + nr];
                            if add {
                                for (r, &v) in row.iter_mut().zip(t) {
                                    *r = *r + v;
                                }
                            } else {
                                row.copy_from_slice(&t[..nr]);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Packs rows `pc..pc + kc` and columns `jc..jc + nc` of `b` into panels of `NR` columns,
/// each `kc x NR` row-major, zero-padded on the right.
fn pack_b<T: Scalar>(b: MatRef<'_, T>, pc: usize, kc: usize, jc: usize, nc: usize, dst: &mut [T]) {
    let panels = nc.div_ceil(NR);
    for q in 0..panels {
        let j0 = jc + q * NR;
        let width = NR.min(jc + nc - j0);
        let panel = &mut dst[q * kc * NR..(q + 1) * kc * NR];
        for (p, out) in panel.chunks_exact_mut(NR).enumerate() {
            let row = (pc + p) * b.row_stride;
            if b.col_stride == 1 {
                out[..width].copy_from_slice(&b.data[row + j0..row + j0 + width]);
            } else {
                for (j, o) in out[..width].iter_mut().enumerate() {
                    *o = b.data[row + (j0 + j) * b.col_stride];
                }
            }
            out[width..].fill(T::zero());
        }
    }
}

/// Packs rows `ic..ic + mc` and columns `pc..pc + kc` of `a` into panels of `MR` rows,
/// each stored column by column (`kc x MR`), zero-padded below.
fn pack_a<T: Scalar>(a: MatRef<'_, T>, ic: usize, mc: usize, pc: usize, kc: usize, dst: &mut [T]) {
    let panels = mc.div_ceil(MR);
    for q in 0..panels {
        let i0 = ic + q * MR;
        let height = MR.min(ic + mc - i0);
        let panel = &mut dst[q * kc * MR..(q + 1) * kc * MR];
        if a.row_stride == 1 {
            // Columns of `a` are contiguous (a transposed row-major matrix).
            for (p, out) in panel.chunks_exact_mut(MR).enumerate() {
                let col = (pc + p) * a.col_stride;
                out[..height].copy_from_slice(&a.data[col + i0..col + i0 + height]);
                out[height..].fill(T::zero());
            }
        } else {
            for (p, out) in panel.chunks_exact_mut(MR).enumerate() {
                let col = (pc + p) * a.col_stride;
                for (i, o) in out.iter_mut().enumerate() {
                    *o = if i < height { a.data[(i0 + i) * a.row_stride + col] } else { T::zero() };
                }
            }
        }
    }
}

/// The micro-kernel in plain Rust, for `f64` and for CPUs without AVX-512.
pub(crate) fn portable_kernel<T: Scalar>(kc: usize, a: &[T], b: &[T], out: &mut [[T; NR]; MR]) {
    let (ap, _) = a[..kc * MR].as_chunks::<MR>();
    let (bp, _) = b[..kc * NR].as_chunks::<NR>();
    let mut acc = [[T::zero(); NR]; MR];
    for (x, w) in ap.iter().zip(bp) {
        for (row, &xi) in acc.iter_mut().zip(x) {
            for (c, &wj) in row.iter_mut().zip(w) {
                *c = xi * wj + *c;
            }
        }
    }
    *out = acc;
}

/// The `f32` micro-kernel for AVX-512, if this CPU has it.
pub(crate) fn f32_kernel() -> Option<MicroKernel<f32>> {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        match crate::kernels::isa() {
            crate::kernels::Isa::Avx512 => return Some(avx512::kernel_checked),
            crate::kernels::Isa::Avx2Fma => return Some(avx2::kernel_checked),
            crate::kernels::Isa::Portable => {}
        }
    }
    None
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use super::{MR, NR};
    use core::arch::x86_64::*;

    /// Only ever handed out by [`super::f32_kernel`] after AVX-512F was detected.
    pub(super) fn kernel_checked(kc: usize, a: &[f32], b: &[f32], out: &mut [[f32; NR]; MR]) {
        // SAFETY: this function is returned by `f32_kernel` only when `isa()` reported
        // AVX-512F and FMA on the running CPU.
        unsafe { kernel(kc, a, b, out) }
    }

    #[target_feature(enable = "avx512f,fma")]
    fn kernel(kc: usize, a: &[f32], b: &[f32], out: &mut [[f32; NR]; MR]) {
        let (ap, _) = a[..kc * MR].as_chunks::<MR>();
        let (bp, _) = b[..kc * NR].as_chunks::<NR>();
        let mut c = [[_mm512_setzero_ps(); 2]; MR];
        for (x, w) in ap.iter().zip(bp) {
            // SAFETY: `w` is a `[f32; 32]`: the loads read its lanes 0..16 and 16..32.
            let (w0, w1) = unsafe { (_mm512_loadu_ps(w.as_ptr()), _mm512_loadu_ps(w.as_ptr().add(16))) };
            for (ci, &xi) in c.iter_mut().zip(x) {
                let xv = _mm512_set1_ps(xi);
                ci[0] = _mm512_fmadd_ps(xv, w0, ci[0]);
                ci[1] = _mm512_fmadd_ps(xv, w1, ci[1]);
            }
        }
        for (o, ci) in out.iter_mut().zip(&c) {
            // SAFETY: `o` is a `[f32; 32]`: the stores write its lanes 0..16 and 16..32.
            unsafe {
                _mm512_storeu_ps(o.as_mut_ptr(), ci[0]);
                _mm512_storeu_ps(o.as_mut_ptr().add(16), ci[1]);
            }
        }
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx2 {
    use super::{MR, NR};
    use core::arch::x86_64::*;

    /// Only ever handed out by [`super::f32_kernel`] after AVX2 and FMA were detected.
    pub(super) fn kernel_checked(kc: usize, a: &[f32], b: &[f32], out: &mut [[f32; NR]; MR]) {
        // SAFETY: this function is returned by `f32_kernel` only when `isa()` reported
        // AVX2 and FMA (or better) on the running CPU.
        unsafe { kernel(kc, a, b, out) }
    }

    /// The 8x32 tile in four 4x16 quarters: eight accumulators of 8 lanes each, so that
    /// the accumulators, two rows of `b` and a broadcast fit the 16 YMM registers.
    #[target_feature(enable = "avx2,fma")]
    fn kernel(kc: usize, a: &[f32], b: &[f32], out: &mut [[f32; NR]; MR]) {
        let (ap, _) = a[..kc * MR].as_chunks::<MR>();
        let (bp, _) = b[..kc * NR].as_chunks::<NR>();
        for rows in 0..2 {
            for cols in 0..2 {
                let (r0, c0) = (4 * rows, 16 * cols);
                let mut c = [[_mm256_setzero_ps(); 2]; 4];
                for (x, w) in ap.iter().zip(bp) {
                    let w = &w[c0..c0 + 16];
                    // SAFETY: `w` holds 16 floats: the loads read lanes 0..8 and 8..16.
                    let (w0, w1) =
                        unsafe { (_mm256_loadu_ps(w.as_ptr()), _mm256_loadu_ps(w.as_ptr().add(8))) };
                    for (ci, &xi) in c.iter_mut().zip(&x[r0..r0 + 4]) {
                        let xv = _mm256_set1_ps(xi);
                        ci[0] = _mm256_fmadd_ps(xv, w0, ci[0]);
                        ci[1] = _mm256_fmadd_ps(xv, w1, ci[1]);
                    }
                }
                for (o, ci) in out[r0..r0 + 4].iter_mut().zip(&c) {
                    let o = &mut o[c0..c0 + 16];
                    // SAFETY: `o` holds 16 floats: the stores write lanes 0..8 and 8..16.
                    unsafe {
                        _mm256_storeu_ps(o.as_mut_ptr(), ci[0]);
                        _mm256_storeu_ps(o.as_mut_ptr().add(8), ci[1]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng, rngs::StdRng};
    use std::vec::Vec;

    fn reference(m: usize, k: usize, n: usize, a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for p in 0..k {
                    s += a.data[i * a.row_stride + p * a.col_stride]
                        * b.data[p * b.row_stride + j * b.col_stride];
                }
                c[i * n + j] = s;
            }
        }
        c
    }

    /// Every kernel this CPU can run.
    fn kernels_f32() -> Vec<MicroKernel<f32>> {
        use crate::kernels::{Isa, isa};
        let mut v: Vec<MicroKernel<f32>> = vec![portable_kernel::<f32>];
        if isa() >= Isa::Avx2Fma {
            v.push(avx2::kernel_checked);
        }
        if isa() >= Isa::Avx512 {
            v.push(avx512::kernel_checked);
        }
        v
    }

    fn check(m: usize, k: usize, n: usize, transpose_a: bool, transpose_b: bool, rng: &mut StdRng) {
        let ad: Vec<f64> = (0..m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
        let bd: Vec<f64> = (0..k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let a = if transpose_a { MatRef::transposed(&ad, m) } else { MatRef::row_major(&ad, k) };
        let b = if transpose_b { MatRef::transposed(&bd, k) } else { MatRef::row_major(&bd, n) };
        let want = reference(m, k, n, a, b);
        let ldc = n + 3;
        let init: Vec<f64> = (0..m * ldc).map(|_| rng.random_range(-1.0..1.0)).collect();
        // f64 through the portable kernel, overwriting and accumulating.
        for accumulate in [false, true] {
            let mut c = init.clone();
            gemm_with(portable_kernel::<f64>, m, k, n, a, b, accumulate, &mut c, ldc, &mut Packing::new());
            for i in 0..m {
                for j in 0..n {
                    let base = if accumulate { init[i * ldc + j] } else { 0.0 };
                    let got = c[i * ldc + j];
                    assert!((got - base - want[i * n + j]).abs() < 1e-10, "{m}x{k}x{n} ({i},{j})");
                }
                // The padding between rows is untouched.
                assert_eq!(&c[i * ldc + n..i * ldc + ldc], &init[i * ldc + n..i * ldc + ldc]);
            }
        }
        // f32 through every kernel this CPU has.
        let a32: Vec<f32> = ad.iter().map(|&x| x as f32).collect();
        let b32: Vec<f32> = bd.iter().map(|&x| x as f32).collect();
        let a = MatRef { data: &a32[..], row_stride: a.row_stride, col_stride: a.col_stride };
        let b = MatRef { data: &b32[..], row_stride: b.row_stride, col_stride: b.col_stride };
        for kernel in kernels_f32() {
            let mut c = vec![0.0f32; m * ldc];
            gemm_with(kernel, m, k, n, a, b, false, &mut c, ldc, &mut Packing::new());
            for i in 0..m {
                for j in 0..n {
                    let tol = 1e-5 * (k as f64).sqrt() + 1e-6;
                    assert!(
                        (c[i * ldc + j] as f64 - want[i * n + j]).abs() < tol,
                        "f32 {m}x{k}x{n} ({i},{j})"
                    );
                }
            }
        }
    }

    #[test]
    fn matches_reference() {
        let mut rng = StdRng::seed_from_u64(3);
        for &(m, k, n) in &[
            (1, 1, 1),
            (3, 5, 7),
            (8, 16, 32),
            (9, 17, 33),
            (13, 300, 70),  // k over one block
            (130, 20, 40),  // m over one block
            (5, 7, 530),    // n over one block
            (64, 784, 512), // a training product
            (100, 64, 10),
        ] {
            for (ta, tb) in [(false, false), (true, false), (false, true)] {
                check(m, k, n, ta, tb, &mut rng);
            }
        }
    }

    #[test]
    fn empty_dims() {
        // k = 0: `c` is zeroed, or left alone when accumulating.
        for (accumulate, want) in [(false, 0.0), (true, 5.0)] {
            let mut c = vec![5.0f32; 6];
            let (a, b) = (MatRef::row_major(&[], 0), MatRef::row_major(&[], 3));
            gemm(2, 0, 3, a, b, accumulate, &mut c, 3, &mut Packing::new());
            assert_eq!(c, vec![want; 6]);
        }
        gemm(
            0,
            4,
            3,
            MatRef::row_major(&[], 4),
            MatRef::row_major(&[0.0; 12], 3),
            false,
            &mut [],
            3,
            &mut Packing::new(),
        );
    }

    #[test]
    #[should_panic(expected = "`c` is smaller")]
    fn rejects_short_output() {
        let a = [1.0f32; 4];
        gemm(
            2,
            2,
            2,
            MatRef::row_major(&a, 2),
            MatRef::row_major(&a, 2),
            false,
            &mut [0.0; 3],
            2,
            &mut Packing::new(),
        );
    }
}
