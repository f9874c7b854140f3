//! int8 inference: a trained network quantized after training, as TFLite does it.
//!
//! [`quantize`](crate::nn::Sequential::quantize) turns a `Sequential<N>` and a few
//! calibration samples into a [`Quantized<N>`], whose layer types ([`QDense`]) are
//! derived from `N`'s, so its widths stay compile-time facts.
//!
//! # The scheme (TFLite's)
//!
//! - **Weights**: symmetric int8 per output channel. For output `o` of a layer with
//!   kernel `W` (`IN x OUT`), `s_w[o] = max_k |W[k][o]| / 127` and
//!   `q_w[o][k] = round(W[k][o] / s_w[o])`, in `[-127, 127]`.
//! - **Activations**: affine int8 per tensor, `real = s * (q - z)`, with the scale and
//!   zero point from the range the calibration samples reach (widened to hold 0):
//!   `s = (max - min) / 255`, `z = round(-min / s)`. They are stored offset by 128 as `u8`
//!   (`q + 128`), the operand the `u8 x i8` instructions take; `z` is in that form too.
//! - **Bias**: int32 in the scale `s_in * s_w[o]`: `q_b[o] = round(b[o] / (s_in * s_w[o]))`,
//!   with the input's zero point folded in once: `q_b[o] - z_in * sum_k q_w[o][k]`.
//! - **A layer**: `acc[o] = q_b'[o] + sum_k q_x[k] * q_w[o][k]` exactly in `i32`, then
//!   `q_y[o] = z_out + round(acc[o] * M[o])` with `M[o] = s_in * s_w[o] / s_out` applied as
//!   an integer multiplier and shift (`M ≈ m * 2^(shift - 31)`), clamped to `[0, 255]`
//!   (`[z_out, 255]` after a ReLU). Tanh and sigmoid map the requantized value through a
//!   256-entry table computed at quantization time. No float in these loops.
//! - **The last layer** stops at `acc`: its logits `acc[o] * s_in * s_w[o]` are
//!   dequantized to `f32`, and its activation (softmax, sigmoid, ...) runs in `f32`.
//! - **The input** is quantized once with the first layer's input scale and zero point
//!   (for pixels in `[0, 1]`: `s = 1/255`, `z = 0`, so bytes quantize exactly).

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

#[cfg(feature = "std")]
pub mod file;

use crate::linalg::int8::{Requant, matvec_u8i8};
use crate::nn::{Activation, Dense, DenseParams, Layers, Linear, Relu, Sequential, Stack};
use crate::zeroed::Zeroable;

/// An affine quantization: `real = scale * (q - zero)`, `q` stored as `u8` (int8 + 128).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QuantParams {
    /// The real value of one step.
    pub scale: f32,
    /// The stored value of real 0.
    pub zero: u8,
}

impl QuantParams {
    /// The parameters holding `[min, max]` (widened to hold 0) in 256 steps.
    pub fn from_range(min: f32, max: f32) -> Self {
        let (min, max) = (min.min(0.0), max.max(0.0));
        if !(max - min).is_finite() || max - min <= 0.0 {
            return QuantParams { scale: 1.0, zero: 0 };
        }
        let scale = (max - min) / 255.0;
        let zero = (-min / scale).round().clamp(0.0, 255.0) as u8;
        QuantParams { scale, zero }
    }

    /// `x` quantized (rounded, clamped).
    #[inline]
    pub fn quantize(self, x: f32) -> u8 {
        quantize_with(x, 1.0 / self.scale, self.zero as f32)
    }

    /// The real value of `q`.
    #[inline]
    pub fn dequantize(self, q: u8) -> f32 {
        self.scale * (q as f32 - self.zero as f32)
    }
}

/// `x * inverse + zero`, rounded half up and clamped to `[0, 255]`: after the clamp the
/// value is not negative, so adding one half and truncating rounds (a plain conversion,
/// no call to `roundf` on targets without SSE4.1). NaN quantizes to 0.
#[inline(always)]
fn quantize_with(x: f32, inverse: f32, zero: f32) -> u8 {
    ((x * inverse + zero).clamp(0.0, 255.0) + 0.5) as u8
}

/// The quantized counterpart of `Dense<IN, OUT, A>`.
#[derive(Clone, Copy, Debug, Default)]
pub struct QDense<const IN: usize, const OUT: usize, A: Activation>(PhantomData<A>);

/// The weights of a [`QDense`] layer (see the module's scheme).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QDenseParams<const IN: usize, const OUT: usize> {
    /// int8 weights, `OUT x IN`, in the kernels' packed order
    /// ([`packed_index`](crate::linalg::int8::packed_index); see [`QDenseParams::weight`]).
    pub weights: [[i8; IN]; OUT],
    /// int32 biases with the input's zero point folded in.
    pub bias: [i32; OUT],
    /// Per output: the accumulator to the output's scale.
    pub requant: [Requant; OUT],
    /// Per output: the accumulator's real scale, `s_in * s_w[o]` (the last layer's).
    pub dequant: [f32; OUT],
    /// The input's quantization.
    pub input: QuantParams,
    /// The output's quantization (hidden layers).
    pub output: QuantParams,
    /// The requantized value before the activation table (the output's zero point for
    /// ReLU and linear layers).
    pub pre_zero: u8,
    /// The lowest output (the zero point after a ReLU, else 0).
    pub low: u8,
    /// Whether `table` maps the requantized values (tanh, sigmoid).
    pub use_table: bool,
    /// The activation as a table from requantized to output values.
    pub table: [u8; 256],
}

impl<const IN: usize, const OUT: usize> QDenseParams<IN, OUT> {
    /// The int8 weight from input `k` to output `o`.
    pub fn weight(&self, o: usize, k: usize) -> i8 {
        self.weights.as_flattened()[crate::linalg::int8::packed_index(IN, OUT, o, k)]
    }
}

// SAFETY: every field is an integer, a float, a bool, or an array or struct of them:
// all-zero bytes are valid values (`false` for the bool), with no pointer in them.
unsafe impl<const IN: usize, const OUT: usize> Zeroable for QDenseParams<IN, OUT> {}

/// A quantized network: int8 layers, run on `u8` activations (int8 + 128).
pub trait QLayers: Sized + 'static {
    /// The first layer's inputs, in `f32` (`[f32; IN]`).
    type FloatInput: Copy;
    /// The first layer's inputs, quantized (`[u8; IN]`).
    type Input: Copy;
    /// The last layer's outputs, quantized (`[u8; OUT]`), when the network is not last.
    type Hidden: Copy + Zeroable;
    /// The last layer's outputs, in `f32` after its activation (`[f32; OUT]`).
    type Output: Copy + Zeroable;
    /// The weights.
    type Params: Copy + Zeroable + Send + Sync + 'static;

    /// The input's quantization.
    fn input_quant(params: &Self::Params) -> QuantParams;
    /// The output's quantization (of the last layer run as hidden).
    fn output_quant(params: &Self::Params) -> QuantParams;
    /// Quantizes an `f32` sample.
    fn quantize_input(params: &Self::Params, x: &Self::FloatInput) -> Self::Input;
    /// Runs the layers as hidden ones: `u8` in, `u8` out.
    fn hidden(params: &Self::Params, x: &Self::Input, out: &mut Self::Hidden);
    /// Runs the layers as the network's last: `u8` in, `f32` out.
    fn last(params: &Self::Params, x: &Self::Input, out: &mut Self::Output);

    /// Calls `f` with each layer's parameters, first layer first.
    #[cfg(feature = "std")]
    fn visit(params: &Self::Params, f: &mut dyn FnMut(&dyn file::QLayerData));
    /// Calls `f` with each layer's parameters, writable.
    #[cfg(feature = "std")]
    fn visit_mut(params: &mut Self::Params, f: &mut dyn FnMut(&mut dyn file::QLayerData));
}

/// A layer's product: inlined const-size loops for narrow inputs (under one 64-byte
/// chunk, where the packed layout is row-major and a kernel call would cost more than
/// the work), the int8 kernels otherwise.
#[inline(always)]
fn matvec<const IN: usize, const OUT: usize>(p: &QDenseParams<IN, OUT>, x: &[u8; IN], acc: &mut [i32; OUT]) {
    if IN < crate::linalg::int8::CHUNK {
        for ((a, row), &b) in acc.iter_mut().zip(&p.weights).zip(&p.bias) {
            *a = b.wrapping_add(row.iter().zip(x).map(|(&w, &x)| w as i32 * x as i32).sum::<i32>());
        }
    } else {
        matvec_u8i8(x, p.weights.as_flattened(), &p.bias, acc);
    }
}

fn is_relu<A: Activation>() -> bool {
    A::NAME == Relu::NAME
}

fn is_linear<A: Activation>() -> bool {
    A::NAME == Linear::NAME
}

impl<const IN: usize, const OUT: usize, A: Activation> QLayers for QDense<IN, OUT, A> {
    type FloatInput = [f32; IN];
    type Input = [u8; IN];
    type Hidden = [u8; OUT];
    type Output = [f32; OUT];
    type Params = QDenseParams<IN, OUT>;

    fn input_quant(params: &Self::Params) -> QuantParams {
        params.input
    }
    fn output_quant(params: &Self::Params) -> QuantParams {
        params.output
    }

    #[inline(always)]
    fn quantize_input(params: &Self::Params, x: &[f32; IN]) -> [u8; IN] {
        let (inverse, zero) = (1.0 / params.input.scale, params.input.zero as f32);
        core::array::from_fn(|k| quantize_with(x[k], inverse, zero))
    }

    #[inline(always)]
    fn hidden(p: &Self::Params, x: &[u8; IN], out: &mut [u8; OUT]) {
        let mut acc = [0i32; OUT];
        matvec::<IN, OUT>(p, x, &mut acc);
        for ((dst, &a), r) in out.iter_mut().zip(&acc).zip(&p.requant) {
            let v = (p.pre_zero as i32).saturating_add(r.apply(a)).clamp(p.low as i32, 255) as u8;
            *dst = if p.use_table { p.table[v as usize] } else { v };
        }
    }

    #[cfg(feature = "std")]
    fn visit(params: &Self::Params, f: &mut dyn FnMut(&dyn file::QLayerData)) {
        f(params)
    }
    #[cfg(feature = "std")]
    fn visit_mut(params: &mut Self::Params, f: &mut dyn FnMut(&mut dyn file::QLayerData)) {
        f(params)
    }

    #[inline(always)]
    fn last(p: &Self::Params, x: &[u8; IN], out: &mut [f32; OUT]) {
        let mut acc = [0i32; OUT];
        matvec::<IN, OUT>(p, x, &mut acc);
        for ((dst, &a), &s) in out.iter_mut().zip(&acc).zip(&p.dequant) {
            *dst = a as f32 * s;
        }
        A::forward(out);
    }
}

impl<A: QLayers, B: QLayers<Input = A::Hidden>> QLayers for (A, B) {
    type FloatInput = A::FloatInput;
    type Input = A::Input;
    type Hidden = B::Hidden;
    type Output = B::Output;
    type Params = (A::Params, B::Params);

    fn input_quant(params: &Self::Params) -> QuantParams {
        A::input_quant(&params.0)
    }
    fn output_quant(params: &Self::Params) -> QuantParams {
        B::output_quant(&params.1)
    }
    fn quantize_input(params: &Self::Params, x: &A::FloatInput) -> A::Input {
        A::quantize_input(&params.0, x)
    }
    #[inline(always)]
    fn hidden(params: &Self::Params, x: &A::Input, out: &mut B::Hidden) {
        let mut mid = zero_hidden::<A>();
        A::hidden(&params.0, x, &mut mid);
        B::hidden(&params.1, &mid, out);
    }
    #[cfg(feature = "std")]
    fn visit(params: &Self::Params, f: &mut dyn FnMut(&dyn file::QLayerData)) {
        A::visit(&params.0, f);
        B::visit(&params.1, f);
    }
    #[cfg(feature = "std")]
    fn visit_mut(params: &mut Self::Params, f: &mut dyn FnMut(&mut dyn file::QLayerData)) {
        A::visit_mut(&mut params.0, f);
        B::visit_mut(&mut params.1, f);
    }
    #[inline(always)]
    fn last(params: &Self::Params, x: &A::Input, out: &mut B::Output) {
        let mut mid = zero_hidden::<A>();
        A::hidden(&params.0, x, &mut mid);
        B::last(&params.1, &mid, out);
    }
}

impl<A: QLayers> QLayers for (A,) {
    type FloatInput = A::FloatInput;
    type Input = A::Input;
    type Hidden = A::Hidden;
    type Output = A::Output;
    type Params = A::Params;
    fn input_quant(params: &Self::Params) -> QuantParams {
        A::input_quant(params)
    }
    fn output_quant(params: &Self::Params) -> QuantParams {
        A::output_quant(params)
    }
    fn quantize_input(params: &Self::Params, x: &A::FloatInput) -> A::Input {
        A::quantize_input(params, x)
    }
    fn hidden(params: &Self::Params, x: &A::Input, out: &mut A::Hidden) {
        A::hidden(params, x, out)
    }
    fn last(params: &Self::Params, x: &A::Input, out: &mut A::Output) {
        A::last(params, x, out)
    }
    #[cfg(feature = "std")]
    fn visit(params: &Self::Params, f: &mut dyn FnMut(&dyn file::QLayerData)) {
        A::visit(params, f)
    }
    #[cfg(feature = "std")]
    fn visit_mut(params: &mut Self::Params, f: &mut dyn FnMut(&mut dyn file::QLayerData)) {
        A::visit_mut(params, f)
    }
}

/// A hidden buffer of zeros.
#[inline(always)]
fn zero_hidden<A: QLayers>() -> A::Hidden {
    crate::zeroed::zeroed()
}

/// Why [`Sequential::quantize`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
                let v = (p.kernel[k][o] / *s).round().clamp(-127.0, 127.0) as i8;
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
            let b = (p.bias[o] as f64 / acc_scale).round();
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
    params: Box<<N::Q as QLayers>::Params>,
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
        let model = QModelRef::<N::Q>::new(&*self.params);
        let run = |xc: &[N::Input], oc: &mut [N::Output]| {
            for (x, o) in xc.iter().zip(oc) {
                *o = model.predict(x);
            }
        };
        #[cfg(feature = "std")]
        {
            // The rule of `Sequential::predict_batch`: an int8 sample is one kernel call
            // per layer, like an f32 one, just faster.
            let work = rows.saturating_mul(N::PARAMS);
            let threads = crate::parallel::threads_for(work, rows, crate::parallel::PREDICT_WORK_PER_THREAD);
            if threads > 1 {
                crate::parallel::for_each_chunk(threads, rows.div_ceil(threads), xs, out, &run);
                return;
            }
        }
        run(xs, out);
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
        Quantized { params }
    }
}

impl<N: Quantize + Stack<f32>> Sequential<N, f32> {
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
    pub fn quantize(&self, calibration: &[N::Input]) -> Result<Quantized<N>, QuantizeError> {
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
        Ok(Quantized { params })
    }
}

/// One sample through a quantized network, as a [`Job`](crate::linalg::simd::Job).
struct QForward<'a, Q: QLayers> {
    params: &'a Q::Params,
    x: &'a Q::FloatInput,
    out: &'a mut Q::Output,
}

impl<Q: QLayers> crate::linalg::simd::Job for QForward<'_, Q> {
    type Out = ();
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        let xq = Q::quantize_input(self.params, self.x);
        Q::last(self.params, &xq, self.out);
    }
}

/// A quantized network whose weights are borrowed (from a `static`, say): no heap.
pub struct QModelRef<'a, Q: QLayers> {
    params: &'a Q::Params,
}

impl<Q: QLayers> Clone for QModelRef<'_, Q> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Q: QLayers> Copy for QModelRef<'_, Q> {}

impl<'a, Q: QLayers> QModelRef<'a, Q> {
    /// The network `Q` with these weights.
    pub const fn new(params: &'a Q::Params) -> Self {
        QModelRef { params }
    }

    /// The output for one `f32` sample.
    pub fn predict(&self, x: &Q::FloatInput) -> Q::Output {
        let mut out: Q::Output = crate::zeroed::zeroed();
        // Compiled for the best instruction set, so that the input's quantization, the
        // requantization and the last activation are vectorized around the kernels.
        crate::linalg::simd::dispatch(QForward::<Q> { params: self.params, x, out: &mut out });
        out
    }

    /// The output for one sample already quantized with the input's scale and zero
    /// point ([`QLayers::input_quant`]); for pixels `x / 255`, the bytes themselves.
    pub fn predict_quantized(&self, x: &Q::Input) -> Q::Output {
        let mut out: Q::Output = crate::zeroed::zeroed();
        Q::last(self.params, x, &mut out);
        out
    }
}
