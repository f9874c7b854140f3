//! `Flatten`: images as vectors.

use super::activation::Linear;
use super::image;
use super::layers::{Accepts, LayerInfo, Layers, Stack, TakesSample};
use super::pool::{image_input, no_params};
use crate::constraint::{ConnectsImage, ImageAfterVector, ImageSample, Message, ShapeCheck};
use crate::element::Scalar;
use rand::Rng;

/// Keras's `Flatten()` on images `(H, W, C)`: their `N = H * W * C` values in row-major
/// order (height, then width, then channels), as a vector.
///
/// `N` is a parameter because stable Rust cannot compute it in a type;
/// [`network!`](crate::network) writes it, and a hand-written type is checked when it is
/// compiled.
pub struct Flatten<const H: usize, const W: usize, const C: usize, const N: usize>;

impl<const H: usize, const W: usize, const C: usize, const N: usize> Flatten<H, W, C, N> {
    /// `N == H * W * C`, checked when the layer is compiled.
    pub(crate) const COUNT: () = if N != H * W * C || N == 0 {
        let m = Message::new().str("`Flatten<").num(H).str(", ").num(W).str(", ").num(C).str(", ");
        let m = m.num(N).str(">`: images (").num(H).str(", ").num(W).str(", ").num(C).str(") hold ");
        panic!("{}", m.num(H * W * C).str(" values, not ").num(N).as_str());
    };
    const OUTPUT: &'static [usize] = &[N];
    /// What [`Layers::describe`] reports.
    pub(crate) const INFO: LayerInfo = LayerInfo {
        kind: "Flatten",
        name: "flatten",
        activation: "linear",
        inputs: N,
        outputs: N,
        output_shape: Self::OUTPUT,
        weights: &[],
        params: 0,
    };
}

impl<const H: usize, const W: usize, const C: usize, const N: usize> core::fmt::Debug
    for Flatten<H, W, C, N>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Flatten on ({H}, {W}, {C}) -> ({N},)")
    }
}

/// `impl<T, [extra], Flatten's generics> Trait for Flatten<..> where [bounds] {..}`.
macro_rules! flatten_impl {
    ([$($g:tt)*] $tr:path, [$($w:tt)*] { $($item:tt)* }) => {
        impl<T: Scalar, $($g)* const H: usize, const W: usize, const C: usize, const N: usize> $tr
            for Flatten<H, W, C, N>
        where
            $($w)*
        {
            $($item)*
        }
    };
}

flatten_impl! {
    [] Stack<T>, [] {
        type Weights = ();
    }
}

flatten_impl! {
    [] Layers<T>, [] {
        crate::nn::layers::one_layer_scratch!();
        type Params = ();
        type Input = [[[T; C]; W]; H];
        type Output = [T; N];
        type Last = Linear;
        const PARAMS: usize = 0;
        const DEPTH: usize = 1;
        const CHECK: () = Self::COUNT;

        fn init<R: Rng + ?Sized>(_: &mut (), _: &mut R) {
            let () = Self::COUNT;
        }

        #[inline(always)]
        fn forward_inline<const FMA: bool>(_: &(), x: &Self::Input, out: &mut [T; N]) {
            let () = Self::COUNT;
            out.copy_from_slice(x.as_flattened().as_flattened());
        }

        #[cfg(feature = "alloc")]
        fn forward_batch_packed(
            _: &(),
            _: &mut &[crate::linalg::packed::PackedB<T>],
            x: &[Self::Input],
            out: &mut [[T; N]],
        ) {
            let () = Self::COUNT;
            let rows = x.len().min(out.len());
            out[..rows].as_flattened_mut().copy_from_slice(image::flat(&x[..rows]));
        }

        no_params!();

        fn describe(f: &mut dyn FnMut(LayerInfo)) {
            let () = Self::COUNT;
            f(Self::INFO);
        }

    }
}

image_input!(flatten_impl);
