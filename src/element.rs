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
}

macro_rules! scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
scalar!(f32, f64);
