//! The conversions of chapter 2: `to_categorical`, `to_classes`, pixels to `[0, 1]`.

use alloc::vec::Vec;

use super::IdxError;
use crate::class::Class;
use crate::element::Scalar;

/// Keras's `to_categorical`: each label as a one-hot row of `C` classes.
///
/// ```
/// let y = shaped::data::to_categorical::<f32, 3>(&[2, 0]).unwrap();
/// assert_eq!(y, vec![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
/// assert!(shaped::data::to_categorical::<f32, 3>(&[3]).is_err());
/// ```
pub fn to_categorical<T: Scalar, const C: usize>(labels: &[u8]) -> Result<Vec<[T; C]>, IdxError> {
    labels
        .iter()
        .enumerate()
        .map(|(index, &label)| {
            let mut row = [T::zero(); C];
            *row.get_mut(label as usize).ok_or(IdxError::LabelOutOfRange { index, label, classes: C })? =
                T::one();
            Ok(row)
        })
        .collect()
}

/// Labels as [`Class`](crate::class::Class)es of `C`, for sparse categorical cross-entropy.
pub fn to_classes<const C: usize>(labels: &[u8]) -> Result<Vec<Class<C>>, IdxError> {
    labels
        .iter()
        .enumerate()
        .map(|(index, &label)| {
            Class::new(label as usize).ok_or(IdxError::LabelOutOfRange { index, label, classes: C })
        })
        .collect()
}

/// Pixels `0..=255` to `[0, 1]`: the book's `images.astype("float32") / 255`.
pub fn normalize_pixels<T: Scalar, const N: usize>(images: &[[u8; N]]) -> Vec<[T; N]> {
    // A division, not a multiplication by 1/255: the same values as numpy.
    let max = T::from_f64(255.0);
    images.iter().map(|img| core::array::from_fn(|i| T::from_f64(img[i] as f64) / max)).collect()
}
