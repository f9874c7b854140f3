//! The settings of the optimizers: their valid ranges, and the error naming one outside.

/// A setting of an optimizer outside its valid range.
///
/// ```
/// use shaped::train::{Optimizer, RmsProp};
/// let bad = RmsProp { rho: 1.5, ..RmsProp::default() };
/// assert_eq!(bad.validate().unwrap_err().to_string(), "rmsprop: rho = 1.5 is outside [0, 1)");
/// ```
#[derive(Clone, Copy, PartialEq)]
pub struct SettingError {
    /// The optimizer's name (`"rmsprop"`).
    pub optimizer: &'static str,
    /// The setting (`"rho"`).
    pub setting: &'static str,
    /// Its value.
    pub value: f64,
    /// What it must be (`"in [0, 1)"`).
    pub expected: &'static str,
}

impl core::fmt::Display for SettingError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {} = {} is {}", self.optimizer, self.setting, self.value, self.expected)
    }
}

impl core::error::Error for SettingError {}

/// Checks one setting: `ok(value)` or an error naming it.
pub(super) fn check(
    optimizer: &'static str,
    setting: &'static str,
    value: f64,
    expected: Range,
) -> Result<(), SettingError> {
    let (ok, text) = match expected {
        Range::NonNegative => (value.is_finite() && value >= 0.0, "not a finite number >= 0"),
        Range::Positive => (value.is_finite() && value > 0.0, "not a finite number > 0"),
        Range::Decay => ((0.0..1.0).contains(&value), "outside [0, 1)"),
    };
    if ok { Ok(()) } else { Err(SettingError { optimizer, setting, value, expected: text }) }
}

/// The valid ranges of settings.
#[derive(Clone, Copy)]
pub(super) enum Range {
    /// Finite and at least 0 (learning rates).
    NonNegative,
    /// Finite and above 0 (epsilons).
    Positive,
    /// In `[0, 1)` (decay rates, momentum); NaN is outside.
    Decay,
}

crate::error::debug_is_display!(SettingError);
