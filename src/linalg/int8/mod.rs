//! Integer kernels of the int8 path: `u8 x i8 -> i32` products of a row of activations
//! with rows of weights, and the integer requantization.
//!
//! Activations are int8 values stored offset by 128 as `u8` (the form the `u8 x i8`
//! instructions take; the zero point absorbs the offset), weights are `i8`, and every
//! sum is exact in `i32` (a row of up to 66,000 products of at most 255 x 128).
//! Three variants give the same bits: AVX-512 VNNI (`vpdpbusd`), AVX2 (widening to
//! `i16`, `vpmaddwd`), and portable code; [`int8_isa`] picks the best this CPU runs.
//!
//! The weights are packed once, when a network is quantized, in the order the kernels
//! read them ([`packed_index`]): rows in groups of [`GROUP`], and within a group the
//! inputs in chunks of [`CHUNK`], each chunk's rows one after the other (a last, shorter
//! chunk holds the remaining inputs). A product then reads the weights as one stream.

/// Rows of weights a kernel pass computes together.
pub const GROUP: usize = 8;
/// Inputs in a chunk of the packed layout: one AVX-512 register of bytes.
pub const CHUNK: usize = 64;

/// Where weight `(row, input)` of a `rows x n` matrix lies in the packed layout.
///
/// A matrix of fewer than [`CHUNK`] inputs is stored by quads of inputs instead: for
/// each quad, every row's four weights side by side (one `i32` lane of `vpdpbusd` a row,
/// sixteen rows a register, no sum across lanes); the last `n % 4` inputs follow, a row
/// at a time.
#[inline]
pub const fn packed_index(n: usize, rows: usize, row: usize, input: usize) -> usize {
    if n < CHUNK {
        let quads = n / 4;
        return if input < 4 * quads {
            (input / 4) * 4 * rows + 4 * row + input % 4
        } else {
            quads * 4 * rows + row * (n % 4) + (input - 4 * quads)
        };
    }
    let start = row - row % GROUP;
    let group = if rows - start < GROUP { rows - start } else { GROUP };
    let r = row - start;
    let (c, j) = (input / CHUNK, input % CHUNK);
    let full = n / CHUNK;
    if c < full {
        start * n + (c * group + r) * CHUNK + j
    } else {
        start * n + full * CHUNK * group + r * (n % CHUNK) + j
    }
}

/// The int8 kernels' instruction sets, least capable first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Int8Isa {
    /// Plain Rust.
    Portable,
    /// AVX2: `vpmovzxbw` / `vpmovsxbw` then `vpmaddwd` (detected with FMA).
    Avx2,
    /// AVX-512 VNNI: `vpdpbusd` on 64 bytes (detected with AVX-512F, BW, VL, AVX2 and FMA).
    Vnni512,
}

/// The best int8 instruction set of this CPU, capped by `SHAPED_ISA` (`portable`,
/// `avx2`) as the float kernels are.
#[inline]
pub fn int8_isa() -> Int8Isa {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        static CHOICE: std::sync::OnceLock<Int8Isa> = std::sync::OnceLock::new();
        *CHOICE.get_or_init(|| {
            let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
            let detected = if avx2
                && std::is_x86_feature_detected!("avx512vnni")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vl")
                && std::is_x86_feature_detected!("avx512f")
            {
                Int8Isa::Vnni512
            } else if avx2 {
                Int8Isa::Avx2
            } else {
                Int8Isa::Portable
            };
            let cap = match std::env::var("SHAPED_ISA").ok().as_deref() {
                Some("portable") => Int8Isa::Portable,
                Some("avx2") => Int8Isa::Avx2,
                _ => Int8Isa::Vnni512,
            };
            detected.min(cap)
        })
    }
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    Int8Isa::Portable
}

/// Runs `job` compiled for the best int8 instruction set of this CPU ([`int8_isa`]):
/// with AVX-512 VNNI the kernels below inline into it, so a small network runs as one
/// function; the requantization and the `f32` ends are vectorized around them.
#[inline]
pub fn dispatch<J: crate::linalg::simd::Job>(job: J) -> J::Out {
    dispatch_at(Int8Isa::Vnni512, job)
}

/// [`dispatch`] with at most instruction set `cap`.
#[inline]
pub fn dispatch_at<J: crate::linalg::simd::Job>(cap: Int8Isa, job: J) -> J::Out {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    match cap.min(int8_isa()) {
        // SAFETY: `int8_isa()` reported AVX-512F, BW and VNNI (and AVX2) on this CPU.
        Int8Isa::Vnni512 => return unsafe { x86::run_vnni512(job) },
        // SAFETY: `int8_isa()` reported AVX2 and FMA on this CPU.
        Int8Isa::Avx2 => return unsafe { x86::run_avx2(job) },
        Int8Isa::Portable => {}
    }
    let _ = cap;
    crate::linalg::simd::run_portable(job)
}

/// Every int8 instruction set this CPU runs (for tests of each variant).
#[cfg(test)]
pub fn available() -> impl Iterator<Item = Int8Isa> {
    [Int8Isa::Portable, Int8Isa::Avx2, Int8Isa::Vnni512].into_iter().filter(|&i| i <= int8_isa())
}

/// `out[o] = bias[o] + sum_k x[k] * W[o][k]` (wrapping, as the hardware adds; the
/// quantizer leaves every bias room for the largest sum): one row of activations times `out.len()`
/// rows of weights `W`, packed in `w` as [`packed_index`] says, with the best
/// instruction set.
#[inline]
pub fn matvec_u8i8(x: &[u8], w: &[i8], bias: &[i32], out: &mut [i32]) {
    matvec_u8i8_at(int8_isa(), x, w, bias, out)
}

/// [`matvec_u8i8`] with at most instruction set `cap`.
///
/// # Panics
/// If `w` is not `out.len()` rows of `x.len()`, or `bias` not `out.len()` long.
#[inline]
pub fn matvec_u8i8_at(cap: Int8Isa, x: &[u8], w: &[i8], bias: &[i32], out: &mut [i32]) {
    let n = x.len();
    assert!(w.len() == n * out.len() && bias.len() == out.len(), "matvec_u8i8: the shapes differ");
    // Cores with the DSP extension: dual 16-bit multiply-adds, both layouts.
    #[cfg(all(target_arch = "arm", target_feature = "dsp"))]
    {
        let _ = cap;
        return arm::matvec::<arm::Dsp>(x, w, bias, out);
    }
    #[allow(unreachable_code)]
    if n < CHUNK {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        if cap.min(int8_isa()) == Int8Isa::Vnni512 {
            // SAFETY: `int8_isa()` reported AVX-512F, BW and VNNI on this CPU; the
            // lengths were checked above.
            return unsafe { x86::matvec_quads_vnni512(x, w, bias, out) };
        }
        return matvec_quads(x, w, bias, out);
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    match cap.min(int8_isa()) {
        // SAFETY: `int8_isa()` reported AVX-512F, BW and VNNI on this CPU; the lengths
        // were checked above.
        Int8Isa::Vnni512 => return unsafe { x86::matvec_vnni512(x, w, bias, out) },
        // SAFETY: `int8_isa()` reported AVX2 on this CPU; the lengths were checked above.
        Int8Isa::Avx2 => return unsafe { x86::matvec_avx2(x, w, bias, out) },
        Int8Isa::Portable => {}
    }
    let _ = cap;
    matvec_portable(x, w, bias, out)
}

/// A batch: `out[s * rows + o] = bias[o] + sum_k xs[s * n + k] * W[o][k]` for each of the
/// `xs.len() / n` samples, `W` packed as [`packed_index`] says. With AVX-512 VNNI, four
/// samples share each load of the weights (a fourth of the weight traffic of one product
/// per sample); otherwise one product per sample.
pub fn matmat_u8i8(xs: &[u8], n: usize, w: &[i8], bias: &[i32], out: &mut [i32]) {
    matmat_u8i8_at(int8_isa(), xs, n, w, bias, out)
}

/// [`matmat_u8i8`] with at most instruction set `cap`.
///
/// # Panics
/// If the lengths do not describe `xs.len() / n` samples and `bias.len()` rows.
pub fn matmat_u8i8_at(cap: Int8Isa, xs: &[u8], n: usize, w: &[i8], bias: &[i32], out: &mut [i32]) {
    let rows = bias.len();
    let batch = xs.len().checked_div(n).unwrap_or(out.len() / rows.max(1));
    assert!(
        xs.len() == batch * n && w.len() == n * rows && out.len() == batch * rows,
        "matmat_u8i8: the shapes differ"
    );
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if cap.min(int8_isa()) == Int8Isa::Vnni512 && n >= CHUNK {
        // SAFETY: `int8_isa()` reported AVX-512F, BW and VNNI on this CPU; the lengths
        // were checked above.
        return unsafe { x86::matmat_vnni512(xs, n, w, bias, out) };
    }
    for (x, o) in xs.chunks_exact(n.max(1)).zip(out.chunks_exact_mut(rows.max(1))).take(batch) {
        matvec_u8i8_at(cap, &x[..n], w, bias, o);
    }
}

/// A hidden layer's outputs from its accumulators: `zero + round(acc[o] * M[o])`
/// clamped to `[low, 255]` (`M[o]` as [`Requant::apply`] rounds it). Branch-free 64-bit
/// arithmetic (no overflow for any `i32` accumulator: the product is below 2^62), which
/// the compiler vectorizes.
#[inline(always)]
pub fn requantize(acc: &[i32], requant: &[Requant], zero: u8, low: u8, out: &mut [u8]) {
    let (zero, low) = (zero as i64, low as i64);
    for ((dst, &a), r) in out.iter_mut().zip(acc).zip(requant) {
        let s = (31 - r.shift.clamp(-31, 30)) as u32; // in range whatever the fields hold
        let v = ((a as i64 * r.multiplier as i64 + (1i64 << (s - 1))) >> s) + zero;
        *dst = v.clamp(low, 255) as u8;
    }
}

/// The product of fewer than [`CHUNK`] inputs in the quad layout (see
/// [`packed_index`]), in plain Rust.
pub fn matvec_quads(x: &[u8], w: &[i8], bias: &[i32], out: &mut [i32]) {
    let n = x.len();
    let rows = out.len();
    let quads = n / 4;
    out.copy_from_slice(bias);
    for q in 0..quads {
        let xs = &x[4 * q..4 * q + 4];
        let block = &w[q * 4 * rows..(q + 1) * 4 * rows];
        for (a, ws) in out.iter_mut().zip(block.chunks_exact(4)) {
            let d: i32 = ws.iter().zip(xs).map(|(&w, &x)| w as i32 * x as i32).sum();
            *a = a.wrapping_add(d);
        }
    }
    let rest = n % 4;
    if rest > 0 {
        let xs = &x[4 * quads..];
        let block = &w[quads * 4 * rows..];
        for (a, ws) in out.iter_mut().zip(block.chunks_exact(rest)) {
            let d: i32 = ws.iter().zip(xs).map(|(&w, &x)| w as i32 * x as i32).sum();
            *a = a.wrapping_add(d);
        }
    }
}

/// The portable variant, reading the packed layout as a stream.
pub fn matvec_portable(x: &[u8], w: &[i8], bias: &[i32], out: &mut [i32]) {
    let n = x.len();
    let (full, tail) = (n / CHUNK, n % CHUNK);
    let rows = out.len();
    let mut at = 0;
    let mut o = 0;
    while o < rows {
        let group = (rows - o).min(GROUP);
        let mut acc = [0i32; GROUP];
        for c in 0..full {
            let xs = &x[c * CHUNK..(c + 1) * CHUNK];
            for a in acc.iter_mut().take(group) {
                let ws = &w[at..at + CHUNK];
                *a = a.wrapping_add(ws.iter().zip(xs).map(|(&w, &x)| w as i32 * x as i32).sum::<i32>());
                at += CHUNK;
            }
        }
        let xs = &x[full * CHUNK..];
        for a in acc.iter_mut().take(group) {
            let ws = &w[at..at + tail];
            *a += ws.iter().zip(xs).map(|(&w, &x)| w as i32 * x as i32).sum::<i32>();
            at += tail;
        }
        for r in 0..group {
            out[o + r] = bias[o + r].wrapping_add(acc[r]);
        }
        o += group;
    }
}

/// An integer multiplier and shift standing for a positive real factor:
/// `factor ≈ multiplier * 2^(shift - 31)`, `multiplier` in `[2^30, 2^31)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Requant {
    /// The multiplier, a Q31 fixed-point number in `[0.5, 1)`.
    pub multiplier: i32,
    /// The power of two (usually negative: factors are below 1).
    pub shift: i32,
}

impl Requant {
    /// The multiplier and shift of `factor` (0 for a factor of 0 or below 2^-31).
    pub fn new(factor: f64) -> Self {
        if factor.is_nan() || factor <= 0.0 || !factor.is_finite() {
            return Requant { multiplier: 0, shift: 0 };
        }
        use num_traits::Float;
        // factor = m * 2^e with m in [0.5, 1).
        let mut e = Float::floor(Float::log2(factor)) as i32 + 1;
        let mut m = factor / Float::powi(2f64, e);
        if m < 0.5 {
            m *= 2.0;
            e -= 1;
        } else if m >= 1.0 {
            m /= 2.0;
            e += 1;
        }
        let mut q = Float::round(m * 2147483648.0) as i64;
        if q == 1 << 31 {
            q /= 2;
            e += 1;
        }
        if e < -31 {
            return Requant { multiplier: 0, shift: 0 };
        }
        Requant { multiplier: q as i32, shift: e.min(30) }
    }

    /// `round(acc * factor)`: `(acc * multiplier + 2^(s - 1)) >> s` with `s = 31 - shift`,
    /// in 64-bit integers (no overflow for any `i32` accumulator), ties rounded up.
    #[inline(always)]
    pub fn apply(self, acc: i32) -> i32 {
        // A shift out of range (the fields are public) still gives a defined result.
        let s = (31 - self.shift.clamp(-31, 30)) as u32;
        let p = acc as i64 * self.multiplier as i64;
        ((p + (1i64 << (s - 1))) >> s).clamp(i32::MIN as i64, i32::MAX as i64) as i32
    }
}

// The DSP kernel, tested on every host through its emulated operations.
#[cfg(any(test, all(target_arch = "arm", target_feature = "dsp")))]
mod arm;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod x86;

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng, rngs::StdRng};
    use std::boxed::Box;
    use std::vec;
    use std::vec::Vec;

    fn reference(x: &[u8], w: &[i8], bias: &[i32]) -> Vec<i32> {
        let n = x.len();
        bias.iter()
            .enumerate()
            .map(|(o, &b)| b as i64 + (0..n).map(|k| x[k] as i64 * w[o * n + k] as i64).sum::<i64>())
            .map(|v| i32::try_from(v).unwrap())
            .collect()
    }

    #[test]
    fn every_variant_is_exact_on_random_sizes_and_edge_values() {
        let mut rng = StdRng::seed_from_u64(8);
        let mut sizes: Vec<(usize, usize)> =
            vec![(0, 3), (1, 1), (63, 5), (64, 4), (65, 7), (784, 10), (512, 9), (3000, 2)];
        // Several whole groups of eight rows, with and without a partial one after them.
        sizes.extend([(784, 24), (100, 17), (64, 16), (65, 33), (1, 8)]);
        for _ in 0..40 {
            sizes.push((rng.random_range(0..300), rng.random_range(0..13)));
        }
        for (n, rows) in sizes {
            type Fill = Box<dyn Fn(&mut StdRng) -> (u8, i8)>;
            let fills: [(&str, Fill); 4] = [
                ("random", Box::new(|r: &mut StdRng| (r.random(), r.random()))),
                ("max x min", Box::new(|_: &mut StdRng| (255, -128))),
                ("max x max", Box::new(|_: &mut StdRng| (255, 127))),
                (
                    "edges",
                    Box::new(|r: &mut StdRng| {
                        (if r.random() { 255 } else { 0 }, if r.random() { 127 } else { -128 })
                    }),
                ),
            ];
            for (name, fill) in &fills {
                let mut x = vec![0u8; n];
                let mut w = vec![0i8; n * rows];
                for v in x.iter_mut() {
                    *v = fill(&mut rng).0;
                }
                for v in w.iter_mut() {
                    *v = fill(&mut rng).1;
                }
                let bias: Vec<i32> = (0..rows).map(|_| rng.random_range(-1_000_000..1_000_000)).collect();
                let want = reference(&x, &w, &bias);
                let mut packed = vec![0i8; n * rows];
                for o in 0..rows {
                    for k in 0..n {
                        packed[packed_index(n, rows, o, k)] = w[o * n + k];
                    }
                }
                for isa in available() {
                    let mut out = vec![0; rows];
                    matvec_u8i8_at(isa, &x, &packed, &bias, &mut out);
                    assert_eq!(out, want, "{isa:?}, {n} x {rows}, {name}");
                }
                // The Arm DSP kernel, its instructions emulated.
                let mut out = vec![0; rows];
                arm::matvec::<arm::Emulated>(&x, &packed, &bias, &mut out);
                assert_eq!(out, want, "Arm DSP (emulated), {n} x {rows}, {name}");
            }
        }
    }

    #[test]
    fn the_emulated_dsp_instructions_are_the_architectures() {
        use arm::{Dual, Emulated};
        // ARMv7-M reference manual, SXTB16 / UXTB16 / SMLAD.
        assert_eq!(Emulated::sxtb16(0x80_7f_ff_01), 0x007f_0001);
        assert_eq!(Emulated::sxtb16(0x00_80_00_ff), 0xff80_ffff);
        assert_eq!(Emulated::sxtb16_ror8(0x80_7f_ff_01), 0xff80_ffff);
        assert_eq!(Emulated::uxtb16(0x80_7f_ff_01), 0x007f_0001);
        assert_eq!(Emulated::uxtb16_ror8(0x80_7f_ff_01), 0x0080_00ff);
        // (-1) * 255 + 127 * 128 + 5
        assert_eq!(Emulated::smlad(0x007f_ffff, 0x0080_00ff, 5), -255 + 127 * 128 + 5);
        assert_eq!(Emulated::smlad(0x8000_8000, 0x8000_8000, i32::MAX), i32::MAX.wrapping_add(1 << 31));
    }

    /// Batches of every shape a quantized `predict_batch` runs, exact on every variant:
    /// input and output widths 1 to 70 through the groups' edges (one output included,
    /// issue #29's class), batches of 0 to 40 rows.
    #[test]
    fn batches_are_exact_on_every_variant() {
        let mut rng = StdRng::seed_from_u64(9);
        let mut shapes = vec![(784, 20, 9), (64, 8, 4), (65, 13, 5), (3, 2, 7), (130, 9, 1), (200, 17, 0)];
        let widths = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 70];
        for (i, &n) in widths.iter().enumerate() {
            for (j, &rows) in widths.iter().enumerate() {
                shapes.push((n, rows, [1, 2, 3, 7, 8, 9, 16, 17, 33, 40][(i + j) % 10]));
            }
        }
        for (n, rows, batch) in shapes {
            let xs: Vec<u8> = (0..n * batch).map(|_| rng.random()).collect();
            let w: Vec<i8> = (0..n * rows).map(|_| rng.random()).collect();
            let bias: Vec<i32> = (0..rows).map(|_| rng.random_range(-1000..1000)).collect();
            let mut packed = vec![0i8; n * rows];
            for o in 0..rows {
                for k in 0..n {
                    packed[packed_index(n, rows, o, k)] = w[o * n + k];
                }
            }
            let want: Vec<i32> = xs.chunks(n).flat_map(|x| reference(x, &w, &bias)).collect();
            for isa in available() {
                let mut out = vec![0; batch * rows];
                matmat_u8i8_at(isa, &xs, n, &packed, &bias, &mut out);
                assert_eq!(out, want, "{isa:?}, {batch} x {n} x {rows}");
            }
        }
    }

    #[test]
    fn the_packed_layout_is_a_permutation() {
        for (n, rows) in [(784, 512), (784, 10), (65, 13), (64, 8), (3, 1), (130, 9)] {
            let mut seen = vec![false; n * rows];
            for o in 0..rows {
                for k in 0..n {
                    let i = packed_index(n, rows, o, k);
                    assert!(!seen[i], "{n} x {rows}: ({o}, {k}) lands on a taken slot");
                    seen[i] = true;
                }
            }
        }
    }

    #[test]
    fn requantization_rounds_to_nearest() {
        for &(factor, acc) in
            &[(0.5, 3), (0.25, 6), (0.001234, 1_000_000), (0.75, -7), (3.5, 100), (1e-12, 5)]
        {
            let r = Requant::new(factor);
            let want = (acc as f64 * factor).round();
            let got = r.apply(acc) as f64;
            assert!((got - want).abs() <= 1.0, "{factor} x {acc}: {got} vs {want}");
            if (acc as f64 * factor).fract().abs() != 0.5 {
                assert_eq!(got, want, "{factor} x {acc}");
            }
        }
        assert!(Requant::new(0.3).multiplier >= 1 << 30);
        assert_eq!(Requant::new(0.0).apply(12345), 0);
        // Extreme accumulators saturate instead of wrapping.
        assert_eq!(Requant::new(0.999).apply(i32::MAX), (i32::MAX as f64 * 0.999).round() as i32);
        assert_eq!(Requant::new(2.0).apply(i32::MIN), i32::MIN);
        // Fields set by hand out of range give a defined result, not an overflow.
        assert_eq!(Requant { multiplier: 1 << 30, shift: 99 }.apply(3), 3 << 29);
        assert_eq!(Requant { multiplier: i32::MAX, shift: -100 }.apply(i32::MAX), 1);
    }
}
