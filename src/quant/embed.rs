//! Quantized networks compiled into the binary: [`include_quantized!`](crate::include_quantized).
//!
//! As [`include_weights!`](crate::include_weights) for `f32`: the macro reads a file that
//! [`Quantized::save`](super::Quantized::save) wrote (`SHAPEDQ1`) at compile time into the
//! network's `Params`, for a `static` that [`QModelRef`](super::QModelRef) runs with no
//! heap, no `std` and no parsing at run time; the int8 weights are the file's bytes. The
//! file is checked against the network type (widths, activations, length, byte order),
//! and each layer's scales, flags and requantizations against their ranges; a mismatch is
//! one compile error naming both. The CRC-32 is left to a test (`Quantized::from_bytes`
//! on the same file), as for `f32`.

use core::marker::PhantomData;

use super::{QDense, QDenseParams, QLayers, QuantParams};
use crate::constraint::Message;
use crate::linalg::int8::Requant;
use crate::nn::Activation;
use crate::nn::embed::{Layout, WeightBytes, file_layout, header_end, layers_fit, read_u32, same};

/// Where a stack's records start in a `SHAPEDQ1` file.
pub trait QPosition {
    /// Offset of the stack's first record.
    const OFFSET: usize;
}

/// The first record of file `B`, after its header.
pub struct QStart<B>(PhantomData<B>);

impl<B: WeightBytes> QPosition for QStart<B> {
    // A header that does not parse gives an offset past the end: nothing is read, and
    // `check_quantized_file` reports the header.
    const OFFSET: usize = match header_end(B::BYTES, 12) {
        Some(end) => end,
        None => usize::MAX / 2,
    };
}

/// The position after stack `L`, which starts at `P`.
pub struct QAfter<P, L>(PhantomData<(P, L)>);

impl<P: QPosition, L: EmbedQ> QPosition for QAfter<P, L> {
    const OFFSET: usize = P::OFFSET.saturating_add(L::RECORD_BYTES);
}

/// A quantized stack whose parameters can be read at compile time.
pub trait EmbedQ: QLayers {
    /// The layers, as the file must list them.
    const LAYOUT: Layout;
    /// Bytes of the stack's records.
    const RECORD_BYTES: usize;
}

/// A quantized stack read from file `B` at `P`.
pub trait EmbedQAt<B: WeightBytes, P: QPosition>: EmbedQ {
    /// The parameters (zeros if the file does not fit: `check_quantized_file` reports it).
    const PARAMS: Self::Params;
}

impl<const IN: usize, const OUT: usize, A: Activation> EmbedQ for QDense<IN, OUT, A> {
    const LAYOUT: Layout = Layout::one(IN, OUT, A::NAME);
    const RECORD_BYTES: usize = 13 + IN * OUT + 16 * OUT + 256;
}

const fn quant_at(b: &[u8], at: usize) -> QuantParams {
    QuantParams { scale: f32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]), zero: b[at + 4] }
}

impl<B: WeightBytes, P: QPosition, const IN: usize, const OUT: usize, A: Activation> EmbedQAt<B, P>
    for QDense<IN, OUT, A>
{
    const PARAMS: QDenseParams<IN, OUT> = {
        let b = B::BYTES;
        let at = P::OFFSET;
        let zero = QDenseParams {
            weights: [[0; IN]; OUT],
            bias: [0; OUT],
            requant: [Requant { multiplier: 0, shift: 0 }; OUT],
            dequant: [0.0; OUT],
            input: QuantParams { scale: 1.0, zero: 0 },
            output: QuantParams { scale: 1.0, zero: 0 },
            pre_zero: 0,
            low: 0,
            use_table: false,
            table: [0; 256],
        };
        if at.saturating_add(Self::RECORD_BYTES) > b.len() || cfg!(target_endian = "big") {
            zero
        } else {
            let w_at = at + 13;
            let bias_at = w_at + IN * OUT;
            let req_at = bias_at + 4 * OUT;
            let deq_at = req_at + 8 * OUT;
            let table_at = deq_at + 4 * OUT;
            // SAFETY: every read lies inside the file's bytes (its record fits, checked
            // just above); `read_unaligned` needs no alignment; any bit pattern is a valid
            // integer or float and arrays have a defined layout. This runs in const
            // evaluation, which refuses any out-of-bounds read with a compile error. The
            // numbers are little-endian as stored; a big-endian target reads nothing here
            // and is refused by `check_quantized_file`. A test compares the result with
            // `Quantized::from_bytes` on the same file.
            let (weights, bias, pairs, dequant, table) = unsafe {
                let p = b.as_ptr();
                (
                    core::ptr::read_unaligned(p.add(w_at) as *const [[i8; IN]; OUT]),
                    core::ptr::read_unaligned(p.add(bias_at) as *const [i32; OUT]),
                    core::ptr::read_unaligned(p.add(req_at) as *const [[i32; 2]; OUT]),
                    core::ptr::read_unaligned(p.add(deq_at) as *const [f32; OUT]),
                    core::ptr::read_unaligned(p.add(table_at) as *const [u8; 256]),
                )
            };
            let mut requant = [Requant { multiplier: 0, shift: 0 }; OUT];
            let mut o = 0;
            while o < OUT {
                requant[o] = Requant { multiplier: pairs[o][0], shift: pairs[o][1] };
                o += 1;
            }
            QDenseParams {
                weights,
                bias,
                requant,
                dequant,
                input: quant_at(b, at),
                output: quant_at(b, at + 5),
                pre_zero: b[at + 10],
                low: b[at + 11],
                use_table: b[at + 12] == 1,
                table,
            }
        }
    };
}

impl<A: EmbedQ, C: EmbedQ + QLayers<Input = A::Hidden>> EmbedQ for (A, C) {
    const LAYOUT: Layout = A::LAYOUT.then(C::LAYOUT);
    const RECORD_BYTES: usize = A::RECORD_BYTES + C::RECORD_BYTES;
}

impl<
    B: WeightBytes,
    P: QPosition,
    A: EmbedQAt<B, P>,
    C: EmbedQAt<B, QAfter<P, A>> + QLayers<Input = A::Hidden>,
> EmbedQAt<B, P> for (A, C)
{
    const PARAMS: (A::Params, C::Params) = (A::PARAMS, C::PARAMS);
}

impl<A: EmbedQ> EmbedQ for (A,) {
    const LAYOUT: Layout = A::LAYOUT;
    const RECORD_BYTES: usize = A::RECORD_BYTES;
}

impl<B: WeightBytes, P: QPosition, A: EmbedQAt<B, P>> EmbedQAt<B, P> for (A,) {
    const PARAMS: A::Params = A::PARAMS;
}

/// Checks a `SHAPEDQ1` file against the quantized network `Q` as a whole: the header,
/// every layer's widths and activation, the length, each record's ranges, the byte
/// order; one message naming both architectures on a mismatch.
pub const fn check_quantized_file<Q: EmbedQ>(bytes: &[u8]) {
    if bytes.len() < 12 || !same(bytes.split_at(8).0, b"SHAPEDQ1") {
        panic!("not a quantized weight file of `shaped` (it does not start with SHAPEDQ1)");
    }
    let header = match header_end(bytes, 12) {
        Some(end) => end,
        None => panic!("the quantized weight file ends inside its header"),
    };
    let depth = read_u32(bytes, 8);
    if !layers_fit(bytes, 12, depth, &Q::LAYOUT) {
        let m = Message::new().str("the quantized weight file holds ");
        let m = file_layout(bytes, 12, depth, m).str(", but the network type is ");
        panic!("{}", Q::LAYOUT.write(m).as_str());
    }
    let expected = header + Q::RECORD_BYTES + 4;
    if bytes.len() != expected {
        let m = Message::new()
            .str("the quantized weight file is ")
            .num(bytes.len())
            .str(" bytes long, but its layers need ");
        panic!("{}", m.num(expected).str(": it is truncated or has trailing data").as_str());
    }
    // Each record's ranges (the checks of `Quantized::from_bytes`).
    let mut at = header;
    let mut layer = 0;
    let mut entry = 12;
    while layer < depth {
        let (inputs, outputs) = (read_u32(bytes, entry), read_u32(bytes, entry + 4));
        entry += 9 + bytes[entry + 8] as usize;
        let input = quant_at(bytes, at);
        let output = quant_at(bytes, at + 5);
        let ok_scales = input.scale.is_finite()
            && input.scale > 0.0
            && output.scale.is_finite()
            && output.scale >= 0.0
            && bytes[at + 12] <= 1;
        let room = i32::MAX as i64 - 255 * 128 * inputs as i64;
        let mut ok = ok_scales;
        let mut o = 0;
        let bias_at = at + 13 + inputs * outputs;
        while o < outputs {
            let bias = read_u32(bytes, bias_at + 4 * o) as u32 as i32 as i64;
            let req = bias_at + 4 * outputs + 8 * o;
            let multiplier = read_u32(bytes, req) as u32 as i32;
            let shift = read_u32(bytes, req + 4) as u32 as i32;
            let deq_at = bias_at + 12 * outputs + 4 * o;
            let d =
                f32::from_le_bytes([bytes[deq_at], bytes[deq_at + 1], bytes[deq_at + 2], bytes[deq_at + 3]]);
            ok &= bias.abs() <= room && multiplier >= 0 && shift >= -31 && shift <= 30 && d.is_finite();
            o += 1;
        }
        if !ok {
            let m = Message::new()
                .str("layer ")
                .num(layer)
                .str(" of the quantized weight file holds a value out of range");
            panic!("{}", m.as_str());
        }
        at += 13 + inputs * outputs + 16 * outputs + 256;
        layer += 1;
    }
    if cfg!(target_endian = "big") {
        panic!("`include_quantized!` needs a little-endian target: the file's bytes are used as the weights");
    }
}

/// A quantized network's parameters read from a [`Quantized::save`](super::Quantized::save)
/// file at compile time, for a `static`: `include_quantized!(Q, "path")` where `Q` is the
/// quantized network type (`<Net as Quantize>::Q`, or written out:
/// `(QDense<784, 512, Relu>, QDense<512, 10, Softmax>)`). The value has the type
/// `<Q as QLayers>::Params`; [`QModelRef`](crate::quant::QModelRef) runs it with no heap.
/// A file that does not fit `Q` is one compile error naming both.
#[macro_export]
macro_rules! include_quantized {
    ($q:ty, $path:expr $(,)?) => {{
        struct File;
        impl $crate::nn::embed::WeightBytes for File {
            const BYTES: &'static [u8] = include_bytes!($path);
        }
        type At = $crate::quant::embed::QStart<File>;
        const _: () =
            $crate::quant::embed::check_quantized_file::<$q>(<File as $crate::nn::embed::WeightBytes>::BYTES);
        <$q as $crate::quant::embed::EmbedQAt<File, At>>::PARAMS
    }};
}
