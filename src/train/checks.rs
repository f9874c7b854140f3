//! What `fit` and `evaluate` check of their data before they start: as many labels as
//! samples, at least one, and every label one the loss can take.

use super::history::TrainError;
use super::loss::Objective;
use crate::element::Scalar;

/// Every label one the loss can take ([`Objective::check_label`]).
pub(super) fn check_labels<L, T, Out, Y, A>(y: &[Y]) -> Result<(), TrainError>
where
    T: Scalar,
    A: crate::nn::Activation,
    L: Objective<T, Out, Y, A>,
{
    for (index, label) in y.iter().enumerate() {
        L::check_label(label).map_err(|why| TrainError::Label { index, why })?;
    }
    Ok(())
}

/// As many samples as labels, and at least one.
pub(super) fn check_lengths<X, Y>(x: &[X], y: &[Y]) -> Result<(), TrainError> {
    if x.len() != y.len() {
        return Err(TrainError::LengthMismatch { samples: x.len(), labels: y.len() });
    }
    if x.is_empty() {
        return Err(TrainError::NoSamples);
    }
    Ok(())
}
