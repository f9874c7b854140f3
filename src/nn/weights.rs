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
//!
//! # Format version 3 (networks with layers other than `Dense`)
//! As version 2 (`b"SHAPEDW3"`), but each layer's entry is its type's name (length `u8`,
//! ASCII: `Conv2D`), its activation's name (as above), its number of weight arrays
//! (`u8`), and for each array its rank (`u8`) and dims (`u32` each), in Keras's layouts
//! (`(KH, KW, C_IN, C_OUT)` for a `Conv2D` kernel). A layer without weights (pooling,
//! `Flatten`) lists no arrays. Networks of `Dense` layers only are still written as
//! version 2, which `include_weights!` reads.

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
const MAGIC_V3: &[u8; 8] = b"SHAPEDW3";

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
    /// A layer of another type (a `Conv2D` where the file has a `Dense`), or a file of
    /// version 1 or 2 (`Dense` layers only) for a network with other layers.
    LayerKind {
        /// The layer, from 0.
        layer: usize,
        /// The model's layer type.
        expected: &'static str,
        /// The file's.
        found: String,
    },
    /// A weight array of another shape (a `Conv2D` kernel of another size, say).
    ArrayShape {
        /// The layer, from 0.
        layer: usize,
        /// Its type.
        kind: &'static str,
        /// Which of its arrays (0: the kernel, 1: the bias).
        array: usize,
        /// The model's shape.
        expected: &'static [usize],
        /// The file's.
        found: Vec<usize>,
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
            WeightsError::LayerKind { layer, expected, found } => write!(
                f,
                "layer {layer}: the file holds a `{found}` layer, the model's layer is a `{expected}`"
            ),
            WeightsError::ArrayShape { layer, kind, array, expected, found } => {
                let what = match array {
                    0 => "kernel",
                    1 => "bias",
                    _ => "weight array",
                };
                write!(
                    f,
                    "layer {layer} ({kind}): the file's {what} is {}, the model's is {}",
                    crate::nn::ShapeTuple(found),
                    crate::nn::ShapeTuple(expected)
                )
            }
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
    let v3 = !dense_only::<N, T>();
    put(w, if v3 { MAGIC_V3 } else { MAGIC })?;
    put(w, &size.to_le_bytes())?;
    put(w, &(N::DEPTH as u32).to_le_bytes())?;
    let mut result: std::io::Result<()> = Ok(());
    N::describe(&mut |l: LayerInfo| {
        if result.is_ok() {
            result = (|| -> std::io::Result<()> {
                if v3 {
                    put(w, &[l.kind.len() as u8])?;
                    put(w, l.kind.as_bytes())?;
                } else {
                    put(w, &(l.inputs as u32).to_le_bytes())?;
                    put(w, &(l.outputs as u32).to_le_bytes())?;
                }
                put(w, &[l.activation.len() as u8])?;
                put(w, l.activation.as_bytes())?;
                if v3 {
                    put(w, &[l.weights.len() as u8])?;
                    for a in l.weights {
                        put(w, &[a.len() as u8])?;
                        for &d in *a {
                            put(w, &(d as u32).to_le_bytes())?;
                        }
                    }
                }
                Ok(())
            })();
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

/// Whether every layer is a `Dense`: such networks are written as version 2.
fn dense_only<N: Layers<T>, T: Scalar>() -> bool {
    let mut dense = true;
    N::describe(&mut |l| dense &= l.is_dense());
    dense
}

/// Bytes of this network's weight file: (version 1, version 2, version 3).
fn file_sizes<N: Layers<T>, T: Scalar>() -> (usize, usize, usize) {
    let (mut names, mut v3) = (0, 0);
    N::describe(&mut |l| {
        names += 1 + l.activation.len();
        v3 += 1 + l.kind.len() + 1 + l.activation.len() + 1;
        v3 += l.weights.iter().map(|a| 1 + 4 * a.len()).sum::<usize>();
    });
    let body = N::PARAMS * core::mem::size_of::<T>();
    (16 + 8 * N::DEPTH + body, 16 + 8 * N::DEPTH + names + body + 4, 16 + v3 + body + 4)
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
        let sizes = file_sizes::<N, T>();
        let mut bytes = Vec::new();
        r.take(sizes.0.max(sizes.1).max(sizes.2) as u64 + 1).read_to_end(&mut bytes)?;
        let params = parse::<N, T>(&bytes, sizes)?;
        *self = Sequential::from_params(params);
        Ok(())
    }
}

/// The weights in `bytes`, a whole file of version 1, 2 or 3 (`sizes` bytes long for
/// this network), checked against the network.
fn parse<N: Layers<T>, T: Scalar>(
    bytes: &[u8],
    (v1, v2, v3): (usize, usize, usize),
) -> Result<alloc::boxed::Box<N::Params>, WeightsError> {
    let mut c = Cursor(bytes);
    let magic = c.take(8)?;
    let version = match magic {
        m if m == MAGIC_V3 => 3,
        m if m == MAGIC => 2,
        m if m == MAGIC_V1 => 1,
        _ => return Err(WeightsError::BadMagic),
    };
    let whole = match version {
        1 => v1,
        2 => v2,
        _ => v3,
    };
    // A checksummed file of this network's length is checked whole first: a changed byte
    // anywhere reads as corruption, not as a mismatch it happens to make.
    if version >= 2 && bytes.len() == whole {
        let (body, tail) = bytes.split_at(whole - 4);
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
    if version < 3 {
        // Versions 1 and 2 hold Dense layers only.
        let (mut layer, mut other) = (0, None);
        N::describe(&mut |l| {
            if other.is_none() && !l.is_dense() {
                other = Some((layer, l.kind));
            }
            layer += 1;
        });
        if let Some((layer, expected)) = other {
            return Err(WeightsError::LayerKind { layer, expected, found: "Dense".into() });
        }
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
    if version >= 2 {
        c.take(4)?; // the checksum, checked above when the length was right
    }
    if !c.0.is_empty() || bytes.len() > whole {
        return Err(WeightsError::TrailingData);
    }
    if !finite {
        return Err(WeightsError::NonFinite);
    }
    Ok(params)
}

/// Checks one layer's header against the network's layer `l`.
fn check_layer(c: &mut Cursor<'_>, version: u8, layer: usize, l: LayerInfo) -> Result<(), WeightsError> {
    if version == 3 {
        let len = c.take(1)?[0] as usize;
        let kind = c.take(len)?;
        if kind != l.kind.as_bytes() {
            let found = String::from_utf8_lossy(kind).into_owned();
            return Err(WeightsError::LayerKind { layer, expected: l.kind, found });
        }
    } else {
        let found = (c.u32()? as usize, c.u32()? as usize);
        let expected = (l.inputs, l.outputs);
        if found != expected {
            return Err(WeightsError::LayerShape { layer, expected, found });
        }
    }
    if version >= 2 {
        let len = c.take(1)?[0] as usize;
        let name = c.take(len)?;
        if name != l.activation.as_bytes() {
            let found = String::from_utf8_lossy(name).into_owned();
            return Err(WeightsError::Activation { layer, expected: l.activation, found });
        }
    }
    if version == 3 {
        let arrays = c.take(1)?[0] as usize;
        for array in 0..arrays.max(l.weights.len()) {
            let found: Vec<usize> = if array < arrays {
                let rank = c.take(1)?[0] as usize;
                (0..rank).map(|_| c.u32().map(|d| d as usize)).collect::<Result<_, _>>()?
            } else {
                Vec::new()
            };
            let expected = l.weights.get(array).copied().unwrap_or(&[]);
            if array >= arrays || array >= l.weights.len() || found != expected {
                return Err(WeightsError::ArrayShape { layer, kind: l.kind, array, expected, found });
            }
        }
    }
    Ok(())
}
