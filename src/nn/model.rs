//! Models: a network type together with its weights.

use core::fmt;
use core::marker::PhantomData;

use super::layers::{LayerInfo, Layers, TakesSample, Vector};
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
pub struct ModelRef<'a, N: Layers<T>, T: Scalar = f32> {
    params: &'a N::Params,
}

impl<N: Layers<T>, T: Scalar> Clone for ModelRef<'_, N, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<N: Layers<T>, T: Scalar> Copy for ModelRef<'_, N, T> {}

impl<'a, N: Layers<T>, T: Scalar> ModelRef<'a, N, T> {
    /// The network `N` with these weights.
    pub const fn new(params: &'a N::Params) -> Self {
        ModelRef { params }
    }

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

    /// A Keras-like table of the layers, their output shapes and parameter counts.
    pub fn summary(&self) -> Summary<N, T> {
        Summary(PhantomData)
    }

    /// Outputs for a batch of samples (the shorter of the two lengths is used), through
    /// matrixmultiply; with `std`, the batch is split over the machine's cores.
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
            let threads = crate::parallel::threads();
            if threads > 1 && rows >= 32 {
                let per = rows.div_ceil(threads);
                let params = self.params;
                std::thread::scope(|s| {
                    let mut chunks = x.chunks(per).zip(out.chunks_mut(per));
                    let first = chunks.next();
                    for (xc, oc) in chunks {
                        s.spawn(move || N::forward_batch(params, xc, oc));
                    }
                    if let Some((xc, oc)) = first {
                        N::forward_batch(params, xc, oc);
                    }
                });
                return;
            }
        }
        N::forward_batch(self.params, x, out);
    }
}

/// The table printed by `model.summary()`, as Keras prints it.
///
/// ```
/// use shaped::nn::{Dense, Layers, Relu, Softmax, Summary};
/// type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
/// const PARAMS: usize = <Chapter2 as Layers<f32>>::PARAMS;
/// assert_eq!(PARAMS, 407_050);
/// let table = Summary::<Chapter2>::new().to_string();
/// assert!(table.contains("dense_1 (Dense, softmax)"));
/// assert!(table.contains("Total params: 407,050 (1.55 MB)"));
/// ```
pub struct Summary<N, T = f32>(PhantomData<(N, T)>);

impl<N: Layers<T>, T: Scalar> Summary<N, T> {
    /// The summary of network `N`.
    pub fn new() -> Self {
        Summary(PhantomData)
    }
}

impl<N: Layers<T>, T: Scalar> Default for Summary<N, T> {
    fn default() -> Self {
        Self::new()
    }
}

/// `1234567` as `1,234,567`.
struct Grouped(usize);

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // At most 20 digits and 6 separators.
        let mut buf = [0u8; 27];
        let mut i = buf.len();
        let mut n = self.0;
        let mut digits = 0;
        loop {
            if digits > 0 && digits % 3 == 0 {
                i -= 1;
                buf[i] = b',';
            }
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            digits += 1;
            if n == 0 {
                break;
            }
        }
        let s = core::str::from_utf8(&buf[i..]).map_err(|_| fmt::Error)?;
        f.pad(s)
    }
}

/// `bytes` the way Keras prints sizes (`1.55 MB`).
struct Bytes(usize);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0 as f64;
        if b < 1024.0 {
            write!(f, "{} B", self.0)
        } else if b < 1024.0 * 1024.0 {
            write!(f, "{:.2} KB", b / 1024.0)
        } else {
            write!(f, "{:.2} MB", b / (1024.0 * 1024.0))
        }
    }
}

/// A cell of at most 40 bytes, formatted without the heap.
struct Cell {
    buf: [u8; 40],
    len: usize,
}

impl fmt::Write for Cell {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Cell {
    fn format(args: fmt::Arguments<'_>) -> Result<Cell, fmt::Error> {
        let mut c = Cell { buf: [0; 40], len: 0 };
        fmt::write(&mut c, args)?;
        Ok(c)
    }
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}

impl<N: Layers<T>, T: Scalar> fmt::Display for Summary<N, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const RULE: &str = "_________________________________________________________________";
        const DOUBLE: &str = "=================================================================";
        writeln!(f, "Model: \"sequential\"")?;
        writeln!(f, "{RULE}")?;
        writeln!(f, " {:<27} {:<25} {:<10}", "Layer (type)", "Output Shape", "Param #")?;
        writeln!(f, "{DOUBLE}")?;
        let mut result = Ok(());
        let mut index = 0;
        N::describe(&mut |info: LayerInfo| {
            if result.is_err() {
                return;
            }
            result = (|| {
                let name = if index == 0 {
                    Cell::format(format_args!("dense ({}, {})", info.kind, info.activation))?
                } else {
                    Cell::format(format_args!("dense_{index} ({}, {})", info.kind, info.activation))?
                };
                let shape = Cell::format(format_args!("(None, {})", info.outputs))?;
                if index > 0 {
                    writeln!(f)?;
                }
                writeln!(f, " {:<27} {:<25} {:<10}", name.as_str(), shape.as_str(), Grouped(info.params))
            })();
            index += 1;
        });
        result?;
        let bytes = N::PARAMS * core::mem::size_of::<T>();
        writeln!(f, "{DOUBLE}")?;
        writeln!(f, "Total params: {} ({})", Grouped(N::PARAMS), Bytes(bytes))?;
        writeln!(f, "Trainable params: {} ({})", Grouped(N::PARAMS), Bytes(bytes))?;
        writeln!(f, "Non-trainable params: 0 (0 B)")?;
        write!(f, "{RULE}")
    }
}

#[cfg(feature = "alloc")]
pub use self::owned::Sequential;

#[cfg(feature = "alloc")]
mod owned {
    use super::*;
    use alloc::boxed::Box;
    use alloc::vec::Vec;
    use rand::Rng;

    /// A network type with its weights on the heap: Keras's `Sequential`.
    ///
    /// ```
    /// use shaped::nn::{Dense, Relu, Sequential, Softmax};
    /// use shaped::rand::{SeedableRng, rngs::StdRng};
    ///
    /// type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
    /// let model = Sequential::<Chapter2>::new(&mut StdRng::seed_from_u64(0));
    /// let probs: [f32; 10] = model.predict(&[0.5; 784]);
    /// assert!((probs.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    /// assert_eq!(Sequential::<Chapter2>::PARAMS, 407_050);
    /// ```
    pub struct Sequential<N: Layers<T>, T: Scalar = f32> {
        params: Box<N::Params>,
    }

    impl<N: Layers<T>, T: Scalar> Sequential<N, T> {
        /// Number of parameters of the network.
        pub const PARAMS: usize = N::PARAMS;

        /// The network with Keras's default initialisation (glorot_uniform kernels, zero
        /// biases) drawn from `rng`. The weights are created in place on the heap.
        pub fn new<R: Rng + ?Sized>(rng: &mut R) -> Self {
            let mut params = crate::tensor::zeroed_box::<N::Params>();
            N::init(&mut params, rng);
            Sequential { params }
        }

        /// The network with all weights zero.
        pub fn zeros() -> Self {
            Sequential { params: crate::tensor::zeroed_box() }
        }

        /// The network with the given weights.
        pub fn from_params(params: Box<N::Params>) -> Self {
            Sequential { params }
        }

        /// The weights: `model.params().0.kernel` is the first layer's kernel.
        pub fn params(&self) -> &N::Params {
            &self.params
        }

        /// The weights, writable, to set weights trained elsewhere.
        pub fn params_mut(&mut self) -> &mut N::Params {
            &mut self.params
        }

        /// A borrowed view for heap-free inference.
        pub fn as_ref(&self) -> ModelRef<'_, N, T> {
            ModelRef::new(&*self.params)
        }

        /// The output for one sample, without touching the heap.
        #[inline]
        pub fn predict<X>(&self, x: &X) -> N::Output
        where
            N: TakesSample<T, X>,
        {
            self.as_ref().predict(x)
        }

        /// [`predict`](Self::predict) into a caller's buffer.
        #[inline]
        pub fn predict_into<X>(&self, x: &X, out: &mut N::Output)
        where
            N: TakesSample<T, X>,
        {
            self.as_ref().predict_into(x, out)
        }

        /// Outputs for a batch of samples, through matrixmultiply; with `std`, the batch is
        /// split over the machine's cores.
        pub fn predict_batch<X>(&self, xs: &[X]) -> Vec<N::Output>
        where
            N: TakesSample<T, X>,
        {
            let mut out = alloc::vec![N::Output::zeros(); xs.len()];
            self.as_ref().predict_batch_into(xs, &mut out);
            out
        }

        /// [`predict_batch`](Self::predict_batch) into a caller's buffer (the shorter of
        /// the two lengths is used).
        pub fn predict_batch_into<X>(&self, xs: &[X], out: &mut [N::Output])
        where
            N: TakesSample<T, X>,
        {
            self.as_ref().predict_batch_into(xs, out)
        }

        /// A Keras-like table of the layers, their output shapes and parameter counts.
        pub fn summary(&self) -> Summary<N, T> {
            Summary::new()
        }
    }

    impl<N: Layers<T>, T: Scalar> Clone for Sequential<N, T> {
        fn clone(&self) -> Self {
            // Copy on the heap, never through the stack.
            let mut params = crate::tensor::zeroed_box::<N::Params>();
            N::zip_params(&mut params, &self.params, &mut |d, s| d.copy_from_slice(s));
            Sequential { params }
        }
    }

    impl<N: Layers<T>, T: Scalar> fmt::Debug for Sequential<N, T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "Sequential<")?;
            let mut first = true;
            let mut result = Ok(());
            N::describe(&mut |l| {
                let sep = if first { "" } else { " -> " };
                first = false;
                if result.is_ok() {
                    result = write!(f, "{sep}Dense({}, {}, input {})", l.outputs, l.activation, l.inputs);
                }
            });
            result?;
            write!(f, ">, {} params", Grouped(N::PARAMS))
        }
    }
}
