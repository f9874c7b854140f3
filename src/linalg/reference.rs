//! Plain reference implementations that the kernels are tested against, in `f64`.
//!
//! One file for the crate's unit tests and the integration tests (`tests/common`
//! includes it by path), so the reference product is written once.

#![allow(dead_code)] // each test binary uses a part

use rand::RngExt;
use std::vec::Vec;

/// `a * b` for an `m x k` matrix `a` and a `k x n` matrix `b` given as data and
/// `(row_stride, col_stride)`, row-major `m x n`, by the textbook triple loop.
pub fn matmul_strided(
    m: usize,
    k: usize,
    n: usize,
    a: (&[f64], usize, usize),
    b: (&[f64], usize, usize),
) -> Vec<f64> {
    let mut c = std::vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0;
            for p in 0..k {
                s += a.0[i * a.1 + p * a.2] * b.0[p * b.1 + j * b.2];
            }
            c[i * n + j] = s;
        }
    }
    c
}

/// [`matmul_strided`] for dense row-major operands.
pub fn matmul_dense(m: usize, k: usize, n: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
    matmul_strided(m, k, n, (a, k, 1), (b, n, 1))
}

/// `a * b` for rows of `K` values and a `K x N` matrix.
pub fn matmul_rows<const K: usize, const N: usize>(a: &[[f64; K]], b: &[[f64; N]; K]) -> Vec<[f64; N]> {
    let flat = matmul_dense(a.len(), K, N, a.as_flattened(), b.as_flattened());
    flat.chunks_exact(N.max(1)).take(a.len()).map(|r| core::array::from_fn(|j| r[j])).collect()
}

/// `len` values uniform in `[-1, 1)`.
pub fn random_vec<R: rand::Rng>(rng: &mut R, len: usize) -> Vec<f64> {
    (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
}

/// An array of values uniform in `[-1, 1)`.
pub fn random_array<R: rand::Rng, const N: usize>(rng: &mut R) -> [f64; N] {
    core::array::from_fn(|_| rng.random_range(-1.0..1.0))
}
