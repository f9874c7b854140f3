//! Row kernels of a type's own, used by the row kernels of [`small`](super::small): the
//! last layer of a small classifier, four outputs, on AVX-512
//! ([`Real::acc_row4`](super::Real::acc_row4)), and eight outputs on Cortex-M cores with a
//! single-precision FPU ([`Real::acc_block8`](super::Real::acc_block8)); `f64` has
//! neither.

/// [`Real::acc_row4`](super::Real::acc_row4) for `f32`: the AVX-512 kernel below where the build's target has
/// AVX-512F and FMA (`-C target-cpu=native` on such a CPU), or, with `std`, where the
/// run-time choice ([`isa`](super::isa)) is AVX-512 (inlined into the dispatch's AVX-512
/// variant); none otherwise.
#[inline(always)]
pub(crate) fn row4_f32<const K: usize>(a: &[f32; K], b: &[[f32; 4]; K], c: &mut [f32; 4]) -> bool {
    #[cfg(all(target_arch = "x86_64", target_feature = "avx512f", target_feature = "fma"))]
    if K.is_multiple_of(4) {
        // SAFETY: the build's target has AVX-512F and FMA (the `cfg` above): the code
        // around this call already uses them, and the binary runs only where they are.
        unsafe { avx512::acc_row4(a, b, c) };
        return true;
    }
    #[cfg(all(
        target_arch = "x86_64",
        feature = "std",
        not(all(target_feature = "avx512f", target_feature = "fma"))
    ))]
    if K.is_multiple_of(4) && super::isa() == super::Isa::Avx512 {
        // SAFETY: `isa()` reported AVX-512F, AVX-512VL and FMA on this CPU.
        unsafe { avx512::acc_row4(a, b, c) };
        return true;
    }
    let _ = (a, b, c);
    false
}

/// [`Real::acc_row4`](super::Real::acc_row4) for `f64`: none.
#[inline(always)]
pub(crate) fn row4_f64<const K: usize>(a: &[f64; K], b: &[[f64; 4]; K], c: &mut [f64; 4]) -> bool {
    let _ = (a, b, c);
    false
}

/// The last layer of a small classifier (four outputs) on AVX-512, without a broadcast
/// per input.
///
/// The portable tiny kernel compiles to a broadcast of each input (32 for 16-32-32-4's
/// last layer) and a 4-lane multiply-add per input. On Zen 4 a broadcast from memory is
/// a bare load when VEX-encoded; EVEX-encoded (its destination among the upper sixteen
/// registers, where LLVM puts it when a loop keeps the softmax's constants in the lower
/// ones) it also takes an FP pipe: 32 broadcasts with 32 4-lane multiply-adds take 25
/// cycles against 17 (`benches/broadcast.rs`), and the 16-32-32-4 pass took 59.5 or 56.5 ns
/// by the registers LLVM happened to pick. Here four inputs at a time are spread over a
/// 16-lane register, input `r` in lanes `4r..4r + 4`, and multiplied by sixteen weights
/// (four rows of four outputs): eight spreads and eight multiply-adds for 32 inputs,
/// whatever the registers. Inlined into a pass, LLVM spreads straight from the previous
/// layer's output registers (`vpermps`), so that row no longer goes through memory:
/// 16-32-32-4 natively 56.5 -> 50.2 ns (probe program).
#[cfg(all(
    target_arch = "x86_64",
    any(test, feature = "std", all(target_feature = "avx512f", target_feature = "fma"))
))]
mod avx512 {
    use core::arch::x86_64::*;

    /// `c += a * b`, four outputs, `K` a multiple of 4 (a remainder is left out).
    #[target_feature(enable = "avx512f,fma")]
    #[inline]
    pub(super) fn acc_row4<const K: usize>(a: &[f32; K], b: &[[f32; 4]; K], c: &mut [f32; 4]) {
        let (xs, _) = a.as_chunks::<4>();
        let (ws, _) = b.as_flattened().as_chunks::<16>();
        // Lane 4r + j of a step's weights is row r of the step, output j: the step's
        // input r goes to lanes 4r..4r + 4.
        let spread = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
        // `c` (the bias) starts the first chain in lanes 0..4, which the folds add into
        // output j = lane mod 4.
        // SAFETY: `c` is four floats; the load reads them all, unaligned loads allowed.
        let mut acc = [_mm512_zextps128_ps512(unsafe { _mm_loadu_ps(c.as_ptr()) }), _mm512_setzero_ps()];
        for (step, (x, w)) in xs.iter().zip(ws).enumerate() {
            // SAFETY: `x` is four floats and `w` sixteen: each load reads all of its.
            let (x, w) = unsafe { (_mm_loadu_ps(x.as_ptr()), _mm512_loadu_ps(w.as_ptr())) };
            let x = _mm512_permutevar_ps(_mm512_broadcast_f32x4(x), spread);
            acc[step % 2] = _mm512_fmadd_ps(x, w, acc[step % 2]);
        }
        let s16 = _mm512_add_ps(acc[0], acc[1]);
        let high8 = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(s16)));
        let s8 = _mm256_add_ps(_mm512_castps512_ps256(s16), high8);
        let s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps::<1>(s8));
        // SAFETY: `c` is four floats; the store writes them all.
        unsafe { _mm_storeu_ps(c.as_mut_ptr(), s4) };
    }
}

/// Eight outputs of a row product on a Cortex-M core with a single-precision FPU: per
/// input, one load of it, one `vldmia` of the eight weights into `s16`-`s23` and eight
/// `vmla.f32` into accumulators held in registers, 13 instructions for 8 multiply-adds
/// (the compiler's loop unrolled over the inputs, ran out of the 32 registers and
/// recomputed addresses: 2.9 a multiply-add on the chapter-2 network, issue #31).
/// `vmla` rounds the product before the sum, as `a * b + c` does without FMA.
/// `false` (nothing done) for `f64` and on other targets.
/// [`Real::acc_block8`](super::Real::acc_block8), per type.
pub(crate) trait Block8: Sized {
    /// See [`Real::acc_block8`](super::Real::acc_block8).
    fn block8(a: &[Self], w: &[Self], stride: usize, acc: &mut [Self; 8]) -> bool;
}

impl Block8 for f64 {
    #[inline(always)]
    fn block8(_: &[f64], _: &[f64], _: usize, _: &mut [f64; 8]) -> bool {
        false
    }
}

impl Block8 for f32 {
    #[inline(always)]
    fn block8(a: &[f32], w: &[f32], stride: usize, acc: &mut [f32; 8]) -> bool {
        #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
        return block8_f32(a, w, stride, acc);
        #[cfg(not(all(target_arch = "arm", target_abi = "eabihf")))]
        {
            let _ = (a, w, stride, acc);
            false
        }
    }
}

#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
#[inline(always)]
fn block8_f32(a: &[f32], w: &[f32], stride: usize, acc: &mut [f32; 8]) -> bool {
    let k = a.len();
    // Every row's eight weights inside `w`: the last starts at (k - 1) * stride.
    let fits = k == 0
        || (k - 1).checked_mul(stride).and_then(|s| s.checked_add(8)).is_some_and(|end| end <= w.len());
    if !fits || stride.checked_mul(4).is_none_or(|b| b > i32::MAX as usize) {
        return false;
    }
    if k == 0 {
        return true;
    }
    // Rust's `sreg` operands need the double-precision `vfp2` feature, which a Cortex-M4F
    // lacks: the block saves the registers it uses on the stack and restores them, and
    // reads and writes the sums through `acc`.
    // SAFETY: the loop runs `k` >= 1 times (checked above). Pass `i` reads `a[i]` (`xp`
    // post-incremented by 4 from `a`'s start: `k` floats, `a`'s length) and eight floats
    // at `w`'s start plus `i * stride` (inside `w`: checked above); `stride * 4` fits an
    // `i32` (checked). `acc` is eight floats, read at the start and written at the end.
    // s0-s7 and s16-s24 are pushed first and popped last (the stack is balanced); the
    // general registers used are operands; `subs` changes the flags.
    unsafe {
        core::arch::asm!(
            "vpush {{s0-s7}}",
            "vpush {{s16-s24}}",
            "vldmia {accp}, {{s0-s7}}",
            "2:",
            "vldmia {xp}!, {{s24}}",
            "vldmia {wp}, {{s16-s23}}",
            "vmla.f32 s0, s24, s16",
            "vmla.f32 s1, s24, s17",
            "vmla.f32 s2, s24, s18",
            "vmla.f32 s3, s24, s19",
            "vmla.f32 s4, s24, s20",
            "vmla.f32 s5, s24, s21",
            "vmla.f32 s6, s24, s22",
            "vmla.f32 s7, s24, s23",
            "add {wp}, {wp}, {bytes}",
            "subs {n}, #1",
            "bne 2b",
            "vstmia {accp}, {{s0-s7}}",
            "vpop {{s16-s24}}",
            "vpop {{s0-s7}}",
            accp = in(reg) acc.as_mut_ptr(),
            xp = inout(reg) a.as_ptr() => _,
            wp = inout(reg) w.as_ptr() => _,
            bytes = in(reg) stride * 4,
            n = inout(reg) k => _,
        );
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::reference::{matmul_rows, random_array};
    use rand::{SeedableRng, rngs::StdRng};
    use std::vec::Vec;

    /// The AVX-512 kernel for four outputs (used by builds whose target has AVX-512,
    /// tested here on any build of a CPU that has it) against the reference.
    #[test]
    fn four_output_avx512_kernel_matches_reference() {
        fn check<const K: usize>(rng: &mut StdRng) {
            let a: [f64; K] = random_array(rng);
            let b: std::boxed::Box<[[f64; 4]; K]> = (0..K)
                .map(|_| random_array::<_, 4>(rng))
                .collect::<Vec<_>>()
                .into_boxed_slice()
                .try_into()
                .unwrap();
            let want = matmul_rows(core::slice::from_ref(&a), &b)[0];
            let start = [0.5f64, 1.5, 2.5, 3.5];
            let a32 = a.map(|x| x as f32);
            let b32: std::boxed::Box<[[f32; 4]; K]> = b
                .iter()
                .map(|r| r.map(|x| x as f32))
                .collect::<Vec<_>>()
                .into_boxed_slice()
                .try_into()
                .unwrap();
            let mut c = start.map(|s| s as f32);
            // SAFETY: AVX-512F and FMA were detected on this CPU by the caller.
            unsafe { avx512::acc_row4(&a32, &b32, &mut c) };
            for j in 0..4 {
                let w = want[j] + start[j];
                assert!(
                    (c[j] as f64 - w).abs() < 1e-5 * (1.0 + w.abs()),
                    "K {K}, output {j}: {} vs {w}",
                    c[j]
                );
            }
        }
        if !(std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma")) {
            return;
        }
        let mut rng = StdRng::seed_from_u64(29);
        check::<4>(&mut rng);
        check::<8>(&mut rng);
        check::<12>(&mut rng);
        check::<32>(&mut rng);
        check::<64>(&mut rng);
        check::<512>(&mut rng);
    }
}
