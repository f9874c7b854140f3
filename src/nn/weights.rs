//! Saving and loading a model's weights: Keras's `save_weights` / `load_weights`.
//!
//! The format is small and explicit (all integers and floats little-endian):
//! `b"SHAPEDW1"`, the element size in bytes (`u32`: 4 or 8), the number of layers (`u32`),
//! each layer's input and output widths (`u32` each), then every weight array in the
//! order of [`Layers::visit_params`] (per layer: kernel `IN x OUT` row-major, then bias).

use core::fmt;
use std::io::{Read, Write};
use std::path::Path;

use super::Sequential;
use super::layers::{LayerInfo, Layers};
use crate::element::Scalar;

const MAGIC: &[u8; 8] = b"SHAPEDW1";

/// What can go wrong saving or loading weights. A failed load leaves the model as it was.
#[derive(Debug)]
pub enum WeightsError {
    /// The file could not be read or written.
    Io(std::io::Error),
    /// Not a weight file of `shaped`.
    BadMagic,
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
            WeightsError::ElementSize { expected, found } => {
                write!(f, "the file holds {found}-byte weights, the model {expected}-byte ones")
            }
            WeightsError::Depth { expected, found } => {
                write!(f, "the file holds {found} layers, the model has {expected}")
            }
            WeightsError::LayerShape { layer, expected, found } => write!(
                f,
                "layer {layer}: the file's weights are {}x{}, the model's layer is {}x{}",
                found.0, found.1, expected.0, expected.1
            ),
            WeightsError::Truncated => write!(f, "the weight file ends before all the weights"),
            WeightsError::TrailingData => write!(f, "the weight file is longer than its weights"),
            WeightsError::NonFinite => write!(f, "the weight file holds a NaN or infinite weight"),
        }
    }
}

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

fn read_u32<R: Read>(r: &mut R) -> Result<u32, WeightsError> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

impl<N: Layers<T>, T: Scalar> Sequential<N, T> {
    /// Writes the weights to `path` (Keras's `save_weights`).
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
    /// assert_eq!(err.to_string(), "layer 0: the file's weights are 4x8, the model's layer is 4x9");
    /// # Ok::<(), shaped::nn::WeightsError>(())
    /// ```
    pub fn save_weights(&self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        let file = std::fs::File::create(path)?;
        let mut w = std::io::BufWriter::new(file);
        self.write_weights(&mut w)?;
        w.flush()?;
        Ok(())
    }

    /// Writes the weights to any writer.
    pub fn write_weights<W: Write>(&self, w: &mut W) -> Result<(), WeightsError> {
        let size = core::mem::size_of::<T>() as u32;
        w.write_all(MAGIC)?;
        w.write_all(&size.to_le_bytes())?;
        w.write_all(&(N::DEPTH as u32).to_le_bytes())?;
        let mut result = Ok(());
        N::describe(&mut |l: LayerInfo| {
            if result.is_ok() {
                result = w
                    .write_all(&(l.inputs as u32).to_le_bytes())
                    .and_then(|()| w.write_all(&(l.outputs as u32).to_le_bytes()));
            }
        });
        result?;
        let mut result = Ok(());
        N::visit_params(self.params(), &mut |a| {
            for &v in a {
                if result.is_err() {
                    return;
                }
                result = if size == 4 {
                    w.write_all(&(v.to_f64() as f32).to_le_bytes())
                } else {
                    w.write_all(&v.to_f64().to_le_bytes())
                };
            }
        });
        Ok(result?)
    }

    /// Reads weights saved by [`save_weights`](Self::save_weights) (Keras's
    /// `load_weights`). The file must describe this network's layers exactly; on any
    /// error the model keeps its weights.
    pub fn load_weights(&mut self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        let file = std::fs::File::open(path)?;
        self.read_weights(&mut std::io::BufReader::new(file))
    }

    /// Reads weights from any reader; see [`load_weights`](Self::load_weights).
    pub fn read_weights<R: Read>(&mut self, r: &mut R) -> Result<(), WeightsError> {
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Err(WeightsError::BadMagic);
        }
        let size = core::mem::size_of::<T>() as u32;
        let found = read_u32(r)?;
        if found != size {
            return Err(WeightsError::ElementSize { expected: size, found });
        }
        let depth = read_u32(r)? as usize;
        if depth != N::DEPTH {
            return Err(WeightsError::Depth { expected: N::DEPTH, found: depth });
        }
        let mut shapes = [(0usize, 0usize); 64];
        let mut layer = 0;
        N::describe(&mut |l| {
            if layer < shapes.len() {
                shapes[layer] = (l.inputs, l.outputs);
            }
            layer += 1;
        });
        for layer in 0..depth {
            let found = (read_u32(r)? as usize, read_u32(r)? as usize);
            // (Networks deeper than 64 layers have their first 64 checked here; the
            // element count below still has to match.)
            if let Some(&expected) = shapes.get(layer)
                && found != expected
            {
                return Err(WeightsError::LayerShape { layer, expected, found });
            }
        }
        // Into fresh weights on the heap; the model's own are replaced only on success.
        let mut params = crate::zeroed::zeroed_box::<N::Params>();
        let mut result: Result<(), WeightsError> = Ok(());
        N::visit_params_mut(&mut params, &mut |a| {
            for v in a {
                if result.is_err() {
                    return;
                }
                let x = if size == 4 {
                    let mut b = [0u8; 4];
                    r.read_exact(&mut b).map(|()| f32::from_le_bytes(b) as f64)
                } else {
                    let mut b = [0u8; 8];
                    r.read_exact(&mut b).map(|()| f64::from_le_bytes(b))
                };
                result = match x {
                    Ok(x) if x.is_finite() => {
                        *v = T::from_f64(x);
                        Ok(())
                    }
                    Ok(_) => Err(WeightsError::NonFinite),
                    Err(e) => Err(e.into()),
                };
            }
        });
        result?;
        let mut extra = [0u8; 1];
        if r.read(&mut extra)? != 0 {
            return Err(WeightsError::TrailingData);
        }
        *self = Sequential::from_params(params);
        Ok(())
    }
}
