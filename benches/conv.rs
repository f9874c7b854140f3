//! The chapter-5 convnet: each layer's forward product over a batch, a whole training
//! step, and one-sample inference, against baselines measured in the same run: the FMA
//! peak, an im2col plus one direct matrixmultiply call per convolution, and a direct
//! loop for one sample; the `no_std` convnet classifier (`ensure_no_std/src/convnet.rs`).
//!
//! `cargo bench -p shaped-benches --bench conv`
//!
//! Throughputs are in FLOP (elements = flop): twice the multiply-adds of the layers'
//! definitions, whatever a kernel executes.

mod baseline;
#[allow(dead_code)] // its doc example's names
#[path = "../ensure_no_std/src/convnet.rs"]
mod convnet;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use shaped::nn::{Conv2D, Layers, Relu, Sequential, Vector};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{Backprop, CategoricalCrossentropy, FitOptions, RmsProp, Workspace};

// The chapter-5 convnet: the `no_std` classifier's type, declared once.
use convnet::Convnet;

type Conv1 = Conv2D<28, 28, 1, 32, 3, 3, 1, 1, 26, 26, Relu>;
type Conv2 = Conv2D<13, 13, 32, 64, 3, 3, 1, 1, 11, 11, Relu>;
type Conv3 = Conv2D<5, 5, 64, 64, 3, 3, 1, 1, 3, 3, Relu>;

/// Multiply-adds of one sample's forward pass, layer by layer.
const MACS: [f64; 5] =
    [26.0 * 26.0 * 9.0 * 32.0, 11.0 * 11.0 * 288.0 * 64.0, 9.0 * 576.0 * 64.0, 576.0 * 64.0, 640.0];
/// A training step's multiply-adds per sample: forward, weight gradients, and input
/// gradients for every layer but the first.
const STEP_MACS: f64 = 3.0 * (MACS[0] + MACS[1] + MACS[2] + MACS[3] + MACS[4]) - MACS[0];

const BATCH: usize = 64;

fn images<const H: usize, const W: usize, const C: usize>(n: usize) -> Vec<[[[f32; C]; W]; H]> {
    (0..n)
        .map(|s| {
            std::array::from_fn(|y| {
                std::array::from_fn(|x| {
                    std::array::from_fn(|c| ((s * 31 + y * 7 + x * 3 + c) % 13) as f32 / 13.0)
                })
            })
        })
        .collect()
}

/// One convolution layer's forward pass over a batch, and the baseline: the same patch
/// matrix, then one direct `sgemm` into bias-filled outputs, then relu.
fn bench_layer<L, const H: usize, const W: usize, const C: usize, const F: usize, const K: usize>(
    c: &mut Criterion,
    name: &str,
    macs: f64,
    oh: usize,
) where
    L: Layers<f32, Input = [[[f32; C]; W]; H]>,
{
    let model = Sequential::<L>::new(&mut StdRng::seed_from_u64(1));
    let x = images::<H, W, C>(BATCH);
    let mut out = vec![L::Output::zeros(); BATCH];
    let mut group = c.benchmark_group(format!("conv layers, batch {BATCH}, one thread"));
    group.throughput(criterion::Throughput::Elements((2.0 * macs * BATCH as f64) as u64));
    group.bench_function(format!("{name}: shaped"), |b| {
        b.iter(|| L::forward_batch(model.params(), black_box(&x), &mut out))
    });
    let mut kernel = Vec::new();
    L::visit_params(model.params(), &mut |a| kernel.push(a.to_vec()));
    let (kmat, bias) = (&kernel[0], &kernel[1]);
    let patch = K * K * C;
    let pixels = BATCH * oh * oh;
    let mut patches = vec![0.0f32; pixels * patch];
    let mut y = vec![0.0f32; pixels * F];
    group.bench_function(format!("{name}: im2col + matrixmultiply"), |b| {
        b.iter(|| {
            for (s, img) in x.iter().enumerate() {
                for oy in 0..oh {
                    for ox in 0..oh {
                        let row = &mut patches[((s * oh + oy) * oh + ox) * patch..][..patch];
                        for ky in 0..K {
                            let src = &img[oy + ky][ox..ox + K];
                            row[ky * K * C..(ky + 1) * K * C].copy_from_slice(src.as_flattened());
                        }
                    }
                }
            }
            for px in y.chunks_exact_mut(F) {
                px.copy_from_slice(bias);
            }
            baseline::sgemm(pixels, patch, F, (&patches, patch, 1), (kmat, F, 1), 1.0, &mut y);
            for v in y.iter_mut() {
                *v = v.max(0.0);
            }
            black_box(&y);
        })
    });
    group.finish();
}

/// A training step of batch 64 (forward, loss gradient, backward) on one thread, and a
/// whole 1-epoch fit of 1,280 samples on the default threads (both cores).
fn bench_step(c: &mut Criterion) {
    let model = Sequential::<Convnet>::new(&mut StdRng::seed_from_u64(2));
    let x = images::<28, 28, 1>(BATCH);
    let mut trace = <Convnet as Backprop<f32>>::new_trace(BATCH);
    let mut ws = Workspace::new();
    let mut grads = shaped::zeroed_box::<<Convnet as Layers<f32>>::Params>();
    let mut group = c.benchmark_group("convnet training");
    group.throughput(criterion::Throughput::Elements((2.0 * STEP_MACS * BATCH as f64) as u64));
    group.bench_function("step of 64, one thread (forward + backward)", |b| {
        b.iter(|| {
            <Convnet as Backprop<f32>>::forward_train(model.params(), &x, &mut trace, &mut ws);
            let (_, g) = <Convnet as Backprop<f32>>::output_and_grad(&mut trace);
            for row in &mut g[..BATCH] {
                *row = [0.01; 10];
            }
            <Convnet as Backprop<f32>>::backward(model.params(), &x, &mut trace, &mut grads, None, &mut ws);
            black_box(&grads);
        })
    });
    let samples = 20 * BATCH;
    let x = images::<28, 28, 1>(samples);
    let y: Vec<[f32; 10]> =
        (0..samples).map(|i| std::array::from_fn(|c| if c == i % 10 { 1.0 } else { 0.0 })).collect();
    let mut compiled = model.clone().compile(RmsProp::default(), CategoricalCrossentropy, &[]).unwrap();
    group.throughput(criterion::Throughput::Elements((2.0 * STEP_MACS * samples as f64) as u64));
    group.sample_size(10);
    for threads in [1, 2] {
        group.bench_function(format!("fit, 1 epoch of {samples}, batch 64, {threads} threads"), |b| {
            b.iter(|| {
                compiled.fit_with(&x, &y, FitOptions::new(1, BATCH).verbose(false).threads(threads)).unwrap()
            })
        });
    }
    group.finish();
}

/// One-sample inference of the whole convnet, and a direct loop over the same weights.
fn bench_one_sample(c: &mut Criterion) {
    let model = Sequential::<Convnet>::new(&mut StdRng::seed_from_u64(3));
    let x = images::<28, 28, 1>(1)[0];
    let mut group = c.benchmark_group("convnet, one sample");
    let flop = 2.0 * MACS.iter().sum::<f64>();
    group.throughput(criterion::Throughput::Elements(flop as u64));
    group.bench_function("shaped predict", |b| b.iter(|| model.predict(black_box(&x))));
    let mut w = Vec::new();
    <Convnet as Layers<f32>>::visit_params(model.params(), &mut |a| w.push(a.to_vec()));
    group.bench_function("direct loop", |b| b.iter(|| direct_convnet(&w, black_box(&x))));
    // The `no_std` classifier: the committed weights compiled in, the activations in a
    // caller's buffers; it also scales the bytes and takes the argmax.
    let mut buffers: Box<convnet::Buffers> = shaped::zeroed_box();
    let image: [u8; 784] = std::array::from_fn(|i| (x.as_flattened()[i][0] * 255.0) as u8);
    group.bench_function("no_std classify (static weights, scratch buffers)", |b| {
        b.iter(|| convnet::classify(black_box(&image), &mut buffers))
    });
    group.finish();
}

/// The convnet written as plain loops over flat weights: the baseline of one sample.
fn direct_convnet(w: &[Vec<f32>], x: &[[[f32; 1]; 28]; 28]) -> [f32; 10] {
    fn conv(x: &[f32], (h, c): (usize, usize), k: &[f32], b: &[f32], f: usize) -> Vec<f32> {
        let o = h - 2;
        let mut y = vec![0.0; o * o * f];
        for oy in 0..o {
            for ox in 0..o {
                let px = &mut y[(oy * o + ox) * f..][..f];
                px.copy_from_slice(b);
                for ky in 0..3 {
                    for kx in 0..3 {
                        for ci in 0..c {
                            let v = x[((oy + ky) * h + ox + kx) * c + ci];
                            let taps = &k[((ky * 3 + kx) * c + ci) * f..][..f];
                            for (p, &t) in px.iter_mut().zip(taps) {
                                *p += v * t;
                            }
                        }
                    }
                }
                px.iter_mut().for_each(|v| *v = v.max(0.0));
            }
        }
        y
    }
    fn pool(x: &[f32], h: usize, c: usize) -> Vec<f32> {
        let o = h / 2;
        let mut y = vec![f32::NEG_INFINITY; o * o * c];
        for oy in 0..o {
            for ox in 0..o {
                for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    for ci in 0..c {
                        let v = x[((2 * oy + dy) * h + 2 * ox + dx) * c + ci];
                        let p = &mut y[(oy * o + ox) * c + ci];
                        *p = p.max(v);
                    }
                }
            }
        }
        y
    }
    fn dense(x: &[f32], k: &[f32], b: &[f32], relu: bool) -> Vec<f32> {
        let mut y = b.to_vec();
        for (i, &v) in x.iter().enumerate() {
            for (o, &t) in y.iter_mut().zip(&k[i * b.len()..][..b.len()]) {
                *o += v * t;
            }
        }
        if relu {
            y.iter_mut().for_each(|v| *v = v.max(0.0));
        }
        y
    }
    let a = conv(x.as_flattened().as_flattened(), (28, 1), &w[0], &w[1], 32);
    let a = pool(&a, 26, 32);
    let a = conv(&a, (13, 32), &w[2], &w[3], 64);
    let a = pool(&a, 11, 64);
    let a = conv(&a, (5, 64), &w[4], &w[5], 64);
    let a = dense(&a, &w[6], &w[7], true);
    let z = dense(&a, &w[8], &w[9], false);
    let max = z.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let e: Vec<f32> = z.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = e.iter().sum();
    std::array::from_fn(|i| e[i] / sum)
}

fn benches(c: &mut Criterion) {
    baseline::bench_fma_peak(c);
    bench_layer::<Conv1, 28, 28, 1, 32, 3>(c, "conv 1 (28x28x1 -> 26x26x32)", MACS[0], 26);
    bench_layer::<Conv2, 13, 13, 32, 64, 3>(c, "conv 2 (13x13x32 -> 11x11x64)", MACS[1], 11);
    bench_layer::<Conv3, 5, 5, 64, 64, 3>(c, "conv 3 (5x5x64 -> 3x3x64)", MACS[2], 3);
    bench_step(c);
    bench_one_sample(c);
}

criterion_group! {
    name = conv;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = benches
}
criterion_main!(conv);
