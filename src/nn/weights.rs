//! Saving and loading a model's weights: Keras's `save_weights` / `load_weights`.
//!
//! # Format (version 2)
//! Little-endian throughout:
//!
//! | bytes | what |
//! |---|---|
//! | 8 | `b"SHAPEDW2"` |
//! | 4 | element size in bytes (`u32`: 4 for `f32`, 8 for `f64`) |
//! | 4 | number of layers (`u32`) |
//! | per layer | inputs (`u32`), outputs (`u32`), the activation's Keras name: its length (`u8`) and its ASCII bytes (`relu`, `softmax`, ...) |
//! | per weight array | every value, in the order of [`Layers::visit_params`] (per layer: kernel `IN x OUT` row-major, then bias) |
//! | 4 | CRC-32 (IEEE, as zlib and gzip compute it) of every byte before it (`u32`) |
//!
//! Version 1 files (`b"SHAPEDW1"`: no activations, no checksum) still load; their layer
//! widths and element size are checked as before.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use std::io::{Read, Write};
use std::path::Path;

use super::Sequential;
use super::layers::{LayerInfo, Layers};
use crate::crc32::Crc32;
use crate::element::Scalar;

const MAGIC_V1: &[u8; 8] = b"SHAPEDW1";
const MAGIC: &[u8; 8] = b"SHAPEDW2";

/// What can go wrong saving or loading weights. A failed load leaves the model as it was.
pub enum WeightsError {
    /// A quantized weight file holds a value out of its range (a scale that is not
    /// positive and finite, a requantization shift out of range, ...).
    Invalid {
        /// The layer.
        layer: usize,
        /// What is invalid.
        what: &'static str,
    },
    /// The file could not be read or written.
    Io(std::io::Error),
    /// Not a weight file of `shaped`.
    BadMagic,
    /// The file's checksum does not match its contents: it was corrupted (a changed
    /// byte, a bad copy).
    Checksum {
        /// The checksum stored in the file.
        stored: u32,
        /// The checksum of the file's contents.
        computed: u32,
    },
    /// Weights of another element type (`f64` into an `f32` model, say).
    ElementSize {
        /// Bytes per weight of the model.
        expected: u32,
        /// Bytes per weight in the file.
        found: u32,
    },
    /// A different number of layers.
    Depth {
        /// Layers of the model.
        expected: usize,
        /// Layers in the file.
        found: usize,
    },
    /// A layer of other widths.
    LayerShape {
        /// The layer, from 0.
        layer: usize,
        /// Inputs and outputs of the model's layer.
        expected: (usize, usize),
        /// Inputs and outputs in the file.
        found: (usize, usize),
    },
    /// A layer with another activation (weights trained for `relu` are not weights for
    /// `tanh`).
    Activation {
        /// The layer, from 0.
        layer: usize,
        /// The model's activation.
        expected: &'static str,
        /// The file's.
        found: String,
    },
    /// The file ends before all the weights.
    Truncated,
    /// Bytes after the weights.
    TrailingData,
    /// A weight in the file is NaN or infinite.
    NonFinite,
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightsError::Io(e) => write!(f, "cannot read or write the weight file: {e}"),
            WeightsError::BadMagic => write!(f, "not a weight file of shaped (bad magic bytes)"),
            WeightsError::Checksum { stored, computed } => write!(
                f,
                "the weight file is corrupt: its checksum is {stored:08x}, its contents give {computed:08x}"
            ),
            WeightsError::ElementSize { expected, found } => {
                write!(f, "the file holds {found}-byte weights, the model {expected}-byte ones")
            }
            WeightsError::Depth { expected, found } => {
                write!(f, "the file holds {found} layers, the model has {expected}")
            }
            WeightsError::LayerShape { layer, expected, found } => write!(
                f,
                "layer {layer}: the file's kernel is ({}, {}), the model's layer has a ({}, {}) kernel",
                found.0, found.1, expected.0, expected.1
            ),
            WeightsError::Activation { layer, expected, found } => write!(
                f,
                "layer {layer}: the file's weights were saved from a `{found}` layer, the model's layer is `{expected}`"
            ),
            WeightsError::Truncated => write!(f, "the weight file ends before all the weights"),
            WeightsError::TrailingData => write!(f, "the weight file is longer than its weights"),
            WeightsError::NonFinite => write!(f, "the weight file holds a NaN or infinite weight"),
            WeightsError::Invalid { layer, what } => {
                write!(f, "layer {layer}: the quantized weight file holds an invalid {what}")
            }
        }
    }
}

crate::error::debug_is_display!(WeightsError);

impl std::error::Error for WeightsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WeightsError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for WeightsError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            WeightsError::Truncated
        } else {
            WeightsError::Io(e)
        }
    }
}

/// The bytes of the file being parsed, read front to back.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WeightsError> {
        if self.0.len() < n {
            return Err(WeightsError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32, WeightsError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Writes weights of network `N` in the format above.
fn write_params<N: Layers<T>, T: Scalar, W: Write>(params: &N::Params, w: &mut W) -> std::io::Result<()> {
    let mut crc = Crc32::new();
    let mut put = |w: &mut W, bytes: &[u8]| -> std::io::Result<()> {
        crc = crc.update(bytes);
        w.write_all(bytes)
    };
    let size = core::mem::size_of::<T>() as u32;
    put(w, MAGIC)?;
    put(w, &size.to_le_bytes())?;
    put(w, &(N::DEPTH as u32).to_le_bytes())?;
    let mut result = Ok(());
    N::describe(&mut |l: LayerInfo| {
        if result.is_ok() {
            result = put(w, &(l.inputs as u32).to_le_bytes())
                .and_then(|()| put(w, &(l.outputs as u32).to_le_bytes()))
                .and_then(|()| put(w, &[l.activation.len() as u8]))
                .and_then(|()| put(w, l.activation.as_bytes()));
        }
    });
    result?;
    let mut result = Ok(());
    N::visit_params(params, &mut |a| {
        for &v in a {
            if result.is_err() {
                return;
            }
            result = if size == 4 {
                put(w, &(v.to_f64() as f32).to_le_bytes())
            } else {
                put(w, &v.to_f64().to_le_bytes())
            };
        }
    });
    result?;
    w.write_all(&crc.value().to_le_bytes())?;
    Ok(())
}

/// Writes weights of network `N` to the file `path` (a checkpoint of `fit`).
pub(crate) fn write_weights_file<N: Layers<T>, T: Scalar>(
    params: &N::Params,
    path: &Path,
) -> std::io::Result<()> {
    crate::atomic::write_file(path, |w| write_params::<N, T, _>(params, w))
}

/// Bytes of this network's weight file: (version 1, version 2).
fn file_sizes<N: Layers<T>, T: Scalar>() -> (usize, usize) {
    let mut names = 0;
    N::describe(&mut |l| names += 1 + l.activation.len());
    let body = N::PARAMS * core::mem::size_of::<T>();
    (16 + 8 * N::DEPTH + body, 16 + 8 * N::DEPTH + names + body + 4)
}

impl<N: Layers<T>, T: Scalar> Sequential<N, T> {
    /// Writes the weights to `path` (Keras's `save_weights`), in the format above.
    ///
    /// ```
    /// use shaped::nn::{Dense, Relu, Sequential, Softmax};
    /// use shaped::rand::{SeedableRng, rngs::StdRng};
    /// type Net = (Dense<4, 8, Relu>, Dense<8, 2, Softmax>);
    /// let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(1));
    /// let path = std::env::temp_dir().join("shaped-doc-weights.bin");
    /// model.save_weights(&path)?;
    /// let mut other = Sequential::<Net>::zeros();
    /// other.load_weights(&path)?;
    /// assert_eq!(other.params(), model.params());
    /// // A network of other widths refuses the file, and keeps its own weights.
    /// let mut wrong = Sequential::<(Dense<4, 9, Relu>, Dense<9, 2, Softmax>)>::zeros();
    /// let err = wrong.load_weights(&path).unwrap_err();
    /// assert_eq!(err.to_string(), "layer 0: the file's kernel is (4, 8), the model's layer has a (4, 9) kernel");
    /// # Ok::<(), shaped::nn::WeightsError>(())
    /// ```
    pub fn save_weights(&self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        write_weights_file::<N, T>(self.params(), path.as_ref())?;
        Ok(())
    }

    /// Writes the weights to any writer.
    pub fn write_weights<W: Write>(&self, w: &mut W) -> Result<(), WeightsError> {
        write_params::<N, T, W>(self.params(), w)?;
        Ok(())
    }

    /// Reads weights saved by [`save_weights`](Self::save_weights) (Keras's
    /// `load_weights`). The file must describe this network's layers exactly; on any
    /// error the model keeps its weights.
    pub fn load_weights(&mut self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| {
            WeightsError::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
        })?;
        self.read_weights(&mut std::io::BufReader::new(file))
    }

    /// Reads weights from any reader; see [`load_weights`](Self::load_weights).
    ///
    /// Reads at most one byte more than this network's file can hold, so a stream of any
    /// length costs the size of the weights at most.
    pub fn read_weights<R: Read>(&mut self, r: &mut R) -> Result<(), WeightsError> {
        let (v1, v2) = file_sizes::<N, T>();
        let mut bytes = Vec::new();
        r.take(v1.max(v2) as u64 + 1).read_to_end(&mut bytes)?;
        let params = parse::<N, T>(&bytes, v1, v2)?;
        *self = Sequential::from_params(params);
        Ok(())
    }
}

/// The weights in `bytes`, a whole file of version 1 (`v1` bytes long for this network)
/// or 2 (`v2`), checked against the network.
fn parse<N: Layers<T>, T: Scalar>(
    bytes: &[u8],
    v1: usize,
    v2: usize,
) -> Result<alloc::boxed::Box<N::Params>, WeightsError> {
    let mut c = Cursor(bytes);
    let magic = c.take(8)?;
    let version = match magic {
        m if m == MAGIC => 2,
        m if m == MAGIC_V1 => 1,
        _ => return Err(WeightsError::BadMagic),
    };
    // A version-2 file of this network's length is checked whole first: a changed byte
    // anywhere reads as corruption, not as a mismatch it happens to make.
    if version == 2 && bytes.len() == v2 {
        let (body, tail) = bytes.split_at(v2 - 4);
        let stored = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
        let computed = Crc32::new().update(body).value();
        if stored != computed {
            return Err(WeightsError::Checksum { stored, computed });
        }
    }
    let size = core::mem::size_of::<T>() as u32;
    let found = c.u32()?;
    if found != size {
        return Err(WeightsError::ElementSize { expected: size, found });
    }
    let depth = c.u32()? as usize;
    if depth != N::DEPTH {
        return Err(WeightsError::Depth { expected: N::DEPTH, found: depth });
    }
    let mut result = Ok(());
    let mut layer = 0;
    N::describe(&mut |l| {
        if result.is_ok() {
            result = check_layer(&mut c, version, layer, l);
        }
        layer += 1;
    });
    result?;
    // Into fresh weights on the heap; the model's own are replaced only on success.
    let mut params = crate::zeroed::zeroed_box::<N::Params>();
    let mut finite = true;
    let mut result = Ok(());
    N::visit_params_mut(&mut params, &mut |a| {
        if result.is_err() {
            return;
        }
        match c.take(a.len() * size as usize) {
            Ok(raw) => {
                for (v, b) in a.iter_mut().zip(raw.chunks_exact(size as usize)) {
                    let x = if size == 4 {
                        f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64
                    } else {
                        f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
                    };
                    finite &= x.is_finite();
                    *v = T::from_f64(x);
                }
            }
            Err(e) => result = Err(e),
        }
    });
    result?;
    if version == 2 {
        c.take(4)?; // the checksum, checked above when the length was right
    }
    if !c.0.is_empty() || bytes.len() > if version == 2 { v2 } else { v1 } {
        return Err(WeightsError::TrailingData);
    }
    if !finite {
        return Err(WeightsError::NonFinite);
    }
    Ok(params)
}

/// Checks one layer's header against the network's layer `l`.
fn check_layer(c: &mut Cursor<'_>, version: u8, layer: usize, l: LayerInfo) -> Result<(), WeightsError> {
    let found = (c.u32()? as usize, c.u32()? as usize);
    let expected = (l.inputs, l.outputs);
    if found != expected {
        return Err(WeightsError::LayerShape { layer, expected, found });
    }
    if version == 2 {
        let len = c.take(1)?[0] as usize;
        let name = c.take(len)?;
        if name != l.activation.as_bytes() {
            let found = String::from_utf8_lossy(name).into_owned();
            return Err(WeightsError::Activation { layer, expected: l.activation, found });
        }
    }
    Ok(())
}
