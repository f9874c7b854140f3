//! The chapter-2 MNIST classifier, its weights compiled into the binary.
//!
//! `data/chapter2.weights` is the network trained by `examples/mnist.rs`
//! (`cargo run --release --example mnist -- --save data/chapter2.weights`).
//! `include_weights!` reads it at compile time into a `static`: the 1.6 MB of weights
//! sit in the binary's read-only data, and `classify` runs with no heap and no parsing.
//!
//! The root crate's `tests/no_std_mnist.rs` includes this file and classifies the 10,000
//! test images with it.

use shaped::nn::{Dense, Layers, ModelRef, Relu, Softmax};

/// `Dense(512, relu, input 784) -> Dense(10, softmax)`.
pub type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);

/// The trained weights, in the binary's read-only data.
pub static WEIGHTS: <Chapter2 as Layers<f32>>::Params =
    shaped::include_weights!(Chapter2, "../../data/chapter2.weights");

/// The digit (0 to 9) in a 28x28 image of bytes, row by row (as in the IDX files).
///
/// The pixels are scaled to `[0, 1]` as in training. Stack use: the scaled image
/// (3 KiB) and the hidden layer's 512 values (2 KiB), plus the kernels' frames.
pub fn classify(image: &[u8; 784]) -> u8 {
    let x: [f32; 784] = core::array::from_fn(|i| image[i] as f32 / 255.0);
    let p = ModelRef::<Chapter2>::new(&WEIGHTS).predict(&x);
    let mut best = 0;
    for (i, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = i;
        }
    }
    best as u8
}
