//! Training: losses, optimizers, and Keras's `compile` / `fit` / `evaluate`.
//!
//! ```no_run
//! use shaped::nn::{Dense, Relu, Sequential, Softmax};
//! use shaped::train::{CategoricalCrossentropy, Metric, RmsProp};
//! use shaped::rand::{SeedableRng, rngs::StdRng};
//!
//! type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
//! # let (train_images, train_labels): (Vec<[f32; 784]>, Vec<[f32; 10]>) = (vec![], vec![]);
//! let mut model = Sequential::<Chapter2>::new(&mut StdRng::seed_from_u64(0))
//!     .compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy]);
//! let history = model.fit(&train_images, &train_labels, 5, 128)?;
//! # Ok::<(), shaped::train::TrainError>(())
//! ```

#[cfg(feature = "std")]
mod fit;
mod loss;
mod optim;

#[cfg(feature = "std")]
pub use fit::{Compiled, Evaluation, Fit, History, Metric, TrainError, Validation};
pub use loss::{
    BinaryCrossentropy, CategoricalCrossentropy, Class, DenseLabels, Loss, MeanAbsoluteError,
    MeanSquaredError, NotALabel, Objective, PairsWith, SparseCategoricalCrossentropy, SparseLabels,
};
pub use optim::{Adam, Optimizer, RmsProp, Sgd};
