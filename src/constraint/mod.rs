//! The compile-time shape rules, in one place (as nalgebra's `constraint.rs`).
//!
//! Each rule is a trait implemented for the marker [`ShapeCheck`] exactly when it holds,
//! and carries a `#[diagnostic::on_unimplemented]` message that names both shapes, so a
//! broken rule is an error in the user's words, in `cargo check` and the editor alike.
//! Users meet these traits in error messages; they write them only as bounds in code
//! that is generic over shapes.

use crate::class::Class;

pub(crate) mod message;

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

include!("generated.rs");

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

/// A sample has as many values as the network's first layer has inputs.
#[diagnostic::on_unimplemented(
    message = "the network's first layer `{L}` takes samples of {IN} values, but this sample is `{X}`",
    label = "expected samples of {IN} values",
    note = "samples given to a network must have the width of its first layer's input"
)]
pub trait SampleWidth<L, T, const IN: usize, X> {
    /// The sample as the layer's input.
    fn view(x: &X) -> &[T; IN];
    /// A batch of samples as the layer's inputs.
    fn view_batch(x: &[X]) -> &[[T; IN]];
}

impl<L, T, const IN: usize> SampleWidth<L, T, IN, [T; IN]> for ShapeCheck {
    #[inline(always)]
    fn view(x: &[T; IN]) -> &[T; IN] {
        x
    }
    #[inline(always)]
    fn view_batch(x: &[[T; IN]]) -> &[[T; IN]] {
        x
    }
}

/// A type with no values.
///
/// It exists for a second impl of [`SampleWidth`]: with a single impl, rustc would infer
/// the sample's type from it and report a plain type mismatch instead of the message.
#[derive(Clone, Copy, Debug)]
pub enum NotASample {}

impl<L, T, const IN: usize> SampleWidth<L, T, IN, NotASample> for ShapeCheck {
    fn view(x: &NotASample) -> &[T; IN] {
        match *x {}
    }
    fn view_batch(_: &[NotASample]) -> &[[T; IN]] {
        &[]
    }
}

/// Labels of type `Y` fit a last layer of `N` outputs: one-hot or target rows of `N`.
#[diagnostic::on_unimplemented(
    message = "the last layer has {N} outputs, but the labels are `{Y}`",
    label = "labels of the wrong width for {N} outputs",
    note = "the width of the last layer must equal the number of classes (or target values) of the labels"
)]
pub trait DenseLabels<T, const N: usize, Y> {
    /// The label as a row of `N` targets.
    fn targets(y: &Y) -> &[T; N];
}

impl<T, const N: usize> DenseLabels<T, N, [T; N]> for ShapeCheck {
    #[inline(always)]
    fn targets(y: &[T; N]) -> &[T; N] {
        y
    }
}

/// A type with no values: a second impl of the label traits, so that rustc reports the
/// message above instead of inferring the labels' type from a single impl.
#[derive(Clone, Copy, Debug)]
pub enum NotALabel {}

impl<T, const N: usize> DenseLabels<T, N, NotALabel> for ShapeCheck {
    fn targets(y: &NotALabel) -> &[T; N] {
        match *y {}
    }
}

/// Labels of type `Y` are class indices out of `N`, the last layer's width.
#[diagnostic::on_unimplemented(
    message = "the last layer has {N} outputs, but the labels are `{Y}`",
    label = "labels of the wrong class count for {N} outputs",
    note = "sparse labels must be `Class<N>` with N the width of the last layer"
)]
pub trait SparseLabels<const N: usize, Y> {
    /// The class index.
    fn class(y: &Y) -> usize;
}

impl<const N: usize> SparseLabels<N, Class<N>> for ShapeCheck {
    #[inline(always)]
    fn class(y: &Class<N>) -> usize {
        y.index()
    }
}

impl<const N: usize> SparseLabels<N, NotALabel> for ShapeCheck {
    fn class(y: &NotALabel) -> usize {
        match *y {}
    }
}
