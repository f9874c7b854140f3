//! Models: a network type together with its weights.

use super::layers::{Layers, Stack, TakesSample, Vector};
use super::summary::Summary;
use crate::element::Scalar;

/// A network with borrowed weights: inference with no heap at all, for `no_std` code
/// whose weights live in a `static`.
///
/// ```
/// use shaped::nn::{Dense, DenseParams, ModelRef, Relu, Softmax};
///
/// type Tiny = (Dense<2, 3, Relu>, Dense<3, 2, Softmax>);
/// static WEIGHTS: (DenseParams<f32, 2, 3>, DenseParams<f32, 3, 2>) = (
///     DenseParams::new([[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]], [0.0, 0.0, 0.5]),
///     DenseParams::new([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0]),
/// );
/// let model = ModelRef::<Tiny>::new(&WEIGHTS);
/// let p = model.predict(&[1.0, 2.0]);
/// assert!((p[0] + p[1] - 1.0).abs() < 1e-6);
/// ```
pub struct ModelRef<'a, N: Stack<T>, T: Scalar = f32> {
    params: &'a N::Weights,
}

impl<N: Stack<T>, T: Scalar> Clone for ModelRef<'_, N, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<N: Stack<T>, T: Scalar> Copy for ModelRef<'_, N, T> {}

// `new` asks for `N: Layers<T>` itself, so that widths that do not connect are one error.
impl<'a, N: Stack<T>, T: Scalar> ModelRef<'a, N, T> {
    /// The network `N` with these weights.
    pub const fn new(params: &'a N::Params) -> Self
    where
        N: Layers<T>,
    {
        ModelRef { params }
    }
}

impl<'a, N: Layers<T>, T: Scalar> ModelRef<'a, N, T> {
    /// The weights.
    pub fn params(&self) -> &'a N::Params {
        self.params
    }

    /// The network's output for one sample, without touching the heap.
    ///
    /// The sample's width is checked against the first layer's at compile time.
    #[inline]
    pub fn predict<X>(&self, x: &X) -> N::Output
    where
        N: TakesSample<T, X>,
    {
        let mut out = N::Output::zeros();
        N::forward(self.params, N::view(x), &mut out);
        out
    }

    /// [`predict`](Self::predict) into a caller's buffer.
    #[inline]
    pub fn predict_into<X>(&self, x: &X, out: &mut N::Output)
    where
        N: TakesSample<T, X>,
    {
        N::forward(self.params, N::view(x), out);
    }

    /// [`predict`](Self::predict) with the activations between layers in `scratch`
    /// rather than on the stack: the stack then holds only the kernels' frames and the
    /// output, and `scratch` can be a `static` on a microcontroller. The result is the
    /// same as `predict`'s, bit for bit.
    ///
    /// ```
    /// use shaped::nn::{Conv2D, Conv2DParams, Flatten, Dense, DenseParams, ModelRef, Relu, Scratch, Softmax};
    /// use shaped::Zeroable;
    /// use std::sync::Mutex;
    ///
    /// // 6x6 grey images, eight 3x3 filters (4x4 outputs), then 2 classes.
    /// type Net = (Conv2D<6, 6, 1, 8, 3, 3, 1, 1, 4, 4, Relu>, Flatten<4, 4, 8, 128>, Dense<128, 2, Softmax>);
    /// static WEIGHTS: (Conv2DParams<f32, 3, 3, 1, 8>, ((), DenseParams<f32, 128, 2>)) =
    ///     (Conv2DParams { kernel: [[[[0.1; 8]; 1]; 3]; 3], bias: [0.0; 8] }, ((), DenseParams::new([[0.01, -0.01]; 128], [0.0; 2])));
    /// // The activations between layers: the conv's 4x4x8 output and Flatten's 128 values.
    /// static SCRATCH: Mutex<Scratch<Net>> = Mutex::new(Zeroable::ZERO);
    ///
    /// let model = ModelRef::<Net>::new(&WEIGHTS);
    /// let image = [[[1.0]; 6]; 6];
    /// let p = model.predict_in(&image, &mut SCRATCH.lock().unwrap());
    /// assert_eq!(p, model.predict(&image));
    /// assert_eq!(size_of::<Scratch<Net>>(), (128 + 128) * 4);
    /// ```
    #[inline]
    pub fn predict_in<X>(&self, x: &X, scratch: &mut N::Scratch) -> N::Output
    where
        N: TakesSample<T, X>,
    {
        let mut out = N::Output::zeros();
        N::forward_in(self.params, N::view(x), &mut out, scratch);
        out
    }

    /// A Keras-like table of the layers, their output shapes and parameter counts.
    pub fn summary(&self) -> Summary<N, T> {
        Summary::new()
    }

    /// Outputs for a batch of samples (the shorter of the two lengths is used). With
    /// `std`, a batch large enough to pay for it (about 8 M multiply-adds and 16 rows a
    /// thread) is split over the machine's cores.
    #[cfg(feature = "alloc")]
    pub fn predict_batch_into<X>(&self, xs: &[X], out: &mut [N::Output])
    where
        N: TakesSample<T, X>,
    {
        let x = N::view_batch(xs);
        let rows = x.len().min(out.len());
        let (x, out) = (&x[..rows], &mut out[..rows]);
        #[cfg(feature = "std")]
        {
            let work = rows.saturating_mul(N::PARAMS);
            let threads = crate::parallel::threads_for(
                work,
                rows,
                crate::parallel::PREDICT_WORK_PER_THREAD,
                crate::parallel::MIN_ROWS_PER_THREAD,
            );
            if threads > 1 {
                let params = self.params;
                let f = |xc: &[N::Input], oc: &mut [N::Output]| N::forward_batch(params, xc, oc);
                crate::parallel::for_each_chunk(
                    threads,
                    crate::parallel::chunk_rows(rows, threads),
                    x,
                    out,
                    &f,
                );
                return;
            }
        }
        N::forward_batch(self.params, x, out);
    }
}
