//! Weight files compiled into the binary: [`include_weights!`](crate::include_weights).
//!
//! The macro reads a file written by `Sequential::save_weights` (format version 2 for
//! networks of `Dense` layers, version 3 for convnets: the README's "Weight files"
//! section) with `include_bytes!` and turns it into the network's `Params` while the
//! program compiles. The result is a constant: put in a `static`, it
//! sits in the binary's read-only data, the same bytes as the file's weights, and
//! [`ModelRef`](super::ModelRef) runs on it with no parsing, copying or heap at run time.
//! The file's bytes *are* the weights (little-endian floats), so a big-endian target is
//! a compile error rather than wrong numbers.
//!
//! A file that does not fit the network type is a compile error naming the file's layer
//! and the type's: the magic and version, the element type, the number of layers, each
//! layer's widths and activation (version 3: each layer's type, activation and weight
//! shapes), and the length are checked. Two checks of
//! `load_weights` are not repeated here, because const evaluation would take seconds per
//! megabyte of weights: the CRC-32 and every weight being finite. Check them once in a
//! test: `load_weights` on the same file, compared with the `static` (the `no_std`
//! classifier's test does).
//!
//! How it works without const trait methods (not stable): each layer's weights are an
//! associated constant of [`EmbedAt`], whose type parameters say where in the file the
//! layer starts ([`Position`]); a tuple's constant is the tuple of its layers' constants,
//! each at the position after the layers before it ([`After`]).

use core::marker::PhantomData;

use super::activation::Activation;
use super::conv::{Conv2D, Conv2DParams};
use super::dense::{Dense, DenseParams};
use super::flatten::Flatten;
use super::geometry::Padding;
use super::layers::{LayerInfo, Layers};
use super::pool::{GlobalAveragePooling2D, PoolOp, Pooling2D};
use crate::constraint::Message;
use crate::element::Scalar;
use crate::zeroed::Zeroable;

mod v3;
use v3::{check_layers_v3, file_layout_v3, header_end_v3, is_v3, write_info};

/// The bytes of a weight file (implemented by [`include_weights!`](crate::include_weights)).
pub trait WeightBytes {
    /// The file's bytes.
    const BYTES: &'static [u8];
}

/// Where a stack's weights start in a weight file: its first layer's index, and the
/// byte offset of its first weight.
pub trait Position {
    /// Index of the stack's first layer in the file.
    const LAYER: usize;
    /// Offset of the stack's first weight in the file.
    const OFFSET: usize;
}

/// The start of file `B`'s weights, after its header (which this checks).
pub struct Start<B, T>(PhantomData<(B, T)>);

impl<B: WeightBytes, T: Scalar> Position for Start<B, T> {
    const LAYER: usize = 0;
    // A header that does not parse gives an offset past the end: nothing is read, and
    // `check_file` reports the header.
    const OFFSET: usize =
        match if is_v3(B::BYTES) { header_end_v3(B::BYTES) } else { header_end(B::BYTES, 16) } {
            Some(end) => end,
            None => usize::MAX / 2,
        };
}

/// The position after stack `L`, which starts at `P`.
pub struct After<P, L, T>(PhantomData<(P, L, T)>);

impl<P: Position, T: Scalar, L: Layers<T>> Position for After<P, L, T> {
    const LAYER: usize = P::LAYER + L::DEPTH;
    const OFFSET: usize = P::OFFSET.saturating_add(L::PARAMS * core::mem::size_of::<T>());
}

/// The layers of a network as a weight file lists them: for a file of `Dense` layers
/// (version 2) their inputs, outputs and activation; for a file of other layers too
/// (version 3) their type, activation and weight shapes.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    len: usize,
    layers: [LayerInfo; MAX_LAYERS],
}

/// The most layers [`Layout`] lists (beyond, only the count is compared).
const MAX_LAYERS: usize = 48;

/// No layer: what [`Layout`] holds past its last.
const NO_LAYER: LayerInfo = LayerInfo {
    kind: "",
    name: "",
    activation: "",
    inputs: 0,
    outputs: 0,
    output_shape: &[],
    weights: &[],
    params: 0,
};

impl Layout {
    /// A `Dense` layer as version 2 lists it (the quantized file's layers, too).
    pub(crate) const fn one(inputs: usize, outputs: usize, activation: &'static str) -> Self {
        Self::layer(LayerInfo { kind: "Dense", name: "dense", activation, inputs, outputs, ..NO_LAYER })
    }

    /// One layer, as [`Layers::describe`] reports it.
    pub(crate) const fn layer(info: LayerInfo) -> Self {
        let mut layers = [NO_LAYER; MAX_LAYERS];
        layers[0] = info;
        Layout { len: 1, layers }
    }

    /// Whether every layer is a `Dense`: such networks are saved as version 2.
    const fn dense_only(&self) -> bool {
        let mut i = 0;
        while i < self.len && i < MAX_LAYERS {
            if !same(self.layers[i].kind.as_bytes(), b"Dense") {
                return false;
            }
            i += 1;
        }
        true
    }

    /// Appends the layers as version 3 lists them:
    /// `Conv2D<(3, 3, 1, 32), relu> -> MaxPooling2D -> ...`.
    const fn write_v3(&self, mut m: Message) -> Message {
        let mut i = 0;
        while i < self.len && i < MAX_LAYERS {
            if i > 0 {
                m = m.str(" -> ");
            }
            m = write_info(&self.layers[i], m);
            i += 1;
        }
        m
    }

    pub(crate) const fn then(self, next: Layout) -> Self {
        let mut out = self;
        let mut i = 0;
        while i < next.len && out.len < MAX_LAYERS {
            out.layers[out.len] = next.layers[i];
            out.len += 1;
            i += 1;
        }
        out.len = self.len + next.len;
        out
    }

    /// Appends the layers as `Dense<784, 512, relu> -> Dense<512, 10, softmax>`.
    pub(crate) const fn write(&self, mut m: Message) -> Message {
        let mut i = 0;
        while i < self.len && i < MAX_LAYERS {
            if i > 0 {
                m = m.str(" -> ");
            }
            let l = &self.layers[i];
            m = m.str("Dense<").num(l.inputs).str(", ").num(l.outputs).str(", ").str(l.activation).str(">");
            i += 1;
        }
        m
    }
}

/// A stack whose weights can be read at compile time from file `B`, starting at `P`.
///
/// Use it through [`include_weights!`](crate::include_weights), which checks the whole
/// file against [`LAYOUT`](EmbedAt::LAYOUT) first: a layer's `WEIGHTS` alone does not
/// repeat those checks (it reads zeros from a file that does not fit, so that the one
/// error reported is the file's).
pub trait EmbedAt<T: Scalar, B: WeightBytes, P: Position>: Layers<T> {
    /// The layers, as the file must list them.
    const LAYOUT: Layout;
    /// The weights.
    const WEIGHTS: Self::Params;
}

macro_rules! dense_embed {
    ($t:ty) => {
        impl<B: WeightBytes, P: Position, const IN: usize, const OUT: usize, A: Activation> EmbedAt<$t, B, P>
            for Dense<IN, OUT, A>
        {
            const LAYOUT: Layout = Layout::layer(Self::INFO);
            const WEIGHTS: DenseParams<$t, IN, OUT> = {
                let size = core::mem::size_of::<$t>();
                let kernel_at = P::OFFSET;
                let bias_at = kernel_at + IN * OUT * size;
                if bias_at.saturating_add(OUT * size) > B::BYTES.len() || cfg!(target_endian = "big") {
                    // The file does not fit (`check_file` reports why): nothing to read.
                    DenseParams::new([[0.0; OUT]; IN], [0.0; OUT])
                } else {
                    // SAFETY: both reads lie inside the file's bytes (checked just above);
                    // `read_unaligned` needs no alignment; every bit pattern is a valid float
                    // and arrays have a defined layout. This runs in const evaluation, which
                    // refuses any out-of-bounds or uninitialized read with a compile error.
                    // The bytes are the floats as stored, little-endian; a big-endian target
                    // is refused just above. A test compares the result with
                    // `load_weights` on the same file.
                    let (kernel, bias) = unsafe {
                        let base = B::BYTES.as_ptr();
                        (
                            core::ptr::read_unaligned(base.add(kernel_at) as *const [[$t; OUT]; IN]),
                            core::ptr::read_unaligned(base.add(bias_at) as *const [$t; OUT]),
                        )
                    };
                    DenseParams::new(kernel, bias)
                }
            };
        }
    };
}
dense_embed!(f32);
dense_embed!(f64);

impl<
    T: Scalar,
    B: WeightBytes,
    Q: Position,
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
> EmbedAt<T, B, Q> for Conv2D<H, W, C, F, KH, KW, SH, SW, OH, OW, A, P>
{
    const LAYOUT: Layout = Layout::layer(Self::INFO);
    const WEIGHTS: Conv2DParams<T, KH, KW, C, F> = {
        let size = core::mem::size_of::<T>();
        let kernel_at = Q::OFFSET;
        let bias_at = kernel_at.saturating_add(KH * KW * C * F * size);
        if bias_at.saturating_add(F * size) > B::BYTES.len() || cfg!(target_endian = "big") {
            // The file does not fit (`check_file` reports why): nothing to read.
            Zeroable::ZERO
        } else {
            // SAFETY: as for `Dense` above: both reads lie inside the file's bytes (checked
            // just above), `read_unaligned` needs no alignment, every bit pattern is a valid
            // float (`T` is `f32` or `f64`: `Scalar`), arrays have a defined layout, and
            // const evaluation refuses any out-of-bounds read with a compile error. The
            // kernel is stored `(KH, KW, C, F)`, as `Conv2DParams::kernel`. A test compares
            // the result with `load_weights` on the same file.
            let (kernel, bias) = unsafe {
                let base = B::BYTES.as_ptr();
                (
                    core::ptr::read_unaligned(base.add(kernel_at) as *const [[[[T; F]; C]; KW]; KH]),
                    core::ptr::read_unaligned(base.add(bias_at) as *const [T; F]),
                )
            };
            Conv2DParams { kernel, bias }
        }
    };
}

impl<
    T: Scalar,
    B: WeightBytes,
    Q: Position,
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
> EmbedAt<T, B, Q> for Pooling2D<Op, H, W, C, PH, PW, SH, SW, OH, OW, P>
{
    const LAYOUT: Layout = Layout::layer(Self::INFO);
    const WEIGHTS: () = ();
}

impl<T: Scalar, B: WeightBytes, Q: Position, const H: usize, const W: usize, const C: usize> EmbedAt<T, B, Q>
    for GlobalAveragePooling2D<H, W, C>
{
    const LAYOUT: Layout = Layout::layer(Self::INFO);
    const WEIGHTS: () = ();
}

impl<T: Scalar, B: WeightBytes, Q: Position, const H: usize, const W: usize, const C: usize, const N: usize>
    EmbedAt<T, B, Q> for Flatten<H, W, C, N>
{
    const LAYOUT: Layout = Layout::layer(Self::INFO);
    const WEIGHTS: () = ();
}

impl<T: Scalar, B: WeightBytes, P: Position, A: EmbedAt<T, B, P>, C: EmbedAt<T, B, After<P, A, T>>>
    EmbedAt<T, B, P> for (A, C)
where
    (A, C): Layers<T, Params = (A::Params, C::Params)>,
{
    const LAYOUT: Layout = A::LAYOUT.then(C::LAYOUT);
    const WEIGHTS: (A::Params, C::Params) = (A::WEIGHTS, C::WEIGHTS);
}

impl<T: Scalar, B: WeightBytes, P: Position, A: EmbedAt<T, B, P>> EmbedAt<T, B, P> for (A,)
where
    (A,): Layers<T, Params = A::Params>,
{
    const LAYOUT: Layout = A::LAYOUT;
    const WEIGHTS: A::Params = A::WEIGHTS;
}

macro_rules! flat_embed {
    ($first:ident $(, $rest:ident)+) => {
        impl<T: Scalar, B: WeightBytes, P: Position, $first, $($rest),+> EmbedAt<T, B, P> for ($first, $($rest),+)
        where
            ($first, $($rest),+): Layers<T, Params = <($first, ($($rest,)+)) as Layers<T>>::Params>,
            ($first, ($($rest,)+)): EmbedAt<T, B, P>,
        {
            const LAYOUT: Layout = <($first, ($($rest,)+)) as EmbedAt<T, B, P>>::LAYOUT;
            const WEIGHTS: Self::Params = <($first, ($($rest,)+)) as EmbedAt<T, B, P>>::WEIGHTS;
        }
    };
}
flat_embed!(L1, L2, L3);
flat_embed!(L1, L2, L3, L4);
flat_embed!(L1, L2, L3, L4, L5);
flat_embed!(L1, L2, L3, L4, L5, L6);
flat_embed!(L1, L2, L3, L4, L5, L6, L7);
flat_embed!(L1, L2, L3, L4, L5, L6, L7, L8);
flat_embed!(L1, L2, L3, L4, L5, L6, L7, L8, L9);
flat_embed!(L1, L2, L3, L4, L5, L6, L7, L8, L9, L10);
flat_embed!(L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11);
flat_embed!(L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12);

/// Checks the whole file against network `N` (its header, element type, layers and
/// length) and the target's byte order, with one message naming both. Called by
/// [`include_weights!`](crate::include_weights).
pub const fn check_file<N: Layers<T>, T: Scalar>(bytes: &[u8], layout: Layout) {
    let size = core::mem::size_of::<T>();
    if bytes.len() < 16 {
        panic!("the weight file is shorter than a header (16 bytes)");
    }
    let v3 = is_v3(bytes);
    if !v3 && !same(bytes.split_at(8).0, b"SHAPEDW2") {
        if same(bytes.split_at(8).0, b"SHAPEDW1") {
            panic!(
                "the weight file is version 1, which `include_weights!` does not read: load it and save it again"
            );
        }
        panic!("not a weight file of `shaped` (it does not start with SHAPEDW2 or SHAPEDW3)");
    }
    let found = read_u32(bytes, 8);
    if found != size {
        let m = Message::new().str("the weight file holds ").num(found).str("-byte weights, the network ");
        panic!("{}", m.str("type's element type has ").num(size).str(" bytes (f32: 4, f64: 8)").as_str());
    }
    let header = match if v3 { header_end_v3(bytes) } else { header_end(bytes, 16) } {
        Some(end) => end,
        None => panic!("the weight file ends inside its header"),
    };
    let depth = read_u32(bytes, 12);
    if v3 == layout.dense_only() {
        // A file of `Dense` layers for a network of other layers, or the reverse.
        let m = Message::new().str("the weight file holds ");
        let m = if v3 { file_layout_v3(bytes, depth, m) } else { file_layout(bytes, 16, depth, m) };
        let m = m.str(", but the network type is ");
        panic!("{}", if v3 { layout.write(m) } else { layout.write_v3(m) }.as_str());
    }
    if v3 {
        check_layers_v3(bytes, depth, &layout);
    } else if !layers_fit(bytes, 16, depth, &layout) {
        let m = Message::new().str("the weight file holds ");
        let m = file_layout(bytes, 16, depth, m).str(", but the network type is ");
        panic!("{}", layout.write(m).as_str());
    }
    let expected = header + N::PARAMS * size + 4;
    if bytes.len() != expected {
        let m = Message::new()
            .str("the weight file is ")
            .num(bytes.len())
            .str(" bytes long, but its layers need ");
        panic!("{}", m.num(expected).str(": it is truncated or has trailing data").as_str());
    }
    if cfg!(target_endian = "big") {
        panic!("`include_weights!` needs a little-endian target: the file's bytes are used as the weights");
    }
}

/// Whether the file's layer entries (from `start`, `depth` of them, inside the file)
/// list `layout`.
pub(crate) const fn layers_fit(bytes: &[u8], start: usize, depth: usize, layout: &Layout) -> bool {
    let mut fits = depth == layout.len;
    let mut at = start;
    let mut i = 0;
    while i < depth && i < layout.len && i < MAX_LAYERS {
        let l = &layout.layers[i];
        let len = bytes[at + 8] as usize;
        let file_name = bytes.split_at(at + 9).1.split_at(len).0;
        fits &= read_u32(bytes, at) == l.inputs
            && read_u32(bytes, at + 4) == l.outputs
            && same(file_name, l.activation.as_bytes());
        at += 9 + len;
        i += 1;
    }
    fits
}

/// Appends the file's layers as `Dense<784, 512, relu> -> ...` (its header is whole).
pub(crate) const fn file_layout(bytes: &[u8], start: usize, depth: usize, mut m: Message) -> Message {
    let mut at = start;
    let mut i = 0;
    while i < depth {
        if i > 0 {
            m = m.str(" -> ");
        }
        let len = bytes[at + 8] as usize;
        let name = ascii(bytes.split_at(at + 9).1.split_at(len).0);
        m = m
            .str("Dense<")
            .num(read_u32(bytes, at))
            .str(", ")
            .num(read_u32(bytes, at + 4))
            .str(", ")
            .str(name);
        m = m.str(">");
        at += 9 + len;
        i += 1;
    }
    m
}

/// Where the header ends (the first weight), if the header is whole.
pub(crate) const fn header_end(bytes: &[u8], start: usize) -> Option<usize> {
    if bytes.len() < start {
        return None;
    }
    let depth = read_u32(bytes, start - 4);
    let mut at = start;
    let mut layer = 0;
    while layer < depth {
        if at + 9 > bytes.len() {
            return None;
        }
        at += 9 + bytes[at + 8] as usize;
        layer += 1;
    }
    if at > bytes.len() { None } else { Some(at) }
}

/// The bytes as text if they are ASCII (activation names are), else `?`.
pub(crate) const fn ascii(bytes: &[u8]) -> &str {
    match core::str::from_utf8(bytes) {
        Ok(s) if bytes.is_ascii() => s,
        _ => "?",
    }
}

pub(crate) const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The little-endian `u32` at `at` (callers check the length first).
pub(crate) const fn read_u32(bytes: &[u8], at: usize) -> usize {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
}

/// A network's weights read from a `save_weights` file at compile time, for a `static`.
///
/// `include_weights!(Net, "path")` (element type `f32`) or
/// `include_weights!(Net, f64, "path")`; the path is relative to the file that uses the
/// macro, as for `include_bytes!`. The value has the type `<Net as Layers<T>>::Params`,
/// so [`ModelRef`](crate::nn::ModelRef) runs on it with no heap and no parsing at run
/// time. A file that does not fit `Net` (other widths, kernels, layer types,
/// activations, layer count or element type; a truncated file) does not compile, and the
/// error names the file's layers and the type's:
///
/// ```text
/// error[E0080]: evaluation panicked: the weight file holds Dense<784, 512, relu> ->
///     Dense<512, 10, softmax>, but the network type is Dense<784, 256, relu> -> Dense<256, 10, softmax>
/// error[E0080]: evaluation panicked: the weight file does not fit the network type: layer 1 is
///     Conv2D<(3, 3, 1, 32), relu> in the file (of 8 layers) but Conv2D<(5, 5, 1, 32), relu>
///     in the network type (of 8 layers)
/// ```
///
/// Convnets embed the same way; [`ModelRef::predict_in`](crate::nn::ModelRef::predict_in)
/// then keeps their activations in a buffer of the caller's (a `static` on a
/// microcontroller) instead of on the stack.
///
/// `cargo build` reports these; `cargo check` does too, for a `static`.
///
/// ```
/// use shaped::nn::{Dense, Layers, ModelRef, Relu, Sequential, Softmax};
/// # use shaped::rand::{SeedableRng, rngs::StdRng};
/// type Xor = (Dense<2, 8, Relu>, Dense<8, 2, Softmax>);
/// # // The committed fixture is this network's weights, saved by `save_weights`.
/// static WEIGHTS: <Xor as Layers<f32>>::Params =
///     shaped::include_weights!(Xor, concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/xor.weights"));
/// let model = ModelRef::<Xor>::new(&WEIGHTS);
/// let p = model.predict(&[1.0, 0.0]);
/// assert!((p[0] + p[1] - 1.0).abs() < 1e-6);
/// ```
#[macro_export]
macro_rules! include_weights {
    ($net:ty, $path:expr $(,)?) => {
        $crate::include_weights!($net, f32, $path)
    };
    ($net:ty, $t:ty, $path:expr $(,)?) => {{
        struct File;
        impl $crate::nn::embed::WeightBytes for File {
            const BYTES: &'static [u8] = include_bytes!($path);
        }
        type At = $crate::nn::embed::Start<File, $t>;
        const _: () = $crate::nn::embed::check_file::<$net, $t>(
            <File as $crate::nn::embed::WeightBytes>::BYTES,
            <$net as $crate::nn::embed::EmbedAt<$t, File, At>>::LAYOUT,
        );
        <$net as $crate::nn::embed::EmbedAt<$t, File, At>>::WEIGHTS
    }};
}
