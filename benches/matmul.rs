//! Matrix products: shaped's path against a direct matrixmultiply call and a naive loop,
//! all measured in the same run.
//!
//! `cargo bench --bench matmul`; with `RUSTFLAGS="-C target-cpu=native"` for the native
//! figures. BENCHMARKS.md records the ratios.

mod baseline;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use shaped::tensor::Dot;
use shaped::{Tensor, Tensor2};

/// `c = a * b` with the textbook triple loop.
fn naive<const M: usize, const K: usize, const N: usize>(
    a: &[[f32; K]; M],
    b: &[[f32; N]; K],
    c: &mut [[f32; N]; M],
) {
    for i in 0..M {
        for j in 0..N {
            let mut s = 0.0;
            for p in 0..K {
                s += a[i][p] * b[p][j];
            }
            c[i][j] = s;
        }
    }
}

/// `c = a * b` by one direct call to matrixmultiply's sgemm.
fn direct_sgemm<const M: usize, const K: usize, const N: usize>(
    a: &[[f32; K]; M],
    b: &[[f32; N]; K],
    c: &mut [[f32; N]; M],
) {
    baseline::sgemm(M, K, N, (a.as_flattened(), K, 1), (b.as_flattened(), N, 1), 0.0, c.as_flattened_mut());
}

fn bench_size<const M: usize, const K: usize, const N: usize>(c: &mut Criterion) {
    let a = Tensor2::<f32, M, K>::from_fn(|i| ((i[0] * 7 + i[1] * 3) % 11) as f32 * 0.1);
    let b = Tensor2::<f32, K, N>::from_fn(|i| ((i[0] * 5 + i[1]) % 13) as f32 * 0.1);
    let mut out = Tensor2::<f32, M, N>::zeros();
    let mut group = c.benchmark_group(format!("matmul/{M}x{K}x{N}"));
    group.bench_function("shaped", |bench| {
        bench.iter(|| {
            <[[f32; K]; M] as Dot<[[f32; N]; K]>>::dot_into(
                black_box(a.as_array()),
                black_box(b.as_array()),
                out.as_array_mut(),
            )
        })
    });
    group.bench_function("matrixmultiply", |bench| {
        bench.iter(|| direct_sgemm(black_box(a.as_array()), black_box(b.as_array()), out.as_array_mut()))
    });
    if M * K * N <= 1 << 22 {
        group.bench_function("naive", |bench| {
            bench.iter(|| naive(black_box(a.as_array()), black_box(b.as_array()), out.as_array_mut()))
        });
    }
    group.finish();
    // Both paths compute the same product.
    let got = a.dot(&b);
    direct_sgemm(a.as_array(), b.as_array(), out.as_array_mut());
    let diff = (&got - &out).abs().max();
    assert!(diff <= 1e-3 * K as f32, "shaped and matrixmultiply differ by {diff}");
    let _: &Tensor<[[f32; N]; M]> = &got;
}

/// The two large products of a chapter-2 training step on half a batch (one core's
/// share): `x . w` (64x784x512) and `x^T . dz` (784x64x512, `x` read transposed), through
/// shaped's packed GEMM (no allocation) and through matrixmultiply.
fn bench_training_products(c: &mut Criterion) {
    use shaped::linalg::{MatRef, Packing, matmul};
    let x: Vec<f32> = (0..64 * 784).map(|i| (i % 17) as f32 / 17.0).collect();
    let w: Vec<f32> = (0..784 * 512).map(|i| (i % 13) as f32 / 13.0 - 0.5).collect();
    let dz: Vec<f32> = (0..64 * 512).map(|i| (i % 7) as f32 / 7.0 - 0.5).collect();
    let mut out = vec![0.0f32; 784 * 512];
    let mut packing = Packing::new();
    type Case<'a> = (&'a str, usize, usize, usize, MatRef<'a, f32>, MatRef<'a, f32>);
    let cases: [Case<'_>; 2] = [
        ("64x784x512", 64, 784, 512, MatRef::row_major(&x, 784), MatRef::row_major(&w, 512)),
        ("784x64x512 (a transposed)", 784, 64, 512, MatRef::transposed(&x, 784), MatRef::row_major(&dz, 512)),
    ];
    for (name, m, k, n, a, b) in cases {
        let mut group = c.benchmark_group(format!("gemm/{name}"));
        group.bench_function("shaped packed", |bench| {
            bench.iter(|| matmul(m, k, n, black_box(a), black_box(b), false, &mut out, n, Some(&mut packing)))
        });
        group.bench_function("matrixmultiply", |bench| {
            bench.iter(|| {
                baseline::sgemm(
                    m,
                    k,
                    n,
                    (black_box(a.data()), a.row_stride(), a.col_stride()),
                    (b.data(), b.row_stride(), b.col_stride()),
                    0.0,
                    &mut out,
                )
            })
        });
        group.finish();
    }
}

fn bench_limits(c: &mut Criterion) {
    baseline::bench_fma_peak(c);
}

fn benches(c: &mut Criterion) {
    bench_limits(c);
    bench_training_products(c);
    bench_size::<4, 4, 4>(c);
    bench_size::<16, 16, 16>(c);
    bench_size::<64, 64, 64>(c);
    bench_size::<1, 784, 512>(c);
    bench_size::<128, 784, 512>(c);
}

criterion_group! {
    name = matmul;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = benches
}
criterion_main!(matmul);
