//! Reductions: over one axis (the reduced shape is the output type), or over everything.

use super::Tensor;
use crate::element::{Element, Scalar};
use num_traits::{Float as _, Zero as _};

use crate::shape::Shape;

/// Reducing axis `AXIS` of `Self` gives `Output` (and `Indices` for `argmax`).
///
/// ```
/// # use shaped::Tensor2;
/// let x = Tensor2::<f32, 2, 3>::from_array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]);
/// assert_eq!(x.sum_axis::<0>().as_array(), &[5.0, 7.0, 9.0]);
/// assert_eq!(x.max_axis::<1>().as_array(), &[5.0, 6.0]);
/// assert_eq!(x.argmax_axis::<1>().as_array(), &[1, 2]);
/// ```
#[diagnostic::on_unimplemented(
    message = "axis {AXIS} is out of range for a tensor of shape `{Self}`",
    label = "this tensor has no axis {AXIS}",
    note = "axes count from 0: a tensor of rank N has axes 0 to N - 1"
)]
pub trait ReduceAxis<const AXIS: usize>: Shape {
    /// The shape without axis `AXIS`.
    type Output: Shape<Elem = Self::Elem>;
    /// The shape without axis `AXIS`, holding indices.
    type Indices: Shape<Elem = usize>;
}

macro_rules! reduce_impl {
    ($axis:literal: $in:ty => $out:ty, $idx:ty; $($d:ident),*) => {
        impl<T: Element, $(const $d: usize),*> ReduceAxis<$axis> for $in {
            type Output = $out;
            type Indices = $idx;
        }
    };
}
reduce_impl!(0: [T; A] => T, usize; A);
reduce_impl!(0: [[T; B]; A] => [T; B], [usize; B]; A, B);
reduce_impl!(1: [[T; B]; A] => [T; A], [usize; A]; A, B);
reduce_impl!(0: [[[T; C]; B]; A] => [[T; C]; B], [[usize; C]; B]; A, B, C);
reduce_impl!(1: [[[T; C]; B]; A] => [[T; C]; A], [[usize; C]; A]; A, B, C);
reduce_impl!(2: [[[T; C]; B]; A] => [[T; B]; A], [[usize; B]; A]; A, B, C);
reduce_impl!(0: [[[[T; D]; C]; B]; A] => [[[T; D]; C]; B], [[[usize; D]; C]; B]; A, B, C, D);
reduce_impl!(1: [[[[T; D]; C]; B]; A] => [[[T; D]; C]; A], [[[usize; D]; C]; A]; A, B, C, D);
reduce_impl!(2: [[[[T; D]; C]; B]; A] => [[[T; D]; B]; A], [[[usize; D]; B]; A]; A, B, C, D);
reduce_impl!(3: [[[[T; D]; C]; B]; A] => [[[T; C]; B]; A], [[[usize; C]; B]; A]; A, B, C, D);
reduce_impl!(0: [[[[[T; E]; D]; C]; B]; A] => [[[[T; E]; D]; C]; B], [[[[usize; E]; D]; C]; B]; A, B, C, D, E);
reduce_impl!(1: [[[[[T; E]; D]; C]; B]; A] => [[[[T; E]; D]; C]; A], [[[[usize; E]; D]; C]; A]; A, B, C, D, E);
reduce_impl!(2: [[[[[T; E]; D]; C]; B]; A] => [[[[T; E]; D]; B]; A], [[[[usize; E]; D]; B]; A]; A, B, C, D, E);
reduce_impl!(3: [[[[[T; E]; D]; C]; B]; A] => [[[[T; E]; C]; B]; A], [[[[usize; E]; C]; B]; A]; A, B, C, D, E);
reduce_impl!(4: [[[[[T; E]; D]; C]; B]; A] => [[[[T; D]; C]; B]; A], [[[[usize; D]; C]; B]; A]; A, B, C, D, E);

/// `(outer, len, inner)`: the axis splits the row-major data into `outer` blocks of `len`
/// slices of `inner` elements.
fn split(dims: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = dims[..axis].iter().product();
    let inner = dims[axis + 1..].iter().product();
    (outer, dims[axis], inner)
}

/// Folds axis `axis` of `src` (of dims `dims`) into `dst` with `f`, starting from `init`.
fn fold_axis<T: Copy>(src: &[T], dims: &[usize], axis: usize, dst: &mut [T], init: T, f: impl Fn(T, T) -> T) {
    let (outer, len, inner) = split(dims, axis);
    dst.fill(init);
    for o in 0..outer {
        let out = &mut dst[o * inner..(o + 1) * inner];
        for j in 0..len {
            let start = (o * len + j) * inner;
            for (d, &s) in out.iter_mut().zip(&src[start..start + inner]) {
                *d = f(*d, s);
            }
        }
    }
}

impl<S: Shape> Tensor<S>
where
    S::Elem: Scalar,
{
    /// Sum over axis `AXIS`.
    pub fn sum_axis<const AXIS: usize>(&self) -> Tensor<<S as ReduceAxis<AXIS>>::Output>
    where
        S: ReduceAxis<AXIS>,
    {
        let mut out = Tensor::zeros();
        fold_axis(self.as_slice(), S::DIMS, AXIS, out.as_mut_slice(), S::Elem::zero(), |a, b| a + b);
        out
    }

    /// Mean over axis `AXIS` (NaN where the axis has length 0, as in numpy).
    pub fn mean_axis<const AXIS: usize>(&self) -> Tensor<<S as ReduceAxis<AXIS>>::Output>
    where
        S: ReduceAxis<AXIS>,
    {
        let n = S::Elem::from_f64(S::DIMS[AXIS] as f64);
        let mut out = self.sum_axis::<AXIS>();
        out.map_inplace(|x| x / n);
        out
    }

    /// Maximum over axis `AXIS` (`-inf` where the axis has length 0; NaNs are skipped).
    pub fn max_axis<const AXIS: usize>(&self) -> Tensor<<S as ReduceAxis<AXIS>>::Output>
    where
        S: ReduceAxis<AXIS>,
    {
        let mut out = Tensor::zeros();
        fold_axis(self.as_slice(), S::DIMS, AXIS, out.as_mut_slice(), S::Elem::neg_infinity(), S::Elem::max);
        out
    }

    /// Minimum over axis `AXIS` (`+inf` where the axis has length 0; NaNs are skipped).
    pub fn min_axis<const AXIS: usize>(&self) -> Tensor<<S as ReduceAxis<AXIS>>::Output>
    where
        S: ReduceAxis<AXIS>,
    {
        let mut out = Tensor::zeros();
        fold_axis(self.as_slice(), S::DIMS, AXIS, out.as_mut_slice(), S::Elem::infinity(), S::Elem::min);
        out
    }

    /// Index of the maximum along axis `AXIS`; the first one on ties, NaNs skipped
    /// (0 where the axis has length 0 or holds only NaN).
    pub fn argmax_axis<const AXIS: usize>(&self) -> Tensor<<S as ReduceAxis<AXIS>>::Indices>
    where
        S: ReduceAxis<AXIS>,
    {
        let (outer, len, inner) = split(S::DIMS, AXIS);
        let src = self.as_slice();
        let best = self.max_axis::<AXIS>();
        let mut idx = Tensor::<<S as ReduceAxis<AXIS>>::Indices>::zeros();
        let (best, out) = (best.as_slice(), idx.as_mut_slice());
        for o in 0..outer {
            for i in 0..inner {
                let b = best[o * inner + i];
                if let Some(j) = (0..len).find(|&j| src[(o * len + j) * inner + i] == b) {
                    out[o * inner + i] = j;
                }
            }
        }
        idx
    }

    /// Sum of all elements.
    pub fn sum(&self) -> S::Elem {
        self.iter().fold(S::Elem::zero(), |a, &b| a + b)
    }

    /// Mean of all elements.
    pub fn mean(&self) -> S::Elem {
        self.sum() / S::Elem::from_f64(S::NUMEL as f64)
    }

    /// Largest element (`-inf` for an empty tensor; NaNs are skipped).
    pub fn max(&self) -> S::Elem {
        self.iter().fold(S::Elem::neg_infinity(), |a, &b| a.max(b))
    }

    /// Smallest element (`+inf` for an empty tensor; NaNs are skipped).
    pub fn min(&self) -> S::Elem {
        self.iter().fold(S::Elem::infinity(), |a, &b| a.min(b))
    }

    /// Flat (row-major) index of the first largest element, as numpy's `argmax` without
    /// an axis; `None` for an empty tensor or one of NaNs only.
    pub fn argmax(&self) -> Option<usize> {
        let m = self.max();
        self.iter().position(|&x| x == m)
    }
}
