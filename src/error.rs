//! Error values.

use core::fmt;

/// A flat buffer whose length does not match the element count of the shape it was
/// meant to fill.
///
/// ```
/// use shaped::Tensor2;
/// let err = Tensor2::<f32, 2, 3>::from_flat(&[1.0; 5]).unwrap_err();
/// assert_eq!(err.to_string(), "expected 6 elements for shape (2, 3), found 5");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LengthError {
    /// The dims of the target shape.
    pub dims: &'static [usize],
    /// Elements the shape holds.
    pub expected: usize,
    /// Elements that were given.
    pub found: usize,
}

impl fmt::Display for LengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected {} elements for shape {}, found {}",
            self.expected,
            crate::shape::ShapeDisplay(self.dims),
            self.found
        )
    }
}

impl core::error::Error for LengthError {}
