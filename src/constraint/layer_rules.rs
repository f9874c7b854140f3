//! The rules between layers whose samples are not flat vectors: images `(H, W, C)`.

use super::{Dims1, Dims2, Dims3, SampleElement, ShapeCheck};

/// A layer taking images follows a layer whose output images have the same shape.
#[diagnostic::on_unimplemented(
    message = "layer `{L}` takes inputs of shape ({H}, {W}, {C}), but the layer before it outputs ({H2}, {W2}, {C2})",
    label = "`{L}` cannot follow a layer with outputs of shape ({H2}, {W2}, {C2})",
    note = "each layer's input shape (height, width, channels) must equal the output shape of the layer before it; with `network!` the shapes are computed for you"
)]
pub trait ConnectsImage<
    L,
    const H: usize,
    const W: usize,
    const C: usize,
    const H2: usize,
    const W2: usize,
    const C2: usize,
>
{
}
impl<L, const H: usize, const W: usize, const C: usize> ConnectsImage<L, H, W, C, H, W, C> for ShapeCheck {}

/// A layer taking images cannot follow a layer whose outputs are flat vectors.
#[diagnostic::on_unimplemented(
    message = "layer `{L}` takes images of shape ({H}, {W}, {C}), but the layer before it outputs vectors of {N} values",
    label = "`{L}` cannot follow a layer with outputs of shape ({N},)",
    note = "image layers (Conv2D, pooling) come before `Flatten` and `Dense`, not after them"
)]
pub trait ImageAfterVector<L, const H: usize, const W: usize, const C: usize, const N: usize> {}

/// A layer taking flat vectors cannot follow a layer whose outputs are images.
#[diagnostic::on_unimplemented(
    message = "layer `{L}` takes vectors of {IN} values, but the layer before it outputs images of shape ({H}, {W}, {C})",
    label = "`{L}` cannot follow a layer with outputs of shape ({H}, {W}, {C})",
    note = "put a `Flatten` (it gives H * W * C values) or a `GlobalAveragePooling2D` (C values) between an image layer and a `Dense`"
)]
pub trait VectorAfterImage<L, const IN: usize, const H: usize, const W: usize, const C: usize> {}

/// A sample of dims `Self` fits a first layer `L` that takes images `(H, W, C)`
/// (dispatch on the sample's rank).
pub trait ImageSampleDims<L, const H: usize, const W: usize, const C: usize> {}

impl<L, const H: usize, const W: usize, const C: usize, const H2: usize, const W2: usize, const C2: usize>
    ImageSampleDims<L, H, W, C> for Dims3<H2, W2, C2>
where
    ShapeCheck: ImageSampleShape<L, H, W, C, H2, W2, C2>,
{
}
impl<L, const H: usize, const W: usize, const C: usize, const H2: usize, const W2: usize>
    ImageSampleDims<L, H, W, C> for Dims2<H2, W2>
where
    ShapeCheck: ImageSampleChannels<L, H, W, C, H2, W2>,
{
}
impl<L, const H: usize, const W: usize, const C: usize, const N: usize> ImageSampleDims<L, H, W, C>
    for Dims1<N>
where
    ShapeCheck: ImageSampleFlat<L, H, W, C, N>,
{
}

/// An image sample has the shape the first layer takes.
#[diagnostic::on_unimplemented(
    message = "the network's first layer `{L}` takes images of shape ({H}, {W}, {C}), but this sample is ({H2}, {W2}, {C2})",
    label = "expected samples `[[[_; {C}]; {W}]; {H}]`",
    note = "samples are (height, width, channels), channels last as in Keras"
)]
pub trait ImageSampleShape<
    L,
    const H: usize,
    const W: usize,
    const C: usize,
    const H2: usize,
    const W2: usize,
    const C2: usize,
>
{
}
impl<L, const H: usize, const W: usize, const C: usize> ImageSampleShape<L, H, W, C, H, W, C> for ShapeCheck {}

/// An image sample without its channel axis.
#[diagnostic::on_unimplemented(
    message = "the network's first layer `{L}` takes images of shape ({H}, {W}, {C}), but this sample is ({H2}, {W2}) with no channel axis",
    label = "expected samples `[[[_; {C}]; {W}]; {H}]`",
    note = "images are (height, width, channels), channels last: load them as `[[[u8; 1]; 28]; 28]` (Keras: `x.reshape((-1, 28, 28, 1))`)"
)]
pub trait ImageSampleChannels<
    L,
    const H: usize,
    const W: usize,
    const C: usize,
    const H2: usize,
    const W2: usize,
>
{
}

/// A flat sample given to a network of images.
#[diagnostic::on_unimplemented(
    message = "the network's first layer `{L}` takes images of shape ({H}, {W}, {C}), but this sample is a vector of {N} values",
    label = "expected samples `[[[_; {C}]; {W}]; {H}]`",
    note = "load the images with their shape, `[[[u8; {C}]; {W}]; {H}]` (Keras: `x.reshape((-1, {H}, {W}, {C}))`)"
)]
pub trait ImageSampleFlat<L, const H: usize, const W: usize, const C: usize, const N: usize> {}

/// A value of type `Self` is a sample for a network whose first layer `L` takes images
/// `[[[T; C]; W]; H]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sample for the network's first layer `{L}`, which takes images `[[[{T}; {C}]; {W}]; {H}]`",
    label = "expected a sample `[[[{T}; {C}]; {W}]; {H}]`"
)]
pub trait ImageSample<L, T, const H: usize, const W: usize, const C: usize> {
    /// The sample's values as the layer's input.
    fn values(x: &Self) -> &[T];
    /// A batch of samples' values.
    fn batch_values(x: &[Self]) -> &[T]
    where
        Self: Sized;
}

impl<L, T, const H: usize, const W: usize, const C: usize, X: crate::Shape> ImageSample<L, T, H, W, C> for X
where
    ShapeCheck: SampleElement<L, T, X::Elem>,
    X::Dims: ImageSampleDims<L, H, W, C>,
{
    #[inline(always)]
    fn values(x: &X) -> &[T] {
        <ShapeCheck as SampleElement<L, T, X::Elem>>::cast(x.flat())
    }
    #[inline(always)]
    fn batch_values(x: &[X]) -> &[T] {
        <ShapeCheck as SampleElement<L, T, X::Elem>>::cast(X::flatten_slice(x))
    }
}
