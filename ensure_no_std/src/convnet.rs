//! The chapter-5 MNIST convnet, its weights compiled into the binary and its activations
//! in a buffer the caller owns.
//!
//! `data/convnet.weights` is the network trained by `examples/convnet.rs`
//! (`cargo run --release --example convnet -- --save data/convnet.weights`).
//! `include_weights!` reads it at compile time into a `static` (373 KB of read-only
//! data). [`classify`] runs with no heap, and with the activations between layers (about
//! 150 KB of `f32`) in [`Buffers`] rather than on the stack: a microcontroller keeps them
//! in a `static`, whose type is [`Buffers`] and whose value is `Zeroable::ZERO`:
//!
//! ```
//! use shaped::Zeroable;
//! use shaped_ensure_no_std::convnet::{Buffers, classify};
//! use std::sync::Mutex; // on a microcontroller, a critical-section mutex
//!
//! static BUFFERS: Mutex<Buffers> = Mutex::new(Zeroable::ZERO);
//! let digit = classify(&[0; 784], &mut BUFFERS.lock().unwrap());
//! assert!(digit < 10);
//! ```
//!
//! The root crate's `tests/no_std_mnist.rs` includes this file and classifies the 10,000
//! test images with it.

use shaped::nn::{Layers, ModelRef, Scratch};

shaped::network! {
    /// Conv2D(32, 3, relu), MaxPooling2D(2), Conv2D(64, 3, relu), MaxPooling2D(2),
    /// Conv2D(64, 3, relu), Flatten, Dense(64, relu), Dense(10, softmax), on 28x28 images
    /// of one channel.
    pub type Convnet = (28, 28, 1) => [
        Conv2D(32, 3, activation = "relu"),
        MaxPooling2D(2),
        Conv2D(64, 3, activation = "relu"),
        MaxPooling2D(2),
        Conv2D(64, 3, activation = "relu"),
        Flatten,
        Dense(64, activation = "relu"),
        Dense(10, activation = "softmax"),
    ];
}

/// The trained weights, in the binary's read-only data.
pub static WEIGHTS: <Convnet as Layers<f32>>::Params =
    shaped::include_weights!(Convnet, "../../data/convnet.weights");

/// What one classification writes: the scaled image and the activations between layers.
pub type Buffers = ([[[f32; 1]; 28]; 28], Scratch<Convnet>);

/// The digit (0 to 9) in a 28x28 image of bytes, row by row (as in the IDX files).
///
/// The pixels are scaled to `[0, 1]` as in training, into `buffers.0`; the layers write
/// their outputs into `buffers.1`. The stack holds the kernels' frames and the ten
/// outputs only.
pub fn classify(image: &[u8; 784], buffers: &mut Buffers) -> u8 {
    let (x, scratch) = buffers;
    for (px, &v) in x.as_flattened_mut().iter_mut().zip(image) {
        *px = [v as f32 / 255.0];
    }
    let p = ModelRef::<Convnet>::new(&WEIGHTS).predict_in(x, scratch);
    let mut best = 0;
    for (i, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = i;
        }
    }
    best as u8
}
