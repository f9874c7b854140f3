//! `dot`: vector . vector, matrix . vector, vector . matrix, matrix . matrix.

use super::Tensor;
use crate::constraint::{MatMulDims, MatVecDims, ShapeCheck, VecDotDims, VecMatDims};
use crate::element::Scalar;
use crate::linalg;

use crate::shape::Shape;

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
    ShapeCheck: VecDotDims<N, N2>,
{
    type Output = T;
    fn dot_into(a: &Self, b: &[T; N2], out: &mut T) {
        *out = linalg::small::dot_slices(a, b);
    }
}

impl<T: Scalar, const M: usize, const K: usize, const K2: usize> Dot<[T; K2]> for [[T; K]; M]
where
    ShapeCheck: MatVecDims<M, K, K2>,
{
    type Output = [T; M];
    fn dot_into(a: &Self, b: &[T; K2], out: &mut [T; M]) {
        // K == K2 here (the bound above).
        let b: &[T; K] = b.as_slice().try_into().expect("K == K2 by the MatVecDims bound");
        linalg::small::matvec(a, b, out);
    }
}

impl<T: Scalar, const K: usize, const K2: usize, const N: usize> Dot<[[T; N]; K2]> for [T; K]
where
    ShapeCheck: VecMatDims<K, K2, N>,
{
    type Output = [T; N];
    fn dot_into(a: &Self, b: &[[T; N]; K2], out: &mut [T; N]) {
        // K == K2 here (the bound above), so the slice is exactly `K2` rows.
        let a: &[T; K2] = a.as_slice().try_into().expect("K == K2 by the VecMatDims bound");
        linalg::small::vecmat(a, b, out);
    }
}

impl<T: Scalar, const M: usize, const K: usize, const K2: usize, const N: usize> Dot<[[T; N]; K2]>
    for [[T; K]; M]
where
    ShapeCheck: MatMulDims<M, K, K2, N>,
{
    type Output = [[T; N]; M];
    fn dot_into(a: &Self, b: &[[T; N]; K2], out: &mut [[T; N]; M]) {
        if K2 == 0 {
            *out = [[T::zero(); N]; M];
            return;
        }
        // K == K2 here (the bound above): `a`'s rows are `K2` long.
        let a: &[[T; K2]] = a.as_flattened().as_chunks::<K2>().0;
        linalg::matmul_rows(a, b, out, false, None);
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
