//! Views between image types whose shapes a check has found equal, and between flat
//! values and images: the same memory, no copy and no `unsafe`.

/// The images `(H, W, C)` whose values `flat` holds, in row-major order (whole images
/// only).
#[inline(always)]
pub(crate) fn images_of<T, const H: usize, const W: usize, const C: usize>(
    flat: &[T],
) -> &[[[[T; C]; W]; H]] {
    flat.as_chunks::<C>().0.as_chunks::<W>().0.as_chunks::<H>().0
}

/// [`images_of`], writable.
#[inline(always)]
pub(crate) fn images_of_mut<T, const H: usize, const W: usize, const C: usize>(
    flat: &mut [T],
) -> &mut [[[[T; C]; W]; H]] {
    flat.as_chunks_mut::<C>().0.as_chunks_mut::<W>().0.as_chunks_mut::<H>().0
}

/// The image `(H, W, C)` whose values `flat` holds.
///
/// # Panics
/// If `flat` holds fewer than `H * W * C` values; the callers' shape checks rule it out.
#[inline(always)]
pub(crate) fn image_of<T, const H: usize, const W: usize, const C: usize>(flat: &[T]) -> &[[[T; C]; W]; H] {
    &images_of::<T, H, W, C>(flat)[0]
}

/// An image of shape `(H2, W2, C2)` as one of `(H, W, C)`: the same shape wherever a
/// connection check holds.
#[inline(always)]
pub(crate) fn same_image<
    T,
    const H: usize,
    const W: usize,
    const C: usize,
    const H2: usize,
    const W2: usize,
    const C2: usize,
>(
    x: &[[[T; C2]; W2]; H2],
) -> &[[[T; C]; W]; H] {
    image_of(x.as_flattened().as_flattened())
}

/// A batch of images of shape `(H2, W2, C2)` as images of `(H, W, C)`.
#[inline(always)]
pub(crate) fn same_images<
    T,
    const H: usize,
    const W: usize,
    const C: usize,
    const H2: usize,
    const W2: usize,
    const C2: usize,
>(
    x: &[[[[T; C2]; W2]; H2]],
) -> &[[[[T; C]; W]; H]] {
    images_of(x.as_flattened().as_flattened().as_flattened())
}

/// [`same_images`], writable.
#[inline(always)]
pub(crate) fn same_images_mut<
    T,
    const H: usize,
    const W: usize,
    const C: usize,
    const H2: usize,
    const W2: usize,
    const C2: usize,
>(
    x: &mut [[[[T; C2]; W2]; H2]],
) -> &mut [[[[T; C]; W]; H]] {
    images_of_mut(x.as_flattened_mut().as_flattened_mut().as_flattened_mut())
}

/// The values of a batch of images, flat.
#[inline(always)]
#[cfg(feature = "alloc")]
pub(crate) fn flat<T, const H: usize, const W: usize, const C: usize>(x: &[[[[T; C]; W]; H]]) -> &[T] {
    x.as_flattened().as_flattened().as_flattened()
}
