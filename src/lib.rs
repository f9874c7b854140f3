//! # shaped
//!
//! Neural networks whose tensors carry their shapes in the type system: a matrix product
//! with mismatched inner dims, a broadcast that does not fit, an axis that does not
//! exist are compile errors, reported in words that name both shapes.
//!
//! ```
//! use shaped::{Tensor1, Tensor2};
//!
//! let x = Tensor2::<f32, 2, 3>::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
//! let w = Tensor2::<f32, 3, 4>::ones();
//! let b = Tensor1::<f32, 4>::filled(0.5);
//! let y = (x.dot(&w) + &b).relu(); // a 2x4 matrix, known to the compiler
//! assert_eq!(y.shape(), &[2, 4]);
//! assert_eq!(y.sum_axis::<1>().as_array(), &[26.0, 62.0]);
//! ```
//!
//! A shape error does not compile:
//!
//! ```compile_fail
//! use shaped::Tensor2;
//! let a = Tensor2::<f32, 2, 4>::zeros();
//! let b = Tensor2::<f32, 3, 5>::zeros();
//! let _ = a.dot(&b); // error: cannot multiply a 2x4 matrix by a 3x5 matrix
//! ```
//!
//! ## Shapes
//! A shape is the nested array type of the data ([`Shape`]): `[[f32; 3]; 2]` is a 2x3
//! matrix of `f32`. [`Tensor`] owns such data on the heap (created there, never on the
//! stack); [`Tensor0`] to [`Tensor5`] name tensors by rank. The batch dimension of
//! training data is not part of a type: a batch of samples is a slice `&[[f32; 784]]`.
//!
//! ## Features
//! - `std` (default): run-time SIMD detection for the kernels, everything that needs an
//!   operating system. Implies `alloc`.
//! - `alloc`: heap-backed [`Tensor`]s, batched products, training.
//!
//! Without either, the crate is a `no_std` core of shapes and heap-free kernels.
#![no_std]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

// Labels; without `alloc` nothing trains, so nothing names them.
#[cfg(feature = "std")]
mod atomic;
#[cfg_attr(not(feature = "alloc"), allow(dead_code))]
mod class;
pub mod constraint;
pub(crate) mod crc32;
#[cfg(feature = "std")]
pub mod data;
pub mod element;
pub mod error;
#[doc(hidden)]
pub mod linalg;
pub mod nn;
#[cfg(feature = "std")]
pub mod parallel;
pub mod quant;
pub mod random;
pub mod shape;
#[cfg(feature = "alloc")]
pub mod tensor;
#[cfg(feature = "alloc")]
pub mod train;
mod zeroed;

pub use element::Scalar;
pub use error::LengthError;
pub use shape::{Element, Shape};
#[cfg(feature = "alloc")]
pub use tensor::{Tensor, Tensor0, Tensor1, Tensor2, Tensor3, Tensor4, Tensor5};
#[cfg(feature = "alloc")]
pub use train::Network;
pub use zeroed::Zeroable;
#[cfg(feature = "alloc")]
pub use zeroed::zeroed_box;

/// The `rand` crate `shaped` is built against, for seeding generators.
pub use rand;

// The README's Rust examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
