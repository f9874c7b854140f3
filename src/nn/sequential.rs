//! [`Sequential`]: a network type with its weights on the heap.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use rand::Rng;

use super::layers::{Layers, Stack, TakesSample, Vector};
use super::model::ModelRef;
use super::summary::{Grouped, Summary};
use crate::element::Scalar;

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
pub struct Sequential<N: Stack<T>, T: Scalar = f32> {
    params: Box<N::Weights>,
    /// The kernels packed for the GEMM, made by the first large `predict_batch` and
    /// dropped by anything that can write the weights (every such method takes
    /// `&mut self` and goes through `params_mut` or `params_box_mut`).
    #[cfg(feature = "std")]
    packed: std::sync::OnceLock<std::sync::Arc<BatchCopy<N, T>>>,
}

/// What `predict_batch` keeps (with `std`): a copy of the weights, which the pool's
/// persistent workers share (they outlive any borrow of the model), and the kernels
/// packed for the GEMM.
#[cfg(feature = "std")]
struct BatchCopy<N: Stack<T>, T: Scalar> {
    params: Box<N::Weights>,
    packs: Vec<crate::linalg::packed::PackedB<T>>,
}

// The constructors ask for `N: Layers<T>` themselves (not the impl), so that a network
// whose widths do not connect is one error at `new`, with the rule's message.
impl<N: Stack<T>, T: Scalar> Sequential<N, T> {
    /// The network with Keras's default initialisation (glorot_uniform kernels, zero
    /// biases) drawn from `rng`. The weights are created in place on the heap.
    pub fn new<R: Rng + ?Sized>(rng: &mut R) -> Self
    where
        N: Layers<T>,
    {
        let mut params = crate::zeroed::zeroed_box::<N::Params>();
        N::init(&mut params, rng);
        Sequential::with(params)
    }

    /// The network with all weights zero.
    pub fn zeros() -> Self
    where
        N: Layers<T>,
    {
        Sequential::with(crate::zeroed::zeroed_box())
    }

    /// The network with the given weights.
    pub fn from_params(params: Box<N::Params>) -> Self
    where
        N: Layers<T>,
    {
        Sequential::with(params)
    }

    fn with(params: Box<N::Weights>) -> Self {
        Sequential {
            params,
            #[cfg(feature = "std")]
            packed: std::sync::OnceLock::new(),
        }
    }
}

impl<N: Layers<T>, T: Scalar> Sequential<N, T> {
    /// Number of parameters of the network.
    pub const PARAMS: usize = N::PARAMS;

    /// The weights: `model.params().0.kernel` is the first layer's kernel.
    pub fn params(&self) -> &N::Params {
        &self.params
    }

    /// The weights as a list of flat arrays in Keras's order (`model.get_weights()`):
    /// each layer's kernel (`IN x OUT`, row-major) then its bias. Their shapes are
    /// [`weight_shapes`](Self::weight_shapes).
    ///
    /// ```
    /// use shaped::nn::{Dense, Relu, Sequential, Softmax};
    /// type Net = (Dense<3, 4, Relu>, Dense<4, 2, Softmax>);
    /// let mut model = Sequential::<Net>::zeros();
    /// assert_eq!(Sequential::<Net>::weight_shapes(), [vec![3, 4], vec![4], vec![4, 2], vec![2]]);
    /// let mut w = model.get_weights();
    /// w[1][0] = 0.5; // the first layer's first bias
    /// model.set_weights(&w)?;
    /// assert_eq!(model.params().0.bias[0], 0.5);
    /// // A list of the wrong arrays is refused, and the model keeps its weights.
    /// assert!(model.set_weights(&w[..3]).is_err());
    /// # Ok::<(), shaped::nn::SetWeightsError>(())
    /// ```
    pub fn get_weights(&self) -> Vec<Vec<T>> {
        let mut out = Vec::new();
        N::visit_params(self.params(), &mut |a| out.push(a.to_vec()));
        out
    }

    /// The shapes of [`get_weights`](Self::get_weights)'s arrays, in Keras's layouts:
    /// `[IN, OUT]` then `[OUT]` for a `Dense`, `[KH, KW, C_IN, C_OUT]` then `[C_OUT]`
    /// for a `Conv2D`, nothing for a layer without weights.
    pub fn weight_shapes() -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        N::describe(&mut |l| out.extend(l.weights.iter().map(|w| w.to_vec())));
        out
    }

    /// Sets the weights from a list of flat arrays in Keras's order (`model.set_weights`),
    /// each of the length of its shape in [`weight_shapes`](Self::weight_shapes). A list
    /// of another length, an array of another length, or a NaN or infinite value is an
    /// error naming it, and the model keeps its weights.
    pub fn set_weights<A: AsRef<[T]>>(&mut self, weights: &[A]) -> Result<(), SetWeightsError> {
        let shapes = Self::weight_shapes();
        if weights.len() != shapes.len() {
            return Err(SetWeightsError::Count { expected: shapes.len(), found: weights.len() });
        }
        for (index, (w, shape)) in weights.iter().zip(&shapes).enumerate() {
            let expected: usize = shape.iter().product();
            if w.as_ref().len() != expected {
                return Err(SetWeightsError::Length { index, shape: shape.clone(), found: w.as_ref().len() });
            }
            // As the loaders do: a NaN or infinite weight would make every output NaN.
            if let Some(at) = w.as_ref().iter().position(|v| !v.is_finite()) {
                return Err(SetWeightsError::NonFinite { index, at, value: w.as_ref()[at].to_f64() });
            }
        }
        let mut arrays = weights.iter();
        N::visit_params_mut(self.params_mut(), &mut |a| {
            if let Some(w) = arrays.next() {
                a.copy_from_slice(w.as_ref());
            }
        });
        Ok(())
    }

    /// The weights, writable, to set weights trained elsewhere.
    pub fn params_mut(&mut self) -> &mut N::Params {
        self.forget_packed();
        &mut self.params
    }

    /// A copy of the weights, made on the heap, never through the stack.
    fn copy_params(&self) -> Box<N::Params> {
        let mut params = crate::zeroed::zeroed_box::<N::Params>();
        N::zip_params(&mut params, &self.params, &mut |d, s| d.copy_from_slice(s));
        params
    }

    /// Drops the packed copy of the kernels: the weights are about to change.
    fn forget_packed(&mut self) {
        #[cfg(feature = "std")]
        self.packed.take();
    }

    /// The box of the weights, for training to swap in new weights without a copy.
    #[cfg(feature = "std")]
    pub(crate) fn params_box_mut(&mut self) -> &mut Box<N::Params> {
        self.forget_packed();
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

    /// Outputs for a batch of samples; with `std`, the batch is split over the machine's
    /// cores, and the first batch of more than a few rows packs the layers' kernels for
    /// the GEMM once, with a copy of the weights that the worker threads share (the two
    /// take twice the weights' memory), kept until the weights change.
    pub fn predict_batch<X>(&self, xs: &[X]) -> Vec<N::Output>
    where
        N: TakesSample<T, X>,
    {
        let mut out = alloc::vec![N::Output::zeros(); xs.len()];
        self.predict_batch_into(xs, &mut out);
        out
    }

    /// [`predict_batch`](Self::predict_batch) into a caller's buffer (the shorter of
    /// the two lengths is used).
    pub fn predict_batch_into<X>(&self, xs: &[X], out: &mut [N::Output])
    where
        N: TakesSample<T, X>,
    {
        #[cfg(feature = "std")]
        if xs.len().min(out.len()) > crate::linalg::SMALL_ROWS {
            let copy = self.packed.get_or_init(|| {
                let params = self.copy_params();
                std::sync::Arc::new(BatchCopy { packs: N::pack_kernels(&params), params })
            });
            return predict_pooled::<N, T>(copy, N::view_batch(xs), out);
        }
        self.as_ref().predict_batch_into(xs, out)
    }

    /// A Keras-like table of the layers, their output shapes and parameter counts.
    pub fn summary(&self) -> Summary<N, T> {
        Summary::new()
    }
}

/// A batch through the packed copy, split over the caller's thread and the pool's
/// persistent workers.
#[cfg(feature = "std")]
fn predict_pooled<N: Layers<T>, T: Scalar>(
    copy: &std::sync::Arc<BatchCopy<N, T>>,
    x: &[N::Input],
    out: &mut [N::Output],
) {
    let rows = x.len().min(out.len());
    let work = rows.saturating_mul(N::PARAMS);
    let threads = crate::parallel::threads_for(
        work,
        rows,
        crate::parallel::PREDICT_WORK_PER_THREAD,
        crate::parallel::MIN_ROWS_PER_THREAD,
    );
    crate::parallel::split_over_pool(copy, x, out, threads, crate::linalg::packed::MR, |c, x, o| {
        N::forward_batch_packed(&c.params, &mut &c.packs[..], x, o)
    });
}

/// [`Sequential::set_weights`] refused the arrays; the model kept its weights.
#[derive(Clone, PartialEq)]
pub enum SetWeightsError {
    /// Not one array per kernel and bias.
    Count {
        /// Arrays the network has (two per layer).
        expected: usize,
        /// Arrays given.
        found: usize,
    },
    /// An array of another length than its shape.
    Length {
        /// Its index in the list.
        index: usize,
        /// The shape it must have.
        shape: Vec<usize>,
        /// Its length.
        found: usize,
    },
    /// A NaN or infinite value (the loaders refuse them too).
    NonFinite {
        /// The array's index in the list.
        index: usize,
        /// The value's index in the array.
        at: usize,
        /// The value.
        value: f64,
    },
}

impl fmt::Display for SetWeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetWeightsError::Count { expected, found } => {
                write!(
                    f,
                    "{found} weight arrays given, the network has {expected} (a kernel and a bias per layer)"
                )
            }
            SetWeightsError::Length { index, shape, found } => write!(
                f,
                "weight array {index} has {found} values, its shape {} needs {}",
                crate::shape::ShapeDisplay(shape),
                shape.iter().product::<usize>()
            ),
            SetWeightsError::NonFinite { index, at, value } => {
                write!(f, "weight array {index} holds {value} at {at}: weights must be finite")
            }
        }
    }
}

crate::error::debug_is_display!(SetWeightsError);

#[cfg(feature = "std")]
impl std::error::Error for SetWeightsError {}

impl<N: Layers<T>, T: Scalar> Clone for Sequential<N, T> {
    fn clone(&self) -> Self {
        Sequential::with(self.copy_params())
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
                result = if l.is_dense() {
                    write!(f, "{sep}Dense({}, {}, input {})", l.outputs, l.activation, l.inputs)
                } else if l.weights.is_empty() {
                    write!(f, "{sep}{} -> {}", l.kind, crate::nn::ShapeTuple(l.output_shape))
                } else {
                    write!(
                        f,
                        "{sep}{}({}) -> {}",
                        l.kind,
                        l.activation,
                        crate::nn::ShapeTuple(l.output_shape)
                    )
                };
            }
        });
        result?;
        write!(f, ">, {} params", Grouped(N::PARAMS))
    }
}
