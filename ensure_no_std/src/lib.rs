//! Heap-free inference with neither `std` nor `alloc`: a network type, weights in a
//! `static`, and `predict`.
//!
//! [`mnist::classify`] is the chapter-2 MNIST classifier with its trained weights
//! compiled in (`include_weights!`); [`convnet::classify`] is the chapter-5 convnet, its
//! weights compiled in and its activations in a caller's buffer; [`classify`] is a small
//! network with literal weights.
//!
//! The crate defines its own panic handler, so if anything in its dependency graph
//! linked `std`, the build would fail with a duplicate `panic_impl` lang item: building
//! it (`cargo build -p shaped-ensure-no-std`, as CI does) is the check.
#![no_std]

pub mod convnet;
pub mod mnist;

use shaped::nn::{Dense, DenseParams, Layers, ModelRef, Relu, Softmax, Tanh};

/// A small classifier: 16 inputs, two hidden layers, 4 classes.
pub type Net = (Dense<16, 32, Relu>, Dense<32, 32, Tanh>, Dense<32, 4, Softmax>);

/// Its weights, in flash: no copy into RAM, no heap.
pub static WEIGHTS: <Net as Layers<f32>>::Params = (
    DenseParams::new([[0.01; 32]; 16], [0.0; 32]),
    (DenseParams::new([[0.02; 32]; 32], [0.0; 32]), DenseParams::new([[0.03; 4]; 32], [0.0; 4])),
);

/// The class probabilities of one sample.
pub fn classify(x: &[f32; 16]) -> [f32; 4] {
    ModelRef::<Net>::new(&WEIGHTS).predict(x)
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
