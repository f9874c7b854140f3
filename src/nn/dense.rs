//! The fully connected layer.

use crate::constraint::Message;
use core::marker::PhantomData;

use super::activation::Activation;
use super::layers::{Accepts, LayerInfo, Layers, Stack, TakesSample};
use crate::constraint::{Connects, Sample, ShapeCheck};
use crate::element::Scalar;
use crate::linalg;
use crate::zeroed::Zeroable;
use rand::Rng;

/// A fully connected layer: `IN` inputs, `OUT` outputs, activation `A` (Keras's
/// `Dense(OUT, activation=A, input_shape=(IN,))`).
///
/// The type is a zero-sized marker; the weights live in [`DenseParams`].
pub struct Dense<const IN: usize, const OUT: usize, A: Activation = super::Linear>(PhantomData<A>);

impl<const IN: usize, const OUT: usize, A: Activation> Dense<IN, OUT, A> {
    /// A layer needs inputs and outputs. No trait bound can say `OUT > 0` on stable Rust,
    /// so this is checked where the layer is used (`cargo build`, not `cargo check`); the
    /// error names the layer's type, `Dense<784, 0, ..>`.
    pub(crate) const NOT_EMPTY: () = if IN == 0 || OUT == 0 {
        let m = Message::new().str("`Dense<").num(IN).str(", ").num(OUT).str(", ..>` has ");
        let m = m.str(if IN == 0 { "no inputs" } else { "no outputs" });
        panic!("{}", m.str(": a `Dense` layer needs at least one input and one output").as_str());
    };

    /// The shapes of the weight arrays: the kernel `(IN, OUT)`, the bias `(OUT,)`.
    const WEIGHTS: &'static [&'static [usize]] = &[&[IN, OUT], &[OUT]];

    /// What [`Layers::describe`] reports, as a constant (`include_weights!` compares it
    /// with the file's entry).
    pub(crate) const INFO: LayerInfo = LayerInfo {
        kind: "Dense",
        name: "dense",
        activation: A::NAME,
        inputs: IN,
        outputs: OUT,
        output_shape: &[OUT],
        weights: Self::WEIGHTS,
        params: IN * OUT + OUT,
    };
}

impl<const IN: usize, const OUT: usize, A: Activation> core::fmt::Debug for Dense<IN, OUT, A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Dense<{IN}, {OUT}, {}>", A::NAME)
    }
}

/// The weights of a [`Dense`] layer, in Keras's layout.
///
/// `kernel[i][j]` is the weight from input `i` to output `j` (`IN x OUT`, as
/// `layer.get_weights()[0]` in Keras); `bias[j]` is added to output `j`.
///
/// Aligned to a cache line (64 bytes), on the heap, on the stack and in a `static`, so
/// that a kernel whose rows are whole vectors (32 `f32`, two AVX-512 registers) is read
/// without loads that straddle two lines: 16-32-32-4 on a native build took 84-92 ns a
/// sample with its weights 16 or 48 bytes past a line and 63-70 ns on one (the heap
/// gives 16-byte alignment, so which one a program got depended on what it had allocated
/// before). A layer's size is rounded up to whole lines.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
pub struct DenseParams<T, const IN: usize, const OUT: usize> {
    /// `IN x OUT` weights.
    pub kernel: [[T; OUT]; IN],
    /// `OUT` biases.
    pub bias: [T; OUT],
}

// SAFETY: two arrays of zeroable values, no pointers.
unsafe impl<T: Zeroable, const IN: usize, const OUT: usize> Zeroable for DenseParams<T, IN, OUT> {}

impl<T, const IN: usize, const OUT: usize> DenseParams<T, IN, OUT> {
    /// Weights from a kernel and a bias; usable in a `const` or `static`.
    pub const fn new(kernel: [[T; OUT]; IN], bias: [T; OUT]) -> Self {
        DenseParams { kernel, bias }
    }
}

#[inline(always)]
pub(crate) fn same_width<T: Copy, const A: usize, const B: usize>(x: &[T; A]) -> &[T; B] {
    // A == B wherever this is called (a width check holds), so this always succeeds.
    x.as_slice().try_into().expect("widths checked at compile time")
}

impl<T: Scalar, const IN: usize, const OUT: usize, A: Activation> Stack<T> for Dense<IN, OUT, A> {
    type Weights = DenseParams<T, IN, OUT>;
}

impl<T: Scalar, const IN: usize, const OUT: usize, A: Activation> Layers<T> for Dense<IN, OUT, A> {
    type Params = DenseParams<T, IN, OUT>;
    type Input = [T; IN];
    type Output = [T; OUT];
    type Last = A;
    const PARAMS: usize = IN * OUT + OUT;
    const DEPTH: usize = 1;
    const CHECK: () = Self::NOT_EMPTY;

    crate::nn::layers::one_layer_scratch!();

    fn init<R: Rng + ?Sized>(params: &mut Self::Params, rng: &mut R) {
        let () = Self::NOT_EMPTY;
        // glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
        let limit = T::from_f64(num_traits::Float::sqrt(6.0 / (IN + OUT) as f64));
        crate::random::fill_uniform(rng, params.kernel.as_flattened_mut(), -limit, limit);
        params.bias = [T::zero(); OUT];
    }

    #[inline(always)]
    fn forward_inline<const FMA: bool>(params: &Self::Params, x: &[T; IN], out: &mut [T; OUT]) {
        let () = Self::NOT_EMPTY;
        *out = params.bias;
        linalg::small::accumulate_rows_inline::<T, IN, OUT, FMA>(
            core::slice::from_ref(x),
            &params.kernel,
            core::slice::from_mut(out),
        );
        A::forward_with::<T, FMA>(out);
    }

    #[cfg(feature = "alloc")]
    fn forward_batch_packed(
        params: &Self::Params,
        packs: &mut &[linalg::packed::PackedB<T>],
        x: &[[T; IN]],
        out: &mut [[T; OUT]],
    ) {
        let () = Self::NOT_EMPTY;
        let rows = x.len().min(out.len());
        let (x, out) = (&x[..rows], &mut out[..rows]);
        out.fill(params.bias);
        let packed = packs.split_first().map(|(first, rest)| {
            *packs = rest;
            first
        });
        match packed {
            // The kernel packed once (a model's copy): only the inputs are packed here.
            Some(b)
                if (b.k(), b.n()) == (IN, OUT)
                    && linalg::engine(rows, IN, OUT, true, true) == linalg::Engine::Packed =>
            {
                let a = linalg::MatRef::row_major(x.as_flattened(), IN);
                T::with_input_packing(rows, IN, |packing| {
                    linalg::packed::gemm_packed(rows, a, b, true, out.as_flattened_mut(), OUT, packing)
                });
            }
            _ => linalg::matmul_rows(x, &params.kernel, out, true, None),
        }
        for row in out {
            A::forward(row);
        }
    }

    fn describe(f: &mut dyn FnMut(LayerInfo)) {
        let () = Self::NOT_EMPTY;
        f(Self::INFO);
    }

    #[cfg(feature = "alloc")]
    fn pack_kernels_into(params: &Self::Params, packs: &mut alloc::vec::Vec<linalg::packed::PackedB<T>>) {
        packs.push(linalg::packed::PackedB::new(
            IN,
            OUT,
            linalg::MatRef::row_major(params.kernel.as_flattened(), OUT),
        ));
    }

    fn zip_params(a: &mut Self::Params, b: &Self::Params, f: &mut dyn FnMut(&mut [T], &[T])) {
        f(a.kernel.as_flattened_mut(), b.kernel.as_flattened());
        f(&mut a.bias, &b.bias);
    }

    fn visit_params_mut(p: &mut Self::Params, f: &mut dyn FnMut(&mut [T])) {
        f(p.kernel.as_flattened_mut());
        f(&mut p.bias);
    }

    fn visit_params<'a>(p: &'a Self::Params, f: &mut dyn FnMut(&'a [T])) {
        f(p.kernel.as_flattened());
        f(&p.bias);
    }
}

impl<T: Scalar, const IN: usize, const PREV: usize, const OUT: usize, A: Activation> Accepts<T, [T; PREV]>
    for Dense<IN, OUT, A>
where
    ShapeCheck: Connects<Self, IN, PREV>,
{
    #[inline(always)]
    fn view(x: &[T; PREV]) -> &[T; IN] {
        same_width(x)
    }
    #[inline(always)]
    fn view_batch(x: &[[T; PREV]]) -> &[[T; IN]] {
        x.as_flattened().as_chunks::<IN>().0
    }
    #[inline(always)]
    fn view_batch_mut(x: &mut [[T; PREV]]) -> &mut [[T; IN]] {
        x.as_flattened_mut().as_chunks_mut::<IN>().0
    }
}

impl<T: Scalar, X, const IN: usize, const OUT: usize, A: Activation> TakesSample<T, X> for Dense<IN, OUT, A>
where
    X: Sample<Self, T, IN>,
{
    #[inline(always)]
    fn view(x: &X) -> &[T; IN] {
        X::view(x)
    }
    #[inline(always)]
    fn view_batch(x: &[X]) -> &[[T; IN]] {
        X::view_batch(x)
    }
}
