//! Class labels.

/// A class label out of `C` classes: what sparse categorical cross-entropy takes.
///
/// ```
/// use shaped::train::Class;
/// assert_eq!(Class::<10>::new(3).map(Class::index), Some(3));
/// assert!(Class::<10>::new(10).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Class<const C: usize>(u32);

impl<const C: usize> Class<C> {
    /// The label `index`, if it is below `C`.
    pub fn new(index: usize) -> Option<Self> {
        if index < C { u32::try_from(index).ok().map(Class) } else { None }
    }
    /// The class index, below `C`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
