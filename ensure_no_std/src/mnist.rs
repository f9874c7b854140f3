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
use shaped::quant::{QDense, QLayers, QModelRef};

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

/// The chapter-2 network quantized to int8 (`examples/quantize.rs -- --save
/// data/chapter2-int8.weights`: calibrated on 1,000 training images).
pub type Chapter2Int8 = (QDense<784, 512, Relu>, QDense<512, 10, Softmax>);

/// Its int8 weights and quantization, in the binary's read-only data (406 KB).
pub static WEIGHTS_INT8: <Chapter2Int8 as QLayers>::Params =
    shaped::include_quantized!(Chapter2Int8, "../../data/chapter2-int8.weights");

/// The digit in a 28x28 image of bytes, with the int8 network. The first layer's input
/// quantization is the pixels' own (scale 1/255, zero point 0: calibrated on pixels in
/// `[0, 1]`), so the bytes go in as they are: no float until the last layer's softmax.
pub fn classify_int8(image: &[u8; 784]) -> u8 {
    let p = QModelRef::<Chapter2Int8>::new(&WEIGHTS_INT8).predict_quantized(image);
    let mut best = 0;
    for (i, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = i;
        }
    }
    best as u8
}
