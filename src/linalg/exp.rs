//! A branch-free `exp` for `f32` that the compiler vectorizes, for the softmax and the
//! sigmoid (libm's `expf` is a call per element).
//!
//! Cephes' method: `exp(x) = 2^n * exp(r)` with `n = round(x / ln 2)` and
//! `r = x - n ln 2` in `[-ln 2 / 2, ln 2 / 2]` (`ln 2` in two parts, so `r` is exact to
//! about 2^-32), `exp(r)` by a degree-7 polynomial (Cephes' coefficients, evaluated by
//! Estrin's scheme for a short chain of dependent operations), and `2^n` written into
//! the exponent bits. The relative error is below 2^-23 (about one ulp; tested against `f64::exp`)
//! over the whole range. Below `ln(2^-126)` (where results turn subnormal) it returns
//! 0, above `ln(f32::MAX)` infinity, and NaN stays NaN.

/// `ln(f32::MAX)`: above it `exp` overflows.
const HIGH: f32 = 88.722_84;
/// `ln(2^-126)`: below it the result is subnormal; this returns 0 there.
const LOW: f32 = -87.336_55;

/// `e^x` (see the module).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    exp_f32_with::<false>(x)
}

/// [`exp_f32`] with fused multiply-adds when `FMA` (inside code compiled for FMA, as the
/// one-sample pass is): a shorter chain of dependent operations, the same error bound.
///
/// ```
/// use shaped::linalg::exp::{exp_f32, exp_f32_with};
/// assert_eq!(exp_f32_with::<false>(0.5), exp_f32(0.5));
/// for x in [-3.0f32, 0.5, 10.0] {
///     let want = (x as f64).exp();
///     assert!(((exp_f32_with::<true>(x) as f64 - want) / want).abs() < 1.2e-7);
/// }
/// assert_eq!(exp_f32_with::<true>(-100.0), 0.0);
/// ```
#[inline(always)]
pub fn exp_f32_with<const FMA: bool>(x: f32) -> f32 {
    // Outside [LOW, HIGH] the selects at the end give the result; inside, n runs from
    // -126 to 128. (Not clamped first: that would lengthen the chain of every value.)
    let (e, n) = reduced::<FMA>(x);
    // 2^n in two factors, each a normal number for every n here. Far outside the range
    // n is garbage that the selects replace; for a NaN `x`, `e` is NaN, so `y` is NaN.
    let half = n >> 1;
    let s1 = f32::from_bits((half.wrapping_add(127) as u32) << 23);
    let s2 = f32::from_bits((n.wrapping_sub(half).wrapping_add(127) as u32) << 23);
    let y = e * s1 * s2;
    // Selects, not branches: they vectorize.
    let y = if x < LOW { 0.0 } else { y };
    if x > HIGH { f32::INFINITY } else { y }
}

/// `exp(x) = e * 2^n`: `e = exp(r)` for `r = x - n ln 2` in `[-ln 2 / 2, ln 2 / 2]`, and
/// `n`, the two halves of both exponentials here (which differ only in how they apply
/// `2^n`, so they agree bit for bit where both apply it exactly).
#[inline(always)]
fn reduced<const FMA: bool>(x: f32) -> (f32, i32) {
    let madd = super::small::madd::<f32, FMA>;
    const LOG2E: f32 = core::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 * 2^23: adding and subtracting it rounds to the nearest integer (ties to even)
    // without `roundss`, which the x86-64 baseline lacks.
    const ROUND: f32 = 12_582_912.0;
    let t = madd(x, LOG2E, ROUND);
    let n = t - ROUND;
    let r = madd(-n, LN2_LO, madd(-n, LN2_HI, x));
    // exp(r) = 1 + r + r^2 q(r), q of degree 5 by Estrin's scheme: three independent
    // pairs, then two levels (a softmax of a few values waits on this latency).
    let r2 = r * r;
    let r4 = r2 * r2;
    let u0 = madd(1.666_666_5e-1, r, 0.5);
    let u1 = madd(8.333_452e-3, r, 4.166_579_6e-2);
    let u2 = madd(1.987_569_1e-4, r, 1.398_199_9e-3);
    let q = madd(u2, r4, madd(u1, r2, u0));
    let e = madd(r2, q, 1.0 + r);
    // `t`'s ulp is 1, so its bits are ROUND's plus n: integer arithmetic that vectorizes
    // (`n as i32` saturates, which the compiler turns into a scalar conversion per lane).
    (e, (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32))
}

/// [`exp_f32_with`] for the softmax, whose arguments `z - max(z)` are at most 0: the
/// same value, bit for bit, for every `x <= 88` (and NaN for NaN), on a shorter chain.
///
/// Up to 88, `n` is at most 127, so `2^n` is one normal factor (the general function
/// needs two to reach `f32::MAX`) and there is no overflow to select. Above 88 (a
/// softmax's maximum taken among NaNs can leave `x > 0`, and that output is NaN anyway)
/// the result is unspecified.
///
/// ```
/// use shaped::linalg::exp::{exp_f32_with, exp_nonpositive_f32_with};
/// for x in [0.0f32, -0.5, -10.0, -87.0, -87.4, -100.0, f32::NEG_INFINITY] {
///     assert_eq!(exp_nonpositive_f32_with::<true>(x), exp_f32_with::<true>(x));
/// }
/// assert!(exp_nonpositive_f32_with::<false>(f32::NAN).is_nan());
/// ```
#[inline(always)]
pub fn exp_nonpositive_f32_with<const FMA: bool>(x: f32) -> f32 {
    let (e, n) = reduced::<FMA>(x);
    // One factor: 2^n is normal for n in [-126, 127].
    let y = e * f32::from_bits((n.wrapping_add(127) as u32) << 23);
    if x < LOW { 0.0 } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_f64_exp_to_one_ulp_over_the_range() {
        let mut worst = 0.0f64;
        let mut x = LOW;
        while x < HIGH {
            let want = (x as f64).exp();
            for got in [exp_f32(x), exp_f32_with::<true>(x)] {
                worst = worst.max(((got as f64 - want) / want).abs());
            }
            x += 0.000_37;
        }
        // Exact points and neighbours of the range's ends.
        for x in [0.0f32, 1.0, -1.0, 0.5, -0.5, 1e-8, -1e-8, 10.0, -10.0, 88.0, -87.0, 88.72] {
            let want = (x as f64).exp();
            for got in [exp_f32(x), exp_f32_with::<true>(x)] {
                worst = worst.max(((got as f64 - want) / want).abs());
            }
        }
        assert!(worst < 1.2e-7, "worst relative error {worst:e}");
        assert_eq!(exp_f32(0.0), 1.0);
    }

    #[test]
    fn nonpositive_is_exp_bit_for_bit() {
        // Every argument a softmax gives it, and past both ends of that range.
        let mut x = LOW - 2.0;
        while x <= 88.0 {
            assert_eq!(
                exp_nonpositive_f32_with::<true>(x).to_bits(),
                exp_f32_with::<true>(x).to_bits(),
                "{x}"
            );
            assert_eq!(
                exp_nonpositive_f32_with::<false>(x).to_bits(),
                exp_f32_with::<false>(x).to_bits(),
                "{x}"
            );
            x += 0.000_71;
        }
        for x in [0.0, -0.0, LOW, LOW - 1e-5, f32::NEG_INFINITY, -f32::MAX, 88.0] {
            assert_eq!(
                exp_nonpositive_f32_with::<true>(x).to_bits(),
                exp_f32_with::<true>(x).to_bits(),
                "{x}"
            );
        }
        assert!(exp_nonpositive_f32_with::<true>(f32::NAN).is_nan());
    }

    #[test]
    fn edges() {
        for exp in [exp_f32, exp_f32_with::<true>] {
            assert_eq!(exp(f32::NEG_INFINITY), 0.0);
            assert_eq!(exp(-100.0), 0.0);
            assert_eq!(exp(f32::INFINITY), f32::INFINITY);
            assert_eq!(exp(89.0), f32::INFINITY);
            assert!(exp(f32::NAN).is_nan());
            assert!(exp(88.7).is_finite());
            assert_eq!(exp(0.0), 1.0);
            // Far outside the range (no clamp before the arithmetic: the selects decide).
            for big in [1e30, f32::MAX, 1e9, 200.0] {
                assert_eq!(exp(big), f32::INFINITY);
                assert_eq!(exp(-big), 0.0);
            }
            assert_eq!(exp(LOW - 0.01), 0.0);
            assert!(exp(LOW + 0.01) > 0.0);
        }
    }
}
