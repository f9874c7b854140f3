//! Weights in and out of safetensors files, in PyTorch's and Keras's layouts.
//!
//! A `Sequential` of `Dense` layers is `nn.Sequential` of `nn.Linear` (and activation
//! modules) in PyTorch, and `keras.Sequential` of `Dense` layers in Keras. The two name and
//! lay out the same weights differently ([`Convention`]); both load and save here.
//!
//! Every mismatch is an error naming the tensor, and a failed load leaves the model as it
//! was: the file is read whole (never more than its size), checked by the `safetensors`
//! crate (header, offsets, overlaps, sizes), and its tensors are matched, converted and
//! checked into fresh weights before any of the model's are replaced.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::Sequential;
use super::layers::{LayerInfo, Layers};
use crate::element::Scalar;
use crate::shape::ShapeDisplay;

/// How a file names and lays out each layer's weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convention {
    /// PyTorch's `nn.Sequential` state dict: layer `k`'s weights are `{k}.weight`
    /// (`OUT x IN`, transposed on load and save) and `{k}.bias`, where `k` is the
    /// module's index (or the number ending a module's name: `fc1.weight`, `fc2.weight`). Activation modules take indices too, so `Linear, ReLU, Linear`
    /// is `0.` and `2.`: the layers are taken in the order of their indices, whatever
    /// the gaps. A common prefix (`model.0.weight`) is allowed. Saving writes `0.`, `2.`,
    /// `4.`, ... as `nn.Sequential(Linear, activation, Linear, ...)` names them.
    PyTorch,
    /// Keras's variable paths: layer weights are `{layer}/kernel` (`IN x OUT`, as
    /// `DenseParams` holds them) and `{layer}/bias`, as `{v.path: v.numpy() for v in
    /// model.weights}` writes them (`sequential/dense/kernel`, `sequential/dense_1/kernel`);
    /// TF-style names (`dense/kernel:0`) and dots (`dense.kernel`) are read too.
    /// The layers are taken in the order of Keras's automatic names: `dense`, then
    /// `dense_1`, `dense_2`, ... (any name followed by `_<n>`). Saving writes `dense/…`,
    /// `dense_1/…`, ...
    Keras,
}

/// Options of [`Sequential::load_safetensors_with`].
#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    /// The naming and layout of the file.
    pub convention: Convention,
    /// Tensors the network has no use for are an error unless this is set.
    pub ignore_extra: bool,
}

impl LoadOptions {
    /// Loading in `convention`, refusing extra tensors.
    pub fn new(convention: Convention) -> Self {
        LoadOptions { convention, ignore_extra: false }
    }

    /// Ignores tensors the network has no use for (an optimizer's state, say).
    pub fn ignore_extra(mut self, ignore: bool) -> Self {
        self.ignore_extra = ignore;
        self
    }
}

/// What can go wrong reading or writing a safetensors file. A failed load leaves the
/// model as it was.
#[non_exhaustive]
pub enum SafetensorsError {
    /// The file could not be read or written.
    Io(std::io::Error),
    /// Not a valid safetensors file: its header, offsets or sizes are wrong or lie.
    Format(String),
    /// The file has no tensor of this name; `available` lists the names it has.
    Missing {
        /// The name the network needs.
        name: String,
        /// Every name in the file.
        available: Vec<String>,
    },
    /// A tensor of another shape than the network's layer.
    Shape {
        /// The tensor's name.
        name: String,
        /// The shape the network needs (in the file's layout).
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A tensor whose element type is not a float this crate reads (f16, bf16, f32, f64).
    Dtype {
        /// The tensor's name.
        name: String,
        /// The element type in the file.
        dtype: String,
    },
    /// Tensors the network has no use for (set [`LoadOptions::ignore_extra`] to allow).
    Extra {
        /// Their names.
        names: Vec<String>,
    },
    /// The file's layers, named by the convention, are not the network's number of
    /// layers (none at all if the file follows the other convention).
    Layers {
        /// The network's number of layers.
        expected: usize,
        /// The layers the file holds, by the convention's names.
        found: Vec<String>,
        /// Every tensor name in the file.
        available: Vec<String>,
        /// The other convention, when its names give the network's number of layers.
        other: Option<Convention>,
    },
    /// A NaN or infinite weight.
    NonFinite {
        /// The tensor holding it.
        name: String,
    },
    /// A finite weight that the model's element type cannot hold (an F64 value of
    /// 1e300 loaded into an `f32` model).
    Overflow {
        /// The tensor holding it.
        name: String,
        /// The value.
        value: f64,
        /// The model's element type.
        dtype: &'static str,
    },
}

impl fmt::Display for SafetensorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SafetensorsError::Io(e) => write!(f, "safetensors file: {e}"),
            SafetensorsError::Format(e) => write!(f, "not a valid safetensors file: {e}"),
            SafetensorsError::Missing { name, available } => {
                write!(f, "the file has no tensor `{name}`; it has: {}", list(available))
            }
            SafetensorsError::Shape { name, expected, found } => write!(
                f,
                "tensor `{name}` has shape {}, the network needs {}",
                ShapeDisplay(found),
                ShapeDisplay(expected)
            ),
            SafetensorsError::Dtype { name, dtype } => {
                write!(
                    f,
                    "tensor `{name}` holds {dtype}, not a float type this crate reads (F16, BF16, F32, F64)"
                )
            }
            SafetensorsError::Extra { names } => write!(
                f,
                "the file has tensors the network has no use for: {} (LoadOptions::ignore_extra allows them)",
                list(names)
            ),
            SafetensorsError::Layers { expected, found, available, other } => {
                write!(
                    f,
                    "the file holds {} layers by this convention's names ({}), the network has {expected}; its tensors: {}",
                    found.len(),
                    list(found),
                    list(available)
                )?;
                match other {
                    Some(c) => write!(f, " (the names follow Convention::{c:?}: load it with that)"),
                    None => Ok(()),
                }
            }
            SafetensorsError::NonFinite { name } => {
                write!(f, "tensor `{name}` holds a NaN or infinite weight")
            }
            SafetensorsError::Overflow { name, value, dtype } => {
                write!(f, "tensor `{name}` holds {value:?}, which overflows the model's {dtype}")
            }
        }
    }
}

crate::error::debug_is_display!(SafetensorsError);

impl std::error::Error for SafetensorsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SafetensorsError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for SafetensorsError {
    fn from(e: std::io::Error) -> Self {
        SafetensorsError::Io(e)
    }
}

/// Names as `` `a`, `b`, `c` `` (the first 20, then a count).
fn list(names: &[String]) -> String {
    let mut s = names.iter().take(20).map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    if names.len() > 20 {
        s.push_str(&format!(" and {} more", names.len() - 20));
    }
    if names.is_empty() {
        s.push_str("nothing");
    }
    s
}

/// The layer names of a file in `convention`, in layer order, each with the names of its
/// weight and bias tensors.
/// Each with its order key: two layers of one key cannot be ordered (see [`parse`]).
fn layers_of(names: &[&str], convention: Convention) -> Vec<(String, String, String, u64)> {
    let mut found: Vec<(u64, String, String, String)> = Vec::new();
    for &name in names {
        let (key, weight, bias, order) = match convention {
            Convention::PyTorch => {
                let Some(stem) = name.strip_suffix(".weight") else { continue };
                // `{prefix}{index}`: the index after the last `.` (nn.Sequential), or the
                // number that ends a named module (`fc1`, `fc2`, as custom modules name them).
                let last = stem.rsplit('.').next().unwrap_or(stem);
                let digits = last.len() - last.trim_end_matches(|c: char| c.is_ascii_digit()).len();
                let Ok(order) = last[last.len() - digits..].parse::<u64>() else { continue };
                (stem.to_string(), name.to_string(), format!("{stem}.bias"), order)
            }
            Convention::Keras => {
                // `dense/kernel` (Keras 3 paths), `dense/kernel:0` (TF-style names),
                // `dense.kernel`; the bias is named alike.
                let styles = [("/kernel:0", "/bias:0"), ("/kernel", "/bias"), (".kernel", ".bias")];
                let Some((stem, bias_suffix)) =
                    styles.iter().find_map(|&(k, b)| name.strip_suffix(k).map(|stem| (stem, b)))
                else {
                    continue;
                };
                let last = stem.rsplit(['/', '.']).next().unwrap_or(stem);
                // Keras's automatic names: `dense`, `dense_1`, `dense_2`, ...
                let order = match last.rsplit_once('_') {
                    Some((_, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                        // Checked: `dense_18446744073709551615` must not overflow.
                        n.parse::<u64>().ok().and_then(|n| n.checked_add(1)).unwrap_or(u64::MAX)
                    }
                    _ => 0,
                };
                (stem.to_string(), name.to_string(), format!("{stem}{bias_suffix}"), order)
            }
        };
        found.push((order, key, weight, bias));
    }
    found.sort();
    found.into_iter().map(|(order, key, w, b)| (key, w, b, order)).collect()
}

/// Element `i` of a tensor's data as `f64`, for the float types a file may hold.
fn read_element(dtype: Dtype, data: &[u8], i: usize) -> f64 {
    match dtype {
        Dtype::F64 => {
            let b = &data[8 * i..8 * i + 8];
            f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
        }
        Dtype::F32 => {
            let b = &data[4 * i..4 * i + 4];
            f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64
        }
        Dtype::F16 => f16_to_f64(u16::from_le_bytes([data[2 * i], data[2 * i + 1]])),
        // bf16 is the top half of an f32.
        _ => f32::from_bits((u16::from_le_bytes([data[2 * i], data[2 * i + 1]]) as u32) << 16) as f64,
    }
}

/// An IEEE half-precision number, exactly.
fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f64;
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 if frac == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    }
}

/// One tensor of the file, checked: a float type, the expected shape, finite values.
fn tensor_values(
    st: &SafeTensors<'_>,
    name: &str,
    expected: &[usize],
    all: &[&str],
) -> Result<(Dtype, Vec<f64>), SafetensorsError> {
    let view = st.tensor(name).map_err(|_| SafetensorsError::Missing {
        name: name.to_string(),
        available: all.iter().map(|s| s.to_string()).collect(),
    })?;
    let dtype = view.dtype();
    if !matches!(dtype, Dtype::F16 | Dtype::BF16 | Dtype::F32 | Dtype::F64) {
        return Err(SafetensorsError::Dtype { name: name.to_string(), dtype: format!("{dtype:?}") });
    }
    if view.shape() != expected {
        return Err(SafetensorsError::Shape {
            name: name.to_string(),
            expected: expected.to_vec(),
            found: view.shape().to_vec(),
        });
    }
    let n: usize = expected.iter().product();
    let data = view.data();
    // The crate checked that the data is `n` elements long; check again rather than index
    // out of bounds if it ever did not.
    if data.len() != n * dtype.bitsize() / 8 {
        return Err(SafetensorsError::Format(format!(
            "tensor `{name}` has {} bytes for {n} elements",
            data.len()
        )));
    }
    let values: Vec<f64> = (0..n).map(|i| read_element(dtype, data, i)).collect();
    if values.iter().any(|x| !x.is_finite()) {
        return Err(SafetensorsError::NonFinite { name: name.to_string() });
    }
    Ok((dtype, values))
}

impl<N: Layers<T>, T: Scalar> Sequential<N, T> {
    /// Writes the weights to a safetensors file in Keras's naming and layout
    /// (`dense/kernel` is `IN x OUT`, as `DenseParams` holds it), in the model's element
    /// type. `safetensors.numpy.load_file` reads it back to the same arrays.
    pub fn save_safetensors(&self, path: impl AsRef<Path>) -> Result<(), SafetensorsError> {
        self.save_safetensors_as(path, Convention::Keras)
    }

    /// Writes the weights to a safetensors file in `convention`'s naming and layout.
    /// With [`Convention::PyTorch`], `model.load_state_dict(load_file(path))` loads it
    /// into `nn.Sequential(Linear, activation, Linear, ...)`.
    ///
    /// ```
    /// use shaped::nn::{Convention, Dense, Relu, Sequential, Softmax};
    /// use shaped::rand::{SeedableRng, rngs::StdRng};
    /// type Net = (Dense<4, 8, Relu>, Dense<8, 3, Softmax>);
    /// let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(1));
    /// let path = std::env::temp_dir().join("shaped-doc.safetensors");
    /// model.save_safetensors_as(&path, Convention::PyTorch)?;
    /// let mut other = Sequential::<Net>::zeros();
    /// other.load_safetensors(&path, Convention::PyTorch)?;
    /// assert_eq!(other.params(), model.params());
    /// // Keras's layout is refused for a PyTorch file: its names differ.
    /// let err = other.load_safetensors(&path, Convention::Keras).unwrap_err();
    /// assert!(err.to_string().starts_with("the file holds 0 layers"));
    /// # Ok::<(), shaped::nn::SafetensorsError>(())
    /// ```
    pub fn save_safetensors_as(
        &self,
        path: impl AsRef<Path>,
        convention: Convention,
    ) -> Result<(), SafetensorsError> {
        let bytes = self.to_safetensors(convention)?;
        crate::atomic::write_file(path.as_ref(), |w| std::io::Write::write_all(w, &bytes))?;
        Ok(())
    }

    /// The weights as the bytes of a safetensors file in `convention`.
    pub fn to_safetensors(&self, convention: Convention) -> Result<Vec<u8>, SafetensorsError> {
        let dtype = if core::mem::size_of::<T>() == 4 { Dtype::F32 } else { Dtype::F64 };
        let mut infos = Vec::new();
        N::describe(&mut |l| infos.push(l));
        let layers = super::safetensors_layout::file_layers(&infos, convention)?;
        let mut arrays: Vec<&[T]> = Vec::new();
        N::visit_params(self.params(), &mut |a| arrays.push(a));
        let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        for (l, pair) in layers.iter().zip(arrays.chunks_exact(2)) {
            let (kernel, bias) = (pair[0], pair[1]);
            let (weight_name, bias_name) = match convention {
                Convention::Keras => {
                    let stem = match l.kind_index {
                        0 => l.kind.to_string(),
                        k => format!("{}_{k}", l.kind),
                    };
                    (format!("{stem}/kernel"), format!("{stem}/bias"))
                }
                Convention::PyTorch => {
                    (format!("{}.weight", l.torch_index), format!("{}.bias", l.torch_index))
                }
            };
            let values = match &l.from {
                Some(from) => {
                    let mut t = vec![T::zero(); kernel.len()];
                    for (&v, &at) in kernel.iter().zip(from) {
                        t[at] = v;
                    }
                    t
                }
                None => kernel.to_vec(),
            };
            tensors.push((weight_name, l.kernel.clone(), le_bytes(&values)));
            tensors.push((bias_name, vec![l.bias], le_bytes(bias)));
        }
        let views = tensors
            .iter()
            .map(|(name, shape, bytes)| {
                TensorView::new(dtype, shape.clone(), bytes)
                    .map(|v| (name.clone(), v))
                    .map_err(|e| SafetensorsError::Format(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        safetensors::serialize(views, None).map_err(|e| SafetensorsError::Format(e.to_string()))
    }

    /// Loads the weights from a safetensors file in `convention`'s naming and layout,
    /// refusing tensors the network has no use for; see [`load_safetensors_with`].
    ///
    /// [`load_safetensors_with`]: Self::load_safetensors_with
    pub fn load_safetensors(
        &mut self,
        path: impl AsRef<Path>,
        convention: Convention,
    ) -> Result<(), SafetensorsError> {
        self.load_safetensors_with(path, LoadOptions::new(convention))
    }

    /// Loads the weights from a safetensors file. F16, BF16, F32 and F64 tensors load
    /// into either element type. Each layer's tensors must have the layer's shape in the
    /// file's layout; a missing tensor is an error listing the names the file holds,
    /// and so are extra ones unless `options` ignores them. On any error the model keeps
    /// its weights.
    pub fn load_safetensors_with(
        &mut self,
        path: impl AsRef<Path>,
        options: LoadOptions,
    ) -> Result<(), SafetensorsError> {
        let bytes = super::safetensors_file::read_bounded(path.as_ref())?;
        self.read_safetensors(&bytes, options)
    }

    /// Loads the weights from the bytes of a safetensors file (as
    /// [`load_safetensors_with`](Self::load_safetensors_with)).
    pub fn read_safetensors(&mut self, bytes: &[u8], options: LoadOptions) -> Result<(), SafetensorsError> {
        let params = parse::<N, T>(bytes, options)?;
        // The new box replaces the old one: no weights pass through the stack.
        *self = Sequential::from_params(params);
        Ok(())
    }
}

fn le_bytes<T: Scalar>(values: &[T]) -> Vec<u8> {
    let mut out = Vec::with_capacity(core::mem::size_of_val(values));
    for &v in values {
        if core::mem::size_of::<T>() == 4 {
            out.extend_from_slice(&(v.to_f64() as f32).to_le_bytes());
        } else {
            out.extend_from_slice(&v.to_f64().to_le_bytes());
        }
    }
    out
}

/// The file's weights for network `N`, into fresh weights on the heap.
fn parse<N: Layers<T>, T: Scalar>(
    bytes: &[u8],
    options: LoadOptions,
) -> Result<Box<N::Params>, SafetensorsError> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| SafetensorsError::Format(e.to_string()))?;
    let mut all: Vec<&str> = st.names();
    all.sort_unstable();
    let layers = layers_of(&all, options.convention);
    let mut infos: Vec<LayerInfo> = Vec::new();
    N::describe(&mut |l| infos.push(l));
    let ours = super::safetensors_layout::file_layers(&infos, options.convention)?;
    let layers = super::safetensors_layout::match_kinds(layers, &ours, options.convention);
    // Layers named outside the convention's numbering (Keras layers named by hand) share
    // an order key: their order cannot be known, and guessing could swap them silently.
    // (A network of several kinds of layer takes them by kind: only a kind's own must order.)
    let by_kind = options.convention == Convention::Keras && ours.windows(2).any(|p| p[0].kind != p[1].kind);
    let tie = |a: &(String, String, String, u64), b: &(String, String, String, u64)| {
        a.3 == b.3
            && (!by_kind
                || super::safetensors_layout::base_name(&a.0) == super::safetensors_layout::base_name(&b.0))
    };
    if let Some(pair) = layers.windows(2).find(|p| tie(&p[0], &p[1])) {
        return Err(SafetensorsError::Format(format!(
            "the layers `{}` and `{}` cannot be ordered: name them as Keras does (dense, dense_1, ...) or as nn.Sequential indices",
            pair[0].0, pair[1].0
        )));
    }
    if layers.len() != ours.len() {
        let other = match options.convention {
            Convention::Keras => Convention::PyTorch,
            Convention::PyTorch => Convention::Keras,
        };
        let fits = |c| {
            super::safetensors_layout::file_layers(&infos, c).is_ok_and(|o| {
                super::safetensors_layout::match_kinds(layers_of(&all, c), &o, c).len() == o.len()
            })
        };
        return Err(SafetensorsError::Layers {
            expected: ours.len(),
            found: layers.into_iter().map(|(key, ..)| key).collect(),
            available: all.iter().map(|s| s.to_string()).collect(),
            other: fits(other).then_some(other),
        });
    }
    let mut arrays: Vec<Vec<f64>> = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    for ((_, weight, bias, _), l) in layers.iter().zip(&ours) {
        let (_, w) = tensor_values(&st, weight, &l.kernel, &all)?;
        let (_, b) = tensor_values(&st, bias, &[l.bias], &all)?;
        for (name, values) in [(weight, &w), (bias, &b)] {
            // Finite (checked), but perhaps beyond the model's type.
            if let Some(&value) = values.iter().find(|&&x| !T::from_f64(x).to_f64().is_finite()) {
                return Err(SafetensorsError::Overflow { name: name.clone(), value, dtype: T::DTYPE });
            }
        }
        let kernel = match &l.from {
            Some(from) => from.iter().map(|&at| w[at]).collect(),
            None => w,
        };
        arrays.push(kernel);
        arrays.push(b);
        used.push(weight);
        used.push(bias);
    }
    if !options.ignore_extra {
        let extra: Vec<String> = all.iter().filter(|n| !used.contains(n)).map(|n| n.to_string()).collect();
        if !extra.is_empty() {
            return Err(SafetensorsError::Extra { names: extra });
        }
    }
    let mut params = crate::zeroed::zeroed_box::<N::Params>();
    let mut next = arrays.into_iter();
    N::visit_params_mut(&mut params, &mut |a| {
        // `describe` and `visit_params_mut` walk the same layers: kernel, then bias, for
        // each layer with weights.
        if let Some(values) = next.next() {
            for (dst, &v) in a.iter_mut().zip(&values) {
                *dst = T::from_f64(v);
            }
        }
    });
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_convert_exactly() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x3555), 0.333251953125);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x7bff), 65504.0);
        assert!(f16_to_f64(0x7c00).is_infinite());
        assert!(f16_to_f64(0x7e00).is_nan());
        assert_eq!(f16_to_f64(0x8000), 0.0);
        let bf16_one = 0x3f80u16.to_le_bytes();
        assert_eq!(read_element(Dtype::BF16, &bf16_one, 0), 1.0);
    }

    #[test]
    fn layers_are_ordered_by_index_or_keras_suffix() {
        let torch = ["4.weight", "4.bias", "0.bias", "0.weight", "10.weight", "10.bias", "1.running_mean"];
        let keys: Vec<String> = layers_of(&torch, Convention::PyTorch).into_iter().map(|l| l.0).collect();
        assert_eq!(keys, ["0", "4", "10"]);
        // Hand-named Keras layers share an order key: `parse` refuses them.
        let named = layers_of(&["m/hidden/kernel", "m/out/kernel"], Convention::Keras);
        assert_eq!(named[0].3, named[1].3);
        let named = ["fc2.weight", "fc10.weight", "fc1.weight", "norm.weight"];
        let keys: Vec<String> = layers_of(&named, Convention::PyTorch).into_iter().map(|l| l.0).collect();
        assert_eq!(keys, ["fc1", "fc2", "fc10"]);
        let prefixed = ["model.net.2.weight", "model.net.0.weight"];
        let keys: Vec<String> = layers_of(&prefixed, Convention::PyTorch).into_iter().map(|l| l.0).collect();
        assert_eq!(keys, ["model.net.0", "model.net.2"]);
        let keras = ["seq/dense_10/kernel", "seq/dense_2/kernel", "seq/dense/kernel", "seq/dense/bias"];
        let keys: Vec<String> = layers_of(&keras, Convention::Keras).into_iter().map(|l| l.0).collect();
        assert_eq!(keys, ["seq/dense", "seq/dense_2", "seq/dense_10"]);
        let tf = layers_of(&["dense_1/kernel:0", "dense/kernel:0", "dense.x"], Convention::Keras);
        assert_eq!(
            tf.iter().map(|l| (l.0.as_str(), l.2.as_str())).collect::<Vec<_>>(),
            [("dense", "dense/bias:0"), ("dense_1", "dense_1/bias:0")]
        );
        let dots = layers_of(&["model.dense_1.kernel", "model.dense.kernel"], Convention::Keras);
        assert_eq!(dots[0].2, "model.dense.bias");
    }
}
