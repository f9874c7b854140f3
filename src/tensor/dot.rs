//! `dot`: vector . vector, matrix . vector, vector . matrix, matrix . matrix.

use super::Tensor;
use crate::constraint::{
    Dims0, Dims1, Dims2, Dims3, Dims4, Dims5, MatMulDims, MatVecDims, SameElement, ShapeCheck, VecDotDims,
    VecMatDims,
};
use crate::element::Scalar;
use crate::linalg;

use crate::shape::Shape;

/// `Self . Rhs` is defined, and gives `Output`.
pub trait Dot<Rhs: Shape>: Shape {
    /// The shape of the product.
    type Output: Shape<Elem = Self::Elem>;
    /// Writes `a . b` into `out`.
    #[doc(hidden)]
    fn dot_into(a: &Self, b: &Rhs, out: &mut Self::Output);
}

impl<S: Shape, B: Shape> Dot<B> for S
where
    ShapeCheck: SameElement<S::Elem, B::Elem>,
    S::Elem: Scalar,
    S::Dims: DotRule<B::Dims> + DotDims<B::Dims>,
{
    type Output = <S::Dims as DotDims<B::Dims>>::Output<S::Elem>;
    #[inline]
    fn dot_into(a: &S, b: &B, out: &mut Self::Output) {
        let b = <ShapeCheck as SameElement<S::Elem, B::Elem>>::cast(b.flat());
        <S::Dims as DotDims<B::Dims>>::dot_into(a.flat(), b, out);
    }
}

/// `dot` is defined between shapes of dims `Self` and `R`: dispatches to the rule for their
/// ranks.
#[doc(hidden)]
pub trait DotRule<R> {}

impl<const N: usize, const N2: usize> DotRule<Dims1<N2>> for Dims1<N> where ShapeCheck: VecDotDims<N, N2> {}
impl<const M: usize, const K: usize, const K2: usize> DotRule<Dims1<K2>> for Dims2<M, K> where
    ShapeCheck: MatVecDims<M, K, K2>
{
}
impl<const K: usize, const K2: usize, const N: usize> DotRule<Dims2<K2, N>> for Dims1<K> where
    ShapeCheck: VecMatDims<K, K2, N>
{
}
impl<const M: usize, const K: usize, const K2: usize, const N: usize> DotRule<Dims2<K2, N>> for Dims2<M, K> where
    ShapeCheck: MatMulDims<M, K, K2, N>
{
}

/// The product of shapes of dims `Self` and `R`: its shape, and the kernel that computes it.
/// Implemented for every pair of ranks (even where [`DotRule`] fails, so that naming the
/// output type never fails first and hides the rule's message); called only where
/// [`DotRule`] holds.
#[doc(hidden)]
pub trait DotDims<R> {
    /// The shape of the product.
    type Output<T: Scalar>: Shape<Elem = T>;
    /// Writes `a . b` into `out`; `a` and `b` are the operands' elements in row-major order.
    fn dot_into<T: Scalar>(a: &[T], b: &[T], out: &mut Self::Output<T>);
}

impl<const N: usize, const N2: usize> DotDims<Dims1<N2>> for Dims1<N> {
    type Output<T: Scalar> = T;
    fn dot_into<T: Scalar>(a: &[T], b: &[T], out: &mut T) {
        *out = linalg::small::dot_slices(a, b);
    }
}

impl<const M: usize, const K: usize, const K2: usize> DotDims<Dims1<K2>> for Dims2<M, K> {
    type Output<T: Scalar> = [T; M];
    fn dot_into<T: Scalar>(a: &[T], b: &[T], out: &mut [T; M]) {
        if K == 0 {
            *out = [T::zero(); M];
            return;
        }
        // K == K2 here (`Dot` requires `DotRule`), and `a` holds M rows of K.
        let b: &[T; K] = b.try_into().expect("K == K2 by DotRule");
        let a: &[[T; K]; M] = a.as_chunks::<K>().0.try_into().expect("a holds M rows of K");
        linalg::small::matvec(a, b, out);
    }
}

impl<const K: usize, const K2: usize, const N: usize> DotDims<Dims2<K2, N>> for Dims1<K> {
    type Output<T: Scalar> = [T; N];
    fn dot_into<T: Scalar>(a: &[T], b: &[T], out: &mut [T; N]) {
        if N == 0 {
            return;
        }
        // K == K2 here (`Dot` requires `DotRule`), and `b` holds K2 rows of N.
        let a: &[T; K2] = a.try_into().expect("K == K2 by DotRule");
        let b: &[[T; N]; K2] = b.as_chunks::<N>().0.try_into().expect("b holds K2 rows of N");
        linalg::small::vecmat(a, b, out);
    }
}

impl<const M: usize, const K: usize, const K2: usize, const N: usize> DotDims<Dims2<K2, N>> for Dims2<M, K> {
    type Output<T: Scalar> = [[T; N]; M];
    fn dot_into<T: Scalar>(a: &[T], b: &[T], out: &mut [[T; N]; M]) {
        if K2 == 0 || N == 0 {
            *out = [[T::zero(); N]; M];
            return;
        }
        // K == K2 here (`Dot` requires `DotRule`): `a` holds M rows of K2, `b` K2 rows of N.
        let a: &[[T; K2]] = a.as_chunks::<K2>().0;
        let b: &[[T; N]; K2] = b.as_chunks::<N>().0.try_into().expect("b holds K2 rows of N");
        linalg::matmul_rows(a, b, out, false, None);
    }
}

/// A pair of ranks `dot` does not take (its rule has no impl but for dims no program
/// has), with a placeholder product: the output type can always be named, so the rule's
/// message is what an error reports.
macro_rules! no_dot {
    ($rule:path, $lhs:ty, $rhs:ty; $($d:ident),*) => {
        impl<$(const $d: usize),*> DotRule<$rhs> for $lhs where ShapeCheck: $rule {}
        impl<$(const $d: usize),*> DotDims<$rhs> for $lhs {
            type Output<T: Scalar> = T;
            fn dot_into<T: Scalar>(_: &[T], _: &[T], _: &mut T) {
                unreachable!("`Dot` requires `DotRule`, which has no impl for these ranks")
            }
        }
    };
}

include!("dot_rules.rs");

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
