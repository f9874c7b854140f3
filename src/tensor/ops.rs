//! Element-wise arithmetic with broadcasting, scalar arithmetic, element functions.

use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Sub, SubAssign};

use super::Tensor;
use crate::element::Scalar;
use crate::nn::{Activation, Relu, Sigmoid, Tanh};
use num_traits::Float as _;

use crate::constraint::{ScalarOperand, ShapeCheck};
use crate::shape::{BroadcastTo, Shape};

impl<S: Shape> Tensor<S> {
    /// `self[i] = f(self[i], rhs[i])`, `rhs` repeated over the leading axes it lacks.
    pub fn zip_assign<B: Shape + BroadcastTo<S>>(
        &mut self,
        rhs: &Tensor<B>,
        mut f: impl FnMut(S::Elem, S::Elem) -> S::Elem,
    ) {
        let r = <B as BroadcastTo<S>>::elements(rhs.as_slice());
        if r.is_empty() {
            return;
        }
        for chunk in self.as_mut_slice().chunks_exact_mut(r.len()) {
            for (x, &y) in chunk.iter_mut().zip(r) {
                *x = f(*x, y);
            }
        }
    }

    /// A new tensor `f(self[i], rhs[i])`, `rhs` broadcast as in [`BroadcastTo`].
    ///
    /// ```
    /// # use shaped::Tensor1;
    /// let a = Tensor1::<f32, 3>::from_array([1.0, 5.0, 3.0]);
    /// let b = Tensor1::<f32, 3>::from_array([4.0, 2.0, 3.0]);
    /// assert_eq!(a.zip_with(&b, f32::max).as_array(), &[4.0, 5.0, 3.0]);
    /// ```
    pub fn zip_with<B: Shape + BroadcastTo<S>>(
        &self,
        rhs: &Tensor<B>,
        f: impl FnMut(S::Elem, S::Elem) -> S::Elem,
    ) -> Self {
        let mut out = self.clone();
        out.zip_assign(rhs, f);
        out
    }
}

macro_rules! binary_op {
    ($Op:ident, $op:ident, $OpAssign:ident, $op_assign:ident, $sym:tt) => {
        impl<'a, A: Shape, B: Shape + BroadcastTo<A>> $Op<&'a Tensor<B>> for &Tensor<A>
        where
            A::Elem: $Op<Output = A::Elem>,
        {
            type Output = Tensor<A>;
            fn $op(self, rhs: &'a Tensor<B>) -> Tensor<A> {
                self.zip_with(rhs, |x, y| x $sym y)
            }
        }
        impl<'a, A: Shape, B: Shape + BroadcastTo<A>> $Op<&'a Tensor<B>> for Tensor<A>
        where
            A::Elem: $Op<Output = A::Elem>,
        {
            type Output = Tensor<A>;
            /// Reuses `self`'s buffer.
            fn $op(mut self, rhs: &'a Tensor<B>) -> Tensor<A> {
                self.zip_assign(rhs, |x, y| x $sym y);
                self
            }
        }
        impl<A: Shape, B: Shape + BroadcastTo<A>> $Op<Tensor<B>> for Tensor<A>
        where
            A::Elem: $Op<Output = A::Elem>,
        {
            type Output = Tensor<A>;
            fn $op(self, rhs: Tensor<B>) -> Tensor<A> {
                self $sym &rhs
            }
        }
        impl<A: Shape, B: Shape + BroadcastTo<A>> $Op<Tensor<B>> for &Tensor<A>
        where
            A::Elem: $Op<Output = A::Elem>,
        {
            type Output = Tensor<A>;
            fn $op(self, rhs: Tensor<B>) -> Tensor<A> {
                self $sym &rhs
            }
        }
        impl<'a, A: Shape, B: Shape + BroadcastTo<A>> $OpAssign<&'a Tensor<B>> for Tensor<A>
        where
            A::Elem: $Op<Output = A::Elem>,
        {
            fn $op_assign(&mut self, rhs: &'a Tensor<B>) {
                self.zip_assign(rhs, |x, y| x $sym y);
            }
        }
        impl<A: Shape, B: Shape + BroadcastTo<A>> $OpAssign<Tensor<B>> for Tensor<A>
        where
            A::Elem: $Op<Output = A::Elem>,
        {
            fn $op_assign(&mut self, rhs: Tensor<B>) {
                self.zip_assign(&rhs, |x, y| x $sym y);
            }
        }
    };
}
binary_op!(Add, add, AddAssign, add_assign, +);
binary_op!(Sub, sub, SubAssign, sub_assign, -);
binary_op!(Mul, mul, MulAssign, mul_assign, *);
binary_op!(Div, div, DivAssign, div_assign, /);

macro_rules! scalar_op {
    ([$($g:tt)*] $t:ty; $Op:ident, $op:ident, $OpAssign:ident, $op_assign:ident, $sym:tt) => {
        impl<A: Shape, $($g)*> $Op<$t> for &Tensor<A>
        where
            ShapeCheck: ScalarOperand<A::Elem, $t>,
            A::Elem: $Op<Output = A::Elem>,
        {
            type Output = Tensor<A>;
            fn $op(self, rhs: $t) -> Tensor<A> {
                let rhs = <ShapeCheck as ScalarOperand<A::Elem, $t>>::cast(rhs);
                self.map(|x| x $sym rhs)
            }
        }
        impl<A: Shape, $($g)*> $Op<$t> for Tensor<A>
        where
            ShapeCheck: ScalarOperand<A::Elem, $t>,
            A::Elem: $Op<Output = A::Elem>,
        {
            type Output = Tensor<A>;
            fn $op(mut self, rhs: $t) -> Tensor<A> {
                let rhs = <ShapeCheck as ScalarOperand<A::Elem, $t>>::cast(rhs);
                self.map_inplace(|x| x $sym rhs);
                self
            }
        }
        impl<A: Shape, $($g)*> $OpAssign<$t> for Tensor<A>
        where
            ShapeCheck: ScalarOperand<A::Elem, $t>,
            A::Elem: $Op<Output = A::Elem>,
        {
            fn $op_assign(&mut self, rhs: $t) {
                let rhs = <ShapeCheck as ScalarOperand<A::Elem, $t>>::cast(rhs);
                self.map_inplace(|x| x $sym rhs);
            }
        }
    };
}
macro_rules! scalar_ops {
    ([$($g:tt)*] $t:ty) => {
        scalar_op!([$($g)*] $t; Add, add, AddAssign, add_assign, +);
        scalar_op!([$($g)*] $t; Sub, sub, SubAssign, sub_assign, -);
        scalar_op!([$($g)*] $t; Mul, mul, MulAssign, mul_assign, *);
        scalar_op!([$($g)*] $t; Div, div, DivAssign, div_assign, /);
    };
}
scalar_ops!([] f32);
scalar_ops!([] f64);

// One integer impl only (`i32`, which also serves `i64` tensors): an integer literal then
// has one candidate, so beside a float tensor (`&x + 1`) it reaches [`ScalarOperand`]'s
// message ("write `1.0`"), where two candidates would give rustc's list of every `Add` impl.
// (A generic `impl<I: Integer> Add<I>` would also match tensor operands and hide the
// broadcasting messages.)
scalar_ops!([] i32);

impl<S: Shape> core::ops::Neg for &Tensor<S>
where
    S::Elem: core::ops::Neg<Output = S::Elem>,
{
    type Output = Tensor<S>;
    fn neg(self) -> Tensor<S> {
        self.map(|x| -x)
    }
}

impl<S: Shape> core::ops::Neg for Tensor<S>
where
    S::Elem: core::ops::Neg<Output = S::Elem>,
{
    type Output = Tensor<S>;
    fn neg(mut self) -> Tensor<S> {
        self.map_inplace(|x| -x);
        self
    }
}

macro_rules! unary {
    ($($(#[$doc:meta])* $name:ident => |$x:ident| $e:expr;)*) => {$(
        $(#[$doc])*
        pub fn $name(&self) -> Self {
            self.map(|$x| $e)
        }
    )*};
}

impl<S: Shape> Tensor<S>
where
    S::Elem: Scalar,
{
    /// `max(x, 0)` element-wise, as the `Relu` layer computes it: a NaN stays NaN.
    pub fn relu(&self) -> Self {
        self.activated::<Relu>()
    }

    /// `1 / (1 + exp(-x))` element-wise, as the `Sigmoid` layer computes it.
    pub fn sigmoid(&self) -> Self {
        self.activated::<Sigmoid>()
    }

    /// Hyperbolic tangent element-wise, as the `Tanh` layer computes it.
    pub fn tanh(&self) -> Self {
        self.activated::<Tanh>()
    }

    /// The activation `A` applied to every element (one row of all the elements).
    fn activated<A: Activation>(&self) -> Self {
        let mut out = self.clone();
        A::forward(out.as_mut_slice());
        out
    }

    unary! {
        /// `e^x` element-wise.
        exp => |x| x.exp();
        /// Natural logarithm element-wise.
        ln => |x| x.ln();
        /// Square root element-wise.
        sqrt => |x| x.sqrt();
        /// Absolute value element-wise.
        abs => |x| x.abs();
        /// `x * x` element-wise.
        square => |x| x * x;
    }

    /// `x^n` element-wise.
    pub fn powi(&self, n: i32) -> Self {
        self.map(|x| x.powi(n))
    }

    /// Each element limited to `[low, high]`; a NaN stays NaN (the losses' clip).
    pub fn clip(&self, low: S::Elem, high: S::Elem) -> Self {
        self.map(|x| crate::nn::activation::clip(x, low, high))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Tensor1, Tensor2, Tensor3};

    #[test]
    fn broadcast_bias_over_batch() {
        // The book's `(32, 10) + (10,)`.
        let x = Tensor2::<f32, 32, 10>::from_fn(|i| (i[0] * 10 + i[1]) as f32);
        let y = Tensor1::<f32, 10>::from_fn(|i| -(i[0] as f32));
        let z = &x + &y;
        for i in 0..32 {
            for j in 0..10 {
                assert_eq!(z[[i, j]], (i * 10 + j) as f32 - j as f32);
            }
        }
        let r3 = Tensor3::<f64, 2, 3, 4>::ones() * &Tensor2::<f64, 3, 4>::from_fn(|i| i[0] as f64);
        assert_eq!(r3[[1, 2, 3]], 2.0);
        assert_eq!(r3[[0, 1, 0]], 1.0);
    }

    #[test]
    fn ops_and_scalars() {
        let a = Tensor1::<f32, 3>::from_array([1.0, 2.0, 3.0]);
        let b = Tensor1::<f32, 3>::from_array([4.0, 5.0, 6.0]);
        assert_eq!((&a - &b).as_array(), &[-3.0; 3]);
        assert_eq!((&a * &b).as_array(), &[4.0, 10.0, 18.0]);
        assert_eq!((&b / &a).as_array(), &[4.0, 2.5, 2.0]);
        assert_eq!((&a * 2.0).as_array(), &[2.0, 4.0, 6.0]);
        assert_eq!((a.clone() - 1.0).as_array(), &[0.0, 1.0, 2.0]);
        assert_eq!((-&a).as_array(), &[-1.0, -2.0, -3.0]);
        let mut c = a.clone();
        c += &b;
        c /= 5.0;
        assert_eq!(c.as_array(), &[1.0, 1.4, 1.8]);
        let i = Tensor1::<i32, 2>::from_array([3, 4]) + Tensor1::<i32, 2>::from_array([1, 1]);
        assert_eq!(i.as_array(), &[4, 5]);
    }

    /// The tensor methods and the layers share one NaN rule: a NaN stays NaN.
    #[test]
    fn nan_rule_matches_the_layers() {
        use crate::nn::{Activation, Relu, Sigmoid};
        let a = Tensor1::<f64, 3>::from_array([f64::NAN, -1.0, 2.0]);
        let r = a.relu();
        assert!(r[[0]].is_nan(), "relu must keep NaN, as the Relu layer does");
        assert_eq!((r[[1]], r[[2]]), (0.0, 2.0));
        let mut layer = [f64::NAN, -1.0, 2.0];
        Relu::forward(&mut layer);
        assert!(layer[0].is_nan() && layer[1..] == [0.0, 2.0]);
        let c = a.clip(0.0, 1.0);
        assert!(c[[0]].is_nan(), "clip must keep NaN");
        assert_eq!((c[[1]], c[[2]]), (0.0, 1.0));
        let s = a.sigmoid();
        let mut layer = [f64::NAN, -1.0, 2.0];
        Sigmoid::forward(&mut layer);
        assert!(s[[0]].is_nan() && layer[0].is_nan());
        assert_eq!((s[[1]], s[[2]]), (layer[1], layer[2]));
    }

    #[test]
    fn element_functions() {
        let a = Tensor1::<f64, 4>::from_array([-2.0, -0.5, 0.0, 1.5]);
        assert_eq!(a.relu().as_array(), &[0.0, 0.0, 0.0, 1.5]);
        assert_eq!(a.abs().as_array(), &[2.0, 0.5, 0.0, 1.5]);
        assert_eq!(a.clip(-1.0, 1.0).as_array(), &[-1.0, -0.5, 0.0, 1.0]);
        assert!((a.sigmoid()[[2]] - 0.5).abs() < 1e-15);
        assert!((a.exp().ln()[[0]] + 2.0).abs() < 1e-12);
        assert_eq!(a.square().sqrt(), a.abs());
        assert_eq!(a.powi(3)[[0]], -8.0);
        assert!((a.tanh()[[3]] - 1.5f64.tanh()).abs() < 1e-15);
    }
}
