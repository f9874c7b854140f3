//! Element types: what a tensor can hold, and which of those are real numbers.

use core::fmt::{Debug, Display};

/// Types whose all-zero bit pattern is a valid value.
///
/// Large arrays of such types are allocated zeroed, directly on the heap, so that a
/// 784x512 weight matrix never travels through the stack.
///
/// # Safety
/// An implementor must be valid when every byte of it is zero, and must hold no
/// pointer or resource that a zeroed value would fake.
pub unsafe trait Zeroable: Sized {}

// SAFETY: zero bits are 0 (integers) and +0.0 (floats).
unsafe impl Zeroable for f32 {}
// SAFETY: as above.
unsafe impl Zeroable for f64 {}
// SAFETY: as above.
unsafe impl Zeroable for u8 {}
// SAFETY: as above.
unsafe impl Zeroable for u16 {}
// SAFETY: as above.
unsafe impl Zeroable for u32 {}
// SAFETY: as above.
unsafe impl Zeroable for u64 {}
// SAFETY: as above.
unsafe impl Zeroable for usize {}
// SAFETY: as above.
unsafe impl Zeroable for i8 {}
// SAFETY: as above.
unsafe impl Zeroable for i16 {}
// SAFETY: as above.
unsafe impl Zeroable for i32 {}
// SAFETY: as above.
unsafe impl Zeroable for i64 {}
// SAFETY: an array of zeroable values is zeroable element by element.
unsafe impl<T: Zeroable, const N: usize> Zeroable for [T; N] {}
// SAFETY: the unit type has no bytes.
unsafe impl Zeroable for () {}

/// Anything a tensor can hold: numbers that are plain data.
///
/// Integer tensors exist so that `argmax` and labels have a home; arithmetic, products
/// and activations need a [`Scalar`].
pub trait Element:
    crate::shape::Shape<Elem = Self> + Default + PartialEq + PartialOrd + Debug + Display
{
    /// Name of the type the way numpy spells it (`"float32"`, `"uint8"`, ...).
    const DTYPE: &'static str;
}

macro_rules! element {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl Element for $t {
            const DTYPE: &'static str = $name;
        }
    )*};
}
element!(
    f32 => "float32", f64 => "float64", u8 => "uint8", u16 => "uint16", u32 => "uint32",
    u64 => "uint64", usize => "uint64", i8 => "int8", i16 => "int16", i32 => "int32",
    i64 => "int64",
);

/// The real numbers of `shaped`: `f32` and `f64`.
///
/// Everything numeric (arithmetic, products, activations, training) is generic over this
/// trait. It is sealed: the kernels behind it are written for exactly these two types.
pub trait Scalar: Element + num_traits::Float + num_traits::FloatConst + sealed::Sealed {
    /// `a * b + c`, fused into one instruction where the running CPU has FMA.
    ///
    /// Only called from code compiled with the `fma` target feature; elsewhere the
    /// kernels use `a * b + c`.
    #[doc(hidden)]
    fn fused_mul_add(a: Self, b: Self, c: Self) -> Self;

    /// Lossy conversion from `f64`, for constants and random numbers.
    fn from_f64(x: f64) -> Self;

    /// Widening conversion to `f64`.
    fn to_f64(self) -> f64;

    /// General matrix product `c = a * b + beta * c` through `matrixmultiply`.
    ///
    /// `a` is `m x k`, `b` is `k x n`, `c` is `m x n`, each given with row and column
    /// strides in elements, so transposed operands need no copy.
    /// The micro-kernel of [`crate::gemm`] for this type on this CPU, if there is a fast one.
    #[cfg(feature = "alloc")]
    #[doc(hidden)]
    fn micro_kernel() -> Option<crate::gemm::MicroKernel<Self>>;

    #[cfg(feature = "alloc")]
    #[doc(hidden)]
    fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: crate::kernels::MatRef<'_, Self>,
        b: crate::kernels::MatRef<'_, Self>,
        beta: Self,
        c: &mut [Self],
    );
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

macro_rules! scalar {
    ($t:ty, $gemm:ident, $kernel:expr) => {
        impl Scalar for $t {
            #[cfg(feature = "alloc")]
            #[inline]
            fn micro_kernel() -> Option<crate::gemm::MicroKernel<Self>> {
                $kernel
            }
            #[inline(always)]
            fn fused_mul_add(a: Self, b: Self, c: Self) -> Self {
                num_traits::Float::mul_add(a, b, c)
            }
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[cfg(feature = "alloc")]
            fn gemm(
                m: usize,
                k: usize,
                n: usize,
                a: crate::kernels::MatRef<'_, Self>,
                b: crate::kernels::MatRef<'_, Self>,
                beta: Self,
                c: &mut [Self],
            ) {
                assert!(a.fits(m, k), "gemm: `a` is smaller than {m}x{k}");
                assert!(b.fits(k, n), "gemm: `b` is smaller than {k}x{n}");
                assert!(c.len() >= m * n, "gemm: `c` is smaller than {m}x{n}");
                if m == 0 || n == 0 {
                    return;
                }
                // SAFETY: the asserts above prove that every element matrixmultiply
                // reads (`a` up to (m-1, k-1), `b` up to (k-1, n-1) with their strides)
                // and writes (`c`, dense row-major m x n) lies inside the slices; `c`
                // is borrowed mutably, so it does not alias `a` or `b`.
                unsafe {
                    matrixmultiply::$gemm(
                        m,
                        k,
                        n,
                        1.0,
                        a.data.as_ptr(),
                        a.row_stride as isize,
                        a.col_stride as isize,
                        b.data.as_ptr(),
                        b.row_stride as isize,
                        b.col_stride as isize,
                        beta,
                        c.as_mut_ptr(),
                        n as isize,
                        1,
                    );
                }
            }
        }
    };
}
scalar!(f32, sgemm, crate::gemm::f32_kernel());
scalar!(f64, dgemm, None);
