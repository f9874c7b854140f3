//! The conversions of chapter 2: `to_categorical`, `to_classes`, pixels to `[0, 1]`.

use crate::Shape;
use alloc::vec::Vec;

use super::IdxError;
use crate::class::Class;
use crate::element::Scalar;

/// An integer class label: any primitive integer type (`u8` as in IDX files, `i64` as
/// numpy's default).
pub trait Label: Copy + sealed::Sealed {
    /// The label as an index, if it is one (not negative, fits a `usize`).
    fn index(self) -> Option<usize>;
    /// The label's value, for messages.
    fn value(self) -> i128;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! label {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Label for $t {
            fn index(self) -> Option<usize> {
                usize::try_from(self).ok()
            }
            fn value(self) -> i128 {
                self as i128
            }
        }
    )*};
}
label!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// Keras's `to_categorical`: each label as a one-hot row of `C` classes; a label that
/// is negative or not below `C` is an error naming it.
///
/// ```
/// let y = shaped::data::to_categorical::<f32, 3>(&[2u8, 0]).unwrap();
/// assert_eq!(y, vec![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
/// assert!(shaped::data::to_categorical::<f32, 3>(&[3u8]).is_err());
/// // numpy's int64 labels, as `np.load` gives them.
/// assert_eq!(shaped::data::to_categorical::<f64, 2>(&[1i64]).unwrap(), vec![[0.0, 1.0]]);
/// assert!(shaped::data::to_categorical::<f64, 2>(&[-1i64]).is_err());
/// ```
pub fn to_categorical<T: Scalar, const C: usize>(labels: &[impl Label]) -> Result<Vec<[T; C]>, IdxError> {
    labels
        .iter()
        .enumerate()
        .map(|(index, &label)| {
            let mut row = [T::zero(); C];
            let out_of_range = IdxError::LabelOutOfRange { index, label: label.value(), classes: C };
            *label.index().and_then(|i| row.get_mut(i)).ok_or(out_of_range)? = T::one();
            Ok(row)
        })
        .collect()
}

/// Labels as [`Class`](crate::class::Class)es of `C`, for sparse categorical
/// cross-entropy; a label that is negative or not below `C` is an error naming it.
///
/// ```
/// let y = shaped::data::to_classes::<3>(&[2i32, 0]).unwrap();
/// assert_eq!(y[0].index(), 2);
/// ```
pub fn to_classes<const C: usize>(labels: &[impl Label]) -> Result<Vec<Class<C>>, IdxError> {
    labels
        .iter()
        .enumerate()
        .map(|(index, &label)| {
            label.index().and_then(Class::new).ok_or(IdxError::LabelOutOfRange {
                index,
                label: label.value(),
                classes: C,
            })
        })
        .collect()
}

/// A flat slice as samples of `N` values, without copying: numpy's
/// `x.reshape(-1, N)`. A length that `N` does not divide is an error.
///
/// ```
/// let flat = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let rows: &[[f32; 3]] = shaped::data::as_samples(&flat).unwrap();
/// assert_eq!(rows, &[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// assert!(shaped::data::as_samples::<f32, 4>(&flat).is_err());
/// ```
pub fn as_samples<T, const N: usize>(flat: &[T]) -> Result<&[[T; N]], SampleLengthError> {
    if N == 0 || !flat.len().is_multiple_of(N) {
        return Err(SampleLengthError { len: flat.len(), width: N });
    }
    Ok(flat.as_chunks::<N>().0)
}

/// [`as_samples`] was given a length its width does not divide.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SampleLengthError {
    /// The flat slice's length.
    pub len: usize,
    /// The width of a sample.
    pub width: usize,
}

impl core::fmt::Display for SampleLengthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.width == 0 {
            return write!(f, "samples of width 0 hold no values");
        }
        write!(
            f,
            "{} values do not split into samples of {}: {} are left over",
            self.len,
            self.width,
            self.len % self.width
        )
    }
}

impl std::error::Error for SampleLengthError {}

/// scikit-learn's `train_test_split`: the samples and labels shuffled from `seed` and
/// split into training and test sets, the test set holding `test_fraction` of them
/// (rounded). Returns `(x_train, y_train, x_test, y_test)`; a fraction outside `[0, 1]`
/// or lengths that differ are errors.
///
/// ```
/// let x: Vec<[f32; 2]> = (0..10).map(|i| [i as f32, 0.0]).collect();
/// let y: Vec<u8> = (0..10).collect();
/// let (xtr, ytr, xte, yte) = shaped::data::train_test_split(&x, &y, 0.2, 42).unwrap();
/// assert_eq!((xtr.len(), xte.len()), (8, 2));
/// assert_eq!(xte[0][0] as u8, yte[0]); // pairs stay together
/// # let _ = ytr;
/// ```
#[allow(clippy::type_complexity)] // the four sets, as scikit-learn returns them
pub fn train_test_split<X: Clone, Y: Clone>(
    x: &[X],
    y: &[Y],
    test_fraction: f64,
    seed: u64,
) -> Result<(Vec<X>, Vec<Y>, Vec<X>, Vec<Y>), SplitError> {
    use rand::{RngExt, SeedableRng};
    if x.len() != y.len() {
        return Err(SplitError::LengthMismatch { samples: x.len(), labels: y.len() });
    }
    if !(0.0..=1.0).contains(&test_fraction) {
        return Err(SplitError::Fraction(test_fraction));
    }
    let mut order: Vec<usize> = (0..x.len()).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for i in (1..order.len()).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    let test = (x.len() as f64 * test_fraction).round() as usize;
    let (test_idx, train_idx) = order.split_at(test);
    let pick =
        |idx: &[usize]| -> (Vec<X>, Vec<Y>) { idx.iter().map(|&i| (x[i].clone(), y[i].clone())).unzip() };
    let (x_train, y_train) = pick(train_idx);
    let (x_test, y_test) = pick(test_idx);
    Ok((x_train, y_train, x_test, y_test))
}

/// [`train_test_split`] refused its arguments.
#[derive(Clone, Copy, PartialEq)]
pub enum SplitError {
    /// Not one label per sample.
    LengthMismatch {
        /// Samples given.
        samples: usize,
        /// Labels given.
        labels: usize,
    },
    /// A test fraction outside `[0, 1]`.
    Fraction(f64),
}

impl core::fmt::Display for SplitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SplitError::LengthMismatch { samples, labels } => {
                write!(f, "{samples} samples but {labels} labels: each sample needs one label")
            }
            SplitError::Fraction(s) => write!(f, "test fraction {s} is not in [0, 1]"),
        }
    }
}

impl std::error::Error for SplitError {}

/// Pixels `0..=255` to `[0, 1]`: the book's `images.astype("float32") / 255`.
pub fn normalize_pixels<T: Scalar, const N: usize>(images: &[[u8; N]]) -> Vec<[T; N]> {
    // A division, not a multiplication by 1/255: the same values as numpy.
    let max = T::from_f64(255.0);
    images.iter().map(|img| core::array::from_fn(|i| T::from_f64(img[i] as f64) / max)).collect()
}

/// Pixels `0..=255` to `[0, 1]` as samples of shape `S`, for images of any shape with
/// as many values: `x.reshape((-1, 28, 28, 1)).astype("float32") / 255` is
/// `normalize_images::<_, [[[f32; 1]; 28]; 28]>(&x)`.
///
/// ```
/// let x = vec![[0u8, 51, 255, 102]];
/// let img = shaped::data::normalize_images::<_, [[[f32; 1]; 2]; 2]>(&x);
/// assert_eq!(img[0], [[[0.0], [0.2]], [[1.0], [0.4]]]);
/// ```
///
/// A shape of another element count does not compile (when the call is built):
/// ```compile_fail
/// # // (`cargo test` builds doc tests, so the check fires here.)
/// let x = vec![[0u8; 4]];
/// let _ = shaped::data::normalize_images::<_, [[[f32; 1]; 3]; 2]>(&x);
/// ```
pub fn normalize_images<X: Shape<Elem = u8>, S: Shape>(images: &[X]) -> Vec<S>
where
    S::Elem: Scalar,
{
    const {
        if X::NUMEL != S::NUMEL {
            let m = crate::constraint::Message::new().str("normalize_images: the images hold ").num(X::NUMEL);
            panic!("{}", m.str(" values each, the sample shape ").num(S::NUMEL).as_str());
        }
    }
    let max = <S::Elem as Scalar>::from_f64(255.0);
    let mut out = crate::zeroed::zeroed_vec::<S>(images.len());
    for (img, o) in images.iter().zip(&mut out) {
        for (v, &p) in o.flat_mut().iter_mut().zip(img.flat()) {
            *v = <S::Elem as Scalar>::from_f64(p as f64) / max;
        }
    }
    out
}

crate::error::debug_is_display!(SampleLengthError, SplitError);
