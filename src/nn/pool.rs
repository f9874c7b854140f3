//! Layers without weights on images: pooling (`MaxPooling2D`, `AveragePooling2D`,
//! `GlobalAveragePooling2D`); `Flatten` is in `flatten.rs`.

use core::marker::PhantomData;

use super::activation::Linear;
use super::geometry::{Padding, Valid, Window};
use super::image;
use super::layers::{Accepts, LayerInfo, Layers, Stack, TakesSample};
use crate::constraint::{ConnectsImage, ImageAfterVector, ImageSample, ShapeCheck};
use crate::element::Scalar;
use rand::Rng;

/// The items of [`Layers`] that a layer without weights (`Params = ()`) writes alike.
macro_rules! no_params {
    () => {
        #[cfg(feature = "alloc")]
        fn pack_kernels_into(_: &(), _: &mut alloc::vec::Vec<crate::linalg::packed::PackedB<T>>) {}
        fn zip_params(_: &mut (), _: &(), _: &mut dyn FnMut(&mut [T], &[T])) {}
        fn visit_params_mut(_: &mut (), _: &mut dyn FnMut(&mut [T])) {}
        fn visit_params<'a>(_: &'a (), _: &mut dyn FnMut(&'a [T])) {}
    };
}
pub(crate) use no_params;

/// How a pooling window combines its values.
pub trait PoolOp: Copy + Default + core::fmt::Debug + Send + Sync + 'static {
    /// Keras's layer type (`"MaxPooling2D"`).
    const KIND: &'static str;
    /// Keras's name for layers of the type (`"max_pooling2d"`).
    const NAME: &'static str;
    /// Whether the window's largest value is taken (else its mean).
    const MAX: bool;
}

/// The largest value of each window: [`MaxPooling2D`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Max;

/// The mean of each window's values inside the image: [`AveragePooling2D`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Average;

impl PoolOp for Max {
    const KIND: &'static str = "MaxPooling2D";
    const NAME: &'static str = "max_pooling2d";
    const MAX: bool = true;
}

impl PoolOp for Average {
    const KIND: &'static str = "AveragePooling2D";
    const NAME: &'static str = "average_pooling2d";
    const MAX: bool = false;
}

/// A pooling layer: windows of `PH x PW` moved by `(SH, SW)` over images `(H, W, C)`,
/// each channel on its own, giving `(OH, OW, C)`. Use it as [`MaxPooling2D`] or
/// [`AveragePooling2D`].
pub struct Pooling2D<
    Op: PoolOp,
    const H: usize,
    const W: usize,
    const C: usize,
    const PH: usize,
    const PW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P: Padding = Valid,
>(PhantomData<(Op, P)>);

/// Keras's `MaxPooling2D(pool_size=(PH, PW), strides=(SH, SW), padding=P)` on images
/// `(H, W, C)`; Keras's default strides are the pool size.
///
/// ```
/// use shaped::nn::{Layers, MaxPooling2D};
/// type Pool = MaxPooling2D<26, 26, 32, 2, 2, 2, 2, 13, 13>;
/// assert_eq!(<Pool as Layers<f32>>::PARAMS, 0);
/// ```
pub type MaxPooling2D<
    const H: usize,
    const W: usize,
    const C: usize,
    const PH: usize,
    const PW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P = Valid,
> = Pooling2D<Max, H, W, C, PH, PW, SH, SW, OH, OW, P>;

/// Keras's `AveragePooling2D(pool_size=(PH, PW), strides=(SH, SW), padding=P)`: with
/// padding "same", a window's mean is over its values inside the image, as in Keras.
pub type AveragePooling2D<
    const H: usize,
    const W: usize,
    const C: usize,
    const PH: usize,
    const PW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P = Valid,
> = Pooling2D<Average, H, W, C, PH, PW, SH, SW, OH, OW, P>;

/// `impl<T, [extra], Pooling2D's generics> Trait for Pooling2D<..> where [bounds] {..}`.
macro_rules! pool_impl {
    ([$($g:tt)*] $tr:path, [$($w:tt)*] { $($item:tt)* }) => {
        impl<
            T: Scalar,
            $($g)*
            Op: PoolOp,
            const H: usize,
            const W: usize,
            const C: usize,
            const PH: usize,
            const PW: usize,
            const SH: usize,
            const SW: usize,
            const OH: usize,
            const OW: usize,
            P: Padding,
        > $tr for Pooling2D<Op, H, W, C, PH, PW, SH, SW, OH, OW, P>
        where
            $($w)*
        {
            $($item)*
        }
    };
}

impl<
    Op: PoolOp,
    const H: usize,
    const W: usize,
    const C: usize,
    const PH: usize,
    const PW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P: Padding,
> Pooling2D<Op, H, W, C, PH, PW, SH, SW, OH, OW, P>
{
    /// The geometry of the windows.
    pub(crate) const WINDOW: Window = Window::new((H, W, C), (PH, PW), (SH, SW), (OH, OW), P::SAME);
    /// The dims checked when the layer is compiled.
    pub(crate) const GEOMETRY: () = Self::WINDOW.check(Op::KIND, P::SAME);
    const OUTPUT: &'static [usize] = &[OH, OW, C];
    /// What [`Layers::describe`] reports.
    pub(crate) const INFO: LayerInfo = LayerInfo {
        kind: Op::KIND,
        name: Op::NAME,
        activation: "linear",
        inputs: H * W * C,
        outputs: OH * OW * C,
        output_shape: Self::OUTPUT,
        weights: &[],
        params: 0,
    };

    /// One image pooled: `out[oy][ox][c]` from the window of `(oy, ox)` in channel `c`;
    /// with `argmax`, the index in `x` (flat) of each output's value (max pooling).
    #[inline]
    pub(crate) fn pool<T: Scalar>(
        x: &[[[T; C]; W]; H],
        out: &mut [[[T; C]; OW]; OH],
        argmax: Option<&mut [u32]>,
    ) {
        // Inference keeps no choices: a variant without them.
        match argmax {
            Some(arg) => Self::pool_keeping::<T, true>(x, out, arg),
            None => Self::pool_keeping::<T, false>(x, out, &mut []),
        }
    }

    /// [`pool`](Self::pool), writing the choices into `argmax` when `KEEP`.
    #[inline]
    fn pool_keeping<T: Scalar, const KEEP: bool>(
        x: &[[[T; C]; W]; H],
        out: &mut [[[T; C]; OW]; OH],
        argmax: &mut [u32],
    ) {
        let g = Self::WINDOW;
        for (oy, line) in out.iter_mut().enumerate() {
            for (ox, px) in line.iter_mut().enumerate() {
                let at = (oy * OW + ox) * C;
                let mut count = 0usize;
                // In a local, stored once (as `Conv2D`'s sums): `out` may be a caller's
                // scratch.
                let mut acc = [if Op::MAX { T::neg_infinity() } else { T::zero() }; C];
                let mut best = [0u32; C];
                // Padding "valid" keeps every window inside: no bounds to test.
                let (y0, x0) = (oy * SH, ox * SW);
                for ky in 0..PH {
                    let y = if P::SAME {
                        match g.row(oy, ky) {
                            Some(y) => y,
                            None => continue,
                        }
                    } else {
                        y0 + ky
                    };
                    for kx in 0..PW {
                        let xx = if P::SAME {
                            match g.col(ox, kx) {
                                Some(xx) => xx,
                                None => continue,
                            }
                        } else {
                            x0 + kx
                        };
                        count += 1;
                        let base = ((y * W + xx) * C) as u32;
                        if Op::MAX {
                            // The first of equal values, and NaN wins (as TensorFlow):
                            // selects, not branches, so that the channels vectorize.
                            for (ch, ((p, b), &v)) in acc.iter_mut().zip(&mut best).zip(&x[y][xx]).enumerate()
                            {
                                let better = v > *p || (v.is_nan() & !p.is_nan());
                                *p = if better { v } else { *p };
                                if KEEP {
                                    *b = if better { base + ch as u32 } else { *b };
                                }
                            }
                        } else {
                            for (p, &v) in acc.iter_mut().zip(&x[y][xx]) {
                                *p = *p + v;
                            }
                        }
                    }
                }
                if !Op::MAX {
                    let n = T::from_f64(count as f64);
                    for p in acc.iter_mut() {
                        *p = *p / n;
                    }
                }
                *px = acc;
                if KEEP {
                    argmax[at..at + C].copy_from_slice(&best);
                }
            }
        }
    }

    /// The gradient of one image from its output's gradient `g` (`dx` overwritten).
    #[cfg(feature = "alloc")]
    pub(crate) fn pool_backward<T: Scalar>(
        g: &[[[T; C]; OW]; OH],
        argmax: &[u32],
        dx: &mut [[[T; C]; W]; H],
    ) {
        let flat = dx.as_flattened_mut().as_flattened_mut();
        flat.fill(T::zero());
        if Op::MAX {
            for (&i, &d) in argmax.iter().zip(g.as_flattened().as_flattened()) {
                flat[i as usize] = flat[i as usize] + d;
            }
            return;
        }
        let w = Self::WINDOW;
        for (oy, line) in g.iter().enumerate() {
            for (ox, px) in line.iter().enumerate() {
                let rows = (0..PH).filter_map(|ky| w.row(oy, ky));
                let cols = || (0..PW).filter_map(|kx| w.col(ox, kx));
                let n = T::from_f64((rows.clone().count() * cols().count()) as f64);
                for y in rows {
                    for xx in cols() {
                        for (d, &v) in dx[y][xx].iter_mut().zip(px) {
                            *d = *d + v / n;
                        }
                    }
                }
            }
        }
    }
}

impl<
    Op: PoolOp,
    const H: usize,
    const W: usize,
    const C: usize,
    const PH: usize,
    const PW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P: Padding,
> core::fmt::Debug for Pooling2D<Op, H, W, C, PH, PW, SH, SW, OH, OW, P>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{}(({PH}, {PW}), strides=({SH}, {SW}), padding={}) on ({H}, {W}, {C}) -> ({OH}, {OW}, {C})",
            Op::KIND,
            P::NAME
        )
    }
}

pool_impl! {
    [] Stack<T>, [] {
        type Weights = ();
    }
}

pool_impl! {
    [] Layers<T>, [] {
        crate::nn::layers::one_layer_scratch!();
        type Params = ();
        type Input = [[[T; C]; W]; H];
        type Output = [[[T; C]; OW]; OH];
        type Last = Linear;
        const PARAMS: usize = 0;
        const DEPTH: usize = 1;
        const CHECK: () = Self::GEOMETRY;

        fn init<R: Rng + ?Sized>(_: &mut (), _: &mut R) {
            let () = Self::GEOMETRY;
        }

        #[inline(always)]
        fn forward_inline<const FMA: bool>(_: &(), x: &Self::Input, out: &mut Self::Output) {
            let () = Self::GEOMETRY;
            Self::pool(x, out, None);
        }

        #[cfg(feature = "alloc")]
        fn forward_batch_packed(
            _: &(),
            _: &mut &[crate::linalg::packed::PackedB<T>],
            x: &[Self::Input],
            out: &mut [Self::Output],
        ) {
            let () = Self::GEOMETRY;
            for (x, out) in x.iter().zip(out) {
                Self::pool(x, out, None);
            }
        }

        no_params!();

        fn describe(f: &mut dyn FnMut(LayerInfo)) {
            let () = Self::GEOMETRY;
            f(Self::INFO);
        }

    }
}

/// Image layers' connection checks and samples, for a layer type whose impls are
/// written by `$with` (as `pool_impl`): images of the same shape follow, vectors do not.
macro_rules! image_input {
    ($with:ident) => {
        $with! {
            [const H2: usize, const W2: usize, const C2: usize,] Accepts<T, [[[T; C2]; W2]; H2]>,
            [ShapeCheck: ConnectsImage<Self, H, W, C, H2, W2, C2>] {
                #[inline(always)]
                fn view(x: &[[[T; C2]; W2]; H2]) -> &Self::Input {
                    image::same_image(x)
                }
                #[inline(always)]
                fn view_batch(x: &[[[[T; C2]; W2]; H2]]) -> &[Self::Input] {
                    image::same_images(x)
                }
                #[inline(always)]
                fn view_batch_mut(x: &mut [[[[T; C2]; W2]; H2]]) -> &mut [Self::Input] {
                    image::same_images_mut(x)
                }
            }
        }

        $with! {
            [const LEN: usize,] Accepts<T, [T; LEN]>, [ShapeCheck: ImageAfterVector<Self, H, W, C, LEN>] {
                fn view(_: &[T; LEN]) -> &Self::Input {
                    unreachable!("ImageAfterVector has no impl")
                }
                fn view_batch(_: &[[T; LEN]]) -> &[Self::Input] {
                    unreachable!("ImageAfterVector has no impl")
                }
                fn view_batch_mut(_: &mut [[T; LEN]]) -> &mut [Self::Input] {
                    unreachable!("ImageAfterVector has no impl")
                }
            }
        }

        $with! {
            [X,] TakesSample<T, X>, [X: ImageSample<Self, T, H, W, C>] {
                #[inline(always)]
                fn view(x: &X) -> &Self::Input {
                    image::image_of(X::values(x))
                }
                #[inline(always)]
                fn view_batch(x: &[X]) -> &[Self::Input] {
                    image::images_of(X::batch_values(x))
                }
            }
        }
    };
}
pub(crate) use image_input;

image_input!(pool_impl);

/// Keras's `GlobalAveragePooling2D()`: the mean of each channel over the whole image,
/// `(H, W, C)` to `(C,)`.
pub struct GlobalAveragePooling2D<const H: usize, const W: usize, const C: usize>;

impl<const H: usize, const W: usize, const C: usize> GlobalAveragePooling2D<H, W, C> {
    pub(crate) const NOT_EMPTY: () = if H == 0 || W == 0 || C == 0 {
        panic!("`GlobalAveragePooling2D` needs images of at least one pixel and one channel");
    };
    const OUTPUT: &'static [usize] = &[C];
    /// What [`Layers::describe`] reports.
    pub(crate) const INFO: LayerInfo = LayerInfo {
        kind: "GlobalAveragePooling2D",
        name: "global_average_pooling2d",
        activation: "linear",
        inputs: H * W * C,
        outputs: C,
        output_shape: Self::OUTPUT,
        weights: &[],
        params: 0,
    };

    pub(crate) fn pool<T: Scalar>(x: &[[[T; C]; W]; H], out: &mut [T; C]) {
        *out = [T::zero(); C];
        for px in x.as_flattened() {
            for (o, &v) in out.iter_mut().zip(px) {
                *o = *o + v;
            }
        }
        let n = T::from_f64((H * W) as f64);
        for o in out {
            *o = *o / n;
        }
    }
}

impl<const H: usize, const W: usize, const C: usize> core::fmt::Debug for GlobalAveragePooling2D<H, W, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "GlobalAveragePooling2D on ({H}, {W}, {C}) -> ({C},)")
    }
}

/// `impl<T, [extra], its generics> Trait for GlobalAveragePooling2D<..> where [..] {..}`.
macro_rules! global_impl {
    ([$($g:tt)*] $tr:path, [$($w:tt)*] { $($item:tt)* }) => {
        impl<T: Scalar, $($g)* const H: usize, const W: usize, const C: usize> $tr
            for GlobalAveragePooling2D<H, W, C>
        where
            $($w)*
        {
            $($item)*
        }
    };
}

global_impl! {
    [] Stack<T>, [] {
        type Weights = ();
    }
}

global_impl! {
    [] Layers<T>, [] {
        crate::nn::layers::one_layer_scratch!();
        type Params = ();
        type Input = [[[T; C]; W]; H];
        type Output = [T; C];
        type Last = Linear;
        const PARAMS: usize = 0;
        const DEPTH: usize = 1;
        const CHECK: () = Self::NOT_EMPTY;

        fn init<R: Rng + ?Sized>(_: &mut (), _: &mut R) {
            let () = Self::NOT_EMPTY;
        }

        #[inline(always)]
        fn forward_inline<const FMA: bool>(_: &(), x: &Self::Input, out: &mut [T; C]) {
            let () = Self::NOT_EMPTY;
            Self::pool(x, out);
        }

        #[cfg(feature = "alloc")]
        fn forward_batch_packed(
            _: &(),
            _: &mut &[crate::linalg::packed::PackedB<T>],
            x: &[Self::Input],
            out: &mut [[T; C]],
        ) {
            let () = Self::NOT_EMPTY;
            for (x, out) in x.iter().zip(out) {
                Self::pool(x, out);
            }
        }

        no_params!();

        fn describe(f: &mut dyn FnMut(LayerInfo)) {
            let () = Self::NOT_EMPTY;
            f(Self::INFO);
        }

    }
}

image_input!(global_impl);

/// Dense after an image layer: refused, naming both shapes (a `Flatten` is missing).
impl<
    T: Scalar,
    const IN: usize,
    const OUT: usize,
    A: super::Activation,
    const H: usize,
    const W: usize,
    const C: usize,
> Accepts<T, [[[T; C]; W]; H]> for super::Dense<IN, OUT, A>
where
    ShapeCheck: crate::constraint::VectorAfterImage<Self, IN, H, W, C>,
{
    fn view(_: &[[[T; C]; W]; H]) -> &[T; IN] {
        unreachable!("VectorAfterImage has no impl")
    }
    fn view_batch(_: &[[[[T; C]; W]; H]]) -> &[[T; IN]] {
        unreachable!("VectorAfterImage has no impl")
    }
    fn view_batch_mut(_: &mut [[[[T; C]; W]; H]]) -> &mut [[T; IN]] {
        unreachable!("VectorAfterImage has no impl")
    }
}
