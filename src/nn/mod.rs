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

pub(crate) mod activation;
mod conv;
mod dense;
mod dropout;
pub mod embed;
mod flatten;
mod geometry;
mod image;
mod layers;
mod model;
mod network_macro;
mod pool;
#[cfg(feature = "safetensors")]
mod safetensors;
#[cfg(feature = "safetensors")]
mod safetensors_file;
#[cfg(feature = "safetensors")]
mod safetensors_layout;
#[cfg(feature = "alloc")]
mod sequential;
mod stack;
mod summary;
#[cfg(feature = "std")]
mod weights;

pub use activation::{Activation, Linear, Relu, Sigmoid, Softmax, Tanh};
#[cfg(feature = "alloc")]
pub(crate) use conv::conv_from_patches;
pub use conv::{Conv2D, Conv2DParams};
pub use dense::{Dense, DenseParams};
pub use dropout::{Dropout, DropoutDims, dropout_rate};
pub use flatten::Flatten;
pub use geometry::{Padding, Same, Valid, conv_out, pad_before};
pub use layers::{Accepts, LayerInfo, Layers, Scratch, ShapeTuple, Stack, TakesSample, Vector};
pub use model::ModelRef;
pub use pool::{Average, AveragePooling2D, GlobalAveragePooling2D, Max, MaxPooling2D, PoolOp, Pooling2D};
#[cfg(feature = "safetensors")]
pub use safetensors::{Convention, LoadOptions, SafetensorsError};
#[cfg(feature = "alloc")]
pub use sequential::{Sequential, SetWeightsError};
pub use summary::Summary;
#[cfg(feature = "std")]
pub use weights::WeightsError;
#[cfg(feature = "std")]
pub(crate) use weights::write_weights_file;
