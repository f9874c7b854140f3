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
    /// A value that the sample's element type cannot hold without loss.
    Value {
        /// Its flat index.
        index: usize,
        /// It, as text.
        value: String,
        /// The element type (numpy's name).
        dtype: &'static str,
        /// The file's dtype (numpy's name).
        file_dtype: &'static str,
    },
}

impl fmt::Display for NpyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NpyError::Io(e) => write!(f, "npy file: {e}"),
            NpyError::Format(why) => write!(f, "not a .npy file this reader reads: {why}"),
            NpyError::Shape { found, sample } => {
                write!(
                    f,
                    "the array has shape {}, not (n, ...) samples of shape {}",
                    ShapeDisplay(found),
                    ShapeDisplay(sample)
                )?;
                if found.len() == sample.len() + 2
                    && found.last() == Some(&1)
                    && found[1..found.len() - 1] == sample[..]
                {
                    write!(f, " (its samples have a last axis of 1: read them as `[_; 1]` samples)")?;
                } else if found.len() == sample.len()
                    && sample.last() == Some(&1)
                    && found[1..] == sample[..sample.len() - 1]
                {
                    write!(f, " (its samples have no last axis of 1: read them without the `[_; 1]`)")?;
                }
                Ok(())
            }
            NpyError::Value { index, value, dtype, file_dtype }
                if file_dtype.starts_with("float") && !dtype.starts_with("float") =>
            {
                write!(
                    f,
                    "value {value} at index {index}: the file holds {file_dtype}, and {dtype} samples take integers only (read f32 or f64 samples, or write the file with astype)"
                )
            }
            NpyError::Value { index, value, dtype, file_dtype }
                if dtype.starts_with("float") && file_dtype.starts_with("float") =>
            {
                write!(f, "value {value} at index {index} ({file_dtype}) overflows {dtype}")
            }
            NpyError::Value { index, value, dtype, file_dtype } if dtype.starts_with("float") => {
                write!(f, "value {value} at index {index} ({file_dtype}) has no exact {dtype}")
            }
            NpyError::Value { index, value, dtype, file_dtype } => {
                write!(f, "value {value} at index {index} ({file_dtype}) does not fit {dtype}")
            }
        }
    }
}

crate::error::debug_is_display!(NpyError);

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
    /// The number, if this type holds it: floats round (float64 into `f32`, as
    /// `astype("float32")` does) but must not overflow; integers refuse floats.
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
                // A finite value that rounds to infinity overflows (1e300 into f32).
                let y = x as $t;
                (y.is_finite() || !x.is_finite()).then_some(y)
            }
            fn from_int(x: i128) -> Option<Self> {
                // Only integers the float holds exactly (2^53 + 1 has no f64).
                let y = x as $t;
                (y as i128 == x).then_some(y)
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

impl Header {
    /// numpy's name of the file's dtype.
    fn dtype(&self) -> &'static str {
        match (self.kind, self.size) {
            (b'f', 4) => "float32",
            (b'f', _) => "float64",
            (b'u', 1) => "uint8",
            (b'u', 2) => "uint16",
            (b'u', 4) => "uint32",
            (b'u', _) => "uint64",
            (_, 1) => "int8",
            (_, 2) => "int16",
            (_, 4) => "int32",
            _ => "int64",
        }
    }
}

/// The most header text this reader takes (numpy writes a few hundred bytes).
const MAX_HEADER: usize = 1 << 20;

fn format_error(why: impl ToString) -> NpyError {
    NpyError::Format(why.to_string())
}

/// A value of the header's dictionary.
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

/// The header's dictionary, parsed as the Python literal numpy writes
/// (`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`): its three keys, each
/// once; any other key, a repeated one, or anything after the closing brace but
/// padding is an error, as in numpy.
struct Dict<'a> {
    text: &'a [u8],
    at: usize,
}

impl Dict<'_> {
    fn skip_space(&mut self) {
        while self.text.get(self.at).is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_space();
        let found = self.text.get(self.at) == Some(&c);
        self.at += usize::from(found);
        found
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), NpyError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format_error(format!("a malformed header: {what} expected at byte {}", self.at)))
        }
    }

    fn string(&mut self) -> Result<String, NpyError> {
        self.skip_space();
        let quote = match self.text.get(self.at) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => {
                return Err(format_error(format!(
                    "a malformed header: a quoted string expected at byte {}",
                    self.at
                )));
            }
        };
        let body = &self.text[self.at + 1..];
        let len = body
            .iter()
            .position(|&c| c == quote)
            .ok_or_else(|| format_error("a malformed header: a string is not closed"))?;
        let text = &body[..len];
        if !text.iter().all(|c| c.is_ascii_graphic() || *c == b' ') || text.contains(&b'\\') {
            return Err(format_error(format!(
                "the header's string {:?} is not plain ASCII",
                String::from_utf8_lossy(text)
            )));
        }
        self.at += len + 2;
        // Plain ASCII: one char a byte.
        Ok(text.iter().map(|&c| char::from(c)).collect())
    }

    fn value(&mut self) -> Result<Value, NpyError> {
        self.skip_space();
        let rest = &self.text[self.at..];
        if rest.starts_with(b"True") || rest.starts_with(b"False") {
            let v = rest[0] == b'T';
            self.at += if v { 4 } else { 5 };
            return Ok(Value::Bool(v));
        }
        if self.eat(b'(') {
            let mut dims = Vec::new();
            loop {
                if self.eat(b')') {
                    return Ok(Value::Tuple(dims));
                }
                self.skip_space();
                let digits = self.text[self.at..].iter().take_while(|c| c.is_ascii_digit()).count();
                if digits == 0 {
                    return Err(format_error(format!(
                        "a malformed header: a dimension expected at byte {}",
                        self.at
                    )));
                }
                let text = &self.text[self.at..self.at + digits];
                // ASCII digits: valid UTF-8.
                let dim = core::str::from_utf8(text).ok().and_then(|t| t.parse::<usize>().ok());
                dims.push(dim.ok_or_else(|| format_error("a dimension of the shape overflows"))?);
                self.at += digits;
                if !self.eat(b',') {
                    self.expect(b')', "`)` or `,`")?;
                    return Ok(Value::Tuple(dims));
                }
            }
        }
        if matches!(rest.first(), Some(b'\'' | b'"')) {
            return self.string().map(Value::Str);
        }
        Err(format_error(format!(
            "a malformed header: a value expected at byte {} (this reader takes a dtype string, True/False and a shape)",
            self.at
        )))
    }

    /// `(descr, fortran_order, shape)`.
    fn parse(text: &[u8]) -> Result<(String, bool, Vec<usize>), NpyError> {
        let mut d = Dict { text, at: 0 };
        d.expect(b'{', "`{`")?;
        let (mut descr, mut order, mut shape) = (None, None, None);
        while !d.eat(b'}') {
            let key = d.string()?;
            if !matches!(key.as_str(), "descr" | "fortran_order" | "shape") {
                return Err(format_error(format!(
                    "the header has a key '{key}' (numpy writes only 'descr', 'fortran_order' and 'shape')"
                )));
            }
            d.expect(b':', "`:`")?;
            let value = d.value()?;
            let (slot_taken, ok) = match (key.as_str(), value) {
                ("descr", Value::Str(v)) => (descr.replace(v).is_some(), true),
                ("fortran_order", Value::Bool(v)) => (order.replace(v).is_some(), true),
                ("shape", Value::Tuple(v)) => (shape.replace(v).is_some(), true),
                _ => (false, false),
            };
            if !ok {
                return Err(format_error(format!("the header's '{key}' has a value of the wrong kind")));
            }
            if slot_taken {
                return Err(format_error(format!("the header gives '{key}' twice")));
            }
            if !d.eat(b',') {
                d.expect(b'}', "`}` or `,`")?;
                break;
            }
        }
        if d.text[d.at..].iter().any(|c| !c.is_ascii_whitespace()) {
            return Err(format_error("the header has text after its dictionary"));
        }
        let missing = |k: &str| format_error(format!("the header has no '{k}'"));
        Ok((
            descr.ok_or_else(|| missing("descr"))?,
            order.ok_or_else(|| missing("fortran_order"))?,
            shape.ok_or_else(|| missing("shape"))?,
        ))
    }
}

/// The header's length and where it starts, from the file's first bytes (10 for
/// version 1, 12 for versions 2 and 3).
fn preamble(bytes: &[u8]) -> Result<(usize, usize), NpyError> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(format_error("it does not start with \\x93NUMPY"));
    }
    match bytes[6] {
        1 => Ok((u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)),
        2 | 3 if bytes.len() >= 12 => {
            Ok((u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12))
        }
        2 | 3 => Err(format_error("the file ends inside its preamble")),
        v => Err(format_error(format!("format version {v}"))),
    }
}

fn parse_header(bytes: &[u8]) -> Result<Header, NpyError> {
    let (len, start) = preamble(bytes)?;
    if len > MAX_HEADER {
        return Err(format_error(format!(
            "the header is {len} bytes; this reader takes at most {MAX_HEADER}"
        )));
    }
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| format_error("the header runs past the file"))?;
    let (descr, fortran, shape) = Dict::parse(&bytes[start..end])?;
    if fortran {
        return Err(format_error("the array is in Fortran order (write it with np.ascontiguousarray)"));
    }
    // `descr` is plain ASCII (checked by the parser): byte indices are char boundaries.
    let d = descr.as_bytes();
    let bad = || format_error(format!("dtype '{descr}' (it reads float32/64 and integers)"));
    if d.len() < 3 {
        return Err(bad());
    }
    let little_endian = match d[0] {
        b'<' | b'|' | b'=' => true,
        b'>' => false,
        _ => return Err(bad()),
    };
    let kind = d[1];
    let size: usize = descr[2..].parse().map_err(|_| bad())?;
    let known = match kind {
        b'f' => size == 4 || size == 8,
        b'i' | b'u' => matches!(size, 1 | 2 | 4 | 8),
        _ => false,
    };
    if !known {
        return Err(bad());
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
                // Rust's shortest form (`1e300`, `-1.0`).
                Number::Float(x) => format!("{x:?}"),
                Number::Int(i) => format!("{i}"),
            },
            dtype: S::Elem::DTYPE,
            file_dtype: h.dtype(),
        })?;
    }
    Ok(out)
}

/// Samples of shape `S` from a `.npy` file (see [`decode_npy`]). It reads the header,
/// then exactly the data its shape and dtype take: a longer file is refused without
/// being read past that, and an endless stream (`/dev/zero`) costs at most the header's
/// and the shape's bytes. I/O errors name the file.
pub fn load_npy<S: Shape>(path: impl AsRef<Path>) -> Result<Vec<S>, NpyError>
where
    S::Elem: NpyElement,
{
    use std::io::Read;
    let path = path.as_ref();
    let io =
        |e: std::io::Error| NpyError::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())));
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    // The preamble, then the header it announces (bounded), then the data.
    (&mut file).take(12).read_to_end(&mut bytes).map_err(io)?;
    let (len, start) = preamble(&bytes)?;
    if len > MAX_HEADER {
        return Err(format_error(format!(
            "the header is {len} bytes; this reader takes at most {MAX_HEADER}"
        )));
    }
    let want = (start + len).saturating_sub(bytes.len()) as u64;
    (&mut file).take(want).read_to_end(&mut bytes).map_err(io)?;
    let h = parse_header(&bytes)?;
    let data = h.shape.iter().try_fold(h.size, |a, &d| a.checked_mul(d));
    let data = data
        .filter(|&d| d < isize::MAX as usize - bytes.len())
        .ok_or_else(|| format_error("the shape's size overflows"))?;
    // A file's length is known: a shape it cannot hold is refused before any allocation.
    if let Ok(meta) = file.metadata().map_err(|_| ()).and_then(|m| if m.is_file() { Ok(m) } else { Err(()) })
    {
        let have = meta.len().saturating_sub(bytes.len() as u64);
        if have != data as u64 {
            return Err(format_error(format!("the data is {have} bytes, its shape needs {data}")));
        }
    }
    // One byte more than the data, to tell a longer stream.
    (&mut file).take(data as u64 + 1).read_to_end(&mut bytes).map_err(io)?;
    decode_npy(&bytes)
}
