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
#[derive(Clone, PartialEq, Eq)]
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

/// `Debug` as `Display` for a public error type: `fn main() -> Result<(), Box<dyn Error>>`
/// and `unwrap` print an error's `Debug`, and a user should read the message that names
/// the file, the shapes and the fix, not the derived field dump.
macro_rules! debug_is_display {
    ($($t:ident $(<$($g:ident $(: $b:path)?),*>)?),* $(,)?) => {$(
        impl$(<$($g $(: $b)?),*>)? core::fmt::Debug for $t$(<$($g),*>)? {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Display::fmt(self, f)
            }
        }
    )*};
}
#[allow(unused_imports)] // used outside this module only with `alloc`
pub(crate) use debug_is_display;

debug_is_display!(LengthError);
