//! Inference: shaped's networks against baselines measured in the same run.
//!
//! - one sample through 16-32-32-4 (relu, relu, softmax) and 784-512-10 (relu, softmax):
//!   `Sequential::predict` against a hand-written loop over plain arrays in the
//!   transposed layout (`OUT x IN`, one dot product per output) and against direct
//!   matrixmultiply calls;
//! - a batch of 128 through 784-512-10: `Sequential::predict_batch` (both cores) against
//!   a single-threaded pipeline of direct matrixmultiply calls.
//!
//! - the int8 networks (`Sequential::quantize`) beside the f32 ones in each group;
//! - the `no_std` MNIST classifier (`ensure_no_std/src/mnist.rs`, weights compiled in
//!   with `include_weights!`) against the same weights in a heap `Sequential`, doing
//!   the same work (scale the bytes, predict, argmax).
//!
//! - baselines of the limits: nalgebra's `SMatrix` and a hand-written AVX-512 version
//!   (`hand_small.rs`) for the small network, and one streaming pass over the 784-512-10
//!   weights for its one-sample time.
//!
//! `cargo bench --bench inference`; with `RUSTFLAGS="-C target-cpu=native"` for the
//! native figures. BENCHMARKS.md records the ratios.

mod baseline;
mod hand_small;
#[path = "../ensure_no_std/src/mnist.rs"]
mod mnist;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shaped::nn::{Dense, DenseParams, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

/// A layer of the baselines: weights transposed (`OUT x IN`) in one heap buffer.
struct PlainLayer {
    inputs: usize,
    outputs: usize,
    /// `w_t[o * inputs + i]`: from input `i` to output `o`.
    w_t: Vec<f32>,
    /// Keras layout (`IN x OUT`) for the matrixmultiply baseline.
    w: Vec<f32>,
    b: Vec<f32>,
}

impl PlainLayer {
    fn from_params<const I: usize, const O: usize>(p: &DenseParams<f32, I, O>) -> Self {
        let mut w_t = vec![0.0; I * O];
        for i in 0..I {
            for o in 0..O {
                w_t[o * I + i] = p.kernel[i][o];
            }
        }
        PlainLayer { inputs: I, outputs: O, w_t, w: p.kernel.as_flattened().to_vec(), b: p.bias.to_vec() }
    }
}

/// The sum of `w` in 32 independent lanes: one streaming read, as fast as the default
/// target's vector loads go.
fn stream_sum(w: &[f32]) -> f32 {
    let mut acc = [0.0f32; 32];
    let (chunks, rest) = w.as_chunks::<32>();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    acc.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

fn relu(z: &mut [f32]) {
    z.iter_mut().for_each(|v| *v = v.max(0.0));
}

fn softmax(z: &mut [f32]) {
    let m = z.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut s = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    z.iter_mut().for_each(|v| *v /= s);
}

/// The baseline loop: one dot product per output over the transposed weights.
#[allow(clippy::needless_range_loop)] // the textbook loop is the point
fn plain_layer(l: &PlainLayer, x: &[f32], out: &mut [f32]) {
    for o in 0..l.outputs {
        let row = &l.w_t[o * l.inputs..(o + 1) * l.inputs];
        let mut s = l.b[o];
        for i in 0..l.inputs {
            s += row[i] * x[i];
        }
        out[o] = s;
    }
}

/// `out = x . w + b` for `rows` samples by one direct sgemm call.
fn sgemm_layer(l: &PlainLayer, rows: usize, x: &[f32], out: &mut [f32]) {
    for r in 0..rows {
        out[r * l.outputs..(r + 1) * l.outputs].copy_from_slice(&l.b);
    }
    baseline::sgemm(rows, l.inputs, l.outputs, (x, l.inputs, 1), (&l.w, l.outputs, 1), 1.0, out);
}

/// A whole network with a scratch buffer per layer, the last activation softmax.
fn run_plain(layers: &[PlainLayer], x: &[f32], bufs: &mut [Vec<f32>], rows: usize, gemm: bool) {
    let n = layers.len();
    for (k, l) in layers.iter().enumerate() {
        let (done, rest) = bufs.split_at_mut(k);
        let input: &[f32] = if k == 0 { x } else { &done[k - 1] };
        let out = &mut rest[0];
        if gemm {
            sgemm_layer(l, rows, input, out);
        } else {
            plain_layer(l, input, out);
        }
        for row in out.chunks_mut(l.outputs) {
            if k + 1 == n { softmax(row) } else { relu(row) }
        }
    }
}

/// 16-32-32-4 in nalgebra's const-size matrices (`SMatrix`, on the stack): `W x + b`
/// per layer, each `W` stored `OUT x IN`.
struct NalgebraSmall {
    w1: nalgebra::SMatrix<f32, 32, 16>,
    b1: nalgebra::SVector<f32, 32>,
    w2: nalgebra::SMatrix<f32, 32, 32>,
    b2: nalgebra::SVector<f32, 32>,
    w3: nalgebra::SMatrix<f32, 4, 32>,
    b3: nalgebra::SVector<f32, 4>,
}

impl NalgebraSmall {
    fn predict(&self, x: &nalgebra::SVector<f32, 16>) -> nalgebra::SVector<f32, 4> {
        let h = (self.w1 * x + self.b1).map(|v| v.max(0.0));
        let h = (self.w2 * h + self.b2).map(|v| v.max(0.0));
        let z = self.w3 * h + self.b3;
        let m = z.max();
        let e = z.map(|v| (v - m).exp());
        e / e.sum()
    }
}

fn bench_small(c: &mut Criterion) {
    type Net = (Dense<16, 32, Relu>, Dense<32, 32, Relu>, Dense<32, 4, Softmax>);
    let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(1));
    let p = model.params();
    let layers =
        [PlainLayer::from_params(&p.0), PlainLayer::from_params(&p.1.0), PlainLayer::from_params(&p.1.1)];
    let x = [0.3f32; 16];
    let mut bufs: Vec<Vec<f32>> = layers.iter().map(|l| vec![0.0; l.outputs]).collect();
    let calibration: Vec<[f32; 16]> =
        (0..64).map(|s| core::array::from_fn(|i| ((s * 5 + i) % 13) as f32 / 13.0)).collect();
    let quantized = model.quantize(&calibration).unwrap();
    // Column `i` of an `OUT x IN` column-major matrix is input `i`'s row of the Keras kernel.
    let nal = NalgebraSmall {
        w1: nalgebra::SMatrix::from_column_slice(p.0.kernel.as_flattened()),
        b1: nalgebra::SVector::from_column_slice(&p.0.bias),
        w2: nalgebra::SMatrix::from_column_slice(p.1.0.kernel.as_flattened()),
        b2: nalgebra::SVector::from_column_slice(&p.1.0.bias),
        w3: nalgebra::SMatrix::from_column_slice(p.1.1.kernel.as_flattened()),
        b3: nalgebra::SVector::from_column_slice(&p.1.1.bias),
    };
    let xn = nalgebra::SVector::<f32, 16>::from_column_slice(&x);
    let (ours, theirs) = (model.predict(&x), nal.predict(&xn));
    assert!(ours.iter().zip(theirs.iter()).all(|(a, b)| (a - b).abs() < 1e-5), "{ours:?} vs {theirs:?}");
    let mut g = c.benchmark_group("inference/16-32-32-4/one sample");
    g.bench_function("nalgebra SMatrix", |b| b.iter(|| nal.predict(black_box(&xn))));
    g.bench_function("shaped", |b| b.iter(|| model.predict(black_box(&x))));
    g.bench_function("int8", |b| b.iter(|| quantized.predict(black_box(&x))));
    let hand = hand_small::Small { l1: &p.0, l2: &p.1.0, l3: &p.1.1 };
    if let Some(out) = hand.predict(&x) {
        assert!(ours.iter().zip(&out).all(|(a, b)| (a - b).abs() < 1e-6), "{ours:?} vs {out:?}");
        g.bench_function("hand-written AVX-512", |b| b.iter(|| hand.predict(black_box(&x))));
    }
    g.bench_function("baseline loop", |b| {
        b.iter(|| {
            run_plain(&layers, black_box(&x), &mut bufs, 1, false);
            black_box(&bufs[2]);
        })
    });
    g.bench_function("matrixmultiply", |b| {
        b.iter(|| {
            run_plain(&layers, black_box(&x), &mut bufs, 1, true);
            black_box(&bufs[2]);
        })
    });
    g.finish();
}

fn bench_chapter2(c: &mut Criterion) {
    type Net = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
    let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(2));
    let p = model.params();
    let layers = [PlainLayer::from_params(&p.0), PlainLayer::from_params(&p.1)];
    let x: Vec<[f32; 784]> =
        (0..128).map(|s| core::array::from_fn(|i| ((s * 7 + i) % 17) as f32 / 17.0)).collect();

    let quantized = model.quantize(&x).unwrap();
    let mut bufs: Vec<Vec<f32>> = layers.iter().map(|l| vec![0.0; l.outputs]).collect();
    let mut g = c.benchmark_group("inference/784-512-10/one sample");
    // The memory limit: one streaming pass over the network's 1.6 MB of weights.
    let weights = [p.0.kernel.as_flattened(), p.1.kernel.as_flattened()];
    g.bench_function("stream the weights", |b| b.iter(|| weights.map(|w| stream_sum(black_box(w)))));
    g.bench_function("shaped", |b| b.iter(|| model.predict(black_box(&x[0]))));
    g.bench_function("int8", |b| b.iter(|| quantized.predict(black_box(&x[0]))));
    g.bench_function("baseline loop", |b| {
        b.iter(|| {
            run_plain(&layers, black_box(&x[0]), &mut bufs, 1, false);
            black_box(&bufs[1]);
        })
    });
    g.bench_function("matrixmultiply", |b| {
        b.iter(|| {
            run_plain(&layers, black_box(&x[0]), &mut bufs, 1, true);
            black_box(&bufs[1]);
        })
    });
    g.finish();

    let flat: Vec<f32> = x.as_flattened().to_vec();
    let mut bufs: Vec<Vec<f32>> = layers.iter().map(|l| vec![0.0; 128 * l.outputs]).collect();
    let mut out = vec![[0.0f32; 10]; 128];
    let mut g = c.benchmark_group("inference/784-512-10/batch 128");
    g.throughput(Throughput::Elements(128));
    g.bench_function("shaped", |b| b.iter(|| model.predict_batch_into(black_box(&x), &mut out)));
    g.bench_function("int8", |b| b.iter(|| quantized.predict_batch_into(black_box(&x), &mut out)));
    g.bench_function("matrixmultiply 1 thread", |b| {
        b.iter(|| {
            run_plain(&layers, black_box(&flat), &mut bufs, 128, true);
            black_box(&bufs[1]);
        })
    });
    g.finish();
}

fn bench_embedded(c: &mut Criterion) {
    let mut heap = Sequential::<mnist::Chapter2>::zeros();
    heap.load_weights(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/chapter2.weights")).unwrap();
    let image: [u8; 784] = core::array::from_fn(|i| ((i * 37) % 256) as u8);
    let heap_classify = |image: &[u8; 784]| {
        let x: [f32; 784] = core::array::from_fn(|i| image[i] as f32 / 255.0);
        let p = heap.predict(&x);
        (0..10).fold(0, |b, i| if p[i] > p[b] { i } else { b }) as u8
    };
    assert_eq!(heap_classify(&image), mnist::classify(&image));
    let mut g = c.benchmark_group("inference/784-512-10/classify a u8 image");
    g.bench_function("embedded static (no_std)", |b| b.iter(|| mnist::classify(black_box(&image))));
    g.bench_function("heap Sequential", |b| b.iter(|| heap_classify(black_box(&image))));
    g.bench_function("embedded int8 static (no_std)", |b| b.iter(|| mnist::classify_int8(black_box(&image))));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = bench_small, bench_chapter2, bench_embedded
}
criterion_main!(benches);
