//! The x86 variants of the int8 kernels: AVX-512 VNNI and AVX2.

use super::{CHUNK, GROUP};
use core::arch::x86_64::*;

/// A job compiled with AVX-512 VNNI (and AVX2, FMA): the VNNI kernels inline into it.
///
/// # Safety
/// The CPU must have AVX-512F, BW, VL and VNNI, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma")]
pub unsafe fn run_vnni512<J: crate::linalg::simd::Job>(job: J) -> J::Out {
    job.run::<true>()
}

/// A job compiled with AVX2 and FMA.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn run_avx2<J: crate::linalg::simd::Job>(job: J) -> J::Out {
    job.run::<true>()
}

/// Four rows at a time share each load of `x`.
///
/// # Safety
/// The CPU must have AVX-512F, AVX-512BW and AVX-512 VNNI; `w` holds `out.len()` rows
/// of `x.len()` and `bias` is `out.len()` long.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub unsafe fn matvec_vnni512(x: &[u8], w: &[i8], bias: &[i32], out: &mut [i32]) {
    let n = x.len();
    let (full, tail) = (n / CHUNK, n % CHUNK);
    // Lanes of the last, partial chunk.
    let mask: __mmask64 = if tail == 0 { 0 } else { (1u64 << tail) - 1 };
    let rows = out.len();
    let mut at = 0;
    let mut o = 0;
    while o < rows {
        let group = (rows - o).min(GROUP);
        if group == GROUP {
            // A whole group, the common case, with a constant number of accumulators:
            // they stay in registers (a count known only at run time, as below, kept
            // them on the stack; 784-512-10, one sample: 5.73-5.81 -> 5.45-5.47 us).
            // SAFETY: the caller's contract (the CPU's features, `w` holding `rows`
            // packed rows of `n`, `x` of `n`) with `at` at this group's first weight.
            let acc = unsafe { group_dots::<GROUP>(x, w, at, full, tail, mask) };
            at += GROUP * n;
            let sums = sum8(&acc);
            for (r, &s) in sums.iter().enumerate() {
                out[o + r] = bias[o + r].wrapping_add(s);
            }
            o += group;
            continue;
        }
        // A group's accumulators are independent, which hides `vpdpbusd`'s latency;
        // each chunk of `x` is loaded once for all of them, and `w` is read in order.
        let mut acc = [_mm512_setzero_si512(); GROUP];
        for c in 0..full {
            // SAFETY: bytes `c * 64 .. c * 64 + 64` lie inside `x` (`c < n / 64`);
            // the group's chunks `at .. at + 64 * group` lie inside `w`, which holds
            // `rows * n` packed weights of which this group's are
            // `o * n .. (o + group) * n` (`packed_index`).
            unsafe {
                let xv = _mm512_loadu_si512(x.as_ptr().add(c * CHUNK) as *const __m512i);
                for a in acc.iter_mut().take(group) {
                    let wv = _mm512_loadu_si512(w.as_ptr().add(at) as *const __m512i);
                    *a = _mm512_dpbusd_epi32(*a, xv, wv);
                    at += CHUNK;
                }
            }
        }
        if tail != 0 {
            // SAFETY: only the `tail` lanes are read (masked loads): `x`'s last
            // `tail` bytes, and each row's `tail` packed bytes at the group's end.
            unsafe {
                let xv = _mm512_maskz_loadu_epi8(mask, x.as_ptr().add(full * CHUNK) as *const i8);
                for a in acc.iter_mut().take(group) {
                    let wv = _mm512_maskz_loadu_epi8(mask, w.as_ptr().add(at));
                    *a = _mm512_dpbusd_epi32(*a, xv, wv);
                    at += tail;
                }
            }
        }
        if group == GROUP {
            // Eight sums at once: a transposing tree of adds, not eight reductions.
            let sums = sum8(&acc);
            for (r, &s) in sums.iter().enumerate() {
                out[o + r] = bias[o + r].wrapping_add(s);
            }
        } else {
            for r in 0..group {
                out[o + r] = bias[o + r].wrapping_add(_mm512_reduce_add_epi32(acc[r]));
            }
        }
        o += group;
    }
}

/// The dot products of `x` with a group of `G` packed rows starting at `w[at..]`: the
/// body of [`matvec_vnni512`] for a whole group, with `G` known to the compiler.
///
/// # Safety
/// The CPU must have AVX-512F, AVX-512BW and AVX-512 VNNI; `x` holds `full * 64 + tail`
/// bytes, `mask` has the low `tail` bits set, and `w[at..]` holds the group's `G` rows
/// of `x.len()` packed weights (`packed_index`).
#[inline(always)]
unsafe fn group_dots<const G: usize>(
    x: &[u8],
    w: &[i8],
    mut at: usize,
    full: usize,
    tail: usize,
    mask: __mmask64,
) -> [__m512i; G] {
    // SAFETY: the intrinsics need the features the caller guarantees; bytes
    // `c * 64 .. c * 64 + 64` lie inside `x` (`c < full`), the masked loads read only its
    // last `tail` bytes, and the group's weights `at .. at + G * x.len()` lie inside `w`.
    unsafe {
        let mut acc = [_mm512_setzero_si512(); G];
        for c in 0..full {
            let xv = _mm512_loadu_si512(x.as_ptr().add(c * CHUNK) as *const __m512i);
            for a in acc.iter_mut() {
                let wv = _mm512_loadu_si512(w.as_ptr().add(at) as *const __m512i);
                *a = _mm512_dpbusd_epi32(*a, xv, wv);
                at += CHUNK;
            }
        }
        if tail != 0 {
            let xv = _mm512_maskz_loadu_epi8(mask, x.as_ptr().add(full * CHUNK) as *const i8);
            for a in acc.iter_mut() {
                let wv = _mm512_maskz_loadu_epi8(mask, w.as_ptr().add(at));
                *a = _mm512_dpbusd_epi32(*a, xv, wv);
                at += tail;
            }
        }
        acc
    }
}

/// The quad layout (fewer than 64 inputs): sixteen rows a register, one `vpdpbusd` a
/// quad of inputs, no sum across lanes.
///
/// # Safety
/// The CPU must have AVX-512F, AVX-512BW and AVX-512 VNNI; `x.len() < 64`, `w` holds
/// `out.len()` rows of `x.len()` weights in the quad layout, `bias` is `out.len()` long.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub unsafe fn matvec_quads_vnni512(x: &[u8], w: &[i8], bias: &[i32], out: &mut [i32]) {
    let n = x.len();
    let rows = out.len();
    let quads = n / 4;
    let mut v = 0;
    while v < rows {
        let lanes = (rows - v).min(16);
        let m: __mmask16 = if lanes == 16 { !0 } else { (1u16 << lanes) - 1 };
        // SAFETY: lanes `v .. v + lanes` of `bias` exist (masked).
        // Two accumulators (even and odd quads) halve the chain of dependent `vpdpbusd`.
        let mut acc = [unsafe { _mm512_maskz_loadu_epi32(m, bias.as_ptr().add(v)) }, _mm512_setzero_si512()];
        for q in 0..quads {
            let xq = i32::from_le_bytes([x[4 * q], x[4 * q + 1], x[4 * q + 2], x[4 * q + 3]]);
            // SAFETY: rows `v .. v + lanes` of quad `q`: 4 bytes each at
            // `q * 4 * rows + 4 * v ..`, inside `w` (masked by whole rows).
            let wq =
                unsafe { _mm512_maskz_loadu_epi32(m, w.as_ptr().add(q * 4 * rows + 4 * v) as *const i32) };
            acc[q % 2] = _mm512_dpbusd_epi32(acc[q % 2], _mm512_set1_epi32(xq), wq);
        }
        let acc = _mm512_add_epi32(acc[0], acc[1]);
        if lanes == 16 {
            // SAFETY: lanes `v .. v + 16` of `out` exist.
            unsafe { _mm512_storeu_si512(out.as_mut_ptr().add(v) as *mut __m512i, acc) };
        } else {
            // Through a full store: a masked store stalls the loads that read it back.
            let mut full = [0i32; 16];
            // SAFETY: `full` holds 16 lanes.
            unsafe { _mm512_storeu_si512(full.as_mut_ptr() as *mut __m512i, acc) };
            out[v..v + lanes].copy_from_slice(&full[..lanes]);
        }
        v += lanes;
    }
    let rest = n % 4;
    if rest > 0 {
        let xs = &x[4 * quads..];
        for (a, ws) in out.iter_mut().zip(w[quads * 4 * rows..].chunks_exact(rest)) {
            let d: i32 = ws.iter().zip(xs).map(|(&w, &x)| w as i32 * x as i32).sum();
            *a = a.wrapping_add(d);
        }
    }
}

/// The sums of the lanes of each of eight vectors.
#[target_feature(enable = "avx512f")]
#[inline]
fn sum8(a: &[__m512i; GROUP]) -> [i32; GROUP] {
    // Pairs interleaved: each 128-bit lane of `p[k]` holds partial sums of a[2k] and
    // a[2k + 1], twice.
    let pair =
        |x: __m512i, y: __m512i| _mm512_add_epi32(_mm512_unpacklo_epi32(x, y), _mm512_unpackhi_epi32(x, y));
    let p = [pair(a[0], a[1]), pair(a[2], a[3]), pair(a[4], a[5]), pair(a[6], a[7])];
    // Each 128-bit lane of `q[k]`: partial sums of a[4k .. 4k + 4], in order.
    let quad =
        |x: __m512i, y: __m512i| _mm512_add_epi32(_mm512_unpacklo_epi64(x, y), _mm512_unpackhi_epi64(x, y));
    let q = [quad(p[0], p[1]), quad(p[2], p[3])];
    // Add the four 128-bit lanes: lanes (0, 2) + (1, 3), then 0 + 1.
    let fold = |v: __m512i| {
        let h = _mm512_add_epi32(v, _mm512_shuffle_i32x4(v, v, 0b01_00_11_10));
        let h = _mm512_add_epi32(h, _mm512_shuffle_i32x4(h, h, 0b10_11_00_01));
        _mm512_castsi512_si128(h)
    };
    let (lo, hi) = (fold(q[0]), fold(q[1]));
    let mut out = [0i32; GROUP];
    // SAFETY: `out` has room for two vectors of four `i32`.
    unsafe {
        _mm_storeu_si128(out.as_mut_ptr() as *mut __m128i, lo);
        _mm_storeu_si128(out.as_mut_ptr().add(4) as *mut __m128i, hi);
    }
    out
}

/// Four samples by four rows at a time: sixteen accumulators, each weight load
/// shared by four samples and each sample load by four rows.
///
/// # Safety
/// The CPU must have AVX-512F, AVX-512BW and AVX-512 VNNI; `xs` holds `batch` samples
/// of `n > 0`, `w` holds `bias.len()` rows of `n` packed weights, and `out` holds
/// `batch * bias.len()` values.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub unsafe fn matmat_vnni512(xs: &[u8], n: usize, w: &[i8], bias: &[i32], out: &mut [i32]) {
    let rows = bias.len();
    let batch = xs.len() / n;
    let mut start = 0;
    while start < rows {
        let group = (rows - start).min(GROUP);
        let mut s0 = 0;
        while s0 < batch {
            let sb = (batch - s0).min(4);
            let mut r0 = 0;
            while r0 < group {
                let rb = (group - r0).min(4);
                let block = Block { xs, n, w, bias, rows, start, group, s0, r0 };
                // Fixed block sizes keep the accumulators in registers.
                // SAFETY: the caller's guarantees, and `s0 + sb <= batch`,
                // `r0 + rb <= group` for the block's samples and rows.
                unsafe {
                    match (sb, rb) {
                        (4, 4) => block.run::<4, 4>(out),
                        (4, 2) => block.run::<4, 2>(out),
                        (4, 1) => block.run::<4, 1>(out),
                        _ => {
                            for s in 0..sb {
                                for r in 0..rb {
                                    Block { s0: s0 + s, r0: r0 + r, ..block }.run::<1, 1>(out);
                                }
                            }
                        }
                    }
                }
                r0 += rb;
            }
            s0 += sb;
        }
        start += group;
    }
}

/// One block of samples `s0 ..` and rows `start + r0 ..` of a group.
#[derive(Clone, Copy)]
struct Block<'a> {
    xs: &'a [u8],
    n: usize,
    w: &'a [i8],
    bias: &'a [i32],
    rows: usize,
    start: usize,
    group: usize,
    s0: usize,
    r0: usize,
}

impl Block<'_> {
    /// `S` samples by `R` rows.
    ///
    /// # Safety
    /// AVX-512F, BW and VNNI; samples `s0 .. s0 + S` and rows `r0 .. r0 + R` of the
    /// group exist.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    #[allow(clippy::needless_range_loop)] // `acc[s][i]`: two indices, fixed bounds
    unsafe fn run<const S: usize, const R: usize>(self, out: &mut [i32]) {
        let Block { xs, n, w, bias, rows, start, group, s0, r0 } = self;
        let (full, tail) = (n / CHUNK, n % CHUNK);
        let base = start * n;
        let mut acc = [[_mm512_setzero_si512(); R]; S];
        for c in 0..full {
            let mut xv = [_mm512_setzero_si512(); S];
            for (s, v) in xv.iter_mut().enumerate() {
                // SAFETY: sample `s0 + s` exists; its chunk `c * 64 .. + 64` lies inside
                // it (`c < n / 64`).
                *v = unsafe {
                    _mm512_loadu_si512(xs.as_ptr().add((s0 + s) * n + c * CHUNK) as *const __m512i)
                };
            }
            for i in 0..R {
                // SAFETY: row `start + r0 + i` of the group has its chunk `c` at this
                // offset inside `w` (`packed_index`).
                let wv = unsafe {
                    _mm512_loadu_si512(w.as_ptr().add(base + (c * group + r0 + i) * CHUNK) as *const __m512i)
                };
                for s in 0..S {
                    acc[s][i] = _mm512_dpbusd_epi32(acc[s][i], xv[s], wv);
                }
            }
        }
        if tail != 0 {
            let m: __mmask64 = (1u64 << tail) - 1;
            let mut xv = [_mm512_setzero_si512(); S];
            for (s, v) in xv.iter_mut().enumerate() {
                // SAFETY: only the `tail` lanes of sample `s0 + s`'s last chunk are read.
                *v = unsafe {
                    _mm512_maskz_loadu_epi8(m, xs.as_ptr().add((s0 + s) * n + full * CHUNK) as *const i8)
                };
            }
            for i in 0..R {
                let at = base + full * CHUNK * group + (r0 + i) * tail;
                // SAFETY: only the row's `tail` packed bytes at `at` are read, inside `w`.
                let wv = unsafe { _mm512_maskz_loadu_epi8(m, w.as_ptr().add(at)) };
                for s in 0..S {
                    acc[s][i] = _mm512_dpbusd_epi32(acc[s][i], xv[s], wv);
                }
            }
        }
        for s in 0..S {
            for i in 0..R {
                let o = start + r0 + i;
                out[(s0 + s) * rows + o] = bias[o].wrapping_add(_mm512_reduce_add_epi32(acc[s][i]));
            }
        }
    }
}

/// Sixteen bytes at a time widened to `i16`, `vpmaddwd` into `i32` (exact: a pair of
/// products is at most 2 x 255 x 128), on the packed layout.
///
/// # Safety
/// The CPU must have AVX2; `w` holds `out.len()` rows of `x.len()` packed weights and
/// `bias` is `out.len()` long.
#[inline]
#[target_feature(enable = "avx2")]
pub unsafe fn matvec_avx2(x: &[u8], w: &[i8], bias: &[i32], out: &mut [i32]) {
    let n = x.len();
    let (full, tail) = (n / CHUNK, n % CHUNK);
    let rows = out.len();
    let sum = |v: __m256i| -> i32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
        _mm_cvtsi128_si32(s)
    };
    let mut at = 0;
    let mut o = 0;
    while o < rows {
        let group = (rows - o).min(GROUP);
        let xs = &x[full * CHUNK..];
        if group == GROUP {
            // A whole group with a constant number of accumulators, kept in registers
            // (see `matvec_vnni512`; 784-512-10, one sample, `SHAPED_ISA=avx2`: 7.99-8.03 ->
            // 7.74-7.89 us).
            // SAFETY: the caller's contract (AVX2, `w` holding `rows` packed rows of `n`)
            // with `at` at this group's first weight.
            let acc = unsafe { group_dots_avx2::<GROUP>(x, w, at, full) };
            at += GROUP * full * CHUNK;
            for (r, a) in acc.iter().enumerate() {
                let ws = &w[at + r * tail..at + (r + 1) * tail];
                let rest: i32 = ws.iter().zip(xs).map(|(&w, &x)| w as i32 * x as i32).sum();
                out[o + r] = bias[o + r].wrapping_add(sum(*a)).wrapping_add(rest);
            }
            at += GROUP * tail;
            o += GROUP;
            continue;
        }
        let mut acc = [_mm256_setzero_si256(); GROUP];
        for c in 0..full {
            for q in 0..CHUNK / 16 {
                let k = c * CHUNK + q * 16;
                // SAFETY: `x[k .. k + 16]` lies inside `x` (`k + 16 <= full * 64 <= n`);
                // row `r` of the group has its chunk at `at + r * 64`, inside `w`.
                unsafe {
                    let xv = _mm256_cvtepu8_epi16(_mm_loadu_si128(x.as_ptr().add(k) as *const __m128i));
                    for (r, a) in acc.iter_mut().enumerate().take(group) {
                        let p = w.as_ptr().add(at + r * CHUNK + q * 16) as *const __m128i;
                        let wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(p));
                        *a = _mm256_add_epi32(*a, _mm256_madd_epi16(xv, wv));
                    }
                }
            }
            at += group * CHUNK;
        }
        for r in 0..group {
            let ws = &w[at + r * tail..at + (r + 1) * tail];
            let rest: i32 = ws.iter().zip(xs).map(|(&w, &x)| w as i32 * x as i32).sum();
            out[o + r] = bias[o + r].wrapping_add(sum(acc[r])).wrapping_add(rest);
        }
        at += group * tail;
        o += group;
    }
}

/// The whole chunks of `x`'s dot products with a group of `G` packed rows starting at
/// `w[at..]`: the body of [`matvec_avx2`] for a whole group, with `G` known to the
/// compiler.
///
/// # Safety
/// The CPU must have AVX2; `x` holds at least `full * 64` bytes and `w[at..]` the
/// group's `G` rows of packed weights (`packed_index`).
#[inline(always)]
unsafe fn group_dots_avx2<const G: usize>(x: &[u8], w: &[i8], mut at: usize, full: usize) -> [__m256i; G] {
    // SAFETY: the intrinsics need AVX2, which the caller guarantees; `x[k .. k + 16]`
    // lies inside `x` (`k + 16 <= full * 64`), and row `r`'s chunk at `at + r * 64`
    // inside the group's weights in `w`.
    unsafe {
        let mut acc = [_mm256_setzero_si256(); G];
        for c in 0..full {
            for q in 0..CHUNK / 16 {
                let k = c * CHUNK + q * 16;
                let xv = _mm256_cvtepu8_epi16(_mm_loadu_si128(x.as_ptr().add(k) as *const __m128i));
                for (r, a) in acc.iter_mut().enumerate() {
                    let p = w.as_ptr().add(at + r * CHUNK + q * 16) as *const __m128i;
                    let wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(p));
                    *a = _mm256_add_epi32(*a, _mm256_madd_epi16(xv, wv));
                }
            }
            at += G * CHUNK;
        }
        acc
    }
}
