//! The small network, 16-32-32-4 (relu, relu, softmax), written by hand with AVX-512
//! intrinsics for this one shape and this one CPU family. Not the crate's code: a
//! baseline of what choosing every instruction by hand gives.
//!
//! - layers 1 and 2: two 16-lane outputs, four chains of multiply-adds each, inputs
//!   broadcast from memory (the first layer's outputs on one aligned 128-byte buffer);
//! - layer 3: eight chains of 4-lane multiply-adds, the inputs broadcast from memory;
//! - softmax: the maximum and the sum by two shuffles each, `exp` by Cephes' polynomial
//!   with `2^n` added into the exponent (no range selects: this network's values stay
//!   in range, which the crate's `exp` does not assume).

use core::arch::x86_64::*;
use shaped::nn::DenseParams;

/// The three layers' weights.
pub struct Small<'a> {
    pub l1: &'a DenseParams<f32, 16, 32>,
    pub l2: &'a DenseParams<f32, 32, 32>,
    pub l3: &'a DenseParams<f32, 32, 4>,
}

#[repr(C, align(64))]
struct Line([f32; 32]);

impl Small<'_> {
    /// The network's output, when this CPU has AVX-512F, AVX-512VL and FMA.
    pub fn predict(&self, x: &[f32; 16]) -> Option<[f32; 4]> {
        if is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("fma")
        {
            // SAFETY: AVX-512F, AVX-512VL and FMA (and so AVX2 and SSE4.1) were detected just now.
            Some(unsafe { self.predict_avx512(x) })
        } else {
            None
        }
    }

    #[target_feature(enable = "avx512f,avx512vl,avx2,fma,sse4.1")]
    fn predict_avx512(&self, x: &[f32; 16]) -> [f32; 4] {
        let zero = _mm512_setzero_ps();
        // Layer 1.
        let b = &self.l1.bias;
        let mut a = [[zero; 2]; 4];
        a[0] = [load16(&b[..16]), load16(&b[16..])];
        for k in (0..16).step_by(4) {
            for (c, acc) in a.iter_mut().enumerate() {
                let xb = _mm512_set1_ps(x[k + c]);
                let w = &self.l1.kernel[k + c];
                acc[0] = _mm512_fmadd_ps(xb, load16(&w[..16]), acc[0]);
                acc[1] = _mm512_fmadd_ps(xb, load16(&w[16..]), acc[1]);
            }
        }
        let mut h1 = Line([0.0; 32]);
        for (half, out) in h1.0.chunks_exact_mut(16).enumerate() {
            let s =
                _mm512_add_ps(_mm512_add_ps(a[0][half], a[1][half]), _mm512_add_ps(a[2][half], a[3][half]));
            store16(out, _mm512_max_ps(s, zero));
        }
        // Layer 2.
        let b = &self.l2.bias;
        let mut a = [[zero; 2]; 4];
        a[0] = [load16(&b[..16]), load16(&b[16..])];
        for k in (0..32).step_by(4) {
            for (c, acc) in a.iter_mut().enumerate() {
                let xb = _mm512_set1_ps(h1.0[k + c]);
                let w = &self.l2.kernel[k + c];
                acc[0] = _mm512_fmadd_ps(xb, load16(&w[..16]), acc[0]);
                acc[1] = _mm512_fmadd_ps(xb, load16(&w[16..]), acc[1]);
            }
        }
        let h2: [__m512; 2] = core::array::from_fn(|half| {
            let s =
                _mm512_add_ps(_mm512_add_ps(a[0][half], a[1][half]), _mm512_add_ps(a[2][half], a[3][half]));
            _mm512_max_ps(s, zero)
        });
        // Layer 3: the inputs broadcast from memory, eight chains of 4-lane multiply-adds
        // (one per `k mod 8`), the bias starting the first. (The kernel read as eight
        // 16-lane vectors times inputs permuted in registers took 62 ns against 56.)
        let mut h2l = Line([0.0; 32]);
        store16(&mut h2l.0[..16], h2[0]);
        store16(&mut h2l.0[16..], h2[1]);
        let mut a3 = [_mm_setzero_ps(); 8];
        a3[0] = load4(&self.l3.bias);
        for (k, w) in self.l3.kernel.iter().enumerate() {
            a3[k % 8] = _mm_fmadd_ps(_mm_set1_ps(h2l.0[k]), load4(w), a3[k % 8]);
        }
        let s0 = _mm_add_ps(_mm_add_ps(a3[0], a3[1]), _mm_add_ps(a3[2], a3[3]));
        let s1 = _mm_add_ps(_mm_add_ps(a3[4], a3[5]), _mm_add_ps(a3[6], a3[7]));
        let z = _mm_add_ps(s0, s1);
        // Softmax.
        let m = _mm_max_ps(z, _mm_shuffle_ps::<0b10_11_00_01>(z, z));
        let m = _mm_max_ps(m, _mm_shuffle_ps::<0b01_00_11_10>(m, m));
        let e = exp4(_mm_sub_ps(z, m));
        let t = _mm_add_ps(e, _mm_shuffle_ps::<0b10_11_00_01>(e, e));
        let t = _mm_add_ps(t, _mm_shuffle_ps::<0b01_00_11_10>(t, t));
        let mut out = [0.0f32; 4];
        // SAFETY: four writable f32 at `out`; unaligned stores are allowed.
        unsafe { _mm_storeu_ps(out.as_mut_ptr(), _mm_div_ps(e, t)) };
        out
    }
}

/// Sixteen values of `v` (which has at least sixteen).
#[target_feature(enable = "avx512f")]
fn load16(v: &[f32]) -> __m512 {
    assert!(v.len() >= 16);
    // SAFETY: 16 readable f32 at `v` (just checked); unaligned loads are allowed.
    unsafe { _mm512_loadu_ps(v.as_ptr()) }
}

/// Four values of `v` (which has at least four).
#[target_feature(enable = "avx2")]
fn load4(v: &[f32]) -> __m128 {
    assert!(v.len() >= 4);
    // SAFETY: 4 readable f32 at `v` (just checked); unaligned loads are allowed.
    unsafe { _mm_loadu_ps(v.as_ptr()) }
}

/// Sixteen lanes of `x` into `v` (which has at least sixteen).
#[target_feature(enable = "avx512f")]
fn store16(v: &mut [f32], x: __m512) {
    assert!(v.len() >= 16);
    // SAFETY: 16 writable f32 at `v` (just checked); unaligned stores are allowed.
    unsafe { _mm512_storeu_ps(v.as_mut_ptr(), x) }
}

/// `exp` of four values in `exp`'s normal range (Cephes' polynomial).
#[target_feature(enable = "avx2,fma,sse4.1")]
fn exp4(x: __m128) -> __m128 {
    let t = _mm_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm_mul_ps(
        x,
        _mm_set1_ps(core::f32::consts::LOG2_E),
    ));
    let r = _mm_fnmadd_ps(t, _mm_set1_ps(0.693_359_4), x);
    let r = _mm_fnmadd_ps(t, _mm_set1_ps(-2.121_944_4e-4), r);
    let r2 = _mm_mul_ps(r, r);
    let p0 = _mm_fmadd_ps(_mm_set1_ps(1.987_569_1e-4), r, _mm_set1_ps(1.398_2e-3));
    let p1 = _mm_fmadd_ps(_mm_set1_ps(8.333_452e-3), r, _mm_set1_ps(4.166_579_6e-2));
    let p2 = _mm_fmadd_ps(_mm_set1_ps(1.666_666_5e-1), r, _mm_set1_ps(0.5));
    let p = _mm_fmadd_ps(_mm_fmadd_ps(p0, r2, p1), r2, p2);
    let y = _mm_fmadd_ps(p, r2, _mm_add_ps(r, _mm_set1_ps(1.0)));
    let n = _mm_cvtps_epi32(t);
    _mm_castsi128_ps(_mm_add_epi32(_mm_castps_si128(y), _mm_slli_epi32::<23>(n)))
}
