//! The packed GEMM against plain products, over sizes crossing every block edge.

use super::*;
use crate::linalg::MatRef;
use crate::linalg::reference::{matmul_strided, random_vec};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use std::vec::Vec;

/// Every `f32` micro-kernel, with whether this CPU runs it.
pub(super) fn kernels_f32() -> Vec<(&'static str, Kernels<f32>)> {
    let mut v: Vec<(&'static str, Kernels<f32>)> =
        vec![("portable", (portable_kernel::<f32>, portable_picked::<f32>))];
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    for (name, kernel) in crate::linalg::x86::kernels_for_tests() {
        match kernel {
            Some(k) => v.push((name, k)),
            None => std::eprintln!("skipping the {name} micro-kernel: this CPU lacks it"),
        }
    }
    v
}

fn product<'a>(
    m: usize,
    k: usize,
    n: usize,
    a: MatRef<'a, f64>,
    b: MatRef<'a, f64>,
    ldc: usize,
) -> Product<'a, f64> {
    Product::new(m, k, n, a, b, ldc).unwrap()
}

fn check(m: usize, k: usize, n: usize, transpose_a: bool, transpose_b: bool, rng: &mut StdRng) {
    let ad = random_vec(rng, m * k);
    let bd = random_vec(rng, k * n);
    let a = if transpose_a { MatRef::transposed(&ad, m) } else { MatRef::row_major(&ad, k) };
    let b = if transpose_b { MatRef::transposed(&bd, k) } else { MatRef::row_major(&bd, n) };
    let want = matmul_strided(m, k, n, (&ad, a.row_stride, a.col_stride), (&bd, b.row_stride, b.col_stride));
    let ldc = n + 3;
    let init: Vec<f64> = (0..m * ldc).map(|_| rng.random_range(-1.0..1.0)).collect();
    // f64 through the portable kernel, overwriting and accumulating.
    for accumulate in [false, true] {
        let mut c = init.clone();
        let p = product(m, k, n, a, b, ldc);
        gemm_with(
            (portable_kernel::<f64>, portable_picked::<f64>),
            &p,
            None,
            accumulate,
            &mut c,
            &mut Packing::new(),
        );
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
    let a = MatRef::new(&a32[..], a.row_stride, a.col_stride);
    let b = MatRef::new(&b32[..], b.row_stride, b.col_stride);
    let p = Product::new(m, k, n, a, b, ldc).unwrap();
    for (name, kernel) in kernels_f32() {
        let mut c = vec![0.0f32; m * ldc];
        gemm_with(kernel, &p, None, false, &mut c, &mut Packing::new());
        for i in 0..m {
            for j in 0..n {
                let tol = 1e-5 * (k as f64).sqrt() + 1e-6;
                assert!(
                    (c[i * ldc + j] as f64 - want[i * n + j]).abs() < tol,
                    "{name} f32 {m}x{k}x{n} ({i},{j})"
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

/// Products with a `B` packed once equal those that pack it, bit for bit (the same
/// panels, the same kernel), over sizes crossing every block edge.
#[test]
fn prepacked_b_matches_packing_per_call() {
    let mut rng = StdRng::seed_from_u64(5);
    for &(m, k, n) in &[
        (1, 1, 1),
        (3, 5, 7),
        (9, 17, 33),
        (64, 784, 512),
        (13, 1100, 70),
        (5, 7, 1030),
        (130, 20, 40),
        (4, 0, 3),
    ] {
        let ad: Vec<f32> = (0..m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
        let bd: Vec<f32> = (0..k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let (a, b) = (MatRef::row_major(&ad, k), MatRef::row_major(&bd, n));
        let packed = PackedB::new(k, n, b);
        assert_eq!((packed.k(), packed.n()), (k, n));
        let ldc = n + 1;
        for accumulate in [false, true] {
            let mut want = vec![0.5f32; m * ldc];
            gemm(&Product::new(m, k, n, a, b, ldc).unwrap(), accumulate, &mut want, &mut Packing::new());
            let mut got = vec![0.5f32; m * ldc];
            gemm_packed(m, a, &packed, accumulate, &mut got, ldc, &mut Packing::for_inputs(m, k));
            assert_eq!(got, want, "{m}x{k}x{n}, accumulate {accumulate}");
        }
    }
}

/// A product whose depth comes in parts (the rows of a batch held by several
/// threads) equals the product of the parts copied together, bit for bit: parts of
/// depth 0, parts across a depth block's edge (601 is two blocks of 301), `A` read
/// down its columns (a transposed batch, as the weight gradient reads it) or along
/// its rows, `m` under and over one block of rows.
#[test]
fn stacked_depth_equals_one_product() {
    let mut rng = StdRng::seed_from_u64(11);
    for depths in [&[64, 64][..], &[300, 300, 1], &[0, 5, 0], &[128], &[517, 10], &[1, 1, 1, 1]] {
        let k: usize = depths.iter().sum();
        for (m, n) in [(5, 7), (64, 512), (130, 40), (392, 33)] {
            for transposed in [true, false] {
                let ad: Vec<f32> = (0..m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
                let bd: Vec<f32> = (0..k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
                // `A` is `m x k`: the transpose of a `k x m` batch, or row-major.
                let a = if transposed { MatRef::transposed(&ad, m) } else { MatRef::row_major(&ad, k) };
                let (mut a_parts, mut b_parts, mut d0) = (Vec::new(), Vec::new(), 0);
                for &ks in depths {
                    let part = if transposed {
                        MatRef::transposed(&ad[d0 * m..], m)
                    } else {
                        MatRef::new(&ad[d0..], k, 1)
                    };
                    a_parts.push((part, ks));
                    b_parts.push((MatRef::row_major(&bd[d0 * n..], n), ks));
                    d0 += ks;
                }
                let ldc = n + 2;
                for accumulate in [false, true] {
                    let b = MatRef::row_major(&bd, n);
                    let mut want = vec![0.25f32; m * ldc];
                    gemm(
                        &Product::new(m, k, n, a, b, ldc).unwrap(),
                        accumulate,
                        &mut want,
                        &mut Packing::new(),
                    );
                    let mut got = vec![0.25f32; m * ldc];
                    gemm_stacked(
                        m,
                        None,
                        n,
                        &a_parts,
                        &b_parts,
                        accumulate,
                        &mut got,
                        ldc,
                        &mut Packing::new(),
                    );
                    assert_eq!(
                        got, want,
                        "{m}x{depths:?}x{n}, transposed {transposed}, accumulate {accumulate}"
                    );
                }
            }
        }
    }
}

/// Every kernel reading `B` at picked rows equals the same kernel on those rows copied
/// into a panel, bit for bit: rows in order, repeated, out of order, none; and a picked
/// row past the end of `B` panics instead of reading it.
#[test]
fn picked_kernels_equal_the_kernels_on_gathered_rows() {
    let mut rng = StdRng::seed_from_u64(19);
    let (ldb, n_rows) = (40, 50);
    let b: Vec<f32> = (0..ldb * n_rows).map(|_| rng.random_range(-1.0..1.0)).collect();
    for rows in [vec![0, 1, 2, 7, 30, 49], vec![3, 3, 3], vec![49, 0, 17], vec![], (0..n_rows).collect()] {
        let a: Vec<f32> = (0..rows.len() * MR).map(|_| rng.random_range(-1.0..1.0)).collect();
        let panel: Vec<f32> = rows.iter().flat_map(|&r| b[r * ldb..r * ldb + NR].to_vec()).collect();
        for (name, (kernel, picked)) in kernels_f32() {
            let (mut want, mut got) = ([[0.5f32; NR]; MR], [[0.25f32; NR]; MR]);
            kernel(rows.len(), &a, &panel, NR, &mut want);
            picked(&a, &b, ldb, &rows, &mut got);
            assert_eq!(got, want, "{name}, rows {rows:?}");
        }
    }
    for (name, (_, picked)) in kernels_f32() {
        let past = std::panic::catch_unwind(|| picked(&[0.0; MR], &b, ldb, &[n_rows], &mut [[0.0; NR]; MR]));
        assert!(past.is_err(), "{name} read a row past the end of B");
    }
}

/// A random strictly increasing subset of `0..k`, each kept with probability `keep`.
fn random_subset(rng: &mut StdRng, k: usize, keep: f64) -> Vec<usize> {
    (0..k).filter(|_| rng.random_bool(keep)).collect()
}

/// A product over the live steps of its depth equals the whole product, bit for bit,
/// when `a` is zero at the other steps: none, some or all steps live, whole depth blocks
/// dead (the first 400 of 784, so that the first block of 392 has no live step), and
/// sizes crossing every block edge, through every micro-kernel this CPU has. The steps
/// left out are read from neither operand: `b` holds NaN there.
#[test]
fn live_depth_equals_whole_product() {
    let mut rng = StdRng::seed_from_u64(13);
    for &(m, k, n) in &[(1, 1, 1), (9, 17, 33), (64, 784, 512), (130, 1100, 40), (5, 7, 530), (3, 0, 4)] {
        let dead_front: Vec<usize> = (400.min(k)..k).collect();
        for live in [
            random_subset(&mut rng, k, 0.6),
            random_subset(&mut rng, k, 0.05),
            Vec::new(),
            (0..k).collect(),
            dead_front,
        ] {
            let mut ad: Vec<f32> = (0..m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
            let bd: Vec<f32> = (0..k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let mut nan_b = bd.clone();
            for p in (0..k).filter(|p| live.binary_search(p).is_err()) {
                for i in 0..m {
                    ad[i * k + p] = if i % 2 == 0 { 0.0 } else { -0.0 };
                }
                nan_b[p * n..(p + 1) * n].fill(f32::NAN);
            }
            let ldc = n + 1;
            let a = MatRef::row_major(&ad, k);
            let whole = Product::new(m, k, n, a, MatRef::row_major(&bd, n), ldc).unwrap();
            let picked = Product::new(m, k, n, a, MatRef::row_major(&nan_b, n), ldc).unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            for accumulate in [false, true] {
                // Every kernel this CPU has, the picked one reading `B` in place included,
                // then the crate's entry with this CPU's.
                for (name, kernel) in kernels_f32() {
                    let mut want = vec![0.5f32; m * ldc];
                    gemm_with(kernel, &whole, None, accumulate, &mut want, &mut Packing::new());
                    let mut got = vec![0.5f32; m * ldc];
                    gemm_with(kernel, &picked, Some(&live), accumulate, &mut got, &mut Packing::new());
                    let what =
                        std::format!("{name} {m}x{k}x{n}, {} live, accumulate {accumulate}", live.len());
                    assert_eq!(bits(&got), bits(&want), "{what}");
                }
                let mut want = vec![0.5f32; m * ldc];
                gemm(&whole, accumulate, &mut want, &mut Packing::new());
                let mut got = vec![0.5f32; m * ldc];
                gemm_live_depth(&picked, &live, accumulate, &mut got, &mut Packing::new());
                assert_eq!(bits(&got), bits(&want), "{m}x{k}x{n}, {} live", live.len());
            }
        }
    }
}

#[test]
#[should_panic(expected = "not strictly increasing below 4")]
fn live_depth_must_be_increasing() {
    let d = [1.0f32; 16];
    let p = Product::new(2, 4, 2, MatRef::row_major(&d, 4), MatRef::row_major(&d, 2), 2).unwrap();
    gemm_live_depth(&p, &[0, 2, 2], false, &mut [0.0; 4], &mut Packing::new());
}

/// A stacked product over picked rows of `a` writes those rows of `c` as the product
/// over every row does, bit for bit, and leaves the other rows alone: no row, some,
/// every row, every row backwards, rows across a block of `MC` rows.
#[test]
fn picked_rows_equal_those_of_the_whole_product() {
    let mut rng = StdRng::seed_from_u64(17);
    for &(m, depths, n) in &[(784, &[64usize, 64][..], 512), (9, &[3][..], 33), (300, &[0, 7, 120][..], 40)] {
        let k: usize = depths.iter().sum();
        let ad: Vec<f32> = (0..m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
        let bd: Vec<f32> = (0..k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let (mut a_parts, mut b_parts, mut d0) = (Vec::new(), Vec::new(), 0);
        for &ks in depths {
            a_parts.push((MatRef::transposed(&ad[d0 * m..], m), ks));
            b_parts.push((MatRef::row_major(&bd[d0 * n..], n), ks));
            d0 += ks;
        }
        let mut want = vec![0.0f32; m * n];
        gemm_stacked(m, None, n, &a_parts, &b_parts, false, &mut want, n, &mut Packing::new());
        let backwards: Vec<usize> = (0..m).rev().collect();
        for rows in [
            random_subset(&mut rng, m, 0.7),
            random_subset(&mut rng, m, 0.1),
            Vec::new(),
            (0..m).collect(),
            backwards,
        ] {
            for accumulate in [false, true] {
                let mut got = vec![0.25f32; m * n];
                gemm_stacked(
                    m,
                    Some(&rows),
                    n,
                    &a_parts,
                    &b_parts,
                    accumulate,
                    &mut got,
                    n,
                    &mut Packing::new(),
                );
                for i in 0..m {
                    let (g, w) = (&got[i * n..(i + 1) * n], &want[i * n..(i + 1) * n]);
                    if !rows.contains(&i) {
                        assert!(g.iter().all(|&v| v == 0.25), "row {i} of {m} was not picked but changed");
                    } else if accumulate {
                        let close = g.iter().zip(w).all(|(g, w)| (g - 0.25 - w).abs() < 1e-4);
                        assert!(close, "row {i} of {m}, accumulating");
                    } else {
                        assert_eq!(g, w, "row {i} of {m}, {} picked", rows.len());
                    }
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "a picked row is not below 2")]
fn picked_rows_must_be_rows() {
    let d = [1.0f32; 4];
    let (a, b) = (MatRef::row_major(&d, 2), MatRef::row_major(&d, 2));
    gemm_stacked(2, Some(&[0, 2]), 2, &[(a, 2)], &[(b, 2)], false, &mut [0.0; 6], 2, &mut Packing::new());
}

#[test]
#[should_panic(expected = "part 1 is 3 deep in `a` but 2 in `b`")]
fn stacked_parts_must_agree() {
    let d = [1.0f32; 12];
    let (a, b) = (MatRef::row_major(&d, 3), MatRef::row_major(&d, 2));
    gemm_stacked(
        2,
        None,
        2,
        &[(a, 1), (a, 3)],
        &[(b, 1), (b, 2)],
        false,
        &mut [0.0; 4],
        2,
        &mut Packing::new(),
    );
}

#[test]
#[should_panic(expected = "gemm_stacked: part 0")]
fn stacked_parts_must_fit() {
    let d = [1.0f32; 4];
    let (a, b) = (MatRef::row_major(&d, 2), MatRef::row_major(&d, 2));
    gemm_stacked(2, None, 2, &[(a, 3)], &[(b, 3)], false, &mut [0.0; 4], 2, &mut Packing::new());
}

#[test]
#[should_panic(expected = "`c` cannot hold")]
fn prepacked_rejects_short_output() {
    let d = [1.0f32; 6];
    let packed = PackedB::new(2, 3, MatRef::row_major(&d, 3));
    gemm_packed(2, MatRef::row_major(&d[..4], 2), &packed, false, &mut [0.0; 5], 3, &mut Packing::new());
}

#[test]
fn empty_dims() {
    // k = 0: `c` is zeroed, or left alone when accumulating.
    for (accumulate, want) in [(false, 0.0), (true, 5.0)] {
        let mut c = vec![5.0f32; 6];
        let p = Product::new(2, 0, 3, MatRef::row_major(&[], 0), MatRef::row_major(&[], 3), 3).unwrap();
        gemm(&p, accumulate, &mut c, &mut Packing::new());
        assert_eq!(c, vec![want; 6]);
    }
    let b = [0.0; 12];
    let p = Product::new(0, 4, 3, MatRef::row_major(&[], 4), MatRef::row_major(&b, 3), 3).unwrap();
    gemm(&p, false, &mut [], &mut Packing::new());
}

#[test]
#[should_panic(expected = "`c` holds 3 elements")]
fn rejects_short_output() {
    let a = [1.0f32; 4];
    let p = Product::new(2, 2, 2, MatRef::row_major(&a, 2), MatRef::row_major(&a, 2), 2).unwrap();
    gemm(&p, false, &mut [0.0; 3], &mut Packing::new());
}
