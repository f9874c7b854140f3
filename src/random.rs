//! Random fills from any `rand` generator, with no dependency on `rand_distr`.

use crate::element::Scalar;
use rand::{Rng, RngExt};

/// Fills `out` with values drawn uniformly from `[low, high)`.
pub fn fill_uniform<T: Scalar, R: Rng + ?Sized>(rng: &mut R, out: &mut [T], low: T, high: T) {
    let (lo, width) = (low.to_f64(), high.to_f64() - low.to_f64());
    for x in out {
        let u: f64 = rng.random();
        let v = T::from_f64(lo + width * u);
        // Rounding to f32 can land on `high`; keep the interval half-open.
        *x = if v >= high && high > low { low.max(prev_float(high)) } else { v };
    }
}

fn prev_float<T: Scalar>(x: T) -> T {
    // The largest value below `x` for positive and negative finite `x`.
    let step = (x.abs() * T::epsilon()).max(T::min_positive_value());
    let mut y = x - step;
    while y >= x {
        y = y - step;
    }
    y
}

/// Fills `out` with values from a normal distribution (Box-Muller, in `f64`).
pub fn fill_normal<T: Scalar, R: Rng + ?Sized>(rng: &mut R, out: &mut [T], mean: T, std_dev: T) {
    let (m, s) = (mean.to_f64(), std_dev.to_f64());
    let mut chunks = out.chunks_mut(2);
    for pair in &mut chunks {
        // u1 in (0, 1] so that ln(u1) is finite.
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random();
        let r = num_traits::Float::sqrt(-2.0 * num_traits::Float::ln(u1));
        let theta = 2.0 * core::f64::consts::PI * u2;
        pair[0] = T::from_f64(m + s * r * num_traits::Float::cos(theta));
        if let Some(second) = pair.get_mut(1) {
            *second = T::from_f64(m + s * r * num_traits::Float::sin(theta));
        }
    }
}
