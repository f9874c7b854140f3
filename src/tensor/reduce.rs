//! Reductions: over one axis (the reduced shape is the output type), or over everything.

use super::Tensor;
use crate::element::{Element, Scalar};
use num_traits::{Float as _, Zero as _};

use crate::constraint::{Dims0, Dims1, Dims2, Dims3, Dims4, Dims5, ShapeCheck};
use crate::shape::Shape;

/// Reducing axis `AXIS` of `Self` gives `Output` (and `Indices` for `argmax`).
///
/// Axes count from 0, and from the end when negative (`-1` is the last axis), as in numpy
/// and Keras; an axis out of range is a compile error naming the shape.
///
/// ```
/// # use shaped::Tensor2;
/// let x = Tensor2::<f32, 2, 3>::from_array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]);
/// assert_eq!(x.sum_axis::<0>().as_array(), &[5.0, 7.0, 9.0]);
/// assert_eq!(x.max_axis::<1>().as_array(), &[5.0, 6.0]);
/// assert_eq!(x.argmax_axis::<-1>().as_array(), &[1, 2]);
/// ```
pub trait ReduceAxis<const AXIS: isize>: Shape {
    /// The axis, counted from 0.
    const INDEX: usize;
    /// The shape without axis `AXIS`.
    type Output: Shape<Elem = Self::Elem>;
    /// The shape without axis `AXIS`, holding indices.
    type Indices: Shape<Elem = usize>;
}

impl<S: Shape, const AXIS: isize> ReduceAxis<AXIS> for S
where
    S::Dims: AxisOf<AXIS>,
{
    const INDEX: usize = <S::Dims as AxisOf<AXIS>>::INDEX;
    type Output = <S::Dims as AxisOf<AXIS>>::Kept<S::Elem>;
    type Indices = <S::Dims as AxisOf<AXIS>>::Kept<usize>;
}

include!("axis_rules.rs");

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
    pub fn sum_axis<const AXIS: isize>(&self) -> Tensor<<S as ReduceAxis<AXIS>>::Output>
    where
        S: ReduceAxis<AXIS>,
    {
        let mut out = Tensor::zeros();
        fold_axis(
            self.as_slice(),
            S::DIMS,
            <S as ReduceAxis<AXIS>>::INDEX,
            out.as_mut_slice(),
            S::Elem::zero(),
            |a, b| a + b,
        );
        out
    }

    /// Mean over axis `AXIS` (NaN where the axis has length 0, as in numpy).
    pub fn mean_axis<const AXIS: isize>(&self) -> Tensor<<S as ReduceAxis<AXIS>>::Output>
    where
        S: ReduceAxis<AXIS>,
    {
        let n = S::Elem::from_f64(S::DIMS[<S as ReduceAxis<AXIS>>::INDEX] as f64);
        let mut out = self.sum_axis::<AXIS>();
        out.map_inplace(|x| x / n);
        out
    }

    /// Maximum over axis `AXIS` (`-inf` where the axis has length 0; NaNs are skipped).
    pub fn max_axis<const AXIS: isize>(&self) -> Tensor<<S as ReduceAxis<AXIS>>::Output>
    where
        S: ReduceAxis<AXIS>,
    {
        let mut out = Tensor::zeros();
        fold_axis(
            self.as_slice(),
            S::DIMS,
            <S as ReduceAxis<AXIS>>::INDEX,
            out.as_mut_slice(),
            S::Elem::neg_infinity(),
            S::Elem::max,
        );
        out
    }

    /// Minimum over axis `AXIS` (`+inf` where the axis has length 0; NaNs are skipped).
    pub fn min_axis<const AXIS: isize>(&self) -> Tensor<<S as ReduceAxis<AXIS>>::Output>
    where
        S: ReduceAxis<AXIS>,
    {
        let mut out = Tensor::zeros();
        fold_axis(
            self.as_slice(),
            S::DIMS,
            <S as ReduceAxis<AXIS>>::INDEX,
            out.as_mut_slice(),
            S::Elem::infinity(),
            S::Elem::min,
        );
        out
    }

    /// Index of the maximum along axis `AXIS`; the first one on ties, NaNs skipped
    /// (0 where the axis has length 0 or holds only NaN).
    pub fn argmax_axis<const AXIS: isize>(&self) -> Tensor<<S as ReduceAxis<AXIS>>::Indices>
    where
        S: ReduceAxis<AXIS>,
    {
        let (outer, len, inner) = split(S::DIMS, <S as ReduceAxis<AXIS>>::INDEX);
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
