//! Training the chapter-2 network: `fit` (both cores, shaped's packed GEMM) against a
//! single-threaded training loop of direct matrixmultiply calls, same network, same batch,
//! same optimizer, measured in the same run.
//!
//! Also `threads/...`: `fit` with the default thread count against 1 and 2 threads forced,
//! on small and large networks; and `blank inputs/...`: a layer's passes with inputs
//! zero in every row left out, against the same work whole.
//!
//! `cargo bench --bench train`. BENCHMARKS.md records the ratios; the full 5-epoch MNIST
//! fit is `cargo run --release --example mnist`.

mod baseline;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{CategoricalCrossentropy, FitOptions, Metric, RmsProp};

type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
const BATCH: usize = 128;
const STEPS: usize = 40;

/// `c = a * b (+ c)` through the direct sgemm baseline, strides given one by one.
#[allow(clippy::too_many_arguments)]
fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    rsa: usize,
    csa: usize,
    b: &[f32],
    rsb: usize,
    csb: usize,
    beta: f32,
    c: &mut [f32],
) {
    baseline::sgemm(m, k, n, (a, rsa, csa), (b, rsb, csb), beta, c)
}

/// The baseline: one training step of the chapter-2 network, written out with direct
/// matrixmultiply calls on one thread, and Keras's RMSprop.
struct Baseline {
    w1: Vec<f32>,
    b1: Vec<f32>,
    w2: Vec<f32>,
    b2: Vec<f32>,
    v: [Vec<f32>; 4],
    h: Vec<f32>,
    z2: Vec<f32>,
    dh: Vec<f32>,
    g: [Vec<f32>; 4],
}

impl Baseline {
    fn new(model: &Sequential<Chapter2>) -> Self {
        let p = model.params();
        Baseline {
            w1: p.0.kernel.as_flattened().to_vec(),
            b1: p.0.bias.to_vec(),
            w2: p.1.kernel.as_flattened().to_vec(),
            b2: p.1.bias.to_vec(),
            v: [vec![0.0; 784 * 512], vec![0.0; 512], vec![0.0; 5120], vec![0.0; 10]],
            h: vec![0.0; BATCH * 512],
            z2: vec![0.0; BATCH * 10],
            dh: vec![0.0; BATCH * 512],
            g: [vec![0.0; 784 * 512], vec![0.0; 512], vec![0.0; 5120], vec![0.0; 10]],
        }
    }

    fn step(&mut self, x: &[f32], y: &[f32]) {
        let n = x.len() / 784;
        for r in 0..n {
            self.h[r * 512..(r + 1) * 512].copy_from_slice(&self.b1);
            self.z2[r * 10..(r + 1) * 10].copy_from_slice(&self.b2);
        }
        sgemm(n, 784, 512, x, 784, 1, &self.w1, 512, 1, 1.0, &mut self.h);
        self.h.iter_mut().for_each(|v| *v = v.max(0.0));
        sgemm(n, 512, 10, &self.h, 512, 1, &self.w2, 10, 1, 1.0, &mut self.z2);
        for (z, t) in self.z2.chunks_mut(10).zip(y.chunks(10)) {
            let m = z.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let s: f32 = z
                .iter_mut()
                .map(|v| {
                    *v = (*v - m).exp();
                    *v
                })
                .sum();
            for (v, &t) in z.iter_mut().zip(t) {
                *v = (*v / s - t) / n as f32;
            }
        }
        let [g1, gb1, g2, gb2] = &mut self.g;
        sgemm(512, n, 10, &self.h, 1, 512, &self.z2, 10, 1, 0.0, g2);
        gb2.fill(0.0);
        self.z2.chunks(10).for_each(|d| gb2.iter_mut().zip(d).for_each(|(b, d)| *b += d));
        sgemm(n, 10, 512, &self.z2, 10, 1, &self.w2, 1, 10, 0.0, &mut self.dh);
        for (d, &h) in self.dh.iter_mut().zip(&self.h) {
            if h <= 0.0 {
                *d = 0.0;
            }
        }
        sgemm(784, n, 512, x, 1, 784, &self.dh, 512, 1, 0.0, g1);
        gb1.fill(0.0);
        self.dh.chunks(512).for_each(|d| gb1.iter_mut().zip(d).for_each(|(b, d)| *b += d));
        for ((w, g), v) in
            [&mut self.w1, &mut self.b1, &mut self.w2, &mut self.b2].into_iter().zip(&self.g).zip(&mut self.v)
        {
            for ((w, &g), v) in w.iter_mut().zip(g).zip(v.iter_mut()) {
                *v = 0.9 * *v + 0.1 * g * g;
                *w -= 0.001 * g / (*v + 1e-7).sqrt();
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let n = BATCH * STEPS;
    // Synthetic inputs: no pixel is zero in every row of a batch, so `fit` runs every
    // product whole.
    let x: Vec<[f32; 784]> =
        (0..n).map(|s| std::array::from_fn(|i| ((s * 7 + i * 3) % 29) as f32 / 29.0)).collect();
    let y: Vec<[f32; 10]> =
        (0..n).map(|s| std::array::from_fn(|i| if i == s % 10 { 1.0 } else { 0.0 })).collect();
    fit_group(c, &format!("train/784-512-10/{STEPS} steps of batch {BATCH}"), &x, &y);

    // The first images of the bundled MNIST: `fit` leaves out of the first layer's
    // products the pixels that are zero in all of a thread's rows; the baseline runs
    // them whole.
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist");
    let (images, labels) = shaped::data::load_idx_pair::<[u8; 784]>(
        format!("{data}/train-images-idx3-ubyte.gz"),
        format!("{data}/train-labels-idx1-ubyte.gz"),
    )
    .expect("the bundled MNIST");
    let x = shaped::data::normalize_pixels::<f32, 784>(&images[..n]);
    let y = shaped::data::to_categorical::<f32, 10>(&labels[..n]).expect("labels below 10");
    fit_group(c, &format!("train/784-512-10 on MNIST/{STEPS} steps of batch {BATCH}"), &x, &y);
}

/// `fit` against the baseline, one epoch of `STEPS` batches of `x` and `y`.
fn fit_group(c: &mut Criterion, name: &str, x: &[[f32; 784]], y: &[[f32; 10]]) {
    let n = x.len();
    let init = Sequential::<Chapter2>::new(&mut StdRng::seed_from_u64(0));
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(n as u64));
    let mut model =
        init.clone().compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy]).unwrap();
    g.bench_function("shaped fit", |b| {
        b.iter(|| {
            model.fit_with(black_box(x), y, FitOptions::new(1, BATCH).verbose(false)).map(|h| h.loss[0])
        })
    });
    let mut base = Baseline::new(&init);
    let (xf, yf) = (x.as_flattened(), y.as_flattened());
    g.bench_function("matrixmultiply 1 thread", |b| {
        b.iter(|| {
            for s in 0..STEPS {
                base.step(
                    black_box(&xf[s * BATCH * 784..(s + 1) * BATCH * 784]),
                    &yf[s * BATCH * 10..(s + 1) * BATCH * 10],
                );
            }
        })
    });
    g.finish();
}

/// One epoch of `fit` for network `N` on `samples` random samples in batches of `batch`,
/// with the default thread count (as many as pay) against 1 and 2 threads forced, in the
/// same run: the default must never be slower than one thread.
fn threads_case<N, const I: usize, const O: usize>(
    c: &mut Criterion,
    name: &str,
    samples: usize,
    batch: usize,
) where
    N: shaped::train::Backprop<f32, Input = [f32; I], Output = [f32; O]>
        + shaped::nn::TakesSample<f32, [f32; I]>,
    CategoricalCrossentropy:
        shaped::train::PairsWith<N::Last> + shaped::train::Objective<f32, [f32; O], [f32; O], N::Last>,
{
    let x: Vec<[f32; I]> =
        (0..samples).map(|s| std::array::from_fn(|i| ((s * 7 + i) % 13) as f32 / 13.0)).collect();
    let y: Vec<[f32; O]> =
        (0..samples).map(|s| std::array::from_fn(|c| if c == s % O { 1.0 } else { 0.0 })).collect();
    let init = Sequential::<N>::new(&mut StdRng::seed_from_u64(3));
    let mut g = c.benchmark_group(format!("threads/{name} batch {batch}"));
    g.throughput(Throughput::Elements(samples as u64));
    for (label, threads) in [("default", None), ("1 thread", Some(1)), ("2 threads", Some(2))] {
        let mut model = init.clone().compile(RmsProp::default(), CategoricalCrossentropy, &[]).unwrap();
        g.bench_function(label, |b| {
            b.iter(|| {
                let mut options = FitOptions::new(1, batch).verbose(false);
                if let Some(t) = threads {
                    options = options.threads(t);
                }
                model.fit_with(black_box(&x), &y, options).map(|h| h.loss[0])
            })
        });
    }
    g.finish();
}

fn threads(c: &mut Criterion) {
    threads_case::<(Dense<64, 32, Relu>, Dense<32, 10, Softmax>), 64, 10>(c, "64-32-10", 1797, 32);
    threads_case::<(Dense<30, 16, Relu>, Dense<16, 16, Relu>, Dense<16, 2, Softmax>), 30, 2>(
        c,
        "30-16-16-2",
        569,
        16,
    );
    threads_case::<(Dense<256, 256, Relu>, Dense<256, 10, Softmax>), 256, 10>(c, "256-256-10", 2048, 32);
    threads_case::<(Dense<256, 512, Relu>, Dense<512, 10, Softmax>), 256, 10>(c, "256-512-10", 2048, 32);
    threads_case::<Chapter2, 784, 10>(c, "784-512-10", 2048, 16);
    threads_case::<Chapter2, 784, 10>(c, "784-512-10", 2048, 128);
}

/// One layer of 784 x 512, a forward and a backward pass on `rows` rows of which a
/// fraction `blank` of the inputs are zero in every row (left out of the products when
/// that pays, `linalg::worth_skipping`), against the same rows with those inputs at
/// 1e-6 instead (every product whole): where the threshold between the two comes from.
fn blank_inputs(c: &mut Criterion) {
    use shaped::rand::RngExt;
    use shaped::train::{Backprop, Workspace};
    type Layer = (Dense<784, 512, Relu>,);
    let mut rng = StdRng::seed_from_u64(3);
    let model = Sequential::<Layer>::new(&mut rng);
    let params = model.params();
    for rows in [8, 16, 64] {
        for blank in [0.125, 0.3] {
            let is_blank = |j: usize| ((j * 7919) % 1000) as f64 / 1000.0 < blank;
            let x: Vec<[f32; 784]> = (0..rows)
                .map(|_| std::array::from_fn(|j| if is_blank(j) { 0.0 } else { rng.random_range(0.0..1.0) }))
                .collect();
            let whole: Vec<[f32; 784]> =
                x.iter().map(|r| r.map(|v| if v == 0.0 { 1e-6 } else { v })).collect();
            let mut g = c.benchmark_group(format!(
                "blank inputs/784x512 forward and backward/{rows} rows, {blank} blank"
            ));
            for (label, x) in [("left out", &x), ("whole (1e-6 instead of 0)", &whole)] {
                let mut trace = Layer::new_trace(rows);
                let mut ws = Workspace::new();
                let mut grads = Box::new(*params);
                g.bench_function(label, |b| {
                    b.iter(|| {
                        Layer::forward_train(params, black_box(x), &mut trace, &mut ws);
                        Layer::backward(params, x, &mut trace, &mut grads, None, &mut ws);
                    })
                });
            }
            g.finish();
        }
    }
}

criterion_group! {
    name = threads_benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(15);
    targets = threads, blank_inputs
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(20);
    targets = bench
}
criterion_main!(benches, threads_benches);
