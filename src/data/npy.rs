//! numpy's `.npy` files (what `np.save` writes), read into sample types.
//!
//! The file's shape must be `(n, *dims)` for samples of shape `dims` (`(n,)` for scalar
//! samples such as labels), in C order. Its numbers convert to the sample's element type
//! when nothing is lost: any number to a float type (float64 to `f32` rounds, as
//! `astype("float32")` does), and integers to an integer type whose range holds every
//! value; anything else (a float into an integer type, 300 into a `u8`) is an error
//! naming the value. The whole file is read, and the samples take at most 8 times its
//! size (bytes read into `f64`).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use std::path::Path;

use crate::shape::{Element, Shape, ShapeDisplay};

/// What can go wrong reading a `.npy` file.
#[derive(Debug)]
#[non_exhaustive]
pub enum NpyError {
    /// The file could not be read.
    Io(std::io::Error),
    /// Not a `.npy` file, or one this reader does not read (the reason).
    Format(String),
    /// The array's shape does not hold samples of the asked shape.
    Shape {
        /// The array's shape in the file.
        found: Vec<usize>,
        /// The shape of one sample.
        sample: Vec<usize>,
    },
    /// A value that the sample's element type cannot hold.
    Value {
        /// Its flat index.
        index: usize,
        /// It, as text.
        value: String,
        /// The element type (numpy's name).
        dtype: &'static str,
    },
}

impl fmt::Display for NpyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NpyError::Io(e) => write!(f, "npy file: {e}"),
            NpyError::Format(why) => write!(f, "not a .npy file this reader reads: {why}"),
            NpyError::Shape { found, sample } => write!(
                f,
                "the array has shape {}, not (n, ...) samples of shape {}",
                ShapeDisplay(found),
                ShapeDisplay(sample)
            ),
            NpyError::Value { index, value, dtype } => {
                write!(f, "value {value} at index {index} does not fit {dtype} without loss")
            }
        }
    }
}

impl std::error::Error for NpyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NpyError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for NpyError {
    fn from(e: std::io::Error) -> Self {
        NpyError::Io(e)
    }
}

/// A number of the file.
#[derive(Clone, Copy, Debug)]
enum Number {
    Float(f64),
    Int(i128),
}

/// An element type a `.npy` number converts to (every [`Element`]).
pub trait NpyElement: Element {
    /// The number, if this type holds it without loss (floats: always).
    #[doc(hidden)]
    fn from_float(x: f64) -> Option<Self>;
    /// The integer, if this type holds it.
    #[doc(hidden)]
    fn from_int(x: i128) -> Option<Self>;
}

macro_rules! float_element {
    ($($t:ty),*) => {$(
        impl NpyElement for $t {
            fn from_float(x: f64) -> Option<Self> {
                Some(x as $t)
            }
            fn from_int(x: i128) -> Option<Self> {
                Some(x as $t)
            }
        }
    )*};
}
float_element!(f32, f64);

macro_rules! int_element {
    ($($t:ty),*) => {$(
        impl NpyElement for $t {
            fn from_float(_: f64) -> Option<Self> {
                None
            }
            fn from_int(x: i128) -> Option<Self> {
                <$t>::try_from(x).ok()
            }
        }
    )*};
}
int_element!(u8, u16, u32, u64, usize, i8, i16, i32, i64);

/// The header's fields.
struct Header {
    little_endian: bool,
    kind: u8,
    size: usize,
    shape: Vec<usize>,
    data_start: usize,
}

fn format_error(why: impl ToString) -> NpyError {
    NpyError::Format(why.to_string())
}

/// The value of `key` in the header's dict (`'descr': '<f4'` gives `'<f4'`).
fn field<'a>(dict: &'a str, key: &str) -> Result<&'a str, NpyError> {
    let at =
        dict.find(&format!("'{key}'")).ok_or_else(|| format_error(format!("the header has no '{key}'")))?;
    let rest = &dict[at + key.len() + 2..];
    let rest =
        rest.trim_start().strip_prefix(':').ok_or_else(|| format_error("a malformed header"))?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')').map(|e| e + 1)
    } else if let Some(quoted) = rest.strip_prefix('\'') {
        quoted.find('\'').map(|e| e + 2)
    } else {
        rest.find([',', '}'])
    };
    end.map(|e| &rest[..e]).ok_or_else(|| format_error("a malformed header"))
}

fn parse_header(bytes: &[u8]) -> Result<Header, NpyError> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(format_error("it does not start with \\x93NUMPY"));
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 if bytes.len() >= 12 => {
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        v => return Err(format_error(format!("format version {v}"))),
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| format_error("the header runs past the file"))?;
    let dict =
        core::str::from_utf8(&bytes[start..end]).map_err(|_| format_error("the header is not text"))?;
    let descr = field(dict, "descr")?.trim_matches('\'');
    let order = field(dict, "fortran_order")?.trim();
    if order != "False" {
        return Err(format_error("the array is in Fortran order (write it with np.ascontiguousarray)"));
    }
    let d = descr.as_bytes();
    if d.len() < 3 {
        return Err(format_error(format!("dtype '{descr}'")));
    }
    let little_endian = match d[0] {
        b'<' | b'|' | b'=' => true,
        b'>' => false,
        _ => return Err(format_error(format!("dtype '{descr}'"))),
    };
    let kind = d[1];
    let size: usize = descr[2..].parse().map_err(|_| format_error(format!("dtype '{descr}'")))?;
    let known = match kind {
        b'f' => size == 4 || size == 8,
        b'i' | b'u' => matches!(size, 1 | 2 | 4 | 8),
        _ => false,
    };
    if !known {
        return Err(format_error(format!("dtype '{descr}' (it reads float32/64 and integers)")));
    }
    let shape_text = field(dict, "shape")?.trim().trim_start_matches('(').trim_end_matches(')');
    let mut shape = Vec::new();
    for dim in shape_text.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        shape.push(dim.parse::<usize>().map_err(|_| format_error(format!("shape ({shape_text})")))?);
    }
    Ok(Header { little_endian, kind, size, shape, data_start: end })
}

fn number(h: &Header, b: &[u8]) -> Number {
    let mut a = [0u8; 8];
    a[..b.len()].copy_from_slice(b);
    if !h.little_endian {
        a[..b.len()].reverse();
    }
    match (h.kind, h.size) {
        (b'f', 4) => Number::Float(f32::from_le_bytes([a[0], a[1], a[2], a[3]]) as f64),
        (b'f', _) => Number::Float(f64::from_le_bytes(a)),
        (b'u', _) => Number::Int(u64::from_le_bytes(a) as i128),
        // Sign-extend from the top byte of the value.
        (_, size) => {
            let shift = 64 - 8 * size as u32;
            Number::Int(((u64::from_le_bytes(a) << shift) as i64 >> shift) as i128)
        }
    }
}

/// Samples of shape `S` from the bytes of a `.npy` file.
///
/// ```
/// // np.save of np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int64)
/// let mut file = b"\x93NUMPY\x01\x00".to_vec();
/// let header = "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }";
/// let header = format!("{header:<117}\n");
/// file.extend((header.len() as u16).to_le_bytes());
/// file.extend(header.as_bytes());
/// for v in 1i64..=6 {
///     file.extend(v.to_le_bytes());
/// }
/// let x: Vec<[f32; 3]> = shaped::data::decode_npy(&file)?;
/// assert_eq!(x, vec![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// assert!(shaped::data::decode_npy::<[f32; 2]>(&file).is_err()); // rows of 3, not 2
/// # Ok::<(), shaped::data::NpyError>(())
/// ```
pub fn decode_npy<S: Shape>(bytes: &[u8]) -> Result<Vec<S>, NpyError>
where
    S::Elem: NpyElement,
{
    let h = parse_header(bytes)?;
    let sample = S::DIMS;
    if h.shape.len() != sample.len() + 1 || h.shape[1..] != *sample {
        return Err(NpyError::Shape { found: h.shape, sample: sample.to_vec() });
    }
    let count = h.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let data = &bytes[h.data_start..];
    let Some(len) = count.and_then(|c| c.checked_mul(h.size)) else {
        return Err(format_error("the shape's size overflows"));
    };
    if data.len() != len {
        return Err(format_error(format!("the data is {} bytes, its shape needs {len}", data.len())));
    }
    // The data's length was checked against the shape: the samples take at most 8 times
    // the file's bytes (bytes read into f64), allocated once.
    let mut out = crate::zeroed::zeroed_vec::<S>(h.shape[0]);
    for ((index, b), slot) in data.chunks_exact(h.size).enumerate().zip(S::flatten_slice_mut(&mut out)) {
        let n = number(&h, b);
        let v = match n {
            Number::Float(x) => S::Elem::from_float(x),
            Number::Int(i) => S::Elem::from_int(i),
        };
        *slot = v.ok_or_else(|| NpyError::Value {
            index,
            value: match n {
                Number::Float(x) => format!("{x}"),
                Number::Int(i) => format!("{i}"),
            },
            dtype: S::Elem::DTYPE,
        })?;
    }
    Ok(out)
}

/// Samples of shape `S` from a `.npy` file (see [`decode_npy`]).
pub fn load_npy<S: Shape>(path: impl AsRef<Path>) -> Result<Vec<S>, NpyError>
where
    S::Elem: NpyElement,
{
    decode_npy(&std::fs::read(path)?)
}
