//! Networks as types: layers, activations, and models that hold their weights.
//!
//! The chapter-2 network of "Deep Learning with Python" is one type:
//!
//! ```
//! use shaped::nn::{Dense, Relu, Softmax};
//! type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
//! ```
//!
//! A tuple reads like Keras's list of layers, needs no macro, and each pair of
//! neighbours is checked by the compiler: a layer whose input width differs from the
//! previous layer's output is refused with a message naming the layer and both widths.
//! Tuples of up to 12 layers are supported, and a tuple element may itself be a tuple.

mod activation;
mod layers;
mod model;
#[cfg(feature = "std")]
mod weights;

pub use activation::{Activation, Linear, Relu, Sigmoid, Softmax, Tanh};
pub use layers::{
    Accepts, Connects, Dense, DenseParams, LayerInfo, Layers, NotASample, SampleWidth, TakesSample, Vector,
    Widths,
};
#[cfg(feature = "alloc")]
pub use model::Sequential;
pub use model::{ModelRef, Summary};
#[cfg(feature = "std")]
pub use weights::WeightsError;

/// Type-checks heap-free inference in the `no_std` build (`cargo build
/// --no-default-features`, as CI runs it): a network type, weights in a `static`, and
/// `predict`, with neither `std` nor `alloc`.
#[cfg(not(feature = "alloc"))]
#[allow(dead_code)]
fn no_std_inference(x: &[f32; 16]) -> [f32; 4] {
    type Net = (Dense<16, 32, Relu>, Dense<32, 32, Tanh>, Dense<32, 4, Softmax>);
    static WEIGHTS: <Net as Layers<f32>>::Params = (
        DenseParams::new([[0.01; 32]; 16], [0.0; 32]),
        (DenseParams::new([[0.02; 32]; 32], [0.0; 32]), DenseParams::new([[0.03; 4]; 32], [0.0; 4])),
    );
    ModelRef::<Net>::new(&WEIGHTS).predict(x)
}
