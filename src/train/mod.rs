//! Training: losses, optimizers, backpropagation, and Keras's `compile` / `fit` /
//! `evaluate`.
//!
//! ```no_run
//! use shaped::nn::{Dense, Relu, Sequential, Softmax};
//! use shaped::train::{CategoricalCrossentropy, Metric, RmsProp};
//! use shaped::rand::{SeedableRng, rngs::StdRng};
//!
//! type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
//! # let (train_images, train_labels): (Vec<[f32; 784]>, Vec<[f32; 10]>) = (vec![], vec![]);
//! let mut model = Sequential::<Chapter2>::new(&mut StdRng::seed_from_u64(0))
//!     .compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy])
//!     .expect("Keras's defaults are valid settings");
//! let history = model.fit(&train_images, &train_labels, 5, 128)?;
//! # Ok::<(), shaped::train::TrainError>(())
//! ```

mod backprop;
mod backprop_image;
#[cfg(feature = "std")]
mod callbacks;
#[cfg(feature = "std")]
mod checks;
#[cfg(feature = "std")]
mod compile;
#[cfg(feature = "std")]
mod fit;
#[cfg(feature = "std")]
mod history;
mod loss;
mod network;
mod optim;
#[cfg(feature = "std")]
mod options;
mod parts;
#[cfg(feature = "std")]
mod plot;
#[cfg(feature = "std")]
mod progress;
#[cfg(feature = "std")]
mod step;

pub use crate::class::Class;
pub use backprop::{Backprop, Workspace};
#[cfg(feature = "std")]
pub use callbacks::{Callback, Control, EarlyStopping, ModelCheckpoint, OnEpochEnd};
#[cfg(feature = "std")]
pub use compile::{CompileError, CompileProblem};
#[cfg(feature = "std")]
pub use fit::Compiled;
#[cfg(feature = "std")]
pub use history::{Evaluation, History, TrainError};
pub use loss::{
    BinaryCrossentropy, CategoricalCrossentropy, Loss, MeanAbsoluteError, MeanSquaredError, Objective,
    PairsWith, SparseCategoricalCrossentropy,
};
pub use network::Network;
pub use optim::{Adam, Optimizer, RmsProp, SettingError, Sgd};
#[cfg(feature = "std")]
pub use options::{FitOptions, Metric, Output, ProgressWriter, Validation, Verbosity};
