//! Saving and loading a quantized network, with the checks of `load_weights`.
//!
//! # Format (`SHAPEDQ1`)
//! Little-endian throughout:
//!
//! | bytes | what |
//! |---|---|
//! | 8 | `b"SHAPEDQ1"` |
//! | 4 | number of layers (`u32`) |
//! | per layer | inputs, outputs (`u32` each), the activation's name (length `u8`, ASCII) |
//! | per layer | input scale (`f32`) and zero point (`u8`), output scale and zero point, the requantized zero (`u8`), the lowest output (`u8`), whether the table is used (`u8`, 0 or 1), the weights (`IN x OUT` `i8`, packed), the biases (`OUT` `i32`), the requantization (`OUT` pairs of `i32`: multiplier, shift), the dequantization scales (`OUT` `f32`), the table (256 `u8`) |
//! | 4 | CRC-32 of every byte before it |

use alloc::format;
use alloc::vec::Vec;
use std::io::Write;
use std::path::Path;

use super::{QDenseParams, QLayers, QuantParams, Quantize, Quantized};
use crate::crc32::Crc32;
use crate::linalg::int8::Requant;
use crate::nn::{LayerInfo, WeightsError};

const MAGIC: &[u8; 8] = b"SHAPEDQ1";

/// One quantized layer's parameters as bytes (object-safe, for the layers of any width).
pub trait QLayerData {
    /// Appends the layer's record.
    fn write(&self, out: &mut Vec<u8>);
    /// Reads the layer's record from the front of `bytes`, advancing it; `layer` names
    /// it in errors.
    fn read(&mut self, bytes: &mut &[u8], layer: usize) -> Result<(), WeightsError>;
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], WeightsError> {
    if bytes.len() < n {
        return Err(WeightsError::Truncated);
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

fn u32_at(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn quant(bytes: &mut &[u8], layer: usize, zero_scale_ok: bool) -> Result<QuantParams, WeightsError> {
    let b = take(bytes, 5)?;
    let scale = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    // A normal number: the inverse of a subnormal scale (1e-45) is infinite.
    let ok = (scale.is_normal() && scale > 0.0) || (zero_scale_ok && scale == 0.0);
    if !ok {
        return Err(WeightsError::Invalid { layer, what: "scale" });
    }
    Ok(QuantParams { scale, zero: b[4] })
}

impl<const IN: usize, const OUT: usize> QLayerData for QDenseParams<IN, OUT> {
    fn write(&self, out: &mut Vec<u8>) {
        for q in [self.input, self.output] {
            out.extend(q.scale.to_le_bytes());
            out.push(q.zero);
        }
        out.extend([self.pre_zero, self.low, self.use_table as u8]);
        out.extend(self.weights.as_flattened().iter().map(|&w| w as u8));
        out.extend(self.bias.iter().flat_map(|b| b.to_le_bytes()));
        for r in &self.requant {
            out.extend(r.multiplier.to_le_bytes());
            out.extend(r.shift.to_le_bytes());
        }
        out.extend(self.dequant.iter().flat_map(|d| d.to_le_bytes()));
        out.extend(self.table);
    }

    fn read(&mut self, bytes: &mut &[u8], layer: usize) -> Result<(), WeightsError> {
        self.input = quant(bytes, layer, false)?;
        self.output = quant(bytes, layer, true)?;
        let b = take(bytes, 3)?;
        (self.pre_zero, self.low) = (b[0], b[1]);
        self.use_table = match b[2] {
            0 => false,
            1 => true,
            _ => return Err(WeightsError::Invalid { layer, what: "table flag" }),
        };
        for (w, &b) in self.weights.as_flattened_mut().iter_mut().zip(take(bytes, IN * OUT)?) {
            *w = b as i8;
        }
        // A bias leaves room for the largest sum of products, so no accumulator overflows.
        let room = i32::MAX as i64 - 255 * 128 * IN as i64;
        for (d, b) in self.bias.iter_mut().zip(take(bytes, 4 * OUT)?.chunks_exact(4)) {
            *d = u32_at(b) as i32;
            if (*d as i64).abs() > room {
                return Err(WeightsError::Invalid { layer, what: "bias" });
            }
        }
        for (r, b) in self.requant.iter_mut().zip(take(bytes, 8 * OUT)?.chunks_exact(8)) {
            let (multiplier, shift) = (u32_at(b) as i32, u32_at(&b[4..]) as i32);
            // `Requant::apply` shifts by `31 - shift`: 1 to 62 bits.
            if multiplier < 0 || !(-31..=30).contains(&shift) {
                return Err(WeightsError::Invalid { layer, what: "requantization" });
            }
            *r = Requant { multiplier, shift };
        }
        for (d, b) in self.dequant.iter_mut().zip(take(bytes, 4 * OUT)?.chunks_exact(4)) {
            *d = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            if !d.is_finite() {
                return Err(WeightsError::NonFinite);
            }
        }
        self.table.copy_from_slice(take(bytes, 256)?);
        Ok(())
    }
}

impl<N: Quantize> Quantized<N> {
    /// The network as the bytes of a `SHAPEDQ1` file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        let mut infos = Vec::new();
        N::describe(&mut |l| infos.push(l));
        out.extend((infos.len() as u32).to_le_bytes());
        for l in &infos {
            out.extend((l.inputs as u32).to_le_bytes());
            out.extend((l.outputs as u32).to_le_bytes());
            out.push(l.activation.len() as u8);
            out.extend(l.activation.as_bytes());
        }
        N::Q::visit(&self.params, &mut |layer| layer.write(&mut out));
        let crc = Crc32::new().update(&out).value();
        out.extend(crc.to_le_bytes());
        out
    }

    /// Writes the network to `path` (format `SHAPEDQ1`, above).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        let bytes = self.to_bytes();
        crate::atomic::write_file(path.as_ref(), |w| w.write_all(&bytes))?;
        Ok(())
    }

    /// The network from the bytes of a `SHAPEDQ1` file, checked as `load_weights`
    /// checks its files: the magic, the checksum, every layer's widths and activation,
    /// the length, finite scales and requantizations in range.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WeightsError> {
        let mut c = bytes;
        if take(&mut c, 8)? != MAGIC {
            return Err(WeightsError::BadMagic);
        }
        if bytes.len() >= 12 {
            let (body, tail) = bytes.split_at(bytes.len() - 4);
            let (stored, computed) = (u32_at(tail), Crc32::new().update(body).value());
            if stored != computed {
                return Err(WeightsError::Checksum { stored, computed });
            }
        }
        let depth = u32_at(take(&mut c, 4)?) as usize;
        if depth != N::DEPTH {
            return Err(WeightsError::Depth { expected: N::DEPTH, found: depth });
        }
        let mut infos: Vec<LayerInfo> = Vec::new();
        N::describe(&mut |l| infos.push(l));
        for (layer, l) in infos.iter().enumerate() {
            let b = take(&mut c, 9)?;
            let found = (u32_at(b) as usize, u32_at(&b[4..]) as usize);
            if found != (l.inputs, l.outputs) {
                return Err(WeightsError::LayerShape { layer, expected: (l.inputs, l.outputs), found });
            }
            let name = take(&mut c, b[8] as usize)?;
            if name != l.activation.as_bytes() {
                let found = alloc::string::String::from_utf8_lossy(name).into_owned();
                return Err(WeightsError::Activation { layer, expected: l.activation, found });
            }
        }
        let mut params = crate::zeroed::zeroed_box::<<N::Q as QLayers>::Params>();
        let mut result = Ok(());
        let mut layer = 0;
        N::Q::visit_mut(&mut params, &mut |data| {
            if result.is_ok() {
                result = data.read(&mut c, layer);
            }
            layer += 1;
        });
        result?;
        take(&mut c, 4)?;
        if !c.is_empty() {
            return Err(WeightsError::TrailingData);
        }
        Ok(Quantized { params: params.into() })
    }

    /// Reads a network written by [`save`](Self::save): no more than this network's
    /// file length and one byte (an endless stream costs no more), I/O errors naming the
    /// file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, WeightsError> {
        use std::io::Read;
        let path = path.as_ref();
        let io = |e: std::io::Error| {
            WeightsError::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
        };
        // Every network of this type writes a file of the same length.
        let len = Quantized::<N> { params: crate::zeroed::zeroed_box::<<N::Q as QLayers>::Params>().into() }
            .to_bytes()
            .len();
        let mut bytes = Vec::new();
        std::fs::File::open(path).and_then(|f| f.take(len as u64 + 1).read_to_end(&mut bytes)).map_err(io)?;
        Self::from_bytes(&bytes)
    }
}
