//! `dot`: vector . vector, matrix . vector, vector . matrix, matrix . matrix.

use super::Tensor;
use crate::element::Scalar;
use crate::kernels;

use crate::shape::Shape;

/// Products with `m * k * n` up to this many multiply-adds, or with at most
/// `SMALL_ROWS` rows, run on the const-size kernel; larger ones go to matrixmultiply.
/// Measured in `benches/matmul.rs` (see BENCHMARKS.md).
const SMALL_WORK: usize = 48 * 48 * 48;
const SMALL_ROWS: usize = 4;
/// Products of at most this many multiply-adds run inline, without SIMD dispatch.
const TINY_WORK: usize = 8 * 8 * 8;

/// The marker type the dimension checks below are implemented for.
pub struct Dims;

/// `M x K` times `K2 x N` is defined only when `K == K2`.
#[diagnostic::on_unimplemented(
    message = "cannot multiply a {M}x{K} matrix by a {K2}x{N} matrix: the inner dimensions {K} and {K2} differ",
    label = "inner dimensions {K} and {K2} differ",
    note = "`a.dot(&b)` needs as many columns in `a` as rows in `b`"
)]
pub trait MatMulDims<const M: usize, const K: usize, const K2: usize, const N: usize> {}
impl<const M: usize, const K: usize, const N: usize> MatMulDims<M, K, K, N> for Dims {}

/// `M x K` times a vector of `K2` is defined only when `K == K2`.
#[diagnostic::on_unimplemented(
    message = "cannot multiply a {M}x{K} matrix by a vector of length {K2}: the matrix has {K} columns",
    label = "the vector must have {K} elements",
    note = "`a.dot(&v)` needs as many columns in `a` as elements in `v`"
)]
pub trait MatVecDims<const M: usize, const K: usize, const K2: usize> {}
impl<const M: usize, const K: usize> MatVecDims<M, K, K> for Dims {}

/// A vector of `K` times a `K2 x N` matrix is defined only when `K == K2`.
#[diagnostic::on_unimplemented(
    message = "cannot multiply a vector of length {K} by a {K2}x{N} matrix: the matrix has {K2} rows",
    label = "the matrix must have {K} rows",
    note = "`v.dot(&b)` needs as many elements in `v` as rows in `b`"
)]
pub trait VecMatDims<const K: usize, const K2: usize, const N: usize> {}
impl<const K: usize, const N: usize> VecMatDims<K, K, N> for Dims {}

/// The dot product of two vectors needs equal lengths.
#[diagnostic::on_unimplemented(
    message = "cannot take the dot product of a vector of length {N} and a vector of length {N2}",
    label = "lengths {N} and {N2} differ",
    note = "`u.dot(&v)` needs vectors of one length"
)]
pub trait VecDotDims<const N: usize, const N2: usize> {}
impl<const N: usize> VecDotDims<N, N> for Dims {}

/// `Self . Rhs` is defined, and gives `Output`.
#[diagnostic::on_unimplemented(
    message = "`dot` is not defined between shapes `{Self}` and `{Rhs}`",
    label = "`dot` takes vectors and matrices of one element type",
    note = "`dot` multiplies vector . vector, matrix . vector, vector . matrix and matrix . matrix"
)]
pub trait Dot<Rhs: Shape>: Shape {
    /// The shape of the product.
    type Output: Shape<Elem = Self::Elem>;
    /// Writes `a . b` into `out`.
    #[doc(hidden)]
    fn dot_into(a: &Self, b: &Rhs, out: &mut Self::Output);
}

impl<T: Scalar, const N: usize, const N2: usize> Dot<[T; N2]> for [T; N]
where
    Dims: VecDotDims<N, N2>,
{
    type Output = T;
    fn dot_into(a: &Self, b: &[T; N2], out: &mut T) {
        *out = kernels::dot_slices(a, b);
    }
}

impl<T: Scalar, const M: usize, const K: usize, const K2: usize> Dot<[T; K2]> for [[T; K]; M]
where
    Dims: MatVecDims<M, K, K2>,
{
    type Output = [T; M];
    fn dot_into(a: &Self, b: &[T; K2], out: &mut [T; M]) {
        for (o, row) in out.iter_mut().zip(a) {
            *o = kernels::dot_slices(row, b);
        }
    }
}

impl<T: Scalar, const K: usize, const K2: usize, const N: usize> Dot<[[T; N]; K2]> for [T; K]
where
    Dims: VecMatDims<K, K2, N>,
{
    type Output = [T; N];
    fn dot_into(a: &Self, b: &[[T; N]; K2], out: &mut [T; N]) {
        // K == K2 here (the bound above), so the slice is exactly `K2` rows.
        let a: &[T; K2] = a.as_slice().try_into().expect("K == K2 by the VecMatDims bound");
        kernels::vecmat(a, b, out);
    }
}

impl<T: Scalar, const M: usize, const K: usize, const K2: usize, const N: usize> Dot<[[T; N]; K2]>
    for [[T; K]; M]
where
    Dims: MatMulDims<M, K, K2, N>,
{
    type Output = [[T; N]; M];
    fn dot_into(a: &Self, b: &[[T; N]; K2], out: &mut [[T; N]; M]) {
        if K2 == 0 {
            *out = [[T::zero(); N]; M];
        } else if M * K * N <= TINY_WORK {
            // Too small to pay for a call through the run-time SIMD dispatch: inline
            // the portable kernel, which the compiler unrolls at these sizes.
            *out = [[T::zero(); N]; M];
            let a: &[[T; K2]] = a.as_flattened().as_chunks::<K2>().0;
            kernels::accumulate_rows::portable(a, b, out);
        } else if M <= SMALL_ROWS || M * K * N <= SMALL_WORK {
            let a: &[[T; K2]] = a.as_flattened().as_chunks::<K2>().0;
            kernels::matmul_rows(a, b, out);
        } else {
            kernels::gemm(
                M,
                K,
                N,
                kernels::MatRef::row_major(a.as_flattened(), K),
                kernels::MatRef::row_major(b.as_flattened(), N),
                T::zero(),
                out.as_flattened_mut(),
            );
        }
    }
}

impl<S: Shape> Tensor<S> {
    /// The product of vectors and matrices, inner dims checked at compile time.
    ///
    /// ```
    /// # use shaped::{Tensor1, Tensor2};
    /// let a = Tensor2::<f32, 2, 3>::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let b = Tensor2::<f32, 3, 1>::from_array([[1.0], [0.0], [-1.0]]);
    /// assert_eq!(a.dot(&b).as_array(), &[[-2.0], [-2.0]]);
    /// let v = Tensor1::<f32, 3>::from_array([1.0, 1.0, 1.0]);
    /// assert_eq!(a.dot(&v).as_array(), &[6.0, 15.0]);
    /// assert_eq!(v.dot(&v).value(), 3.0);
    /// ```
    pub fn dot<B: Shape>(&self, rhs: &Tensor<B>) -> Tensor<<S as Dot<B>>::Output>
    where
        S: Dot<B>,
    {
        let mut out = Tensor::zeros();
        S::dot_into(self.as_array(), rhs.as_array(), out.as_array_mut());
        out
    }
}
