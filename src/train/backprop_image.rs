//! The training half of the image layers: `Conv2D` as a product of its input's patch
//! matrix with its kernel (im2col onto the packed GEMM), pooling, `Flatten` and
//! `Dropout`.

use alloc::vec::Vec;

use super::backprop::masks::DropoutBits;
use super::backprop::{Backprop, Parts, Workspace, add_rows, column_share, part_operands, row_share};
use crate::element::Scalar;
use crate::linalg::{self, MatRef};
use crate::nn::{
    Activation, Conv2D, Dropout, DropoutDims, Flatten, GlobalAveragePooling2D, Layers, Padding, PoolOp,
    Pooling2D, Vector,
};

/// Training buffers of a layer: its outputs, their gradient, and what the backward pass
/// needs of the forward one (a convolution's patch matrix, a max pool's choices).
/// (Public only as the `Trace` of the image layers; not re-exported.)
pub struct ImageTrace<T, Out, X = ()> {
    y: Vec<Out>,
    g: Vec<Out>,
    /// A convolution's patch matrix, or a max pool's chosen inputs.
    kept: Vec<X>,
    /// Scratch for the patch matrix's gradient.
    scratch: Vec<T>,
}

impl<T, Out: Clone, X> ImageTrace<T, Out, X> {
    fn new(rows: usize, zero: Out) -> Self {
        ImageTrace {
            y: alloc::vec![zero.clone(); rows],
            g: alloc::vec![zero; rows],
            kept: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

/// `impl<T, [extra], Conv2D's generics> Trait for Conv2D<..> { .. }`.
macro_rules! conv2d_backprop {
    ($($item:tt)*) => {
        impl<
            T: Scalar,
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
        > Backprop<T> for Conv2D<H, W, C, F, KH, KW, SH, SW, OH, OW, A, P>
        {
            $($item)*
        }
    };
}

conv2d_backprop! {
    type Trace = ImageTrace<T, [[[T; F]; OW]; OH], T>;

    fn new_trace(rows: usize) -> Self::Trace {
        let mut t = ImageTrace::new(rows, [[[T::zero(); F]; OW]; OH]);
        if !Self::POINTWISE {
            t.kept = alloc::vec![T::zero(); rows * OH * OW * Self::PATCH];
        }
        t
    }

    fn forward_train(params: &Self::Params, x: &[Self::Input], trace: &mut Self::Trace, ws: &mut Workspace<T>) {
        let () = Self::GEOMETRY;
        let rows = x.len();
        let (per, patch) = (OH * OW, Self::PATCH);
        // A chunk of images at a time: each chunk's patches are multiplied while they are
        // in the cache (and kept for the backward pass).
        let kept = &mut trace.kept[..if Self::POINTWISE { 0 } else { rows * per * patch }];
        let y = trace.y[..rows].as_flattened_mut().as_flattened_mut();
        for (i, (x, y)) in x.chunks(Self::CHUNK).zip(y.chunks_mut(Self::CHUNK * per)).enumerate() {
            let patches: &[T] = if Self::POINTWISE {
                x.as_flattened().as_flattened().as_flattened()
            } else {
                let p = &mut kept[i * Self::CHUNK * per * patch..][..x.len() * per * patch];
                for (img, p) in x.iter().zip(p.chunks_exact_mut(per * patch)) {
                    Self::WINDOW.im2col(img.as_flattened().as_flattened(), p);
                }
                p
            };
            let kernel = params.kernel_matrix();
            crate::nn::conv_from_patches::<T, A, F>(patches, patch, kernel, &params.bias, y, Some(ws.packing()));
        }
    }

    fn output_and_grad(trace: &mut Self::Trace) -> (&[Self::Output], &mut [Self::Output]) {
        (&trace.y, &mut trace.g)
    }

    fn activation_backward(trace: &mut Self::Trace, rows: usize) {
        let y = trace.y[..rows].as_flattened().as_flattened();
        let g = trace.g[..rows].as_flattened_mut().as_flattened_mut();
        for (y, g) in y.iter().zip(g) {
            A::backward(y, g);
        }
    }

    fn backward_parts(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        grads: Option<&mut Self::Params>,
        dx: Option<&mut [Self::Input]>,
        ws: &mut Workspace<T>,
    ) {
        let rows = x.len();
        let (pixels, patch) = (rows * OH * OW, Self::PATCH);
        let dz = trace.g[..rows].as_flattened().as_flattened().as_flattened();
        let patches: &[T] =
            if Self::POINTWISE { x.as_flattened().as_flattened().as_flattened() } else { &trace.kept[..pixels * patch] };
        if let Some(grads) = grads {
            // dK = patches^T . dz, db = the sum of dz over every pixel.
            let (pt, dzv) = (MatRef::transposed(patches, patch), MatRef::row_major(dz, F));
            linalg::matmul(patch, pixels, F, pt, dzv, false, grads.kernel_matrix_mut(), F, Some(ws.packing()));
            grads.bias = [T::zero(); F];
            add_rows(&mut grads.bias, trace.g[..rows].as_flattened().as_flattened(), 0..F);
        }
        if let Some(dx) = dx {
            // d(patches) = dz . K^T, then each patch value back to its pixel.
            let kt = MatRef::transposed(params.kernel_matrix(), F);
            let dzv = MatRef::row_major(dz, F);
            let dx = dx[..rows].as_flattened_mut().as_flattened_mut().as_flattened_mut();
            if Self::POINTWISE {
                linalg::matmul(pixels, F, C, dzv, kt, false, dx, C, Some(ws.packing()));
            } else {
                // A chunk of images at a time, each chunk's patch gradient added back to
                // its pixels while it is in the cache.
                let per = OH * OW;
                trace.scratch.resize(Self::CHUNK.min(rows) * per * patch, T::zero());
                let chunks = dz.chunks(Self::CHUNK * per * F).zip(dx.chunks_mut(Self::CHUNK * H * W * C));
                for (dz, dx) in chunks {
                    let pixels = dz.len() / F;
                    let dp = &mut trace.scratch[..pixels * patch];
                    let dzv = MatRef::row_major(dz, F);
                    linalg::matmul(pixels, F, patch, dzv, kt, false, dp, patch, Some(ws.packing()));
                    for (dp, dx) in dp.chunks_exact(per * patch).zip(dx.chunks_exact_mut(H * W * C)) {
                        Self::WINDOW.col2im(dp, dx);
                    }
                }
            }
        }
    }

    fn output(trace: &Self::Trace) -> &[Self::Output] {
        &trace.y
    }

    fn weight_grads_share(
        parts: Parts<'_, Self::Input, Self::Trace>,
        grads: &mut Self::Params,
        (k, size): (usize, usize),
        ws: &mut Workspace<T>,
    ) {
        let patch = Self::PATCH;
        let rows = row_share(patch, k, size);
        if !rows.is_empty() {
            // dK[rows] = patches[:, rows]^T . dz, the parts stacked along the depth.
            let part = |i| {
                let (x, t): (&[Self::Input], &Self::Trace) = parts.get(i);
                let pixels = x.len() * OH * OW;
                let p: &[T] = if Self::POINTWISE {
                    x.as_flattened().as_flattened().as_flattened()
                } else {
                    &t.kept[..pixels * patch]
                };
                let a = (MatRef::transposed(&p[rows.start.min(p.len())..], patch), pixels);
                (a, (MatRef::row_major(t.g[..x.len()].as_flattened().as_flattened().as_flattened(), F), pixels))
            };
            let c = &mut grads.kernel_matrix_mut()[rows.start * F..];
            part_operands(parts.len(), part, |a, b| {
                linalg::packed::gemm_stacked(rows.len(), None, F, a, b, false, c, F, ws.packing())
            });
        }
        let cols = column_share(F, k, size);
        grads.bias[cols.clone()].fill(T::zero());
        for (x, t) in parts.iter() {
            add_rows(&mut grads.bias, t.g[..x.len()].as_flattened().as_flattened(), cols.clone());
        }
    }

    fn share_ranges((k, size): (usize, usize), out: &mut Vec<core::ops::Range<usize>>) {
        let rows = row_share(Self::PATCH, k, size);
        out.push(rows.start * F..rows.end * F);
        out.push(column_share(F, k, size));
    }
}

/// The parts of `Backprop` every layer without weights shares.
macro_rules! no_weights {
    () => {
        fn output_and_grad(trace: &mut Self::Trace) -> (&[Self::Output], &mut [Self::Output]) {
            (&trace.y, &mut trace.g)
        }
        fn activation_backward(_: &mut Self::Trace, _: usize) {}
        fn output(trace: &Self::Trace) -> &[Self::Output] {
            &trace.y
        }
        fn weight_grads_share(
            _: Parts<'_, Self::Input, Self::Trace>,
            _: &mut (),
            _: (usize, usize),
            _: &mut Workspace<T>,
        ) {
        }
        fn share_ranges(_: (usize, usize), _: &mut Vec<core::ops::Range<usize>>) {}
    };
}

impl<
    T: Scalar,
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
> Backprop<T> for Pooling2D<Op, H, W, C, PH, PW, SH, SW, OH, OW, P>
{
    type Trace = ImageTrace<T, [[[T; C]; OW]; OH], u32>;

    fn new_trace(rows: usize) -> Self::Trace {
        let mut t = ImageTrace::new(rows, [[[T::zero(); C]; OW]; OH]);
        if Op::MAX {
            t.kept = alloc::vec![0; rows * OH * OW * C];
        }
        t
    }

    fn forward_train(_: &(), x: &[Self::Input], trace: &mut Self::Trace, _: &mut Workspace<T>) {
        let () = Self::GEOMETRY;
        let per = OH * OW * C;
        for (i, (x, y)) in x.iter().zip(&mut trace.y).enumerate() {
            let arg = Op::MAX.then(|| &mut trace.kept[i * per..(i + 1) * per]);
            Self::pool(x, y, arg);
        }
    }

    fn backward_parts(
        _: &(),
        x: &[Self::Input],
        trace: &mut Self::Trace,
        _: Option<&mut ()>,
        dx: Option<&mut [Self::Input]>,
        _: &mut Workspace<T>,
    ) {
        let Some(dx) = dx else { return };
        let per = OH * OW * C;
        for (i, (g, dx)) in trace.g[..x.len()].iter().zip(dx).enumerate() {
            let arg = if Op::MAX { &trace.kept[i * per..(i + 1) * per] } else { &[][..] };
            Self::pool_backward(g, arg, dx);
        }
    }

    no_weights!();
}

impl<T: Scalar, const H: usize, const W: usize, const C: usize, const N: usize> Backprop<T>
    for Flatten<H, W, C, N>
{
    type Trace = ImageTrace<T, [T; N]>;

    fn new_trace(rows: usize) -> Self::Trace {
        ImageTrace::new(rows, [T::zero(); N])
    }

    fn forward_train(p: &(), x: &[Self::Input], trace: &mut Self::Trace, _: &mut Workspace<T>) {
        <Self as Layers<T>>::forward_batch_packed(p, &mut &[][..], x, &mut trace.y[..x.len()]);
    }

    fn backward_parts(
        _: &(),
        x: &[Self::Input],
        trace: &mut Self::Trace,
        _: Option<&mut ()>,
        dx: Option<&mut [Self::Input]>,
        _: &mut Workspace<T>,
    ) {
        if let Some(dx) = dx {
            let rows = x.len();
            dx[..rows]
                .as_flattened_mut()
                .as_flattened_mut()
                .as_flattened_mut()
                .copy_from_slice(trace.g[..rows].as_flattened());
        }
    }

    no_weights!();
}

impl<T: Scalar, const H: usize, const W: usize, const C: usize> Backprop<T>
    for GlobalAveragePooling2D<H, W, C>
{
    type Trace = ImageTrace<T, [T; C]>;

    fn new_trace(rows: usize) -> Self::Trace {
        ImageTrace::new(rows, [T::zero(); C])
    }

    fn forward_train(_: &(), x: &[Self::Input], trace: &mut Self::Trace, _: &mut Workspace<T>) {
        let () = Self::NOT_EMPTY;
        for (x, y) in x.iter().zip(&mut trace.y) {
            Self::pool(x, y);
        }
    }

    fn backward_parts(
        _: &(),
        x: &[Self::Input],
        trace: &mut Self::Trace,
        _: Option<&mut ()>,
        dx: Option<&mut [Self::Input]>,
        _: &mut Workspace<T>,
    ) {
        let Some(dx) = dx else { return };
        let n = T::from_f64((H * W) as f64);
        for (g, dx) in trace.g[..x.len()].iter().zip(dx) {
            for px in dx.as_flattened_mut() {
                for (d, &v) in px.iter_mut().zip(g) {
                    *d = v / n;
                }
            }
        }
    }

    no_weights!();
}

impl<T: Scalar, D: DropoutDims, const PER_MILLE: u32> Backprop<T> for Dropout<D, PER_MILLE> {
    /// The outputs, their gradient, and in `kept` each value's factor: 0 where it was
    /// dropped, `1 / (1 - rate)` where it was kept.
    type Trace = ImageTrace<T, D::Sample<T>, D::Sample<T>>;

    fn new_trace(rows: usize) -> Self::Trace {
        let zero = <D::Sample<T> as Vector<T>>::zeros();
        let mut trace = ImageTrace::new(rows, zero);
        trace.kept = alloc::vec![zero; rows];
        trace
    }

    fn forward_train(_: &(), x: &[Self::Input], trace: &mut Self::Trace, ws: &mut Workspace<T>) {
        let () = Self::RATE_OK;
        let (key, ids) = ws.dropout_layer();
        let scale = T::one() / (T::one() - T::from_f64(Self::RATE));
        let rows = trace.y.iter_mut().zip(&mut trace.kept);
        for (r, (x, (y, kept))) in x.iter().zip(rows).enumerate() {
            let mut bits = DropoutBits::new(key, ids.get(r).copied().unwrap_or(r as u64));
            let values = y.as_mut_slice().iter_mut().zip(kept.as_mut_slice()).zip(x.as_slice());
            for ((y, m), &v) in values {
                *m = if bits.next_bits() >= Self::THRESHOLD { scale } else { T::zero() };
                *y = v * *m;
            }
        }
    }

    fn backward_parts(
        _: &(),
        x: &[Self::Input],
        trace: &mut Self::Trace,
        _: Option<&mut ()>,
        dx: Option<&mut [Self::Input]>,
        _: &mut Workspace<T>,
    ) {
        let Some(dx) = dx else { return };
        let rows = x.len();
        let g = trace.g[..rows].iter().zip(&trace.kept[..rows]);
        for (dx, (g, kept)) in dx.iter_mut().zip(g) {
            let values = dx.as_mut_slice().iter_mut().zip(g.as_slice()).zip(kept.as_slice());
            for ((d, &g), &m) in values {
                *d = g * m;
            }
        }
    }

    no_weights!();
}
