//! The real numbers of `shaped` ([`Scalar`]); what else a tensor can hold is an
//! [`Element`] (defined with the shapes).

pub use crate::shape::Element;

/// The real numbers of `shaped`: `f32` and `f64`.
///
/// Everything numeric (arithmetic, products, activations, training) is generic over this
/// trait. It is sealed: the kernels behind it are written for exactly these two types.
pub trait Scalar: Element + num_traits::Float + num_traits::FloatConst + crate::linalg::Real {
    /// Lossy conversion from `f64`, for constants and random numbers.
    fn from_f64(x: f64) -> Self;

    /// Widening conversion to `f64`.
    fn to_f64(self) -> f64;

    /// `e^self` as the activations compute it: for `f32` a branch-free polynomial that
    /// vectorizes, within one ulp ([`exp_f32`](crate::linalg::exp::exp_f32)); for `f64`,
    /// `exp`.
    fn exp_activation(self) -> Self;

    /// [`exp_activation`](Scalar::exp_activation) with fused multiply-adds when `FMA`
    /// (for code compiled with FMA).
    #[doc(hidden)]
    fn exp_activation_with<const FMA: bool>(self) -> Self;

    /// [`exp_activation_with`](Scalar::exp_activation_with) for arguments at most 0 (a
    /// softmax's `z - max`): the same values there, on a shorter chain of operations.
    #[doc(hidden)]
    fn exp_nonpositive_with<const FMA: bool>(self) -> Self;
}

macro_rules! scalar {
    ($($t:ty => $exp:path, $exp_with:ident, $exp_np:ident),*) => {$(
        impl Scalar for $t {
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn exp_activation(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn exp_activation_with<const FMA: bool>(self) -> Self {
                $exp_with::<FMA>(self)
            }
            #[inline(always)]
            fn exp_nonpositive_with<const FMA: bool>(self) -> Self {
                $exp_np::<FMA>(self)
            }
        }
    )*};
}
scalar!(
    f32 => crate::linalg::exp::exp_f32, exp_f32_with, exp_nonpositive_f32_with,
    f64 => num_traits::Float::exp, exp_f64_with, exp_f64_with
);

use crate::linalg::exp::{exp_f32_with, exp_nonpositive_f32_with};

/// `f64`'s exponential whatever `FMA` says (libm's).
#[inline(always)]
fn exp_f64_with<const FMA: bool>(x: f64) -> f64 {
    num_traits::Float::exp(x)
}
