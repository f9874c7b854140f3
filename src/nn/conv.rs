//! The 2-D convolution layer, on images `(H, W, C)` with channels last (Keras's layout).

use core::marker::PhantomData;

use super::activation::Activation;
use super::geometry::{Padding, Valid, Window};
use super::image;
use super::layers::{Accepts, LayerInfo, Layers, Stack, TakesSample};
use crate::constraint::{ConnectsImage, ImageAfterVector, ImageSample, ShapeCheck};
use crate::element::Scalar;
#[cfg(feature = "alloc")]
use crate::linalg;
use crate::zeroed::Zeroable;
use rand::Rng;

/// A 2-D convolution: `F` filters of `KH x KW` over images `(H, W, C)`, moved by
/// strides `(SH, SW)`, giving images `(OH, OW, F)`; activation `A`, padding `P`
/// ([`Valid`] or [`Same`](super::Same)). Keras's
/// `Conv2D(F, (KH, KW), strides=(SH, SW), padding=P, activation=A)`.
///
/// The output dims are parameters too (stable Rust cannot compute them in a type):
/// [`network!`](crate::network) fills them in, and a hand-written type is checked
/// against [`conv_out`](super::conv_out) when it is compiled.
///
/// ```
/// use shaped::nn::{Conv2D, Layers, Relu};
/// // Conv2D(32, 3, activation="relu") on 28 x 28 x 1 images.
/// type First = Conv2D<28, 28, 1, 32, 3, 3, 1, 1, 26, 26, Relu>;
/// assert_eq!(<First as Layers<f32>>::PARAMS, 3 * 3 * 32 + 32);
/// ```
pub struct Conv2D<
    const H: usize,
    const W: usize,
    const C: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    A: Activation = super::Linear,
    P: Padding = Valid,
>(PhantomData<(A, P)>);

/// The weights of a [`Conv2D`] layer, in Keras's layout: `kernel[ky][kx][c][f]` (shape
/// `(KH, KW, C, F)`, as `layer.get_weights()[0]`) and `bias[f]`.
///
/// Seen flat, the kernel is a `(KH * KW * C) x F` matrix: the layer multiplies each
/// window of its input, flattened the same way, by it.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
pub struct Conv2DParams<T, const KH: usize, const KW: usize, const C: usize, const F: usize> {
    /// `(KH, KW, C, F)` weights.
    pub kernel: [[[[T; F]; C]; KW]; KH],
    /// `F` biases.
    pub bias: [T; F],
}

// SAFETY: two arrays of zeroable values, no pointers.
unsafe impl<T: Zeroable, const KH: usize, const KW: usize, const C: usize, const F: usize> Zeroable
    for Conv2DParams<T, KH, KW, C, F>
{
}

impl<T, const KH: usize, const KW: usize, const C: usize, const F: usize> Conv2DParams<T, KH, KW, C, F> {
    /// The kernel as a `(KH * KW * C) x F` matrix, row-major.
    pub fn kernel_matrix(&self) -> &[T] {
        self.kernel.as_flattened().as_flattened().as_flattened()
    }
    /// The kernel as a writable `(KH * KW * C) x F` matrix.
    pub fn kernel_matrix_mut(&mut self) -> &mut [T] {
        self.kernel.as_flattened_mut().as_flattened_mut().as_flattened_mut()
    }
}

macro_rules! conv_impl {
    ($($item:item)*) => {
        impl<
            const H: usize,
            const W: usize,
            const C: usize,
            const F: usize,
            const KH: usize,
            const KW: usize,
            const SH: usize,
            const SW: usize,
            const OH: usize,
            const OW: usize,
            A: Activation,
            P: Padding,
        > Conv2D<H, W, C, F, KH, KW, SH, SW, OH, OW, A, P>
        {
            $($item)*
        }
    };
}

conv_impl! {
    /// The geometry of the layer's windows.
    pub(crate) const WINDOW: Window = Window::new((H, W, C), (KH, KW), (SH, SW), (OH, OW), P::SAME);

    /// The dims checked when the layer is compiled (no bound can say them).
    pub(crate) const GEOMETRY: () = {
        Self::WINDOW.check("Conv2D", P::SAME);
        if F == 0 {
            panic!("`Conv2D` has no filters: it needs at least one");
        }
    };

    const WEIGHTS: &'static [&'static [usize]] = &[&[KH, KW, C, F], &[F]];
    const OUTPUT: &'static [usize] = &[OH, OW, F];
    /// What [`Layers::describe`] reports.
    pub(crate) const INFO: LayerInfo = LayerInfo {
        kind: "Conv2D",
        name: "conv2d",
        activation: A::NAME,
        inputs: H * W * C,
        outputs: OH * OW * F,
        output_shape: Self::OUTPUT,
        weights: Self::WEIGHTS,
        params: KH * KW * C * F + F,
    };
    /// Values in one window of every channel.
    #[cfg(feature = "alloc")]
    pub(crate) const PATCH: usize = KH * KW * C;
    /// Whether the patch matrix is the input itself (a 1x1 kernel of stride 1).
    #[cfg(feature = "alloc")]
    pub(crate) const POINTWISE: bool = KH == 1 && KW == 1 && SH == 1 && SW == 1;
    /// Images whose patch matrix is built and multiplied at a time: about 512 KiB of
    /// `f32` patches, so that the product reads them from the L2 cache just after
    /// `im2col` wrote them. The second layer of the chapter-5 convnet (7,744 x 288 patches
    /// for a batch of 64, 8.9 MB) ran its product at 55 GFLOP/s whole and at 81 on 1,024
    /// rows (one core, AVX-512, a probe).
    #[cfg(feature = "alloc")]
    pub(crate) const CHUNK: usize = {
        let per_image = OH * OW * KH * KW * C;
        let n = (128 * 1024) / if per_image == 0 { 1 } else { per_image };
        if n == 0 { 1 } else { n }
    };
}

impl<
    const H: usize,
    const W: usize,
    const C: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    A: Activation,
    P: Padding,
> core::fmt::Debug for Conv2D<H, W, C, F, KH, KW, SH, SW, OH, OW, A, P>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Conv2D({F}, ({KH}, {KW}), strides=({SH}, {SW}), padding={}, activation={}) on ({H}, {W}, {C}) -> ({OH}, {OW}, {F})",
            P::NAME,
            A::NAME
        )
    }
}

/// One image's output from its patch matrix: `bias + patches . kernel`, then the
/// activation on each pixel's `F` values. `patches` holds `OH * OW` rows of `PATCH`.
#[cfg(feature = "alloc")]
pub(crate) fn conv_from_patches<T: Scalar, A: Activation, const F: usize>(
    patches: &[T],
    patch: usize,
    kernel: &[T],
    bias: &[T; F],
    out: &mut [[T; F]],
    packing: Option<&mut linalg::Packing<T>>,
) {
    let rows = out.len();
    out.fill(*bias);
    linalg::matmul(
        rows,
        patch,
        F,
        linalg::MatRef::row_major(patches, patch),
        linalg::MatRef::row_major(kernel, F),
        true,
        out.as_flattened_mut(),
        F,
        packing,
    );
    for px in out {
        A::forward(px);
    }
}

/// `impl<T, [extra generics] all of Conv2D's> Trait for Conv2D<..> where [bounds] { .. }`.
macro_rules! conv2d_impl {
    ([$($g:tt)*] $tr:path, [$($w:tt)*] { $($item:tt)* }) => {
        impl<
            T: Scalar,
            $($g)*
            const H: usize,
            const W: usize,
            const C: usize,
            const F: usize,
            const KH: usize,
            const KW: usize,
            const SH: usize,
            const SW: usize,
            const OH: usize,
            const OW: usize,
            A: Activation,
            P: Padding,
        > $tr for Conv2D<H, W, C, F, KH, KW, SH, SW, OH, OW, A, P>
        where
            $($w)*
        {
            $($item)*
        }
    };
}

conv2d_impl! {
    [] Stack<T>, [] {
        type Weights = Conv2DParams<T, KH, KW, C, F>;
    }
}

conv2d_impl! {
    [] Layers<T>, [] {
        crate::nn::layers::one_layer_scratch!();
        type Params = Conv2DParams<T, KH, KW, C, F>;
        type Input = [[[T; C]; W]; H];
        type Output = [[[T; F]; OW]; OH];
        type Last = A;
        const PARAMS: usize = KH * KW * C * F + F;
        const DEPTH: usize = 1;
        const CHECK: () = Self::GEOMETRY;

        fn init<R: Rng + ?Sized>(params: &mut Self::Params, rng: &mut R) {
            let () = Self::GEOMETRY;
            // glorot_uniform with Keras's fans: receptive field times channels.
            let (fan_in, fan_out) = (KH * KW * C, KH * KW * F);
            let limit = T::from_f64(num_traits::Float::sqrt(6.0 / (fan_in + fan_out) as f64));
            crate::random::fill_uniform(rng, params.kernel_matrix_mut(), -limit, limit);
            params.bias = [T::zero(); F];
        }

        #[inline(always)]
        fn forward_inline<const FMA: bool>(params: &Self::Params, x: &Self::Input, out: &mut Self::Output) {
            let () = Self::GEOMETRY;
            let g = Self::WINDOW;
            for (oy, line) in out.iter_mut().enumerate() {
                for (ox, px) in line.iter_mut().enumerate() {
                    // The sums in a local, stored once, not in `out`: where `out` is a
                    // caller's scratch (`forward_in`), the compiler cannot tell it from
                    // the weights and kept every partial sum in memory (convnet, one
                    // sample, `benches/conv.rs`: in a scratch 526 -> 153 us, on the stack
                    // 129 -> 105 us).
                    let mut acc = params.bias;
                    for (ky, kernel_row) in params.kernel.iter().enumerate() {
                        let Some(y) = g.row(oy, ky) else { continue };
                        for (kx, taps) in kernel_row.iter().enumerate() {
                            let Some(xx) = g.col(ox, kx) else { continue };
                            for (&v, w) in x[y][xx].iter().zip(taps) {
                                for (o, &k) in acc.iter_mut().zip(w) {
                                    *o = if FMA { v.mul_add(k, *o) } else { *o + v * k };
                                }
                            }
                        }
                    }
                    A::forward_with::<T, FMA>(&mut acc);
                    *px = acc;
                }
            }
        }

        #[cfg(feature = "alloc")]
        fn forward_batch_packed(
            params: &Self::Params,
            packs: &mut &[linalg::packed::PackedB<T>],
            x: &[Self::Input],
            out: &mut [Self::Output],
        ) {
            let () = Self::GEOMETRY;
            let rows = x.len().min(out.len());
            let (x, out) = (&x[..rows], &mut out[..rows]);
            let packed = packs.split_first().map(|(first, rest)| {
                *packs = rest;
                first
            });
            let y = out.as_flattened_mut().as_flattened_mut();
            let mut scratch = alloc::vec::Vec::new();
            if !Self::POINTWISE {
                scratch.resize(Self::CHUNK.min(rows) * OH * OW * Self::PATCH, T::zero());
            }
            let per = OH * OW;
            for (x, y) in x.chunks(Self::CHUNK).zip(y.chunks_mut(Self::CHUNK * per)) {
                let pixels = x.len() * per;
                let patches: &[T] = if Self::POINTWISE {
                    image::flat(x)
                } else {
                    for (img, p) in x.iter().zip(scratch.chunks_exact_mut(per * Self::PATCH)) {
                        Self::WINDOW.im2col(img.as_flattened().as_flattened(), p);
                    }
                    &scratch[..pixels * Self::PATCH]
                };
                match packed {
                    Some(b) if (b.k(), b.n()) == (Self::PATCH, F) && pixels > 0 => {
                        y.fill(params.bias);
                        let a = linalg::MatRef::row_major(patches, Self::PATCH);
                        T::with_input_packing(pixels, Self::PATCH, |packing| {
                            linalg::packed::gemm_packed(pixels, a, b, true, y.as_flattened_mut(), F, packing)
                        });
                        for px in y {
                            A::forward(px);
                        }
                    }
                    _ => conv_from_patches::<T, A, F>(patches, Self::PATCH, params.kernel_matrix(), &params.bias, y, None),
                }
            }
        }

        #[cfg(feature = "alloc")]
        fn pack_kernels_into(params: &Self::Params, packs: &mut alloc::vec::Vec<linalg::packed::PackedB<T>>) {
            let b = linalg::MatRef::row_major(params.kernel_matrix(), F);
            packs.push(linalg::packed::PackedB::new(Self::PATCH, F, b));
        }

        fn describe(f: &mut dyn FnMut(LayerInfo)) {
            let () = Self::GEOMETRY;
            f(Self::INFO);
        }

        fn zip_params(a: &mut Self::Params, b: &Self::Params, f: &mut dyn FnMut(&mut [T], &[T])) {
            f(a.kernel_matrix_mut(), b.kernel_matrix());
            f(&mut a.bias, &b.bias);
        }

        fn visit_params_mut(p: &mut Self::Params, f: &mut dyn FnMut(&mut [T])) {
            f(p.kernel_matrix_mut());
            f(&mut p.bias);
        }

        fn visit_params<'a>(p: &'a Self::Params, f: &mut dyn FnMut(&'a [T])) {
            f(p.kernel_matrix());
            f(&p.bias);
        }
    }
}

super::pool::image_input!(conv2d_impl);
