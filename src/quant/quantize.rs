//! Quantizing a trained `f32` network (needs `alloc`): calibration and the int8 model.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::{QDense, QDenseParams, QLayers, QModelRef, QuantParams, is_linear, is_relu};
use crate::linalg::int8::Requant;
use crate::nn::{Activation, Dense, DenseParams, Layers, Linear, Sequential, Stack};

/// Why [`Sequential::quantize`] refused.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum QuantizeError {
    /// No calibration samples.
    NoCalibrationData,
    /// A softmax before the last layer: it is not element-wise, so no table holds it.
    HiddenSoftmax,
    /// A weight, or an activation on the calibration samples, is NaN or infinite.
    NonFinite,
}

impl fmt::Display for QuantizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantizeError::NoCalibrationData => {
                write!(f, "quantization needs calibration samples (a few hundred)")
            }
            QuantizeError::HiddenSoftmax => write!(f, "a softmax before the last layer cannot be quantized"),
            QuantizeError::NonFinite => write!(f, "a weight or a calibration activation is NaN or infinite"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for QuantizeError {}

/// A float network that has a quantized counterpart `Q` (`Dense` and tuples of them).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no int8 counterpart: `quantize` takes networks of `Dense` layers only",
    label = "not a `Dense` layer or a tuple of them",
    note = "convolutions and pooling are not quantized yet; run convnets in `f32`"
)]
pub trait Quantize: Layers<f32> {
    /// The quantized network.
    type Q: QLayers<FloatInput = Self::Input, Output = Self::Output>;

    /// Quantizes `params` into `q`, calibrated on `xs` (this stack's inputs, whose
    /// quantization is `input`); returns the stack's `f32` outputs on `xs`. `last`: the
    /// stack ends the network (its output stays `f32`).
    #[doc(hidden)]
    fn quantize_into(
        params: &Self::Params,
        q: &mut <Self::Q as QLayers>::Params,
        xs: &[Self::Input],
        input: QuantParams,
        last: bool,
    ) -> Result<Vec<Self::Output>, QuantizeError>;
}

/// `A` on one value.
fn activate<A: Activation>(x: f32) -> f32 {
    let mut v = [x];
    A::forward(&mut v);
    v[0]
}

fn range(values: &[f32]) -> Result<(f32, f32), QuantizeError> {
    let mut lo = f32::INFINITY;
    let mut hi = f32::NEG_INFINITY;
    for &v in values {
        if !v.is_finite() {
            return Err(QuantizeError::NonFinite);
        }
        lo = lo.min(v);
        hi = hi.max(v);
    }
    Ok((lo, hi))
}

impl<const IN: usize, const OUT: usize, A: Activation> Quantize for Dense<IN, OUT, A> {
    type Q = QDense<IN, OUT, A>;

    fn quantize_into(
        p: &DenseParams<f32, IN, OUT>,
        q: &mut QDenseParams<IN, OUT>,
        xs: &[[f32; IN]],
        input: QuantParams,
        last: bool,
    ) -> Result<Vec<[f32; OUT]>, QuantizeError> {
        if !last && A::NAME == crate::nn::Softmax::NAME {
            return Err(QuantizeError::HiddenSoftmax);
        }
        // Weights: symmetric, per output channel.
        let mut s_w = [0f32; OUT];
        for (o, s) in s_w.iter_mut().enumerate() {
            let max = (0..IN).map(|k| p.kernel[k][o].abs()).fold(0f32, f32::max);
            if !max.is_finite() || !p.bias[o].is_finite() {
                return Err(QuantizeError::NonFinite);
            }
            *s = if max > 0.0 { max / 127.0 } else { 1.0 };
            let packed = q.weights.as_flattened_mut();
            for k in 0..IN {
                let v = num_traits::Float::round(p.kernel[k][o] / *s).clamp(-127.0, 127.0) as i8;
                packed[crate::linalg::int8::packed_index(IN, OUT, o, k)] = v;
            }
        }
        // The calibration pass: pre-activations, then outputs.
        let mut z = vec![[0f32; OUT]; xs.len()];
        <Dense<IN, OUT, Linear> as Layers<f32>>::forward_batch(p, xs, &mut z);
        let mut y = z.clone();
        for row in &mut y {
            A::forward(row);
        }
        q.input = input;
        for (o, &s) in s_w.iter().enumerate() {
            let acc_scale = input.scale as f64 * s as f64;
            let b = num_traits::Float::round(p.bias[o] as f64 / acc_scale);
            let sum_w: i64 = (0..IN).map(|k| q.weight(o, k) as i64).sum();
            let folded = b as i64 - input.zero as i64 * sum_w;
            // Room for the largest sum of products: `acc` never overflows.
            let room = i32::MAX as i64 - 255 * 128 * IN as i64;
            q.bias[o] = folded.clamp(-room, room) as i32;
            q.dequant[o] = acc_scale as f32;
        }
        if last {
            q.output = QuantParams::default();
            return Ok(y);
        }
        let (lo, hi) = range(y.as_flattened())?;
        let out = QuantParams::from_range(lo, hi);
        let pre = if is_relu::<A>() || is_linear::<A>() {
            q.use_table = false;
            out
        } else {
            let (lo, hi) = range(z.as_flattened())?;
            let pre = QuantParams::from_range(lo, hi);
            q.use_table = true;
            for (u, t) in q.table.iter_mut().enumerate() {
                *t = out.quantize(activate::<A>(pre.dequantize(u as u8)));
            }
            pre
        };
        q.pre_zero = pre.zero;
        q.low = if is_relu::<A>() { out.zero } else { 0 };
        for o in 0..OUT {
            q.requant[o] = Requant::new(q.dequant[o] as f64 / pre.scale as f64);
        }
        q.output = out;
        Ok(y)
    }
}

impl<A: Quantize, B: Quantize> Quantize for (A, B)
where
    (A, B): Layers<f32, Params = (A::Params, B::Params), Input = A::Input, Output = B::Output>,
    B: crate::nn::Accepts<f32, A::Output>,
    B::Q: QLayers<Input = <A::Q as QLayers>::Hidden>,
{
    type Q = (A::Q, B::Q);

    fn quantize_into(
        params: &Self::Params,
        q: &mut <Self::Q as QLayers>::Params,
        xs: &[A::Input],
        input: QuantParams,
        last: bool,
    ) -> Result<Vec<B::Output>, QuantizeError> {
        let mid = A::quantize_into(&params.0, &mut q.0, xs, input, false)?;
        let mid_quant = A::Q::output_quant(&q.0);
        B::quantize_into(&params.1, &mut q.1, B::view_batch(&mid), mid_quant, last)
    }
}

impl<A: Quantize> Quantize for (A,)
where
    (A,): Layers<f32, Params = A::Params, Input = A::Input, Output = A::Output>,
{
    type Q = (A::Q,);

    fn quantize_into(
        params: &A::Params,
        q: &mut <A::Q as QLayers>::Params,
        xs: &[A::Input],
        input: QuantParams,
        last: bool,
    ) -> Result<Vec<A::Output>, QuantizeError> {
        A::quantize_into(params, q, xs, input, last)
    }
}

macro_rules! flat_quantize {
    ($first:ident $(, $rest:ident)+) => {
        impl<$first, $($rest),+> Quantize for ($first, $($rest),+)
        where
            ($first, $($rest),+): Layers<
                f32,
                Params = <($first, ($($rest,)+)) as Layers<f32>>::Params,
                Input = <($first, ($($rest,)+)) as Layers<f32>>::Input,
                Output = <($first, ($($rest,)+)) as Layers<f32>>::Output,
            >,
            ($first, ($($rest,)+)): Quantize,
        {
            type Q = <($first, ($($rest,)+)) as Quantize>::Q;

            fn quantize_into(
                params: &Self::Params,
                q: &mut <Self::Q as QLayers>::Params,
                xs: &[Self::Input],
                input: QuantParams,
                last: bool,
            ) -> Result<Vec<Self::Output>, QuantizeError> {
                <($first, ($($rest,)+)) as Quantize>::quantize_into(params, q, xs, input, last)
            }
        }
    };
}
flat_quantize!(L1, L2, L3);
flat_quantize!(L1, L2, L3, L4);
flat_quantize!(L1, L2, L3, L4, L5);
flat_quantize!(L1, L2, L3, L4, L5, L6);

/// A network quantized to int8 (see the module's scheme), its weights on the heap.
pub struct Quantized<N: Quantize> {
    /// Shared with the pool's workers during `predict_batch` (they outlive any borrow).
    pub(super) params: alloc::sync::Arc<<N::Q as QLayers>::Params>,
}

impl<N: Quantize> Quantized<N> {
    /// The network's output for one `f32` sample (quantized on the way in).
    pub fn predict(&self, x: &N::Input) -> N::Output {
        QModelRef::<N::Q>::new(&*self.params).predict(x)
    }

    /// The outputs of a batch of samples, split over the cores when the batch is large
    /// enough to pay for threads (as `Sequential::predict_batch`).
    pub fn predict_batch(&self, xs: &[N::Input]) -> Vec<N::Output> {
        let mut out: Vec<N::Output> = crate::zeroed::zeroed_vec(xs.len());
        self.predict_batch_into(xs, &mut out);
        out
    }

    /// [`predict_batch`](Self::predict_batch) into `out` (as many rows as both hold).
    pub fn predict_batch_into(&self, xs: &[N::Input], out: &mut [N::Output]) {
        let rows = xs.len().min(out.len());
        let (xs, out) = (&xs[..rows], &mut out[..rows]);
        #[cfg(feature = "std")]
        {
            // The rule of `Sequential::predict_batch`: an int8 sample is one kernel call
            // per layer, like an f32 one, just faster.
            let work = rows.saturating_mul(N::PARAMS);
            let threads = crate::parallel::threads_for(
                work,
                rows,
                crate::parallel::PREDICT_WORK_PER_THREAD,
                crate::parallel::MIN_ROWS_PER_THREAD,
            );
            if threads > 1 {
                // Shares in blocks of four samples, the batched kernel's.
                crate::parallel::split_over_pool(&self.params, xs, out, threads, 4, |params, xs, out| {
                    crate::linalg::int8::dispatch(Batch::<N::Q> { params, xs, out })
                });
                return;
            }
        }
        crate::linalg::int8::dispatch(Batch::<N::Q> { params: &self.params, xs, out });
    }

    /// The int8 weights and quantization parameters.
    pub fn params(&self) -> &<N::Q as QLayers>::Params {
        &self.params
    }

    /// A borrowed view for heap-free inference.
    pub fn as_ref(&self) -> QModelRef<'_, N::Q> {
        QModelRef::new(&*self.params)
    }

    /// The quantized network with these weights.
    pub fn from_params(params: Box<<N::Q as QLayers>::Params>) -> Self {
        Quantized { params: params.into() }
    }
}

/// A batch through a quantized network, as a [`Job`](crate::linalg::simd::Job): the
/// inputs' quantization, the requantizations and the last activation compiled for the
/// best instruction set.
struct Batch<'a, Q: QLayers> {
    params: &'a Q::Params,
    xs: &'a [Q::FloatInput],
    out: &'a mut [Q::Output],
}

impl<Q: QLayers> crate::linalg::simd::Job for Batch<'_, Q> {
    type Out = ();
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        let params = self.params;
        // In slices of 64 samples: the hidden rows stay small, and four samples share
        // each pass over the weights.
        let mut q: Vec<Q::Input> = crate::zeroed::zeroed_vec(self.xs.len().min(64));
        for (xs, os) in self.xs.chunks(64).zip(self.out.chunks_mut(64)) {
            let q = &mut q[..xs.len()];
            Q::quantize_batch(params, xs, q);
            Q::last_batch(params, q, os);
        }
    }
}

// The bound is on the method, not the impl: a network without an int8 counterpart is
// then told so in `Quantize`'s words, not as a method whose bounds are unsatisfied.
impl<N: Layers<f32> + Stack<f32>> Sequential<N, f32> {
    /// The int8 counterpart of this network (TFLite's post-training quantization; see
    /// [`crate::quant`]), its activation ranges calibrated on `calibration` (a few
    /// hundred representative samples).
    ///
    /// ```
    /// use shaped::nn::{Dense, Relu, Sequential, Softmax};
    /// use shaped::rand::{SeedableRng, rngs::StdRng};
    /// type Net = (Dense<4, 16, Relu>, Dense<16, 3, Softmax>);
    /// let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(1));
    /// let samples: Vec<[f32; 4]> = (0..64).map(|i| [i as f32 / 64.0, 0.5, 0.2, 1.0]).collect();
    /// let q = model.quantize(&samples)?;
    /// let (a, b) = (model.predict(&samples[9]), q.predict(&samples[9]));
    /// assert!(a.iter().zip(&b).all(|(a, b)| (a - b).abs() < 0.02));
    /// # Ok::<(), shaped::quant::QuantizeError>(())
    /// ```
    pub fn quantize(&self, calibration: &[N::Input]) -> Result<Quantized<N>, QuantizeError>
    where
        N: Quantize,
    {
        if calibration.is_empty() {
            return Err(QuantizeError::NoCalibrationData);
        }
        let (lo, hi) = range(
            &calibration
                .iter()
                .flat_map(|x| crate::nn::Vector::as_slice(x).iter().copied())
                .collect::<Vec<f32>>(),
        )?;
        let input = QuantParams::from_range(lo, hi);
        let mut params = crate::zeroed::zeroed_box::<<N::Q as QLayers>::Params>();
        N::quantize_into(self.params(), &mut params, calibration, input, true)?;
        Ok(Quantized { params: params.into() })
    }
}

crate::error::debug_is_display!(QuantizeError);
