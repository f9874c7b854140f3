//! Shapes as types: a shape is a nested array type such as `[[f32; 10]; 32]`.

use core::fmt::{Debug, Display};

use crate::constraint::{Broadcast, Dims0, Dims1, Dims2, Dims3, Dims4, Dims5, SameElement, ShapeCheck};

/// The largest rank `shaped` supports.
pub const MAX_RANK: usize = 5;

/// Anything a tensor can hold: numbers that are plain data.
///
/// Integer tensors exist so that `argmax` and labels have a home; arithmetic, products
/// and activations need a [`Scalar`](crate::Scalar).
pub trait Element: Shape<Elem = Self> + Default + PartialEq + PartialOrd + Debug + Display {
    /// Name of the type the way numpy spells it (`"float32"`, `"uint8"`, ...).
    const DTYPE: &'static str;
}

/// numpy's name for `usize` on this target.
const USIZE_DTYPE: &str = if usize::BITS == 64 {
    "uint64"
} else if usize::BITS == 32 {
    "uint32"
} else {
    "uint16"
};

macro_rules! element {
    ($($t:ty => $name:expr),* $(,)?) => {$(
        impl Element for $t {
            const DTYPE: &'static str = $name;
        }
    )*};
}
element!(
    f32 => "float32", f64 => "float64", u8 => "uint8", u16 => "uint16", u32 => "uint32",
    u64 => "uint64", usize => USIZE_DTYPE, i8 => "int8", i16 => "int16", i32 => "int32",
    i64 => "int64",
);

/// A tensor shape, written as the nested array type of its data.
///
/// `f32` is a rank-0 shape, `[f32; 3]` rank 1, `[[f32; 3]; 2]` a 2x3 matrix, and so on up
/// to rank 5. The outermost array is the first axis, as in numpy: `[[f32; 3]; 2]` has
/// `DIMS == [2, 3]`.
///
/// ```
/// use shaped::Shape;
/// assert_eq!(<[[f32; 3]; 2] as Shape>::RANK, 2);
/// assert_eq!(<[[f32; 3]; 2] as Shape>::DIMS, &[2, 3]);
/// assert_eq!(<[[f32; 3]; 2] as Shape>::NUMEL, 6);
/// assert_eq!(<f64 as Shape>::DIMS, &[] as &[usize]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tensor shape",
    label = "not a shape of rank 0 to 5",
    note = "a shape is an element type (`f32`, `f64`, an integer) or arrays of it nested up to 5 deep: `[[f32; 4]; 3]` is the shape (3, 4)"
)]
pub trait Shape: Copy + Send + Sync + 'static + crate::zeroed::Zeroable + BroadcastTo<Self> {
    /// The element type (`f32` in `[[f32; 3]; 2]`).
    type Elem: Element;
    /// The dims as one flat type (`Dims2<2, 3>` for `[[f32; 3]; 2]`), on which the shape
    /// rules of [`constraint`](crate::constraint) dispatch.
    #[doc(hidden)]
    type Dims;
    /// Number of axes.
    const RANK: usize;
    /// Number of elements.
    const NUMEL: usize;
    /// Length of each axis, outermost first.
    const DIMS: &'static [usize];
    #[doc(hidden)]
    const PADDED_DIMS: [usize; MAX_RANK];

    /// The elements of a slice of values of this shape, in row-major order.
    fn flatten_slice(values: &[Self]) -> &[Self::Elem];
    /// The elements of a slice of values of this shape, in row-major order, mutably.
    fn flatten_slice_mut(values: &mut [Self]) -> &mut [Self::Elem];

    /// The elements of this value, in row-major order.
    #[inline]
    fn flat(&self) -> &[Self::Elem] {
        Self::flatten_slice(core::slice::from_ref(self))
    }
    /// The elements of this value, in row-major order, mutably.
    #[inline]
    fn flat_mut(&mut self) -> &mut [Self::Elem] {
        Self::flatten_slice_mut(core::slice::from_mut(self))
    }
}

/// `Self` can be combined element-wise with a tensor of shape `Target`: the shapes are
/// equal, or `Self` has lower rank and equals the trailing dims of `Target` (numpy
/// broadcasting, e.g. a `(10,)` bias added to a `(32, 10)` batch; a scalar broadcasts to
/// any shape). Both hold one element type.
///
/// Every shape broadcasts to itself (a supertrait of [`Shape`]), so code generic over
/// `S: Shape` can combine two `Tensor<S>` without a bound of its own.
///
/// ```
/// # use shaped::{Tensor1, Tensor2};
/// let x = Tensor2::<f32, 2, 3>::ones();
/// let b = Tensor1::<f32, 3>::from_array([1.0, 2.0, 3.0]);
/// assert_eq!((&x + &b).as_array(), &[[2.0, 3.0, 4.0], [2.0, 3.0, 4.0]]);
/// ```
pub trait BroadcastTo<Target> {
    /// The right-hand side's elements as the left-hand side's element type (the same type).
    #[doc(hidden)]
    fn elements(rhs: &[<Self as Shape>::Elem]) -> &[<Target as Shape>::Elem]
    where
        Self: Shape,
        Target: Shape;
}

impl<S: Shape, B: Shape> BroadcastTo<S> for B
where
    S::Dims: Broadcast<B::Dims>,
    ShapeCheck: SameElement<S::Elem, B::Elem>,
{
    #[inline(always)]
    fn elements(rhs: &[B::Elem]) -> &[S::Elem] {
        <ShapeCheck as SameElement<S::Elem, B::Elem>>::cast(rhs)
    }
}

macro_rules! scalar_shape {
    ($($t:ty),*) => {$(
        impl Shape for $t {
            type Elem = $t;
            type Dims = Dims0;
            const RANK: usize = 0;
            const NUMEL: usize = 1;
            const DIMS: &'static [usize] = &[];
            const PADDED_DIMS: [usize; MAX_RANK] = [0; MAX_RANK];
            #[inline(always)]
            fn flatten_slice(values: &[Self]) -> &[Self] {
                values
            }
            #[inline(always)]
            fn flatten_slice_mut(values: &mut [Self]) -> &mut [Self] {
                values
            }
        }
    )*};
}
scalar_shape!(f32, f64, u8, u16, u32, u64, usize, i8, i16, i32, i64);

// One impl per rank (not one recursive `[E; N]`), so that each rank names its dims: the
// shape rules print them, and `BroadcastTo<Self>` holds for each rank by its own rule.
macro_rules! array_shape {
    ($rank:literal: $inner:ty => $dims:ident<$d0:ident $(, $d:ident)*>) => {
        impl<T: Element, const $d0: usize $(, const $d: usize)*> Shape for [$inner; $d0] {
            type Elem = T;
            type Dims = $dims<$d0 $(, $d)*>;
            const RANK: usize = $rank;
            const NUMEL: usize = $d0 * <$inner as Shape>::NUMEL;
            const PADDED_DIMS: [usize; MAX_RANK] = {
                let inner = <$inner as Shape>::PADDED_DIMS;
                [$d0, inner[0], inner[1], inner[2], inner[3]]
            };
            const DIMS: &'static [usize] = Self::PADDED_DIMS.split_at($rank).0;

            #[inline(always)]
            fn flatten_slice(values: &[Self]) -> &[T] {
                <$inner as Shape>::flatten_slice(values.as_flattened())
            }
            #[inline(always)]
            fn flatten_slice_mut(values: &mut [Self]) -> &mut [T] {
                <$inner as Shape>::flatten_slice_mut(values.as_flattened_mut())
            }
        }
    };
}
array_shape!(1: T => Dims1<D0>);
array_shape!(2: [T; D1] => Dims2<D0, D1>);
array_shape!(3: [[T; D2]; D1] => Dims3<D0, D1, D2>);
array_shape!(4: [[[T; D3]; D2]; D1] => Dims4<D0, D1, D2, D3>);
array_shape!(5: [[[[T; D4]; D3]; D2]; D1] => Dims5<D0, D1, D2, D3, D4>);

/// Row-major strides (in elements) of a shape's axes.
/// Dims printed the way numpy and Keras print a shape: `(2, 3)`, `(10,)`, `()`.
///
/// ```
/// use shaped::shape::ShapeDisplay;
/// assert_eq!(ShapeDisplay(&[2, 3]).to_string(), "(2, 3)");
/// assert_eq!(ShapeDisplay(&[10]).to_string(), "(10,)");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ShapeDisplay<'a>(pub &'a [usize]);

impl Display for ShapeDisplay<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("(")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str(if self.0.len() == 1 { ",)" } else { ")" })
    }
}

#[cfg(feature = "alloc")]
pub(crate) fn strides(dims: &[usize]) -> [usize; MAX_RANK] {
    let mut s = [0; MAX_RANK];
    let mut acc = 1;
    for (i, d) in dims.iter().enumerate().rev() {
        s[i] = acc;
        acc *= d;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dims_rank_numel() {
        type S5 = [[[[[f64; 6]; 5]; 4]; 3]; 2];
        assert_eq!(S5::RANK, 5);
        assert_eq!(S5::DIMS, &[2, 3, 4, 5, 6]);
        assert_eq!(S5::NUMEL, 720);
        assert_eq!(<[u8; 7]>::DIMS, &[7]);
        assert_eq!(f32::RANK, 0);
        assert_eq!(f32::NUMEL, 1);
        assert_eq!(<[[f32; 0]; 3]>::NUMEL, 0);
    }

    #[test]
    fn flat_is_row_major() {
        let a = [[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
        assert_eq!(a.flat(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let mut b = [[[0u8; 2]; 2]; 2];
        b.flat_mut()[5] = 9;
        assert_eq!(b[1][0][1], 9);
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn strides_row_major() {
        assert_eq!(&strides(&[2, 3, 4])[..3], &[12, 4, 1]);
    }
}
