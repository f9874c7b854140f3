//! Declares networks as types and runs inference: one sample with no heap, a batch on
//! both cores, and a network whose weights live in a `static`.
//!
//! `cargo run --release --example inference`

use std::time::Instant;

use shaped::nn::{Dense, DenseParams, Layers, ModelRef, Relu, Sequential, Sigmoid, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

/// Chapter 2's network: `Dense(512, relu, input 784) -> Dense(10, softmax)`.
type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);

/// A tiny network whose weights are compiled into the binary.
type Xor = (Dense<2, 2, Relu>, Dense<2, 1, Sigmoid>);
static XOR_WEIGHTS: <Xor as Layers<f32>>::Params = (
    // h0 = relu(a + b), h1 = relu(a + b - 1): xor = h0 - 2 h1.
    DenseParams::new([[1.0, 1.0], [1.0, 1.0]], [0.0, -1.0]),
    DenseParams::new([[10.0], [-20.0]], [-5.0]),
);

fn main() {
    let model = Sequential::<Chapter2>::new(&mut StdRng::seed_from_u64(0));
    println!("{}", model.summary());
    const PARAMS: usize = <Chapter2 as Layers<f32>>::PARAMS;
    println!("parameters, known at compile time: {PARAMS}");

    // One sample: a `[f32; 784]` in, a `[f32; 10]` out, no allocation.
    let image = [0.5f32; 784];
    let probs = model.predict(&image);
    let best = (0..10).max_by(|&a, &b| probs[a].total_cmp(&probs[b])).unwrap_or(0);
    println!("untrained prediction: class {best} with p = {:.3}", probs[best]);

    // A batch: split over the cores, large products through matrixmultiply.
    let batch: Vec<[f32; 784]> =
        (0..1024).map(|s| std::array::from_fn(|i| ((s + i) % 255) as f32 / 255.0)).collect();
    let start = Instant::now();
    let out = model.predict_batch(&batch);
    println!("predicted {} samples in {:.2?}", out.len(), start.elapsed());

    // Weights in a static: the same type, no heap at all.
    let xor = ModelRef::<Xor>::new(&XOR_WEIGHTS);
    for (a, b) in [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)] {
        println!("xor({a}, {b}) = {:.3}", xor.predict(&[a, b])[0]);
    }
}
