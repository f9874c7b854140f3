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

use core::marker::PhantomData;

pub mod embed;
#[cfg(feature = "std")]
pub mod file;
#[cfg(feature = "alloc")]
mod quantize;

#[cfg(feature = "alloc")]
pub use quantize::{Quantize, QuantizeError, Quantized};

use crate::linalg::int8::{Requant, matvec_u8i8};
use crate::nn::Activation;
#[cfg(feature = "alloc")]
use crate::nn::{Linear, Relu};
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
    /// The parameters holding `[min, max]` (widened to hold 0) in 256 steps. The range
    /// is taken in `f64`, so that one near `f32`'s limits (`[-3e38, 3e38]`) does not
    /// overflow; the scale is at least `f32::MIN_POSITIVE`, so that its inverse is finite.
    /// An empty range (all zeros) or one that is not finite gets scale 1.
    pub fn from_range(min: f32, max: f32) -> Self {
        let (min, max) = (f64::from(min.min(0.0)), f64::from(max.max(0.0)));
        let range = max - min;
        if !range.is_finite() || range <= 0.0 {
            return QuantParams { scale: 1.0, zero: 0 };
        }
        let scale = ((range / 255.0) as f32).max(f32::MIN_POSITIVE);
        let zero = num_traits::Float::round(-min / f64::from(scale)).clamp(0.0, 255.0) as u8;
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
    type Input: Copy + Zeroable;
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
    /// Quantizes a batch into `out` (the shorter length): one loop over all the values.
    fn quantize_batch(params: &Self::Params, xs: &[Self::FloatInput], out: &mut [Self::Input]);
    /// Runs the layers as hidden ones: `u8` in, `u8` out.
    fn hidden(params: &Self::Params, x: &Self::Input, out: &mut Self::Hidden);
    /// Runs the layers as the network's last: `u8` in, `f32` out.
    fn last(params: &Self::Params, x: &Self::Input, out: &mut Self::Output);

    /// Runs the layers as hidden ones on a batch (four samples share each pass over the
    /// weights where the kernels allow).
    #[cfg(feature = "alloc")]
    fn hidden_batch(params: &Self::Params, xs: &[Self::Input], out: &mut [Self::Hidden]);
    /// Runs the layers as the network's last on a batch.
    #[cfg(feature = "alloc")]
    fn last_batch(params: &Self::Params, xs: &[Self::Input], out: &mut [Self::Output]);

    /// Calls `f` with each layer's parameters, first layer first.
    #[cfg(feature = "std")]
    fn visit(params: &Self::Params, f: &mut dyn FnMut(&dyn file::QLayerData));
    /// Calls `f` with each layer's parameters, writable.
    #[cfg(feature = "std")]
    fn visit_mut(params: &mut Self::Params, f: &mut dyn FnMut(&mut dyn file::QLayerData));
}

/// The hidden layer's outputs from its accumulators: `z + round(acc * M)`, clamped, then
/// the table if any.
#[inline(always)]
fn requantize<const IN: usize, const OUT: usize>(
    p: &QDenseParams<IN, OUT>,
    acc: &[i32; OUT],
    out: &mut [u8; OUT],
) {
    crate::linalg::int8::requantize(acc, &p.requant, p.pre_zero, p.low, out);
    table(p, out);
}

/// The activation's table (tanh, sigmoid), if the layer uses one.
#[inline(always)]
fn table<const IN: usize, const OUT: usize>(p: &QDenseParams<IN, OUT>, out: &mut [u8; OUT]) {
    if p.use_table {
        for v in out.iter_mut() {
            *v = p.table[*v as usize];
        }
    }
}

/// A layer's product, by the int8 kernels (narrow layers, under 64 inputs, in their quad
/// layout).
#[inline(always)]
fn matvec<const IN: usize, const OUT: usize>(p: &QDenseParams<IN, OUT>, x: &[u8; IN], acc: &mut [i32; OUT]) {
    matvec_u8i8(x, p.weights.as_flattened(), &p.bias, acc);
}

/// A layer's products for a batch: `xs.len() x OUT` accumulators.
#[cfg(feature = "alloc")]
#[inline(always)]
fn batch_products<const IN: usize, const OUT: usize>(
    p: &QDenseParams<IN, OUT>,
    xs: &[[u8; IN]],
) -> alloc::vec::Vec<i32> {
    let mut acc = alloc::vec![0i32; xs.len() * OUT];
    crate::linalg::int8::matmat_u8i8(xs.as_flattened(), IN, p.weights.as_flattened(), &p.bias, &mut acc);
    acc
}

#[cfg(feature = "alloc")]
fn is_relu<A: Activation>() -> bool {
    A::NAME == Relu::NAME
}

#[cfg(feature = "alloc")]
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
        let mut q = [0u8; IN];
        Self::quantize_batch(params, core::slice::from_ref(x), core::slice::from_mut(&mut q));
        q
    }

    #[inline(always)]
    fn quantize_batch(params: &Self::Params, xs: &[[f32; IN]], out: &mut [[u8; IN]]) {
        let (inverse, zero) = (1.0 / params.input.scale, params.input.zero as f32);
        for (q, &x) in out.as_flattened_mut().iter_mut().zip(xs.as_flattened()) {
            *q = quantize_with(x, inverse, zero);
        }
    }

    #[inline(always)]
    fn hidden(p: &Self::Params, x: &[u8; IN], out: &mut [u8; OUT]) {
        let mut acc = [0i32; OUT];
        matvec::<IN, OUT>(p, x, &mut acc);
        requantize(p, &acc, out);
    }

    #[cfg(feature = "alloc")]
    #[inline(always)]
    fn hidden_batch(p: &Self::Params, xs: &[[u8; IN]], out: &mut [[u8; OUT]]) {
        let acc = batch_products::<IN, OUT>(p, xs);
        for (row, acc) in out.iter_mut().zip(acc.chunks_exact(OUT)) {
            requantize(p, acc.try_into().expect("chunks of OUT"), row);
        }
    }

    #[cfg(feature = "alloc")]
    #[inline(always)]
    fn last_batch(p: &Self::Params, xs: &[[u8; IN]], out: &mut [[f32; OUT]]) {
        let acc = batch_products::<IN, OUT>(p, xs);
        for (row, acc) in out.iter_mut().zip(acc.chunks_exact(OUT)) {
            for ((dst, &a), &s) in row.iter_mut().zip(acc).zip(&p.dequant) {
                *dst = a as f32 * s;
            }
            A::forward(row);
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
    #[inline(always)]
    fn quantize_input(params: &Self::Params, x: &A::FloatInput) -> A::Input {
        A::quantize_input(&params.0, x)
    }
    #[inline(always)]
    fn quantize_batch(params: &Self::Params, xs: &[A::FloatInput], out: &mut [A::Input]) {
        A::quantize_batch(&params.0, xs, out)
    }
    #[inline(always)]
    fn hidden(params: &Self::Params, x: &A::Input, out: &mut B::Hidden) {
        let mut mid = zero_hidden::<A>();
        A::hidden(&params.0, x, &mut mid);
        B::hidden(&params.1, &mid, out);
    }
    #[cfg(feature = "alloc")]
    #[inline(always)]
    fn hidden_batch(params: &Self::Params, xs: &[A::Input], out: &mut [B::Hidden]) {
        let mut mid = crate::zeroed::zeroed_vec::<A::Hidden>(xs.len());
        A::hidden_batch(&params.0, xs, &mut mid);
        B::hidden_batch(&params.1, &mid, out);
    }
    #[cfg(feature = "alloc")]
    #[inline(always)]
    fn last_batch(params: &Self::Params, xs: &[A::Input], out: &mut [B::Output]) {
        let mut mid = crate::zeroed::zeroed_vec::<A::Hidden>(xs.len());
        A::hidden_batch(&params.0, xs, &mut mid);
        B::last_batch(&params.1, &mid, out);
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
    #[inline(always)]
    fn quantize_input(params: &Self::Params, x: &A::FloatInput) -> A::Input {
        A::quantize_input(params, x)
    }
    #[inline(always)]
    fn quantize_batch(params: &Self::Params, xs: &[A::FloatInput], out: &mut [A::Input]) {
        A::quantize_batch(params, xs, out)
    }
    #[inline(always)]
    fn hidden(params: &Self::Params, x: &A::Input, out: &mut A::Hidden) {
        A::hidden(params, x, out)
    }
    #[inline(always)]
    fn last(params: &Self::Params, x: &A::Input, out: &mut A::Output) {
        A::last(params, x, out)
    }
    #[cfg(feature = "alloc")]
    #[inline(always)]
    fn hidden_batch(params: &Self::Params, xs: &[A::Input], out: &mut [A::Hidden]) {
        A::hidden_batch(params, xs, out)
    }
    #[cfg(feature = "alloc")]
    #[inline(always)]
    fn last_batch(params: &Self::Params, xs: &[A::Input], out: &mut [A::Output]) {
        A::last_batch(params, xs, out)
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

/// A sample as given: in `f32`, or already quantized.
enum Input<'a, Q: QLayers> {
    Float(&'a Q::FloatInput),
    Quantized(&'a Q::Input),
}

/// One sample through a quantized network, as a [`Job`](crate::linalg::simd::Job).
struct QForward<'a, Q: QLayers> {
    params: &'a Q::Params,
    x: Input<'a, Q>,
    out: &'a mut Q::Output,
}

impl<Q: QLayers> crate::linalg::simd::Job for QForward<'_, Q> {
    type Out = ();
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        match self.x {
            Input::Float(x) => {
                let xq = Q::quantize_input(self.params, x);
                Q::last(self.params, &xq, self.out);
            }
            Input::Quantized(xq) => Q::last(self.params, xq, self.out),
        }
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
        self.predict_at(crate::linalg::int8::int8_isa(), x)
    }

    /// [`predict`](Self::predict) with at most instruction set `cap` (to compare them).
    #[doc(hidden)]
    pub fn predict_at(&self, cap: crate::linalg::int8::Int8Isa, x: &Q::FloatInput) -> Q::Output {
        let mut out: Q::Output = crate::zeroed::zeroed();
        // Compiled for the best instruction set: the kernels inline into it (with
        // AVX-512 VNNI), and the input's quantization, the requantization and the last
        // activation are vectorized around them.
        crate::linalg::int8::dispatch_at(
            cap,
            QForward::<Q> { params: self.params, x: Input::Float(x), out: &mut out },
        );
        out
    }

    /// The output for one sample already quantized with the input's scale and zero
    /// point ([`QLayers::input_quant`]); for pixels `x / 255`, the bytes themselves.
    pub fn predict_quantized(&self, x: &Q::Input) -> Q::Output {
        let mut out: Q::Output = crate::zeroed::zeroed();
        crate::linalg::int8::dispatch(QForward::<Q> {
            params: self.params,
            x: Input::Quantized(x),
            out: &mut out,
        });
        out
    }
}
