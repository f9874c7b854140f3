//! Layers and stacks of layers as types.

use core::marker::PhantomData;

use super::activation::Activation;
use crate::element::{Scalar, Zeroable};
use crate::kernels;
use rand::Rng;

#[cfg(feature = "alloc")]
use crate::gemm::{Packing, gemm};
#[cfg(feature = "alloc")]
use crate::kernels::MatRef;
#[cfg(feature = "alloc")]
use alloc::vec::Vec;

/// Training buffers of a [`Dense`] layer.
#[cfg(feature = "alloc")]
#[doc(hidden)]
pub struct DenseTrace<T, const OUT: usize> {
    y: Vec<[T; OUT]>,
    g: Vec<[T; OUT]>,
}

/// A sample: one row of `N` values, `[T; N]`.
pub trait Vector<T: Scalar>: crate::Shape<Elem = T> + Copy + Send + Sync {
    /// Number of values.
    const LEN: usize;
    /// All zeros.
    fn zeros() -> Self;
    /// The values.
    fn as_slice(&self) -> &[T];
    /// The values, writable.
    fn as_mut_slice(&mut self) -> &mut [T];
}

impl<T: Scalar, const N: usize> Vector<T> for [T; N] {
    const LEN: usize = N;
    #[inline]
    fn zeros() -> Self {
        [T::zero(); N]
    }
    #[inline]
    fn as_slice(&self) -> &[T] {
        self
    }
    #[inline]
    fn as_mut_slice(&mut self) -> &mut [T] {
        self
    }
}

/// A fully connected layer: `IN` inputs, `OUT` outputs, activation `A` (Keras's
/// `Dense(OUT, activation=A, input_shape=(IN,))`).
///
/// The type is a zero-sized marker; the weights live in [`DenseParams`].
pub struct Dense<const IN: usize, const OUT: usize, A: Activation = super::Linear>(PhantomData<A>);

impl<const IN: usize, const OUT: usize, A: Activation> core::fmt::Debug for Dense<IN, OUT, A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Dense<{IN}, {OUT}, {}>", A::NAME)
    }
}

/// The weights of a [`Dense`] layer, in Keras's layout.
///
/// `kernel[i][j]` is the weight from input `i` to output `j` (`IN x OUT`, as
/// `layer.get_weights()[0]` in Keras); `bias[j]` is added to output `j`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
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

/// The one-sample forward pass as a job for [`kernels::dispatch`].
struct Forward<'a, N: Layers<T>, T: Scalar> {
    params: &'a N::Params,
    x: &'a N::Input,
    out: &'a mut N::Output,
}

impl<N: Layers<T>, T: Scalar> kernels::Job for Forward<'_, N, T> {
    type Out = ();
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        N::forward_inline::<FMA>(self.params, self.x, self.out)
    }
}

/// The marker type the width checks below are implemented for.
pub struct Widths;

/// A layer's input width equals the output width of the layer before it.
#[diagnostic::on_unimplemented(
    message = "layer `{L}` takes {IN} inputs, but the layer before it has {PREV} outputs",
    label = "`{L}` cannot follow a layer with {PREV} outputs",
    note = "the input width of each layer must equal the output width of the layer before it"
)]
pub trait Connects<L, const IN: usize, const PREV: usize> {}
impl<L, const N: usize> Connects<L, N, N> for Widths {}

/// A sample has as many values as the network's first layer has inputs.
#[diagnostic::on_unimplemented(
    message = "the network's first layer `{L}` takes samples of {IN} values, but this sample is `{X}`",
    label = "expected samples of {IN} values",
    note = "samples given to a network must have the width of its first layer's input"
)]
pub trait SampleWidth<L, T, const IN: usize, X> {
    /// The sample as the layer's input.
    fn view(x: &X) -> &[T; IN];
    /// A batch of samples as the layer's inputs.
    fn view_batch(x: &[X]) -> &[[T; IN]];
}

impl<L, T, const IN: usize> SampleWidth<L, T, IN, [T; IN]> for Widths {
    #[inline(always)]
    fn view(x: &[T; IN]) -> &[T; IN] {
        x
    }
    #[inline(always)]
    fn view_batch(x: &[[T; IN]]) -> &[[T; IN]] {
        x
    }
}

/// A type with no values.
///
/// It exists for a second impl of [`SampleWidth`]: with a single impl, rustc would infer
/// the sample's type from it and report a plain type mismatch instead of the message.
#[derive(Clone, Copy, Debug)]
pub enum NotASample {}

impl<L, T, const IN: usize> SampleWidth<L, T, IN, NotASample> for Widths {
    fn view(x: &NotASample) -> &[T; IN] {
        match *x {}
    }
    fn view_batch(_: &[NotASample]) -> &[[T; IN]] {
        &[]
    }
}

/// One row of a model summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    /// The layer's type (`"Dense"`).
    pub kind: &'static str,
    /// Its activation (`"relu"`).
    pub activation: &'static str,
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// Number of parameters.
    pub params: usize,
}

/// A layer or a stack of layers, run on samples of scalar type `T`.
///
/// Implemented for [`Dense`] and for tuples of up to 12 stacks whose widths connect:
/// `(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)` is the chapter-2 network.
/// Everything is an associated function of the type: the weights are passed in, so they
/// can live in a `Box`, a `static` or on the stack.
pub trait Layers<T: Scalar>: Sized + 'static {
    /// One input sample (`[T; IN]` of the first layer).
    type Input: Vector<T>;
    /// One output sample (`[T; OUT]` of the last layer).
    type Output: Vector<T>;
    /// The weights: [`DenseParams`] for a layer, a tuple of them for a stack.
    type Params: Zeroable + Copy + Send + Sync + 'static;
    /// The activation of the last layer (what a loss is paired with).
    type Last: Activation;
    /// Number of parameters, a compile-time constant.
    const PARAMS: usize;
    /// Number of layers.
    const DEPTH: usize;

    /// Keras's default initialisation: glorot_uniform kernels, zero biases.
    fn init<R: Rng + ?Sized>(params: &mut Self::Params, rng: &mut R);

    /// One sample through every layer. No heap: intermediate rows live on the stack
    /// (a few KiB for the chapter-2 network). The whole network is compiled for each
    /// instruction set and the best for this CPU is picked once per call.
    #[inline]
    fn forward(params: &Self::Params, x: &Self::Input, out: &mut Self::Output) {
        kernels::dispatch(Forward::<Self, T> { params, x, out })
    }

    /// [`Layers::forward`] with every kernel inlined, `FMA` telling whether fused
    /// multiply-adds may be used; compiled inside [`kernels::dispatch`]'s variants.
    #[doc(hidden)]
    fn forward_inline<const FMA: bool>(params: &Self::Params, x: &Self::Input, out: &mut Self::Output);

    /// Many samples through every layer, through matrixmultiply for the large products.
    #[cfg(feature = "alloc")]
    fn forward_batch(params: &Self::Params, x: &[Self::Input], out: &mut [Self::Output]);

    /// Calls `f` with each layer's description, first to last.
    fn describe(f: &mut dyn FnMut(LayerInfo));

    /// Calls `f` with each weight array of `a` and the matching one of `b`, flattened,
    /// in a fixed order (kernel, then bias, layer by layer).
    fn zip_params(a: &mut Self::Params, b: &Self::Params, f: &mut dyn FnMut(&mut [T], &[T]));

    /// Calls `f` with each weight array, flattened and writable, in the order of
    /// [`Layers::zip_params`].
    fn visit_params_mut(p: &mut Self::Params, f: &mut dyn FnMut(&mut [T]));

    /// Calls `f` with each weight array, flattened, in the order of [`Layers::zip_params`].
    fn visit_params<'a>(p: &'a Self::Params, f: &mut dyn FnMut(&'a [T]));

    /// Buffers of one training step: each layer's outputs and the gradient with respect
    /// to them, for up to the number of samples given to [`Layers::new_trace`].
    #[cfg(feature = "alloc")]
    type Trace: Send;

    /// Training buffers for batches of up to `rows` samples.
    #[cfg(feature = "alloc")]
    fn new_trace(rows: usize) -> Self::Trace;

    /// The forward pass of training: every layer's outputs for `x` kept in `trace`.
    #[cfg(feature = "alloc")]
    fn forward_train(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        packing: &mut Packing<T>,
    );

    /// The last layer's outputs and its gradient buffer (the whole capacity).
    #[cfg(feature = "alloc")]
    fn head(trace: &mut Self::Trace) -> (&[Self::Output], &mut [Self::Output]);

    /// Turns the last layer's gradient with respect to its outputs into the gradient
    /// with respect to its pre-activations, for the first `rows` samples.
    #[cfg(feature = "alloc")]
    fn activation_backward(trace: &mut Self::Trace, rows: usize);

    /// The backward pass. On entry the head's gradient holds the gradient of the loss with
    /// respect to the last layer's pre-activations; on exit `grads` holds the gradient
    /// with respect to every weight (overwritten), and `dx`, if given, the gradient with
    /// respect to the input `x`.
    #[cfg(feature = "alloc")]
    fn backward(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        grads: &mut Self::Params,
        dx: Option<&mut [Self::Input]>,
        packing: &mut Packing<T>,
    );
}

/// A stack that can follow a layer whose output is `In`: the width check between layers.
pub trait Accepts<T: Scalar, In>: Layers<T> {
    /// `In` seen as this stack's input (they are the same type once the check holds).
    fn view(x: &In) -> &Self::Input;
    /// A batch of `In` seen as this stack's inputs.
    fn view_batch(x: &[In]) -> &[Self::Input];
    /// A batch of `In` seen as this stack's inputs, writable.
    fn view_batch_mut(x: &mut [In]) -> &mut [Self::Input];
}

/// A network that takes samples of type `X`: the width check of `predict` and `fit`.
pub trait TakesSample<T: Scalar, X>: Layers<T> {
    /// `X` seen as the network's input.
    fn view(x: &X) -> &Self::Input;
    /// A batch of `X` seen as the network's inputs.
    fn view_batch(x: &[X]) -> &[Self::Input];
}

#[inline(always)]
fn same_width<T: Copy, const A: usize, const B: usize>(x: &[T; A]) -> &[T; B] {
    // A == B wherever this is called (a width check holds), so this always succeeds.
    x.as_slice().try_into().expect("widths checked at compile time")
}

impl<T: Scalar, const IN: usize, const OUT: usize, A: Activation> Layers<T> for Dense<IN, OUT, A> {
    type Input = [T; IN];
    type Output = [T; OUT];
    type Params = DenseParams<T, IN, OUT>;
    type Last = A;
    const PARAMS: usize = IN * OUT + OUT;
    const DEPTH: usize = 1;

    fn init<R: Rng + ?Sized>(params: &mut Self::Params, rng: &mut R) {
        // glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
        let limit = T::from_f64(libm_sqrt(6.0 / (IN + OUT) as f64));
        crate::random::fill_uniform(rng, params.kernel.as_flattened_mut(), -limit, limit);
        params.bias = [T::zero(); OUT];
    }

    #[inline(always)]
    fn forward_inline<const FMA: bool>(params: &Self::Params, x: &[T; IN], out: &mut [T; OUT]) {
        *out = params.bias;
        kernels::acc_rows_inline::<T, IN, OUT, FMA>(
            core::slice::from_ref(x),
            &params.kernel,
            core::slice::from_mut(out),
        );
        A::forward(out);
    }

    #[cfg(feature = "alloc")]
    fn forward_batch(params: &Self::Params, x: &[[T; IN]], out: &mut [[T; OUT]]) {
        let rows = x.len().min(out.len());
        let (x, out) = (&x[..rows], &mut out[..rows]);
        out.fill(params.bias);
        if rows <= 4 {
            kernels::accumulate_rows(x, &params.kernel, out);
        } else {
            kernels::gemm(
                rows,
                IN,
                OUT,
                kernels::MatRef::row_major(x.as_flattened(), IN),
                kernels::MatRef::row_major(params.kernel.as_flattened(), OUT),
                T::one(),
                out.as_flattened_mut(),
            );
        }
        for row in out {
            A::forward(row);
        }
    }

    fn describe(f: &mut dyn FnMut(LayerInfo)) {
        f(LayerInfo { kind: "Dense", activation: A::NAME, inputs: IN, outputs: OUT, params: IN * OUT + OUT });
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

    #[cfg(feature = "alloc")]
    type Trace = DenseTrace<T, OUT>;

    #[cfg(feature = "alloc")]
    fn new_trace(rows: usize) -> Self::Trace {
        DenseTrace { y: alloc::vec![[T::zero(); OUT]; rows], g: alloc::vec![[T::zero(); OUT]; rows] }
    }

    #[cfg(feature = "alloc")]
    fn forward_train(
        params: &Self::Params,
        x: &[[T; IN]],
        trace: &mut Self::Trace,
        packing: &mut Packing<T>,
    ) {
        let y = &mut trace.y[..x.len()];
        y.fill(params.bias);
        gemm(
            x.len(),
            IN,
            OUT,
            MatRef::row_major(x.as_flattened(), IN),
            MatRef::row_major(params.kernel.as_flattened(), OUT),
            true,
            y.as_flattened_mut(),
            OUT,
            packing,
        );
        for row in y {
            A::forward(row);
        }
    }

    #[cfg(feature = "alloc")]
    fn head(trace: &mut Self::Trace) -> (&[[T; OUT]], &mut [[T; OUT]]) {
        (&trace.y, &mut trace.g)
    }

    #[cfg(feature = "alloc")]
    fn activation_backward(trace: &mut Self::Trace, rows: usize) {
        for (y, g) in trace.y[..rows].iter().zip(&mut trace.g[..rows]) {
            A::backward(y, g);
        }
    }

    #[cfg(feature = "alloc")]
    fn backward(
        params: &Self::Params,
        x: &[[T; IN]],
        trace: &mut Self::Trace,
        grads: &mut Self::Params,
        dx: Option<&mut [[T; IN]]>,
        packing: &mut Packing<T>,
    ) {
        let rows = x.len();
        let dz = &trace.g[..rows];
        // dW = x^T . dz
        gemm(
            IN,
            rows,
            OUT,
            MatRef::transposed(x.as_flattened(), IN),
            MatRef::row_major(dz.as_flattened(), OUT),
            false,
            grads.kernel.as_flattened_mut(),
            OUT,
            packing,
        );
        // db = sum of dz over the samples
        grads.bias = [T::zero(); OUT];
        for row in dz {
            for (b, &d) in grads.bias.iter_mut().zip(row) {
                *b = *b + d;
            }
        }
        // dx = dz . W^T
        if let Some(dx) = dx {
            gemm(
                rows,
                OUT,
                IN,
                MatRef::row_major(dz.as_flattened(), OUT),
                MatRef::transposed(params.kernel.as_flattened(), OUT),
                false,
                dx[..rows].as_flattened_mut(),
                IN,
                packing,
            );
        }
    }
}

fn libm_sqrt(x: f64) -> f64 {
    num_traits::Float::sqrt(x)
}

impl<T: Scalar, const IN: usize, const PREV: usize, const OUT: usize, A: Activation> Accepts<T, [T; PREV]>
    for Dense<IN, OUT, A>
where
    Widths: Connects<Self, IN, PREV>,
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
    Widths: SampleWidth<Self, T, IN, X>,
{
    #[inline(always)]
    fn view(x: &X) -> &[T; IN] {
        <Widths as SampleWidth<Self, T, IN, X>>::view(x)
    }
    #[inline(always)]
    fn view_batch(x: &[X]) -> &[[T; IN]] {
        <Widths as SampleWidth<Self, T, IN, X>>::view_batch(x)
    }
}

// SAFETY: a pair of zeroable values is zeroable field by field (padding is not read).
unsafe impl<A: Zeroable, B: Zeroable> Zeroable for (A, B) {}

/// Two stacks in sequence, the second taking the first's output.
impl<T: Scalar, A: Layers<T>, B: Accepts<T, A::Output>> Layers<T> for (A, B) {
    type Input = A::Input;
    type Output = B::Output;
    type Params = (A::Params, B::Params);
    type Last = B::Last;
    const PARAMS: usize = A::PARAMS + B::PARAMS;
    const DEPTH: usize = A::DEPTH + B::DEPTH;

    fn init<R: Rng + ?Sized>(params: &mut Self::Params, rng: &mut R) {
        A::init(&mut params.0, rng);
        B::init(&mut params.1, rng);
    }

    #[inline(always)]
    fn forward_inline<const FMA: bool>(params: &Self::Params, x: &Self::Input, out: &mut Self::Output) {
        let mut mid = A::Output::zeros();
        A::forward_inline::<FMA>(&params.0, x, &mut mid);
        B::forward_inline::<FMA>(&params.1, B::view(&mid), out);
    }

    #[cfg(feature = "alloc")]
    fn forward_batch(params: &Self::Params, x: &[Self::Input], out: &mut [Self::Output]) {
        let mut mid = alloc::vec![A::Output::zeros(); x.len()];
        A::forward_batch(&params.0, x, &mut mid);
        B::forward_batch(&params.1, B::view_batch(&mid), out);
    }

    fn describe(f: &mut dyn FnMut(LayerInfo)) {
        A::describe(f);
        B::describe(f);
    }

    fn zip_params(a: &mut Self::Params, b: &Self::Params, f: &mut dyn FnMut(&mut [T], &[T])) {
        A::zip_params(&mut a.0, &b.0, f);
        B::zip_params(&mut a.1, &b.1, f);
    }

    fn visit_params_mut(p: &mut Self::Params, f: &mut dyn FnMut(&mut [T])) {
        A::visit_params_mut(&mut p.0, f);
        B::visit_params_mut(&mut p.1, f);
    }

    fn visit_params<'a>(p: &'a Self::Params, f: &mut dyn FnMut(&'a [T])) {
        A::visit_params(&p.0, f);
        B::visit_params(&p.1, f);
    }

    #[cfg(feature = "alloc")]
    type Trace = (A::Trace, B::Trace);

    #[cfg(feature = "alloc")]
    fn new_trace(rows: usize) -> Self::Trace {
        (A::new_trace(rows), B::new_trace(rows))
    }

    #[cfg(feature = "alloc")]
    fn forward_train(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        packing: &mut Packing<T>,
    ) {
        A::forward_train(&params.0, x, &mut trace.0, packing);
        let (ya, _) = A::head(&mut trace.0);
        B::forward_train(&params.1, B::view_batch(&ya[..x.len()]), &mut trace.1, packing);
    }

    #[cfg(feature = "alloc")]
    fn head(trace: &mut Self::Trace) -> (&[Self::Output], &mut [Self::Output]) {
        B::head(&mut trace.1)
    }

    #[cfg(feature = "alloc")]
    fn activation_backward(trace: &mut Self::Trace, rows: usize) {
        B::activation_backward(&mut trace.1, rows);
    }

    #[cfg(feature = "alloc")]
    fn backward(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        grads: &mut Self::Params,
        dx: Option<&mut [Self::Input]>,
        packing: &mut Packing<T>,
    ) {
        let rows = x.len();
        {
            let (ya, ga) = A::head(&mut trace.0);
            let ya = B::view_batch(&ya[..rows]);
            let ga = B::view_batch_mut(&mut ga[..rows]);
            B::backward(&params.1, ya, &mut trace.1, &mut grads.1, Some(ga), packing);
        }
        A::activation_backward(&mut trace.0, rows);
        A::backward(&params.0, x, &mut trace.0, &mut grads.0, dx, packing);
    }
}

impl<T: Scalar, In, A: Accepts<T, In>, B: Accepts<T, A::Output>> Accepts<T, In> for (A, B) {
    #[inline(always)]
    fn view(x: &In) -> &Self::Input {
        A::view(x)
    }
    #[inline(always)]
    fn view_batch(x: &[In]) -> &[Self::Input] {
        A::view_batch(x)
    }
    #[inline(always)]
    fn view_batch_mut(x: &mut [In]) -> &mut [Self::Input] {
        A::view_batch_mut(x)
    }
}

impl<T: Scalar, X, A: TakesSample<T, X>, B: Accepts<T, A::Output>> TakesSample<T, X> for (A, B) {
    #[inline(always)]
    fn view(x: &X) -> &Self::Input {
        A::view(x)
    }
    #[inline(always)]
    fn view_batch(x: &[X]) -> &[Self::Input] {
        A::view_batch(x)
    }
}

/// Flat tuples of 3 to 12 stacks: `(L1, L2, L3)` is `(L1, (L2, L3))`.
macro_rules! flat_tuple {
    ($first:ident $(, $rest:ident)+) => {
        impl<T: Scalar, $first, $($rest),+> Layers<T> for ($first, $($rest),+)
        where
            ($first, ($($rest,)+)): Layers<T>,
        {
            type Input = <($first, ($($rest,)+)) as Layers<T>>::Input;
            type Output = <($first, ($($rest,)+)) as Layers<T>>::Output;
            type Params = <($first, ($($rest,)+)) as Layers<T>>::Params;
            type Last = <($first, ($($rest,)+)) as Layers<T>>::Last;
            const PARAMS: usize = <($first, ($($rest,)+)) as Layers<T>>::PARAMS;
            const DEPTH: usize = <($first, ($($rest,)+)) as Layers<T>>::DEPTH;

            fn init<R: Rng + ?Sized>(params: &mut Self::Params, rng: &mut R) {
                <($first, ($($rest,)+)) as Layers<T>>::init(params, rng)
            }
            #[inline(always)]
            fn forward_inline<const FMA: bool>(params: &Self::Params, x: &Self::Input, out: &mut Self::Output) {
                <($first, ($($rest,)+)) as Layers<T>>::forward_inline::<FMA>(params, x, out)
            }
            #[cfg(feature = "alloc")]
            fn forward_batch(params: &Self::Params, x: &[Self::Input], out: &mut [Self::Output]) {
                <($first, ($($rest,)+)) as Layers<T>>::forward_batch(params, x, out)
            }
            fn describe(f: &mut dyn FnMut(LayerInfo)) {
                <($first, ($($rest,)+)) as Layers<T>>::describe(f)
            }
            fn zip_params(a: &mut Self::Params, b: &Self::Params, f: &mut dyn FnMut(&mut [T], &[T])) {
                <($first, ($($rest,)+)) as Layers<T>>::zip_params(a, b, f)
            }
            fn visit_params_mut(p: &mut Self::Params, f: &mut dyn FnMut(&mut [T])) {
                <($first, ($($rest,)+)) as Layers<T>>::visit_params_mut(p, f)
            }
            fn visit_params<'a>(p: &'a Self::Params, f: &mut dyn FnMut(&'a [T])) {
                <($first, ($($rest,)+)) as Layers<T>>::visit_params(p, f)
            }
            #[cfg(feature = "alloc")]
            type Trace = <($first, ($($rest,)+)) as Layers<T>>::Trace;
            #[cfg(feature = "alloc")]
            fn new_trace(rows: usize) -> Self::Trace {
                <($first, ($($rest,)+)) as Layers<T>>::new_trace(rows)
            }
            #[cfg(feature = "alloc")]
            fn forward_train(params: &Self::Params, x: &[Self::Input], trace: &mut Self::Trace, packing: &mut Packing<T>) {
                <($first, ($($rest,)+)) as Layers<T>>::forward_train(params, x, trace, packing)
            }
            #[cfg(feature = "alloc")]
            fn head(trace: &mut Self::Trace) -> (&[Self::Output], &mut [Self::Output]) {
                <($first, ($($rest,)+)) as Layers<T>>::head(trace)
            }
            #[cfg(feature = "alloc")]
            fn activation_backward(trace: &mut Self::Trace, rows: usize) {
                <($first, ($($rest,)+)) as Layers<T>>::activation_backward(trace, rows)
            }
            #[cfg(feature = "alloc")]
            fn backward(
                params: &Self::Params,
                x: &[Self::Input],
                trace: &mut Self::Trace,
                grads: &mut Self::Params,
                dx: Option<&mut [Self::Input]>,
                packing: &mut Packing<T>,
            ) {
                <($first, ($($rest,)+)) as Layers<T>>::backward(params, x, trace, grads, dx, packing)
            }
        }

        impl<T: Scalar, In, $first, $($rest),+> Accepts<T, In> for ($first, $($rest),+)
        where
            ($first, ($($rest,)+)): Accepts<T, In>,
        {
            #[inline(always)]
            fn view(x: &In) -> &Self::Input {
                <($first, ($($rest,)+)) as Accepts<T, In>>::view(x)
            }
            #[inline(always)]
            fn view_batch(x: &[In]) -> &[Self::Input] {
                <($first, ($($rest,)+)) as Accepts<T, In>>::view_batch(x)
            }
            #[inline(always)]
            fn view_batch_mut(x: &mut [In]) -> &mut [Self::Input] {
                <($first, ($($rest,)+)) as Accepts<T, In>>::view_batch_mut(x)
            }
        }

        impl<T: Scalar, X, $first, $($rest),+> TakesSample<T, X> for ($first, $($rest),+)
        where
            ($first, ($($rest,)+)): TakesSample<T, X>,
        {
            #[inline(always)]
            fn view(x: &X) -> &Self::Input {
                <($first, ($($rest,)+)) as TakesSample<T, X>>::view(x)
            }
            #[inline(always)]
            fn view_batch(x: &[X]) -> &[Self::Input] {
                <($first, ($($rest,)+)) as TakesSample<T, X>>::view_batch(x)
            }
        }
    };
}

flat_tuple!(L1, L2, L3);
flat_tuple!(L1, L2, L3, L4);
flat_tuple!(L1, L2, L3, L4, L5);
flat_tuple!(L1, L2, L3, L4, L5, L6);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7, L8);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7, L8, L9);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7, L8, L9, L10);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12);
