//! Every product shape that training and batched inference produce, through every entry
//! of the packed GEMM and every `f32` micro-kernel this CPU can run, against the plain
//! reference product.
//!
//! The shapes come from the layers, not from the tiles: a Dense layer of `IN x OUT`
//! trained on `rows` rows runs `x * W` (`rows x IN` by `IN x OUT`), `x^T * dz` (`IN x
//! rows` by `rows x OUT`, its depth in thread shares) and `dz * W^T` (`rows x OUT` by
//! `OUT x IN`); `predict_batch` runs `x * W` on a packed `W`. A width of 1 makes a
//! transposed view's strides degenerate (`W^T` of an `IN x 1` kernel is `1 x IN` with
//! both strides 1): issue #29's crash was such a view read in place as if its rows were
//! `NR` apart. The tile geometry (`MR`, `NR`, `MC`, `KC`, `NC`) is the same on every
//! CPU; only the micro-kernel changes, and each one runs here.

use super::*;
use crate::linalg::MatRef;
use crate::linalg::reference::{matmul_strided, random_vec};
use rand::{SeedableRng, rngs::StdRng};
use std::vec::Vec;

/// Widths: 1 to 70 through the edges of the tiles (`MR` = 8, `NR` = 32), the row
/// kernels' narrow limit (16) and their neighbours.
const WIDTHS: [usize; 18] = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 70];
/// Rows of a batch (and of a thread's share, and of the last batch): 1 to 40.
const ROWS: [usize; 16] = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40];

/// An operand laid out as one of the views the layers build.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Dense rows (`x`, `dz`, `W`).
    RowMajor,
    /// The transpose of dense rows (`x^T`, `W^T`).
    Transposed,
}

/// `data` (`rows x cols` in the given layout) as a view.
fn view(data: &[f32], rows: usize, cols: usize, layout: Layout) -> MatRef<'_, f32> {
    match layout {
        Layout::RowMajor => MatRef::row_major(data, cols),
        Layout::Transposed => MatRef::transposed(data, rows),
    }
}

fn strides(rows: usize, cols: usize, layout: Layout) -> (usize, usize) {
    match layout {
        Layout::RowMajor => (cols, 1),
        Layout::Transposed => (1, rows),
    }
}

/// Asserts that `c` (`m x n`, rows `ldc` apart, started at `init` and accumulated into
/// if `accumulate`) holds `want`, and that its padding is untouched.
#[allow(clippy::too_many_arguments)] // the product's dims and both outputs
fn assert_close(
    what: &str,
    (m, k, n): (usize, usize, usize),
    c: &[f32],
    init: &[f32],
    ldc: usize,
    want: &[f64],
    accumulate: bool,
) {
    let tol = 1e-5 * (k as f64).sqrt() + 1e-6;
    for i in 0..m {
        for j in 0..n {
            let base = if accumulate { f64::from(init[i * ldc + j]) } else { 0.0 };
            let got = f64::from(c[i * ldc + j]) - base;
            assert!(
                (got - want[i * n + j]).abs() < tol,
                "{what} {m}x{k}x{n} at ({i},{j}): {got} != {}",
                want[i * n + j]
            );
        }
        assert_eq!(
            &c[i * ldc + n..(i + 1) * ldc],
            &init[i * ldc + n..(i + 1) * ldc],
            "{what}: padding written"
        );
    }
}

/// One `m x k` by `k x n` product in the given layouts through every entry: each
/// micro-kernel by `gemm_with`, the depth in two and three parts by `gemm_stacked`, a
/// live subset of the depth by `gemm_live_depth`, a packed `B` by `gemm_packed`.
fn check(m: usize, k: usize, n: usize, la: Layout, lb: Layout, rng: &mut StdRng, packing: &mut Packing<f32>) {
    let ad64 = random_vec(rng, m * k);
    let bd64 = random_vec(rng, k * n);
    let (ad, bd): (Vec<f32>, Vec<f32>) =
        (ad64.iter().map(|&x| x as f32).collect(), bd64.iter().map(|&x| x as f32).collect());
    // The reference on the values as rounded to f32.
    let (a64, b64): (Vec<f64>, Vec<f64>) =
        (ad.iter().map(|&x| f64::from(x)).collect(), bd.iter().map(|&x| f64::from(x)).collect());
    let (ars, acs) = strides(m, k, la);
    let (brs, bcs) = strides(k, n, lb);
    let want = matmul_strided(m, k, n, (&a64, ars, acs), (&b64, brs, bcs));
    let (a, b) = (view(&ad, m, k, la), view(&bd, k, n, lb));
    let ldc = n + 1;
    let init: Vec<f32> = (0..m * ldc).map(|i| (i % 7) as f32 * 0.125 - 0.5).collect();
    let dims = (m, k, n);
    let p = Product::new(m, k, n, a, b, ldc).unwrap();
    for accumulate in [false, true] {
        for (name, kernel) in super::tests::kernels_f32() {
            let mut c = init.clone();
            gemm_with(kernel, &p, None, accumulate, &mut c, packing);
            assert_close(&std::format!("{name} {la:?}x{lb:?}"), dims, &c, &init, ldc, &want, accumulate);
        }
    }
    // The depth in shares, as threads hold a batch's rows (`x^T` and `dz`, or any pair).
    for shares in [2, 3] {
        let cut: Vec<usize> = (0..=shares).map(|s| k * s / shares).collect();
        let parts_a: Vec<_> = cut
            .windows(2)
            .map(|w| match la {
                Layout::RowMajor => (MatRef::new(&ad[w[0]..], k, 1), w[1] - w[0]),
                Layout::Transposed => (MatRef::transposed(&ad[w[0] * m..], m), w[1] - w[0]),
            })
            .collect();
        let parts_b: Vec<_> = cut
            .windows(2)
            .map(|w| match lb {
                Layout::RowMajor => (MatRef::row_major(&bd[w[0] * n..], n), w[1] - w[0]),
                Layout::Transposed => (MatRef::new(&bd[w[0]..], 1, k), w[1] - w[0]),
            })
            .collect();
        let mut c = init.clone();
        gemm_stacked(m, None, n, &parts_a, &parts_b, false, &mut c, ldc, packing);
        assert_close(&std::format!("stacked {shares} {la:?}x{lb:?}"), dims, &c, &init, ldc, &want, false);
    }
    // A live subset of the depth: the other steps of `a` zeroed.
    if let Layout::RowMajor = la {
        let live: Vec<usize> = (0..k).filter(|p| p % 3 != 1).collect();
        let mut az = ad.clone();
        let mut az64 = a64.clone();
        for p in (0..k).filter(|p| p % 3 == 1) {
            for i in 0..m {
                az[i * k + p] = 0.0;
                az64[i * k + p] = 0.0;
            }
        }
        let want = matmul_strided(m, k, n, (&az64, k, 1), (&b64, brs, bcs));
        let p = Product::new(m, k, n, MatRef::row_major(&az, k), b, ldc).unwrap();
        for (name, kernel) in super::tests::kernels_f32() {
            let mut c = init.clone();
            gemm_with(kernel, &p, Some(&live), false, &mut c, packing);
            assert_close(&std::format!("{name} live {la:?}x{lb:?}"), dims, &c, &init, ldc, &want, false);
        }
    }
    // `B` packed once (a model's weights for `predict_batch`).
    let packed = PackedB::new(k, n, b);
    let mut c = init.clone();
    gemm_packed(m, a, &packed, false, &mut c, ldc, packing);
    assert_close(&std::format!("packed {la:?}x{lb:?}"), dims, &c, &init, ldc, &want, false);
}

/// Every layer width as depth and as output, every batch size as rows, in every layout.
#[test]
fn every_training_shape_on_every_kernel() {
    let mut rng = StdRng::seed_from_u64(29);
    let mut packing = Packing::new();
    for &m in &ROWS {
        for &k in &WIDTHS {
            for &n in &WIDTHS {
                for la in [Layout::RowMajor, Layout::Transposed] {
                    for lb in [Layout::RowMajor, Layout::Transposed] {
                        check(m, k, n, la, lb, &mut rng, &mut packing);
                    }
                }
            }
        }
    }
}

/// The batch as the depth (`x^T * dz`) and as the rows, across one block of depth
/// (`KC` = 512) and of rows (`MC` = 128), with the layers' degenerate widths.
#[test]
fn shapes_across_blocks_on_every_kernel() {
    let mut rng = StdRng::seed_from_u64(31);
    let mut packing = Packing::new();
    for &(m, k, n) in &[
        (1, 513, 1),
        (1, 1, 513),
        (129, 1, 33),
        (129, 1, 1),
        (9, 1025, 32),
        (130, 33, 1),
        (128, 512, 32),
        (2, 600, 64),
    ] {
        for la in [Layout::RowMajor, Layout::Transposed] {
            for lb in [Layout::RowMajor, Layout::Transposed] {
                check(m, k, n, la, lb, &mut rng, &mut packing);
            }
        }
    }
}

/// The case of issue #29 itself: `dz * W^T` for a last layer `Dense<64, 1>`, 16 rows.
#[test]
fn one_wide_kernel_transposed() {
    let w = [0.5f32; 64];
    let dz = [1.0f32; 16];
    let p = Product::new(16, 1, 64, MatRef::row_major(&dz, 1), MatRef::transposed(&w, 1), 64).unwrap();
    for (name, kernel) in super::tests::kernels_f32() {
        let mut c = vec![0.0f32; 16 * 64];
        gemm_with(kernel, &p, None, false, &mut c, &mut Packing::new());
        assert!(c.iter().all(|&v| v == 0.5), "{name}");
    }
}
