//! Keras's `Dropout(rate)`: while training, each value is zeroed with probability
//! `rate` and the others are scaled by `1 / (1 - rate)`; at inference, the identity.
//!
//! The mask is a function of the fit's seed, the epoch, the step, the layer's place
//! among the network's dropout layers, the sample's index in the training data and the
//! value's position: the same masks whatever the number of threads the batch is split
//! over, and the same run twice with the same seed.

use core::marker::PhantomData;

use rand::Rng;

use super::layers::one_layer_scratch;
use super::layers::{Accepts, LayerInfo, Layers, Stack, TakesSample};
use super::pool::{image_input, no_params};
use super::{Linear, image};
use crate::constraint::{
    ConnectsImage, Dims1, Dims3, ImageAfterVector, ImageSample, Message, Sample, ShapeCheck, VectorAfterImage,
};
use crate::element::Scalar;

/// Keras's `Dropout(rate)` on samples of dims `D`: `Dims1<N>` after a `Dense` or a
/// `Flatten`, `Dims3<H, W, C>` after a convolution or a pooling. `PER_MILLE` is the rate
/// in thousandths (`Dropout(0.5)` is `Dropout<Dims1<64>, 500>`); `network!` writes
/// both from `Dropout(0.5)`.
///
/// No weights. [`Layers::forward`] and every inference path copy the input; only
/// `fit` and `train_on_batch` drop values ([`Backprop`](crate::train::Backprop)).
///
/// ```
/// use shaped::nn::{Dense, Layers, Relu, Softmax, Summary};
///
/// shaped::network! {
///     type Net = (784,) => [Dense(512, activation = "relu"), Dropout(0.5), Dense(10, activation = "softmax")];
/// }
/// assert_eq!(<Net as Layers<f32>>::PARAMS, 784 * 512 + 512 + 5130);
/// assert!(Summary::<Net>::new().to_string().contains("dropout (Dropout)"));
/// ```
pub struct Dropout<D, const PER_MILLE: u32>(PhantomData<D>);

/// The dims a [`Dropout`] may take, and its samples of each element type.
pub trait DropoutDims: Send + Sync + 'static {
    /// One sample: `[T; N]` for `Dims1<N>`, `[[[T; C]; W]; H]` for `Dims3<H, W, C>`.
    type Sample<T: Scalar>: super::Vector<T>;
    /// The dims, as Keras prints the output shape (`[64]`, `[13, 13, 32]`).
    const DIMS: &'static [usize];
}

impl<const N: usize> DropoutDims for Dims1<N> {
    type Sample<T: Scalar> = [T; N];
    const DIMS: &'static [usize] = &[N];
}

impl<const H: usize, const W: usize, const C: usize> DropoutDims for Dims3<H, W, C> {
    type Sample<T: Scalar> = [[[T; C]; W]; H];
    const DIMS: &'static [usize] = &[H, W, C];
}

/// `Dropout(rate)`'s `PER_MILLE`, for a type written by hand or by `network!`:
/// `dropout_rate(0.25)` is 250. A rate outside `[0, 1)` or not a whole number of
/// thousandths is a compile error where the type is written.
pub const fn dropout_rate(rate: f64) -> u32 {
    if !(rate >= 0.0 && rate < 1.0) {
        panic!("`Dropout(rate)` needs 0 <= rate < 1 (Keras's range)");
    }
    let per_mille = rate * 1000.0;
    let whole = (per_mille + 0.5) as u32;
    let off = per_mille - whole as f64;
    if off > 1e-9 || off < -1e-9 {
        panic!("`Dropout(rate)` takes rates in whole thousandths (0.5, 0.25, 0.125, 0.001)");
    }
    whole
}

impl<D: DropoutDims, const PER_MILLE: u32> Dropout<D, PER_MILLE> {
    /// `PER_MILLE < 1000`, checked where the layer is used (a hand-written type).
    pub(crate) const RATE_OK: () = if PER_MILLE >= 1000 {
        let m = Message::new().str("`Dropout<_, ").num(PER_MILLE as usize).str(">` drops ");
        panic!(
            "{}",
            m.str("every value or more: the rate is in thousandths, 0 to 999 (Dropout(0.5) is 500)").as_str()
        );
    };

    /// What [`Layers::describe`] reports.
    pub(crate) const INFO: LayerInfo = LayerInfo {
        kind: "Dropout",
        name: "dropout",
        activation: "linear",
        inputs: numel(D::DIMS),
        outputs: numel(D::DIMS),
        output_shape: D::DIMS,
        weights: &[],
        params: 0,
    };

    /// The rate, as a fraction.
    pub const RATE: f64 = PER_MILLE as f64 / 1000.0;

    /// A value is kept when its 32 random bits are at least this: `rate * 2^32`.
    #[cfg(feature = "alloc")] // training
    pub(crate) const THRESHOLD: u64 = ((PER_MILLE as u64) << 32) / 1000;
}

const fn numel(dims: &[usize]) -> usize {
    let mut n = 1;
    let mut i = 0;
    while i < dims.len() {
        n *= dims[i];
        i += 1;
    }
    n
}

impl<D, const PER_MILLE: u32> Default for Dropout<D, PER_MILLE> {
    fn default() -> Self {
        Dropout(PhantomData)
    }
}

impl<D, const PER_MILLE: u32> core::fmt::Debug for Dropout<D, PER_MILLE> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Dropout({})", PER_MILLE as f64 / 1000.0)
    }
}

impl<T: Scalar, D: DropoutDims, const PER_MILLE: u32> Stack<T> for Dropout<D, PER_MILLE> {
    type Weights = ();
}

impl<T: Scalar, D: DropoutDims, const PER_MILLE: u32> Layers<T> for Dropout<D, PER_MILLE> {
    type Params = ();
    type Input = D::Sample<T>;
    type Output = D::Sample<T>;
    type Last = Linear;
    const PARAMS: usize = 0;
    const DEPTH: usize = 1;
    const CHECK: () = Self::RATE_OK;
    one_layer_scratch!();

    fn init<R: Rng + ?Sized>(_: &mut (), _: &mut R) {
        let () = Self::RATE_OK;
    }

    #[inline(always)]
    fn forward_inline<const FMA: bool>(_: &(), x: &Self::Input, out: &mut Self::Output) {
        let () = Self::RATE_OK;
        *out = *x;
    }

    #[cfg(feature = "alloc")]
    fn forward_batch_packed(
        _: &(),
        _: &mut &[crate::linalg::packed::PackedB<T>],
        x: &[Self::Input],
        out: &mut [Self::Output],
    ) {
        let () = Self::RATE_OK;
        let rows = x.len().min(out.len());
        out[..rows].copy_from_slice(&x[..rows]);
    }

    fn describe(f: &mut dyn FnMut(LayerInfo)) {
        let () = Self::RATE_OK;
        f(Self::INFO)
    }

    no_params!();
}

// After a vector: the widths must agree, as for a `Dense`.
impl<T: Scalar, const N: usize, const PREV: usize, const PER_MILLE: u32> Accepts<T, [T; PREV]>
    for Dropout<Dims1<N>, PER_MILLE>
where
    ShapeCheck: crate::constraint::Connects<Self, N, PREV>,
{
    #[inline(always)]
    fn view(x: &[T; PREV]) -> &[T; N] {
        super::dense::same_width(x)
    }
    #[inline(always)]
    fn view_batch(x: &[[T; PREV]]) -> &[[T; N]] {
        x.as_flattened().as_chunks::<N>().0
    }
    #[inline(always)]
    fn view_batch_mut(x: &mut [[T; PREV]]) -> &mut [[T; N]] {
        x.as_flattened_mut().as_chunks_mut::<N>().0
    }
}

// A vector dropout after an image layer: refused, as a `Dense` there is.
impl<T: Scalar, const N: usize, const H: usize, const W: usize, const C: usize, const PER_MILLE: u32>
    Accepts<T, [[[T; C]; W]; H]> for Dropout<Dims1<N>, PER_MILLE>
where
    ShapeCheck: VectorAfterImage<Self, N, H, W, C>,
{
    fn view(_: &[[[T; C]; W]; H]) -> &[T; N] {
        unreachable!("VectorAfterImage has no impl")
    }
    fn view_batch(_: &[[[[T; C]; W]; H]]) -> &[[T; N]] {
        unreachable!("VectorAfterImage has no impl")
    }
    fn view_batch_mut(_: &mut [[[[T; C]; W]; H]]) -> &mut [[T; N]] {
        unreachable!("VectorAfterImage has no impl")
    }
}

impl<T: Scalar, X, const N: usize, const PER_MILLE: u32> TakesSample<T, X> for Dropout<Dims1<N>, PER_MILLE>
where
    X: Sample<Self, T, N>,
{
    #[inline(always)]
    fn view(x: &X) -> &[T; N] {
        X::view(x)
    }
    #[inline(always)]
    fn view_batch(x: &[X]) -> &[[T; N]] {
        X::view_batch(x)
    }
}

/// `impl<T, [extra], const H, W, C, PER_MILLE> Trait for Dropout<Dims3<H, W, C>, _>`,
/// for [`image_input!`].
macro_rules! dropout_image_impl {
    ([$($g:tt)*] $tr:path, [$($w:tt)*] { $($item:tt)* }) => {
        impl<T: Scalar, $($g)* const H: usize, const W: usize, const C: usize, const PER_MILLE: u32> $tr
            for Dropout<Dims3<H, W, C>, PER_MILLE>
        where
            $($w)*
        {
            $($item)*
        }
    };
}

image_input!(dropout_image_impl);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_in_thousandths() {
        assert_eq!(dropout_rate(0.5), 500);
        assert_eq!(dropout_rate(0.25), 250);
        assert_eq!(dropout_rate(0.001), 1);
        assert_eq!(dropout_rate(0.0), 0);
        assert_eq!(dropout_rate(0.999), 999);
        assert_eq!(Dropout::<Dims1<4>, 500>::THRESHOLD, 1 << 31);
        assert_eq!(Dropout::<Dims1<4>, 0>::THRESHOLD, 0);
    }
}
