//! Values whose all-zero bytes are valid, and allocating them zeroed on the heap.
//!
//! Large weights never travel through the stack: `Box::new([[0.0; 512]; 784])` builds
//! 1.6 MB on the stack first. [`zeroed_box`] allocates the zeroed value in place.

/// Types whose all-zero bit pattern is a valid value.
///
/// Large arrays of such types are allocated zeroed, directly on the heap, so that a
/// 784x512 weight matrix never travels through the stack.
///
/// # Safety
/// An implementor must be valid when every byte of it is zero, and must hold no
/// pointer or resource that a zeroed value would fake.
pub unsafe trait Zeroable: Sized {
    /// The all-zero value, as a constant: what a `static` of this type starts as
    /// (`static SCRATCH: Mutex<Scratch<Net>> = Mutex::new(Zeroable::ZERO)`).
    const ZERO: Self = {
        // SAFETY: implementors guarantee that all-zero bytes are a valid value.
        unsafe { core::mem::zeroed() }
    };
}

macro_rules! zeroable_numbers {
    ($($t:ty),*) => {$(
        // SAFETY: the zero bit pattern of a primitive number is 0 (integers) or +0.0
        // (floats), a valid value with no pointer in it.
        unsafe impl Zeroable for $t {}
    )*};
}
zeroable_numbers!(f32, f64, u8, u16, u32, u64, usize, i8, i16, i32, i64);

// SAFETY: an array of zeroable values is zeroable element by element.
unsafe impl<T: Zeroable, const N: usize> Zeroable for [T; N] {}
// SAFETY: the unit type has no bytes.
unsafe impl Zeroable for () {}
// SAFETY: a pair of zeroable values is zeroable field by field (padding is not read).
unsafe impl<A: Zeroable, B: Zeroable> Zeroable for (A, B) {}

/// Allocates a zeroed `T` directly on the heap, whatever its size.
#[cfg(feature = "alloc")]
pub fn zeroed_box<T: Zeroable>() -> alloc::boxed::Box<T> {
    // SAFETY: `T: Zeroable` guarantees that all-zero bytes are a valid `T`;
    // `new_zeroed` allocates with `T`'s layout (or not at all for a zero-sized `T`).
    unsafe { alloc::boxed::Box::<T>::new_zeroed().assume_init() }
}

/// `n` zeroed `T`s in a vector, allocated zeroed in place.
#[cfg(feature = "alloc")]
pub(crate) fn zeroed_vec<T: Zeroable>(n: usize) -> alloc::vec::Vec<T> {
    // SAFETY: as in `zeroed_box`: all-zero bytes are a valid `T`, and `new_zeroed_slice`
    // allocates `n` of them with `T`'s layout.
    unsafe { alloc::boxed::Box::<[T]>::new_zeroed_slice(n).assume_init() }.into_vec()
}

/// A zeroed `T`, on the stack: for small values only (buffers of a few KiB).
pub(crate) fn zeroed<T: Zeroable>() -> T {
    // SAFETY: `T: Zeroable` guarantees that all-zero bytes are a valid `T`.
    unsafe { core::mem::zeroed() }
}

/// A value on its own cache lines (64-byte aligned): the rows between a network's
/// layers, so that their vector stores and the loads that read them back do not
/// straddle lines wherever the stack happens to be.
#[repr(C, align(64))]
pub(crate) struct Lines<V>(pub V);
