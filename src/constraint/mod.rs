//! The compile-time shape rules, in one place (as nalgebra's `constraint.rs`).
//!
//! Each rule is a trait implemented for the marker [`ShapeCheck`] exactly when it holds,
//! and carries a `#[diagnostic::on_unimplemented]` message that names both shapes, so a
//! broken rule is an error in the user's words, in `cargo check` and the editor alike.
//! Users meet these traits in error messages; they write them only as bounds in code
//! that is generic over shapes.
//!
//! # How a rule reaches its message
//!
//! A message can print a shape as `(3, 4)` only if the failing trait has the dims as
//! const parameters. So every shape has a flat [`Shape::Dims`] type (`Dims2<3, 4>`), a
//! rule first dispatches on it (an impl per rank, or per pair of ranks, written by
//! `generate.py`) and then fails in a trait of that rank, whose message names the dims.
//! rustc reports the innermost failing bound only when exactly one impl matched at each
//! step; the few "second impls" below (for types or dims no program has) exist to keep
//! it from guessing a type from a single impl instead.
//!
//! # What needs a build
//!
//! `reshape`, `flatten`, `slice` and a `Dense` with no inputs or outputs need arithmetic
//! on the dims (element counts, bounds), which stable Rust cannot express in a bound.
//! They are `const` checks, evaluated when the call is compiled to code: `cargo build`
//! and `cargo test` report them, `cargo check` does not. Their messages name the shapes
//! and counts all the same (written by a `const fn` message writer). Every other rule is a trait bound,
//! seen by `cargo check` and the editor.

use crate::class::Class;
use crate::shape::Shape;

mod layer_rules;
mod message;
pub use layer_rules::*;
pub(crate) use message::Message;

/// The type every shape rule is implemented for (when the rule holds).
#[derive(Clone, Copy, Debug)]
pub struct ShapeCheck;

/// A shape's dims as the rules see them: one flat type per rank, dims as const parameters
/// (see [`Shape::Dims`](crate::Shape::Dims)). A rule dispatches on these types to a trait
/// of its own per rank, whose message can then print the shape as `(3, 4)`.
macro_rules! dims_types {
    ($($name:ident $(<$($d:ident),*>)?: $doc:literal;)*) => {$(
        #[doc = $doc]
        #[derive(Clone, Copy, Debug)]
        pub struct $name$(<$(const $d: usize),*>)?;
    )*};
}
dims_types! {
    Dims0: "The dims of a scalar: `()`.";
    Dims1<D0>: "The dims of a vector: `(D0,)`.";
    Dims2<D0, D1>: "The dims of a matrix: `(D0, D1)`.";
    Dims3<D0, D1, D2>: "The dims of a rank-3 tensor.";
    Dims4<D0, D1, D2, D3>: "The dims of a rank-4 tensor.";
    Dims5<D0, D1, D2, D3, D4>: "The dims of a rank-5 tensor.";
}

/// Both sides of an operation hold the same element type.
#[diagnostic::on_unimplemented(
    message = "the element types differ: `{T}` on the left, `{U}` on the right",
    label = "expected `{T}` elements, found `{U}`",
    note = "both sides of an operation need one element type: make both `{T}`"
)]
pub trait SameElement<T, U> {
    /// The right-hand elements as left-hand ones (they are the same type).
    fn cast(x: &[U]) -> &[T];
}

impl<T> SameElement<T, T> for ShapeCheck {
    #[inline(always)]
    fn cast(x: &[T]) -> &[T] {
        x
    }
}

/// A type no tensor holds.
///
/// It exists for a second impl of [`SameElement`], for any left-hand type: with a single
/// impl, rustc would infer the right-hand element type from the left-hand one (while it
/// looks up a method, before the argument's type is known) and report a type mismatch
/// instead of the message.
#[derive(Clone, Copy, Debug)]
pub struct NotAnElement<T>(core::marker::PhantomData<T>);

impl<T> SameElement<T, NotAnElement<T>> for ShapeCheck {
    fn cast(_: &[NotAnElement<T>]) -> &[T] {
        unreachable!("no tensor holds NotAnElement, which is not an `Element`")
    }
}

/// A scalar operand has the tensor's element type.
#[diagnostic::on_unimplemented(
    message = "a tensor of `{T}` cannot be combined with a scalar of type `{U}`",
    label = "expected a `{T}` scalar",
    note = "write the scalar in the tensor's element type: `1.0`, not `1`, for a float tensor"
)]
pub trait ScalarOperand<T, U> {
    /// The scalar as the tensor's element type (the same type).
    fn cast(x: U) -> T;
}

impl<T> ScalarOperand<T, T> for ShapeCheck {
    #[inline(always)]
    fn cast(x: T) -> T {
        x
    }
}

/// An `i32` scalar (an integer literal) with an `i64` tensor.
impl ScalarOperand<i64, i32> for ShapeCheck {
    #[inline(always)]
    fn cast(x: i32) -> i64 {
        i64::from(x)
    }
}

include!("broadcast_rules.rs");
include!("rank_rules.rs");

/// `M x K` times `K2 x N` is defined only when `K == K2`.
#[diagnostic::on_unimplemented(
    message = "cannot multiply a ({M}, {K}) matrix by a ({K2}, {N}) matrix: the inner dims {K} and {K2} differ",
    label = "inner dims {K} and {K2} differ",
    note = "`a.dot(&b)` needs as many columns in `a` as rows in `b`; to multiply by `b` transposed, write `a.dot(&b.transpose())`"
)]
pub trait MatMulDims<const M: usize, const K: usize, const K2: usize, const N: usize> {}
impl<const M: usize, const K: usize, const N: usize> MatMulDims<M, K, K, N> for ShapeCheck {}

/// `M x K` times a vector of `K2` is defined only when `K == K2`.
#[diagnostic::on_unimplemented(
    message = "cannot multiply a ({M}, {K}) matrix by a ({K2},) vector: the matrix has {K} columns",
    label = "the vector must have {K} elements",
    note = "`a.dot(&v)` needs as many columns in `a` as elements in `v`; for `v` times `a` (Keras's layout, rows of inputs), write `v.dot(&a)`"
)]
pub trait MatVecDims<const M: usize, const K: usize, const K2: usize> {}
impl<const M: usize, const K: usize> MatVecDims<M, K, K> for ShapeCheck {}

/// A vector of `K` times a `K2 x N` matrix is defined only when `K == K2`.
#[diagnostic::on_unimplemented(
    message = "cannot multiply a ({K},) vector by a ({K2}, {N}) matrix: the matrix has {K2} rows",
    label = "the matrix must have {K} rows",
    note = "`v.dot(&b)` needs as many elements in `v` as rows in `b`; for `b` times `v`, write `b.dot(&v)`"
)]
pub trait VecMatDims<const K: usize, const K2: usize, const N: usize> {}
impl<const K: usize, const N: usize> VecMatDims<K, K, N> for ShapeCheck {}

/// The dot product of two vectors needs equal lengths.
#[diagnostic::on_unimplemented(
    message = "cannot take the dot product of a ({N},) vector and a ({N2},) vector: the lengths differ",
    label = "lengths {N} and {N2} differ",
    note = "`u.dot(&v)` needs vectors of one length"
)]
pub trait VecDotDims<const N: usize, const N2: usize> {}
impl<const N: usize> VecDotDims<N, N> for ShapeCheck {}

/// A layer's input width equals the output width of the layer before it.
#[diagnostic::on_unimplemented(
    message = "layer `{L}` takes {IN} inputs, but the layer before it has {PREV} outputs",
    label = "`{L}` cannot follow a layer with {PREV} outputs",
    note = "the input width of each layer must equal the output width of the layer before it"
)]
pub trait Connects<L, const IN: usize, const PREV: usize> {}
impl<L, const N: usize> Connects<L, N, N> for ShapeCheck {}

/// A value of type `Self` is a sample for a network whose first layer `L` takes `IN`
/// values of type `T`: an array `[T; IN]` (or a `T` when `IN == 1`).
///
/// The rule dispatches on the sample's shape, so a sample of the right width but the
/// wrong element type, a 2-D image, a `Tensor` or a whole batch each get their own message.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sample for the network's first layer `{L}`, which takes `[{T}; {IN}]`",
    label = "expected a sample `[{T}; {IN}]`",
    note = "a sample is an array of the first layer's input width: pass a `Tensor` as `x.as_array()`, and give a batch of samples to `predict_batch`"
)]
pub trait Sample<L, T, const IN: usize> {
    /// The sample as the layer's input.
    fn view(x: &Self) -> &[T; IN];
    /// A batch of samples as the layer's inputs.
    fn view_batch(x: &[Self]) -> &[[T; IN]]
    where
        Self: Sized;
}

impl<L, T, const IN: usize, X: Shape> Sample<L, T, IN> for X
where
    ShapeCheck: SampleElement<L, T, X::Elem>,
    X::Dims: SampleDims<L, IN>,
{
    #[inline(always)]
    fn view(x: &X) -> &[T; IN] {
        let flat = <ShapeCheck as SampleElement<L, T, X::Elem>>::cast(x.flat());
        flat.try_into().expect("a sample holds IN values by SampleDims")
    }
    #[inline(always)]
    fn view_batch(x: &[X]) -> &[[T; IN]] {
        let flat = <ShapeCheck as SampleElement<L, T, X::Elem>>::cast(X::flatten_slice(x));
        // IN > 0: a `Dense` with no inputs does not build.
        flat.as_chunks::<IN>().0
    }
}

/// The sample holds the network's element type.
#[diagnostic::on_unimplemented(
    message = "the network computes in `{T}`, but this sample holds `{U}`",
    label = "expected `{T}` values, found `{U}`",
    note = "convert the samples to `{T}` first (pixels as bytes: `x as {T} / 255.0`, as `examples/mnist.rs` does)"
)]
pub trait SampleElement<L, T, U> {
    /// The sample's elements as the network's (they are the same type).
    fn cast(x: &[U]) -> &[T];
}

impl<L, T> SampleElement<L, T, T> for ShapeCheck {
    #[inline(always)]
    fn cast(x: &[T]) -> &[T] {
        x
    }
}

/// A sample of dims `Self` fits a first layer `L` of `IN` inputs (dispatch on the rank).
#[doc(hidden)]
pub trait SampleDims<L, const IN: usize> {}

impl<L, const IN: usize, const N: usize> SampleDims<L, IN> for Dims1<N> where
    ShapeCheck: SampleLength<L, IN, N>
{
}
impl<L, const IN: usize> SampleDims<L, IN> for Dims0 where ShapeCheck: SampleLength<L, IN, 1> {}

/// A sample has as many values as the network's first layer has inputs.
#[diagnostic::on_unimplemented(
    message = "the network's first layer `{L}` takes samples of {IN} values, but this sample has {N}",
    label = "expected samples of {IN} values",
    note = "samples given to a network must have the width of its first layer's input"
)]
pub trait SampleLength<L, const IN: usize, const N: usize> {}
impl<L, const IN: usize> SampleLength<L, IN, IN> for ShapeCheck {}

/// A `Tensor` given where a network takes a sample array.
#[diagnostic::on_unimplemented(
    message = "the network takes samples as arrays, not as `Tensor<{S}>`",
    label = "expected an array `[{T}; {IN}]`",
    note = "pass the tensor's array: `x.as_array()`"
)]
pub trait SampleNotTensor<L, T, const IN: usize, S> {}

/// A whole batch given where a network takes one sample.
#[diagnostic::on_unimplemented(
    message = "this takes one sample `[{T}; {IN}]`, not a batch `Vec<{X}>`",
    label = "expected one sample",
    note = "for a batch of samples, call `predict_batch` (or `predict` on each sample)"
)]
pub trait SampleNotBatch<L, T, const IN: usize, X> {}

#[cfg(feature = "alloc")]
impl<L, T, const IN: usize, S: Shape> Sample<L, T, IN> for crate::tensor::Tensor<S>
where
    ShapeCheck: SampleNotTensor<L, T, IN, S>,
{
    fn view(_: &Self) -> &[T; IN] {
        unreachable!("SampleNotTensor has no impl")
    }
    fn view_batch(_: &[Self]) -> &[[T; IN]] {
        unreachable!("SampleNotTensor has no impl")
    }
}

#[cfg(feature = "alloc")]
impl<L, T, const IN: usize, X> Sample<L, T, IN> for alloc::vec::Vec<X>
where
    ShapeCheck: SampleNotBatch<L, T, IN, X>,
{
    fn view(_: &Self) -> &[T; IN] {
        unreachable!("SampleNotBatch has no impl")
    }
    fn view_batch(_: &[Self]) -> &[[T; IN]] {
        unreachable!("SampleNotBatch has no impl")
    }
}

/// Labels of type `Self` are targets for a last layer of `N` outputs of type `T`: rows
/// `[T; N]` (or a `T` when `N == 1`), as the one-hot labels of categorical
/// cross-entropy or the targets of a regression.
#[diagnostic::on_unimplemented(
    message = "`{Self}` are not labels for this loss, which takes rows `[{T}; {N}]` (one-hot classes or targets)",
    label = "expected labels `[{T}; {N}]`",
    note = "categorical cross-entropy, binary cross-entropy and the regression losses take a row of the last layer's width per sample; for class indices `Class<N>`, use `SparseCategoricalCrossentropy`"
)]
pub trait DenseLabels<T, const N: usize> {
    /// The label as a row of `N` targets.
    fn targets(y: &Self) -> &[T; N];
}

impl<T, const N: usize, Y: Shape> DenseLabels<T, N> for Y
where
    Y::Dims: LabelDims<T, N, Y::Elem>,
{
    #[inline(always)]
    fn targets(y: &Y) -> &[T; N] {
        let flat = <Y::Dims as LabelDims<T, N, Y::Elem>>::cast(y.flat());
        flat.try_into().expect("a label holds N values by LabelDims")
    }
}

impl<T, const N: usize, const C: usize> DenseLabels<T, N> for Class<C>
where
    ShapeCheck: OneHotNotClass<T, N, C>,
{
    fn targets(_: &Self) -> &[T; N] {
        unreachable!("OneHotNotClass has no impl")
    }
}

/// The labels hold the network's element type.
#[diagnostic::on_unimplemented(
    message = "the network computes in `{T}`, but the labels hold `{U}`",
    label = "expected `{T}` labels, found `{U}`",
    note = "convert the labels to `{T}`, the network's element type"
)]
pub trait LabelElement<T, U> {
    /// The labels' elements as the network's (they are the same type).
    fn cast(x: &[U]) -> &[T];
}

impl<T> LabelElement<T, T> for ShapeCheck {
    #[inline(always)]
    fn cast(x: &[T]) -> &[T] {
        x
    }
}

/// Labels of dims `Self` holding `U` fit a last layer of `N` outputs of `T` (dispatch on
/// the rank).
#[doc(hidden)]
pub trait LabelDims<T, const N: usize, U> {
    /// The labels' elements as the network's (they are the same type).
    fn cast(x: &[U]) -> &[T];
}

impl<T, U, const N: usize, const M: usize> LabelDims<T, N, U> for Dims1<M>
where
    ShapeCheck: LabelElement<T, U> + LabelWidth<N, M>,
{
    #[inline(always)]
    fn cast(x: &[U]) -> &[T] {
        <ShapeCheck as LabelElement<T, U>>::cast(x)
    }
}

impl<T, U, const N: usize> LabelDims<T, N, U> for Dims0
where
    ShapeCheck: ScalarLabel<T, N, U>,
{
    #[inline(always)]
    fn cast(x: &[U]) -> &[T] {
        <ShapeCheck as ScalarLabel<T, N, U>>::cast(x)
    }
}

/// One number per sample as the label: a target of a one-output network (of the
/// network's element type), not class numbers for a one-hot loss.
#[diagnostic::on_unimplemented(
    message = "this loss takes a row `[{T}; {N}]` per sample, but each label is one `{U}`",
    label = "expected rows of {N} values",
    note = "class numbers become one-hot rows with `to_categorical`, or go to `SparseCategoricalCrossentropy` as `Class<{N}>` labels (`to_classes`); only a one-output network takes plain `{T}` targets"
)]
pub trait ScalarLabel<T, const N: usize, U> {
    /// The label as the network's element type (the same type).
    fn cast(x: &[U]) -> &[T];
}

impl<T> ScalarLabel<T, 1, T> for ShapeCheck {
    #[inline(always)]
    fn cast(x: &[T]) -> &[T] {
        x
    }
}

/// A label row has the last layer's width.
#[diagnostic::on_unimplemented(
    message = "the last layer is {N} wide, but the labels have {M} values each",
    label = "expected labels of {N} values",
    note = "the width of the last layer must equal the number of classes (or target values) of the labels"
)]
pub trait LabelWidth<const N: usize, const M: usize> {}
impl<const N: usize> LabelWidth<N, N> for ShapeCheck {}

/// Class indices given to a loss that takes one-hot rows.
#[diagnostic::on_unimplemented(
    message = "this loss takes one-hot rows `[{T}; {N}]`, not class indices `Class<{C}>`",
    label = "expected one-hot labels `[{T}; {N}]`",
    note = "for class indices use `SparseCategoricalCrossentropy`; or turn them into one-hot rows with `to_categorical`"
)]
pub trait OneHotNotClass<T, const N: usize, const C: usize> {}

/// Labels of type `Self` are class indices out of `N`, the last layer's width: `Class<N>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` are not labels for sparse categorical cross-entropy, which takes class indices `Class<{N}>`",
    label = "expected labels `Class<{N}>`",
    note = "sparse labels are `Class<N>` with N the width of the last layer (`Class::new(i)` checks the range)"
)]
pub trait SparseLabels<const N: usize> {
    /// The class index.
    fn class(y: &Self) -> usize;
}

impl<const N: usize, const C: usize> SparseLabels<N> for Class<C>
where
    ShapeCheck: ClassCount<N, C>,
{
    #[inline(always)]
    fn class(y: &Class<C>) -> usize {
        y.index()
    }
}

impl<const N: usize, Y: Shape> SparseLabels<N> for Y
where
    ShapeCheck: SparseNotDense<N, Y>,
{
    fn class(_: &Self) -> usize {
        unreachable!("SparseNotDense has no impl")
    }
}

/// The class count of the labels equals the last layer's width.
#[diagnostic::on_unimplemented(
    message = "the last layer has {N} outputs, but the labels are `Class<{C}>`",
    label = "labels of {C} classes for {N} outputs",
    note = "sparse labels must be `Class<N>` with N the width of the last layer"
)]
pub trait ClassCount<const N: usize, const C: usize> {}
impl<const N: usize> ClassCount<N, N> for ShapeCheck {}

/// One-hot rows, or numbers, given to the sparse loss.
#[diagnostic::on_unimplemented(
    message = "sparse categorical cross-entropy takes class indices `Class<{N}>`, not `{Y}`",
    label = "expected labels `Class<{N}>`",
    note = "for one-hot rows use `CategoricalCrossentropy`; integer labels become `Class<{N}>` with `Class::new(i)` (or `to_classes`)"
)]
pub trait SparseNotDense<const N: usize, Y> {}
