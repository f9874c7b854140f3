//! Const-size kernels: rows times a matrix, dot products, matrix times vector.
//!
//! No allocation, sizes known to the compiler; the innermost loop runs over contiguous
//! output lanes with independent accumulators so LLVM unrolls and vectorizes it. Each is
//! an `#[inline(always)]` body generic over `FMA`, compiled per instruction set by
//! `simd`.

use super::Real;
use super::simd::multiversion;

/// `a * b + c`, one fused instruction when `FMA` (inside code compiled with FMA).
#[inline(always)]
pub(crate) fn madd<T: Real, const FMA: bool>(a: T, b: T, c: T) -> T {
    if FMA { T::fused_mul_add(a, b, c) } else { a * b + c }
}

/// `c[i] += a[i] * b` for every row `i`: the body of every row kernel, to be inlined
/// into a [`Job`](super::Job) (the one-sample forward pass of a network is one).
///
/// Eight rows of `b` are folded into each pass over an output row, so each output lane
/// is loaded and stored once per eight multiply-adds. Rows beyond the shorter of `a` and
/// `c` are left alone.
///
/// (Blocks of rows held in registers across `K` would suit narrow outputs better, but
/// LLVM vectorizes such blocks across rows with gathers: 40x slower at 16x16x16.)
#[inline(always)]
pub fn accumulate_rows_inline<T: Real, const K: usize, const N: usize, const FMA: bool>(
    a: &[[T; K]],
    b: &[[T; N]; K],
    c: &mut [[T; N]],
) {
    // Cores without vector registers (Cortex-M): outputs held in registers over the whole
    // depth, where no gathers can come in.
    if cfg!(target_arch = "arm") {
        for (ar, cr) in a.iter().zip(c.iter_mut()) {
            acc_row_registers::<T, K, N, FMA>(ar, b, cr);
        }
        return;
    }
    if N == 4 && FMA {
        // Four outputs (a small classifier's last layer), by the type's own kernel where
        // the build has one ([`Real::acc_row4`]).
        let b4: Result<&[[T; 4]; K], _> = b.as_flattened().as_chunks::<4>().0.try_into();
        if let Ok(b4) = b4 {
            let row4 = |ar: &[T; K], cr: &mut [T; N]| {
                let c4: Result<&mut [T; 4], _> = cr.as_mut_slice().try_into();
                c4.is_ok_and(|c4| T::acc_row4(ar, b4, c4))
            };
            // Whether there is such a kernel depends on `T` and `K` alone: the first row
            // tells for every row (and is left untouched when there is none).
            let mut rows = a.iter().zip(c.iter_mut());
            let Some((ar, cr)) = rows.next() else { return };
            if row4(ar, cr) {
                for (ar, cr) in rows {
                    row4(ar, cr);
                }
                return;
            }
        }
    }
    if N > 0 && N < 8 && 16_usize.is_multiple_of(N) && K.is_multiple_of(32 / N) {
        for (ar, cr) in a.iter().zip(c.iter_mut()) {
            acc_row_tiny::<T, K, N, FMA>(ar, b, cr);
        }
        return;
    }
    if N <= 64 {
        for (ar, cr) in a.iter().zip(c.iter_mut()) {
            acc_row_narrow::<T, K, N, FMA>(ar, b, cr);
        }
        return;
    }
    for (ar, cr) in a.iter().zip(c.iter_mut()) {
        let mut k = 0;
        // Eight rows of `b` a pass: against four, the output row is loaded and stored
        // half as often (784-512-10, one sample: 18.6-19.5 against 19.6-21.9 us,
        // alternated builds, both targets).
        const ROWS: usize = 8;
        while k + ROWS <= K {
            let xs: [T; ROWS] = core::array::from_fn(|r| ar[k + r]);
            let bs: [&[T; N]; ROWS] = core::array::from_fn(|r| &b[k + r]);
            for j in 0..N {
                let mut s = cr[j];
                for r in 0..ROWS {
                    s = madd::<T, FMA>(xs[r], bs[r][j], s);
                }
                cr[j] = s;
            }
            k += ROWS;
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

/// `c += a * b` for one row on a core without vector registers: the outputs in blocks
/// of [`REGISTER_BLOCK`] held in floating-point registers over the whole depth (one load
/// of `a[k]`, one of the block's weights, a multiply-add each), the last outputs one at a
/// time. Each output is summed in order of `k`, as the other kernels do.
///
/// On a Cortex-M4F the x86-shaped kernels above compiled to 3.8 instructions a
/// multiply-add (their eight-row passes spilled and recomputed addresses); this is about
/// 2.2 (issue #31, BENCHMARKS.md).
#[inline(always)]
fn acc_row_registers<T: Real, const K: usize, const N: usize, const FMA: bool>(
    a: &[T; K],
    b: &[[T; N]; K],
    c: &mut [T; N],
) {
    let (blocks, rest) = c.as_chunks_mut::<REGISTER_BLOCK>();
    let done = blocks.len() * REGISTER_BLOCK;
    for (i, block) in blocks.iter_mut().enumerate() {
        let mut acc = *block;
        if T::acc_block8(a, &b.as_flattened()[i * REGISTER_BLOCK..], N, &mut acc) {
            *block = acc;
            continue;
        }
        for (&x, row) in a.iter().zip(b) {
            let w: &[T; REGISTER_BLOCK] =
                row[i * REGISTER_BLOCK..(i + 1) * REGISTER_BLOCK].try_into().expect("a block of the row");
            for (s, &w) in acc.iter_mut().zip(w) {
                *s = madd::<T, FMA>(x, w, *s);
            }
        }
        *block = acc;
    }
    for (j, out) in rest.iter_mut().enumerate() {
        let mut s = *out;
        for (&x, row) in a.iter().zip(b) {
            s = madd::<T, FMA>(x, row[done + j], s);
        }
        *out = s;
    }
}

/// Outputs [`acc_row_registers`] holds in registers at a time: with the block's weights
/// and the input, within a Cortex-M4F's 32 single-precision registers.
const REGISTER_BLOCK: usize = 8;

/// `c += a * b` for one row of a narrow output (`N <= 64`, a few vector registers).
///
/// With few lanes, one accumulator per lane would make every multiply-add wait for the
/// previous one; four accumulators, one per `k mod 4`, run four independent chains and
/// stay in registers across all of `K`.
#[inline(always)]
fn acc_row_narrow<T: Real, const K: usize, const N: usize, const FMA: bool>(
    a: &[T; K],
    b: &[[T; N]; K],
    c: &mut [T; N],
) {
    // `c` (the bias, in a layer) starts one chain rather than being added at the end.
    let mut acc0 = *c;
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
        c[j] = (acc0[j] + acc1[j]) + (acc2[j] + acc3[j]);
    }
}

/// `c += a * b` for one row of a tiny output (`N` of 1, 2 or 4, `K` a multiple of
/// `32 / N`).
///
/// A register per output lane would be mostly empty and its chain `K` multiply-adds
/// long. Here the kernel is read as flat 16-value vectors, each holding `16 / N` rows of
/// `b`, multiplied by the matching inputs each repeated `N` times; two such accumulators
/// (even and odd vectors) take `K / (32 / N)` steps each, and the rows are summed at the
/// end by folding the lanes in halves.
#[inline(always)]
fn acc_row_tiny<T: Real, const K: usize, const N: usize, const FMA: bool>(
    a: &[T; K],
    b: &[[T; N]; K],
    c: &mut [T; N],
) {
    let (w, _) = b.as_flattened().as_chunks::<32>();
    let rows = 16 / N;
    // `c` (the bias, in a layer) starts the first chain in lanes `0..N`, which the folds
    // below add into output `j = lane mod N`: one addition less after the folds.
    let mut acc0 = [T::zero(); 16];
    acc0[..N].copy_from_slice(c);
    let mut acc1 = [T::zero(); 16];
    for (step, w) in w.iter().enumerate() {
        let x = &a[step * 2 * rows..];
        for l in 0..16 {
            acc0[l] = madd::<T, FMA>(x[l / N], w[l], acc0[l]);
            acc1[l] = madd::<T, FMA>(x[rows + l / N], w[16 + l], acc1[l]);
        }
    }
    let mut sum = [T::zero(); 16];
    for l in 0..16 {
        sum[l] = acc0[l] + acc1[l];
    }
    let s8 = fold_half::<T, 8>(sum);
    let s4 = fold_half::<T, 4>(s8);
    let s2 = fold_half::<T, 2>(s4);
    let s1 = fold_half::<T, 1>(s2);
    for j in 0..N {
        c[j] = match N {
            1 => s1[0],
            2 => s2[j],
            _ => s4[j],
        };
    }
}

/// `sum(a[i] * b[i])` over the common length, with 64 independent accumulators (four
/// AVX-512 registers of `f32`: enough chains to hide the multiply-add latency).
#[inline(always)]
fn dot_body<T: Real, const FMA: bool>(a: &[T], b: &[T]) -> T {
    const L: usize = 64;
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
    // Pairwise fold of the lanes, each level into an array of its own with constant
    // bounds (a loop over a shrinking width kept `acc` in memory, not in registers).
    fold_half::<T, 1>(fold_half::<T, 2>(fold_half::<T, 4>(fold_half::<T, 8>(fold_half::<T, 16>(
        fold_half::<T, 32>(acc),
    )))))[0]
        + tail
}

/// `out[l] = a[l] + a[l + H]` for the two halves of `a` (`2H` lanes).
#[inline(always)]
fn fold_half<T: Real, const H: usize>(a: impl AsRef<[T]>) -> [T; H] {
    let a = a.as_ref();
    let mut out = [T::zero(); H];
    for l in 0..H {
        out[l] = a[l] + a[l + H];
    }
    out
}

#[inline(always)]
fn matvec_body<T: Real, const M: usize, const K: usize, const FMA: bool>(
    a: &[[T; K]; M],
    x: &[T; K],
    out: &mut [T; M],
) {
    for (o, row) in out.iter_mut().zip(a) {
        *o = dot_body::<T, FMA>(row, x);
    }
}

multiversion! {
    /// `c[i] += a[i] * b` for every row: a batch of samples times a weight matrix in
    /// Keras layout (`K` inputs x `N` outputs), accumulated into `c`.
    ///
    /// Rows beyond the shorter of `a` and `c` are left alone.
    pub fn accumulate_rows / accumulate_rows_at<'a, T: Real; const K: usize, const N: usize>
        (a: &'a [[T; K]], b: &'a [[T; N]; K], c: &'a mut [[T; N]])
        => accumulate_rows_inline
}

multiversion! {
    /// `sum(a[i] * b[i])` over the common length of `a` and `b`.
    pub fn dot_slices / dot_slices_at<'a, T: Real;>(a: &'a [T], b: &'a [T]) -> T
        => dot_body
}

multiversion! {
    /// `out = a * x` for an `M x K` matrix and a vector of `K`.
    pub fn matvec / matvec_at<'a, T: Real; const M: usize, const K: usize>
        (a: &'a [[T; K]; M], x: &'a [T; K], out: &'a mut [T; M])
        => matvec_body
}

#[inline(always)]
fn finite_body<T: Real, const FMA: bool>(x: &[T]) -> bool {
    // A bitwise fold (no early exit) vectorizes.
    x.iter().fold(true, |ok, &v| ok & v.is_finite())
}

multiversion! {
    /// Whether every value is finite (no NaN, no infinity).
    pub fn all_finite / all_finite_at<'a, T: Real;>(x: &'a [T]) -> bool
        => finite_body
}

#[inline(always)]
fn add_assign_body<T: Real, const FMA: bool>(out: &mut [T], a: &[T]) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = *o + x;
    }
}

multiversion! {
    /// `out += a` element by element, over the common length.
    pub fn add_assign / add_assign_at<'a, T: Real;>(out: &'a mut [T], a: &'a [T])
        => add_assign_body
}

/// [`accumulate_rows`] without run-time dispatch: the portable body, inlined into the
/// caller (for products too small to pay for the dispatch).
#[inline(always)]
pub fn accumulate_rows_portable<T: Real, const K: usize, const N: usize>(
    a: &[[T; K]],
    b: &[[T; N]; K],
    c: &mut [[T; N]],
) {
    if cfg!(target_feature = "fma") {
        accumulate_rows_inline::<T, K, N, true>(a, b, c)
    } else {
        accumulate_rows_inline::<T, K, N, false>(a, b, c)
    }
}

/// `out = x * w` for one sample: GEMV with the weights in Keras layout (`K x N`).
#[inline]
pub fn vecmat<T: Real, const K: usize, const N: usize>(x: &[T; K], w: &[[T; N]; K], out: &mut [T; N]) {
    *out = [T::zero(); N];
    accumulate_rows(core::slice::from_ref(x), w, core::slice::from_mut(out));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::reference::{matmul_rows, random_array, random_vec};
    use crate::linalg::simd::{Isa, available};
    use rand::{SeedableRng, rngs::StdRng};
    use std::vec::Vec;

    fn check_rows<const M: usize, const K: usize, const N: usize>(rng: &mut StdRng) {
        let a: Vec<[f64; K]> = (0..M).map(|_| random_array::<_, K>(rng)).collect();
        // Boxed: the larger cases do not fit a test thread's stack in debug builds.
        let b: std::boxed::Box<[[f64; N]; K]> = (0..K)
            .map(|_| random_array::<_, N>(rng))
            .collect::<Vec<_>>()
            .into_boxed_slice()
            .try_into()
            .unwrap();
        let want = matmul_rows(&a, &b);
        // A different starting value in every output (a bias, in a layer), so that one
        // added to the wrong output shows.
        let start: [f64; N] = core::array::from_fn(|j| 0.5 + j as f64);
        for isa in available() {
            let mut c = std::vec![start; M];
            accumulate_rows_at(isa, &a, &b, &mut c);
            for (got, want) in c.iter().zip(&want) {
                for ((g, w), s) in got.iter().zip(want).zip(start) {
                    assert!((g - (w + s)).abs() < 1e-12, "{isa:?} {M}x{K}x{N}: {g} vs {}", w + s);
                }
            }
        }
        // f32 through the portable inline path too.
        let a32: Vec<[f32; K]> = a.iter().map(|r| r.map(|x| x as f32)).collect();
        let b32: std::boxed::Box<[[f32; N]; K]> =
            b.iter().map(|r| r.map(|x| x as f32)).collect::<Vec<_>>().into_boxed_slice().try_into().unwrap();
        let mut c32 = std::vec![start.map(|s| s as f32); M];
        accumulate_rows_portable(&a32, &b32, &mut c32);
        for (got, want) in c32.iter().zip(&want) {
            for ((g, w), s) in got.iter().zip(want).zip(start) {
                assert!(
                    (*g as f64 - (w + s)).abs() < 1e-5 * (1.0 + (w + s).abs()),
                    "f32 {M}x{K}x{N}: {g} vs {}",
                    w + s
                );
            }
        }
    }

    /// The Cortex-M kernel, run on the host: each output summed in order of `k`, so it
    /// gives the portable kernel's bits (without FMA) and the reference's values.
    #[test]
    fn the_register_kernel_of_cores_without_vectors_matches() {
        fn check<const K: usize, const N: usize>(rng: &mut StdRng) {
            let a: [f64; K] = random_array::<_, K>(rng);
            let b: std::boxed::Box<[[f64; N]; K]> = (0..K)
                .map(|_| random_array::<_, N>(rng))
                .collect::<Vec<_>>()
                .into_boxed_slice()
                .try_into()
                .unwrap();
            let start: [f64; N] = core::array::from_fn(|j| 0.5 + j as f64);
            let mut c = start;
            acc_row_registers::<f64, K, N, false>(&a, &b, &mut c);
            let mut sequential = start;
            for (j, s) in sequential.iter_mut().enumerate() {
                for k in 0..K {
                    *s += a[k] * b[k][j];
                }
            }
            assert_eq!(c, sequential, "{K}x{N}");
            let want = matmul_rows(&[a], &b);
            for ((g, w), s) in c.iter().zip(want.first().map_or(&[][..], |r| &r[..])).zip(start) {
                assert!((g - (w + s)).abs() < 1e-12, "{K}x{N}: {g} vs {}", w + s);
            }
            let mut fused = start;
            acc_row_registers::<f64, K, N, true>(&a, &b, &mut fused);
            for (f, g) in fused.iter().zip(&c) {
                assert!((f - g).abs() < 1e-12, "{K}x{N} fused: {f} vs {g}");
            }
        }
        let mut rng = StdRng::seed_from_u64(17);
        check::<1, 1>(&mut rng);
        check::<3, 15>(&mut rng);
        check::<5, 16>(&mut rng);
        check::<7, 17>(&mut rng);
        check::<64, 40>(&mut rng);
        check::<784, 64>(&mut rng);
        check::<9, 0>(&mut rng);
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
        check_rows::<3, 70, 130>(&mut rng); // the wide path (N > 64) with a K remainder
        check_rows::<2, 5, 100>(&mut rng); // the wide path with fewer rows of `b` than a pass
        check_rows::<1, 64, 512>(&mut rng); // the wide path in whole passes
        check_rows::<9, 3, 0>(&mut rng);
        check_rows::<19, 7, 16>(&mut rng);
        check_rows::<11, 9, 17>(&mut rng);
        check_rows::<10, 6, 32>(&mut rng);
        check_rows::<0, 3, 3>(&mut rng);
        // The tiny-output path (N of 1, 2, 4 with K a multiple of 32 / N), and its
        // neighbours that take the narrow path.
        check_rows::<3, 32, 4>(&mut rng);
        check_rows::<2, 8, 4>(&mut rng);
        check_rows::<2, 64, 4>(&mut rng);
        check_rows::<2, 12, 4>(&mut rng);
        check_rows::<2, 16, 2>(&mut rng);
        check_rows::<2, 48, 2>(&mut rng);
        check_rows::<2, 32, 1>(&mut rng);
        check_rows::<2, 96, 1>(&mut rng);
        check_rows::<2, 33, 1>(&mut rng);
        check_rows::<2, 32, 3>(&mut rng);
        check_rows::<2, 32, 8>(&mut rng);
    }

    #[test]
    fn dot_and_matvec_match_reference() {
        let mut rng = StdRng::seed_from_u64(8);
        for len in [0usize, 1, 7, 15, 16, 17, 33, 100, 1000] {
            let a = random_vec(&mut rng, len);
            let b = random_vec(&mut rng, len);
            let want: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            for isa in available() {
                let got = dot_slices_at(isa, &a, &b);
                assert!((got - want).abs() < 1e-12, "{isa:?} len {len}: {got} vs {want}");
            }
        }
        let a: [[f64; 19]; 5] = core::array::from_fn(|_| random_array::<_, 19>(&mut rng));
        let x = random_array::<_, 19>(&mut rng);
        for isa in available() {
            let mut out = [0.0; 5];
            matvec_at(isa, &a, &x, &mut out);
            for (o, row) in out.iter().zip(&a) {
                let want: f64 = row.iter().zip(&x).map(|(p, q)| p * q).sum();
                assert!((o - want).abs() < 1e-12, "{isa:?}");
            }
        }
    }

    #[test]
    fn all_finite_on_every_isa() {
        for isa in available() {
            for len in [0usize, 1, 15, 16, 17, 100] {
                let mut x = std::vec![1.5f32; len];
                assert!(all_finite_at(isa, &x), "{isa:?}");
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    for at in [0, len / 2, len.saturating_sub(1)] {
                        if len == 0 {
                            continue;
                        }
                        x[at] = bad;
                        assert!(!all_finite_at(isa, &x), "{isa:?} len {len}: {bad} at {at}");
                        x[at] = 1.5;
                    }
                }
            }
        }
    }

    #[test]
    fn add_assign_on_every_isa() {
        let mut rng = StdRng::seed_from_u64(4);
        for isa in available() {
            for len in [0usize, 1, 15, 16, 17, 100] {
                let a = random_vec(&mut rng, len);
                let b = random_vec(&mut rng, len + 3);
                let mut out = a.clone();
                add_assign_at(isa, &mut out, &b);
                assert!(
                    out.iter().zip(&a).zip(&b).all(|((o, x), y)| *o == x + y),
                    "{isa:?} add_assign {len}"
                );
            }
        }
    }

    #[test]
    fn vecmat_by_hand() {
        let w = [[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let mut out = [7.0; 2];
        vecmat(&[1.0, 1.0, 1.0], &w, &mut out);
        assert_eq!(out, [9.0, 12.0]);
    }

    /// Each variant of the dispatch, reached through a job, against the reference.
    #[test]
    fn dispatch_variants_match_reference() {
        use crate::linalg::simd::{Job, dispatch, dispatch_at};
        struct RowsJob<'a> {
            a: &'a [[f64; 13]],
            b: &'a [[f64; 33]; 13],
            c: &'a mut [[f64; 33]],
        }
        impl Job for RowsJob<'_> {
            type Out = f64;
            #[inline(always)]
            fn run<const FMA: bool>(self) -> f64 {
                accumulate_rows_inline::<f64, 13, 33, FMA>(self.a, self.b, self.c);
                self.c[0][0]
            }
        }
        let mut rng = StdRng::seed_from_u64(21);
        let a: Vec<[f64; 13]> = (0..5).map(|_| random_array::<_, 13>(&mut rng)).collect();
        let b: [[f64; 33]; 13] = core::array::from_fn(|_| random_array::<_, 33>(&mut rng));
        let want = matmul_rows(&a, &b);
        let mut runs: Vec<(std::string::String, Vec<[f64; 33]>)> = Vec::new();
        let fresh = || std::vec![[0.0f64; 33]; 5];
        let mut c = fresh();
        dispatch(RowsJob { a: &a, b: &b, c: &mut c });
        runs.push(("dispatch".into(), c));
        for isa in available() {
            let mut c = fresh();
            dispatch_at(isa, RowsJob { a: &a, b: &b, c: &mut c });
            runs.push((std::format!("{isa:?}"), c));
        }
        assert_eq!(runs.len(), 1 + available().count());
        assert!(available().any(|i| i == Isa::Portable));
        for (name, c) in runs {
            for (got, want) in c.iter().zip(&want) {
                for (x, y) in got.iter().zip(want) {
                    assert!((x - y).abs() < 1e-12, "{name}: {x} vs {y}");
                }
            }
        }
    }
}
