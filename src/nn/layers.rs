//! The [`Layers`] trait: a layer or a stack of layers as a type, and the width checks
//! between them ([`Accepts`], [`TakesSample`]).

use super::activation::Activation;
use crate::element::Scalar;
use crate::linalg;
use crate::zeroed::Zeroable;
use rand::Rng;

/// A sample of any rank: `[T; N]`, a sequence `[[T; C]; L]` or an image
/// `[[[T; C]; W]; H]` (channels last, as Keras), seen as its values in row-major order.
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

impl<T: Scalar, S: crate::Shape<Elem = T>> Vector<T> for S {
    const LEN: usize = S::NUMEL;
    #[inline(always)]
    fn zeros() -> Self {
        crate::zeroed::zeroed()
    }
    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        self.flat()
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        self.flat_mut()
    }
}

/// One row of a model summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    /// The layer's type (`"Dense"`, `"Conv2D"`).
    pub kind: &'static str,
    /// Keras's name for layers of this type (`"dense"`, `"conv2d"`): the summary numbers
    /// them `conv2d`, `conv2d_1`, ...
    pub name: &'static str,
    /// Its activation (`"relu"`; `"linear"` for a layer without one).
    pub activation: &'static str,
    /// Number of input values (a sample's, flattened).
    pub inputs: usize,
    /// Number of output values (a sample's, flattened).
    pub outputs: usize,
    /// The shape of one output sample, as Keras prints it without the batch axis
    /// (`[26, 26, 32]`).
    pub output_shape: &'static [usize],
    /// The shape of each weight array, in the order of [`Layers::visit_params`]
    /// (`[[784, 512], [512]]` for a `Dense`, `[[3, 3, 1, 32], [32]]` for a `Conv2D`,
    /// nothing for a layer without weights).
    pub weights: &'static [&'static [usize]],
    /// Number of parameters.
    pub params: usize,
}

impl LayerInfo {
    /// Whether the layer is a `Dense`: a kernel `(inputs, outputs)` and a bias.
    pub fn is_dense(&self) -> bool {
        self.kind == "Dense"
    }
}

/// `[26, 26, 32]` as `(26, 26, 32)`, `[10]` as `(10,)`: a shape as Python prints a tuple.
#[derive(Clone, Copy)]
pub struct ShapeTuple<'a>(pub &'a [usize]);

impl core::fmt::Display for ShapeTuple<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "(")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        if self.0.len() == 1 {
            write!(f, ",")?;
        }
        write!(f, ")")
    }
}

impl core::fmt::Debug for ShapeTuple<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

/// The [`Layers::Scratch`] of one layer: none (its output is the caller's `out`), and
/// [`Layers::forward_in_inline`] as [`Layers::forward_inline`].
macro_rules! one_layer_scratch {
    () => {
        type Scratch = ();
        #[inline(always)]
        fn forward_in_inline<const FMA: bool>(
            params: &Self::Params,
            x: &Self::Input,
            out: &mut Self::Output,
            _: &mut (),
        ) {
            Self::forward_inline::<FMA>(params, x, out)
        }
    };
}
pub(crate) use one_layer_scratch;

/// The one-sample forward pass as a job for the run-time dispatch. Two pointers, passed
/// in registers, and the output returned: with the output's pointer as a third field the
/// job went to the chosen variant through memory (16-32-32-4, default target: 60.2 →
/// 59.8 ns, 56.7 → 55.8 with a linear last layer, probe program).
struct Forward<'a, N: Layers<T>, T: Scalar> {
    params: &'a N::Params,
    x: &'a N::Input,
}

impl<N: Layers<T>, T: Scalar> linalg::Job for Forward<'_, N, T> {
    type Out = N::Output;
    #[inline(always)]
    fn run<const FMA: bool>(self) -> N::Output {
        let mut out = N::Output::zeros();
        N::forward_inline::<FMA>(self.params, self.x, &mut out);
        out
    }
}

/// [`Layers::forward_in`] as a job for the run-time dispatch.
struct ForwardIn<'a, N: Layers<T>, T: Scalar> {
    params: &'a N::Params,
    x: &'a N::Input,
    out: &'a mut N::Output,
    scratch: &'a mut N::Scratch,
}

impl<N: Layers<T>, T: Scalar> linalg::Job for ForwardIn<'_, N, T> {
    type Out = ();
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        N::forward_in_inline::<FMA>(self.params, self.x, self.out, self.scratch)
    }
}

/// A layer or a tuple of layers, as far as its weights go: what a network type must be
/// before its widths are checked ([`Layers`] checks them).
///
/// `Sequential<N>` needs only this, so a network whose widths do not connect is reported
/// once, by the call that builds it (`Sequential::new`), with the message of the rule it
/// breaks.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a network: a network is a layer or a tuple of 1 to 12 layers",
    label = "not a layer or a tuple of 1 to 12 layers",
    note = "for more than 12 layers, nest tuples: `(L1, L2, (L3, L4, ..))` runs the same layers in the same order"
)]
pub trait Stack<T: Scalar>: Sized + 'static {
    /// The weights, as [`Layers::Params`] (the same type).
    type Weights: Zeroable + Copy + Send + Sync + 'static;
}

/// A layer or a stack of layers, run on samples of scalar type `T`: the inference half
/// of a network (training adds [`Backprop`](crate::train::Backprop)).
///
/// Implemented for [`Dense`](super::Dense) and for tuples of up to 12 stacks whose widths
/// connect: `(Dense<784, 512, Relu>, Dense<512, 10, Softmax>)` is the chapter-2 network.
/// Everything is an associated function of the type: the weights are passed in, so they
/// can live in a `Box`, a `static` or on the stack.
pub trait Layers<T: Scalar>: Stack<T, Weights = <Self as Layers<T>>::Params> {
    /// One input sample (`[T; IN]` of the first layer).
    type Input: Vector<T>;
    /// One output sample (`[T; OUT]` of the last layer).
    type Output: Vector<T>;
    /// The weights: [`DenseParams`](super::DenseParams) for a layer, a tuple of them for
    /// a stack.
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
        *out = linalg::dispatch(Forward::<Self, T> { params, x })
    }

    /// [`Layers::forward`] with every kernel inlined, `FMA` telling whether fused
    /// multiply-adds may be used; compiled inside the dispatch's variants.
    #[doc(hidden)]
    fn forward_inline<const FMA: bool>(params: &Self::Params, x: &Self::Input, out: &mut Self::Output);

    /// The activations between this stack's layers for one sample, which
    /// [`forward_in`](Layers::forward_in) keeps here rather than on the stack: `()` for
    /// one layer; for `(A, B)`, `A`'s output and both stacks' own scratch. All zeros is a
    /// valid value, so a `static` can hold it (`Zeroable::ZERO`) or the heap
    /// ([`zeroed_box`](crate::zeroed_box)). [`Scratch`](super::Scratch) names it.
    type Scratch: Zeroable + Send + Sync + 'static;

    /// [`Layers::forward`] with the activations between layers in `scratch` instead of
    /// on the stack: what a microcontroller with a small stack runs (the chapter-5
    /// convnet's activations are 150 KB). Same kernels, same results.
    #[inline]
    fn forward_in(
        params: &Self::Params,
        x: &Self::Input,
        out: &mut Self::Output,
        scratch: &mut Self::Scratch,
    ) {
        linalg::dispatch(ForwardIn::<Self, T> { params, x, out, scratch })
    }

    /// [`Layers::forward_in`] with every kernel inlined (see
    /// [`forward_inline`](Layers::forward_inline)).
    #[doc(hidden)]
    fn forward_in_inline<const FMA: bool>(
        params: &Self::Params,
        x: &Self::Input,
        out: &mut Self::Output,
        scratch: &mut Self::Scratch,
    );

    /// Many samples through every layer (the shorter of `x` and `out` is used).
    #[cfg(feature = "alloc")]
    fn forward_batch(params: &Self::Params, x: &[Self::Input], out: &mut [Self::Output]) {
        Self::forward_batch_packed(params, &mut &[][..], x, out)
    }

    /// [`Layers::forward_batch`] with the layers' kernels packed already, one
    /// [`PackedB`](crate::linalg::packed::PackedB) per layer in order (see
    /// [`pack_kernels`](Layers::pack_kernels)): each layer takes the first of `packs`
    /// and leaves the rest; a layer that finds none packs as it goes.
    #[doc(hidden)]
    #[cfg(feature = "alloc")]
    fn forward_batch_packed(
        params: &Self::Params,
        packs: &mut &[crate::linalg::packed::PackedB<T>],
        x: &[Self::Input],
        out: &mut [Self::Output],
    );

    /// Every layer's kernel packed for the GEMM, first layer first.
    #[doc(hidden)]
    #[cfg(feature = "alloc")]
    fn pack_kernels(params: &Self::Params) -> alloc::vec::Vec<crate::linalg::packed::PackedB<T>> {
        let mut packs = alloc::vec::Vec::with_capacity(Self::DEPTH);
        Self::pack_kernels_into(params, &mut packs);
        packs
    }

    /// Pushes the packed kernel of each layer that has one, first layer first: what
    /// [`forward_batch_packed`](Layers::forward_batch_packed) takes from `packs`.
    #[doc(hidden)]
    #[cfg(feature = "alloc")]
    fn pack_kernels_into(
        params: &Self::Params,
        packs: &mut alloc::vec::Vec<crate::linalg::packed::PackedB<T>>,
    );

    /// The geometry checks that no trait bound can express (a kernel larger than its
    /// input, computed dims that disagree with the formulas): a `const` that fails to
    /// evaluate, with a message naming the layer and its dims, when the network is
    /// compiled to code. [`network!`](crate::network) evaluates it for its type at
    /// `cargo check` time.
    const CHECK: () = ();

    /// Calls `f` with each layer's description, first to last.
    fn describe(f: &mut dyn FnMut(LayerInfo));

    /// Calls `f` with each weight array of `a` and the matching one of `b`, flattened,
    /// in a fixed order (layer by layer; within a layer, as [`LayerInfo::weights`]
    /// lists them: kernel, then bias).
    fn zip_params(a: &mut Self::Params, b: &Self::Params, f: &mut dyn FnMut(&mut [T], &[T]));

    /// Calls `f` with each weight array, flattened and writable, in the order of
    /// [`Layers::zip_params`].
    fn visit_params_mut(p: &mut Self::Params, f: &mut dyn FnMut(&mut [T]));

    /// Calls `f` with each weight array, flattened, in the order of [`Layers::zip_params`].
    fn visit_params<'a>(p: &'a Self::Params, f: &mut dyn FnMut(&'a [T]));
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

/// The activations between the layers of network `N` for one sample
/// ([`Layers::Scratch`]), for [`ModelRef::predict_in`](super::ModelRef::predict_in).
pub type Scratch<N, T = f32> = <N as Layers<T>>::Scratch;

/// A network that takes samples of type `X`: the width check of `predict` and `fit`.
pub trait TakesSample<T: Scalar, X>: Layers<T> {
    /// `X` seen as the network's input.
    fn view(x: &X) -> &Self::Input;
    /// A batch of `X` seen as the network's inputs.
    fn view_batch(x: &[X]) -> &[Self::Input];
}
