//! The `f32` micro-kernels of the packed GEMM for x86-64: AVX-512 and AVX2 with FMA.

#[cfg(test)]
use super::packed::Kernels;
use super::packed::{MR, MicroKernel, NR, PickedKernel, b_rows, picked_rows};
use super::simd::{Isa, isa};
use core::arch::x86_64::*;

// The loads and stores below address a tile row as two (AVX-512) or four (AVX2) vectors
// of 16 or 8 lanes, and a packed `a` step as MR broadcasts: their SAFETY notes hold only
// for this tile shape.
const _: () = assert!(NR == 32 && MR == 8, "the x86 micro-kernels are written for an 8x32 tile");

/// The `f32` micro-kernel for this CPU, if it has AVX2 or AVX-512.
pub(super) fn f32_kernel() -> Option<MicroKernel<f32>> {
    match isa() {
        Isa::Avx512 => Some(avx512_checked),
        Isa::Avx2Fma => Some(avx2_checked),
        Isa::Portable => None,
    }
}

/// The same kernels reading the rows of `B` at picked positions, for this CPU.
pub(super) fn f32_picked_kernel() -> Option<PickedKernel<f32>> {
    match isa() {
        Isa::Avx512 => Some(avx512_picked_checked),
        Isa::Avx2Fma => Some(avx2_picked_checked),
        Isa::Portable => None,
    }
}

/// Each kernel by name, with its picked-rows variant, `None` where this CPU cannot run
/// it.
#[cfg(test)]
pub(super) fn kernels_for_tests() -> [(&'static str, Option<Kernels<f32>>); 2] {
    [
        (
            "avx2",
            (isa() >= Isa::Avx2Fma)
                .then_some((avx2_checked as MicroKernel<f32>, avx2_picked_checked as PickedKernel<f32>)),
        ),
        (
            "avx512",
            (isa() >= Isa::Avx512)
                .then_some((avx512_checked as MicroKernel<f32>, avx512_picked_checked as PickedKernel<f32>)),
        ),
    ]
}

/// Only ever handed out after AVX-512F and FMA were detected.
fn avx512_checked(kc: usize, a: &[f32], b: &[f32], ldb: usize, out: &mut [[f32; NR]; MR]) {
    // SAFETY: this function is handed out (by `f32_kernel` and `kernels_for_tests`) only
    // when `isa()` reported AVX-512F and FMA on the running CPU.
    unsafe { avx512(kc, a, b_rows(kc, b, ldb), out) }
}

/// Only ever handed out after AVX-512F and FMA were detected.
fn avx512_picked_checked(a: &[f32], b: &[f32], ldb: usize, rows: &[usize], out: &mut [[f32; NR]; MR]) {
    // SAFETY: handed out (by `f32_picked_kernel` and `kernels_for_tests`) only when
    // `isa()` reported AVX-512F and FMA on the running CPU.
    unsafe { avx512(rows.len(), a, picked_rows(b, ldb, rows), out) }
}

/// `out = a_panel * b_rows` over `kc` steps, each row of `B` a `[f32; 32]` from `rows`.
#[target_feature(enable = "avx512f,fma")]
fn avx512<'b>(kc: usize, a: &[f32], rows: impl Iterator<Item = &'b [f32; NR]>, out: &mut [[f32; NR]; MR]) {
    let (ap, _) = a[..kc * MR].as_chunks::<MR>();
    let mut c = [[_mm512_setzero_ps(); 2]; MR];
    for (x, w) in ap.iter().zip(rows) {
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

/// Only ever handed out after AVX2 and FMA were detected.
fn avx2_checked(kc: usize, a: &[f32], b: &[f32], ldb: usize, out: &mut [[f32; NR]; MR]) {
    // SAFETY: this function is handed out only when `isa()` reported AVX2 and FMA (or
    // better) on the running CPU.
    unsafe { avx2(kc, a, || b_rows(kc, b, ldb), out) }
}

/// Only ever handed out after AVX2 and FMA were detected.
fn avx2_picked_checked(a: &[f32], b: &[f32], ldb: usize, rows: &[usize], out: &mut [[f32; NR]; MR]) {
    // SAFETY: handed out only when `isa()` reported AVX2 and FMA (or better) on the
    // running CPU.
    unsafe { avx2(rows.len(), a, || picked_rows(b, ldb, rows), out) }
}

/// The 8x32 tile in four 4x16 quarters: eight accumulators of 8 lanes each, so that
/// the accumulators, two rows of `b` and a broadcast fit the 16 YMM registers. Each
/// quarter walks the rows of `B` again, from `rows()`.
#[target_feature(enable = "avx2,fma")]
fn avx2<'b, I: Iterator<Item = &'b [f32; NR]>>(
    kc: usize,
    a: &[f32],
    rows: impl Fn() -> I,
    out: &mut [[f32; NR]; MR],
) {
    let (ap, _) = a[..kc * MR].as_chunks::<MR>();
    for quarter_rows in 0..2 {
        for cols in 0..2 {
            let (r0, c0) = (4 * quarter_rows, 16 * cols);
            let mut c = [[_mm256_setzero_ps(); 2]; 4];
            for (x, w) in ap.iter().zip(rows()) {
                let w = &w[c0..c0 + 16];
                // SAFETY: `w` holds 16 floats: the loads read lanes 0..8 and 8..16.
                let (w0, w1) = unsafe { (_mm256_loadu_ps(w.as_ptr()), _mm256_loadu_ps(w.as_ptr().add(8))) };
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
