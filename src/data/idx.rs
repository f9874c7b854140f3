//! IDX files (the format of MNIST), plain or gzip-compressed.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use std::io::Read;
use std::path::Path;

use crate::shape::Shape;

/// The most bytes an IDX file may declare (4 GiB): a corrupt header cannot make the
/// reader allocate more.
pub const MAX_IDX_BYTES: u64 = 1 << 32;

/// What can go wrong reading an IDX file.
#[derive(Debug)]
pub enum IdxError {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The gzip stream is corrupt.
    Gzip(String),
    /// The first two bytes are not zero: not an IDX file.
    BadMagic([u8; 4]),
    /// An element type other than unsigned bytes (0x08).
    UnsupportedType(u8),
    /// The header declares a different number of dimensions than expected.
    Rank {
        /// Dimensions expected (3 for images, 1 for labels).
        expected: usize,
        /// Dimensions in the header.
        found: usize,
    },
    /// The file ends before the header or the data it declares.
    Truncated {
        /// Bytes the header declares (header included).
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// Bytes after the declared data.
    TrailingData {
        /// Bytes the header declares (header included).
        expected: u64,
    },
    /// The header declares more than [`MAX_IDX_BYTES`] of data.
    TooLarge {
        /// The declared dims.
        dims: Vec<usize>,
    },
    /// The sample dims in the header differ from those of the sample type.
    SampleShape {
        /// Dims of one sample in the file.
        file: Vec<usize>,
        /// Dims of the sample type.
        expected: &'static [usize],
    },
    /// Images and labels differ in number.
    CountMismatch {
        /// Images in the file.
        images: usize,
        /// Labels in the file.
        labels: usize,
    },
    /// A label is not below the number of classes.
    LabelOutOfRange {
        /// Its position.
        index: usize,
        /// Its value.
        label: u8,
        /// The number of classes.
        classes: usize,
    },
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdxError::Io { path, source } => write!(f, "cannot read {path}: {source}"),
            IdxError::Gzip(e) => write!(f, "corrupt gzip stream: {e}"),
            IdxError::BadMagic(m) => {
                write!(f, "not an IDX file: magic bytes {m:02x?} do not start with two zeros")
            }
            IdxError::UnsupportedType(t) => {
                write!(f, "IDX element type 0x{t:02x} is not supported (only unsigned bytes, 0x08)")
            }
            IdxError::Rank { expected, found } => {
                write!(f, "expected an IDX file of {expected} dimensions, found {found}")
            }
            IdxError::Truncated { expected, found } => {
                write!(f, "truncated IDX file: the header declares {expected} bytes, the file has {found}")
            }
            IdxError::TrailingData { expected } => {
                write!(f, "IDX file longer than the {expected} bytes its header declares")
            }
            IdxError::TooLarge { dims } => {
                write!(f, "IDX header declares dims {dims:?}, more than {MAX_IDX_BYTES} bytes")
            }
            IdxError::SampleShape { file, expected } => write!(
                f,
                "the file's samples have shape {file:?}, but the sample type has shape {expected:?}"
            ),
            IdxError::CountMismatch { images, labels } => write!(f, "{images} images but {labels} labels"),
            IdxError::LabelOutOfRange { index, label, classes } => {
                write!(f, "label {label} at index {index} is not below the {classes} classes")
            }
        }
    }
}

impl std::error::Error for IdxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IdxError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A parsed IDX file of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idx {
    /// The dims, first the number of items.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

/// Reads an IDX file, gzip-compressed if its name ends in `.gz`.
pub fn read_idx(path: impl AsRef<Path>) -> Result<Idx, IdxError> {
    let path = path.as_ref();
    let io = |source| IdxError::Io { path: path.display().to_string(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let reader = std::io::BufReader::new(file);
    if path.extension().is_some_and(|e| e == "gz") {
        parse_idx(flate2::read::GzDecoder::new(reader)).map_err(|e| match e {
            IdxError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::InvalidInput
                    || source.kind() == std::io::ErrorKind::InvalidData =>
            {
                IdxError::Gzip(source.to_string())
            }
            IdxError::Io { source, .. } => io(source),
            e => e,
        })
    } else {
        parse_idx(reader).map_err(|e| match e {
            IdxError::Io { source, .. } => io(source),
            e => e,
        })
    }
}

/// Parses IDX data from any reader (plain bytes; wrap a gzip stream in a decoder first).
///
/// The reader is never trusted for sizes: the data is read up to the size the header
/// declares (at most [`MAX_IDX_BYTES`]), growing the buffer as bytes arrive, so a header
/// that lies cannot cause a huge allocation.
pub fn parse_idx<R: Read>(mut reader: R) -> Result<Idx, IdxError> {
    let io = |source| IdxError::Io { path: String::from("<reader>"), source };
    let mut magic = [0u8; 4];
    let got = read_full(&mut reader, &mut magic).map_err(io)?;
    if got < 4 {
        return Err(IdxError::Truncated { expected: 4, found: got as u64 });
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(IdxError::BadMagic(magic));
    }
    if magic[2] != 0x08 {
        return Err(IdxError::UnsupportedType(magic[2]));
    }
    let rank = magic[3] as usize;
    let header = 4 + 4 * rank as u64;
    let mut dims = Vec::with_capacity(rank);
    for i in 0..rank {
        let mut d = [0u8; 4];
        let got = read_full(&mut reader, &mut d).map_err(io)?;
        if got < 4 {
            return Err(IdxError::Truncated { expected: header, found: 4 + 4 * i as u64 + got as u64 });
        }
        dims.push(u32::from_be_bytes(d) as usize);
    }
    let total = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
    let total = match total {
        Some(t) if t <= MAX_IDX_BYTES => t,
        _ => return Err(IdxError::TooLarge { dims }),
    };
    // Grow as data arrives; never reserve more than 1 MiB up front.
    let mut data = Vec::with_capacity(total.min(1 << 20) as usize);
    let read = (&mut reader).take(total).read_to_end(&mut data).map_err(io)?;
    if (read as u64) < total {
        return Err(IdxError::Truncated { expected: header + total, found: header + read as u64 });
    }
    let mut extra = [0u8; 1];
    if read_full(&mut reader, &mut extra).map_err(io)? > 0 {
        return Err(IdxError::TrailingData { expected: header + total });
    }
    Ok(Idx { dims, data })
}

/// Reads into `buf` until it is full or the reader ends; returns the bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl Idx {
    /// The items as samples of shape `S` (`[u8; 784]` or `[[u8; 28]; 28]`).
    ///
    /// A vector type takes any sample dims with its element count (28x28 into 784); a
    /// type of higher rank needs the file's dims exactly.
    pub fn into_samples<S: Shape<Elem = u8>>(self) -> Result<Vec<S>, IdxError> {
        let file_dims = self.dims.get(1..).unwrap_or(&[]);
        let numel: usize = file_dims.iter().product();
        let fits = if S::RANK == 1 { numel == S::NUMEL } else { file_dims == S::DIMS };
        if self.dims.is_empty() || !fits {
            return Err(IdxError::SampleShape { file: file_dims.to_vec(), expected: S::DIMS });
        }
        // One sample is small (a 28x28 image is 784 bytes): fine on the stack.
        let zero: S = *crate::zeroed::zeroed_box::<S>();
        let mut out = alloc::vec![zero; self.dims[0]];
        for (dst, src) in out.iter_mut().zip(self.data.chunks_exact(S::NUMEL.max(1))) {
            dst.flat_mut().copy_from_slice(src);
        }
        Ok(out)
    }
}

/// Reads images (an IDX file of 3 or more dims) as samples of shape `S`.
pub fn load_idx_images<S: Shape<Elem = u8>>(path: impl AsRef<Path>) -> Result<Vec<S>, IdxError> {
    let idx = read_idx(path)?;
    if idx.dims.len() < 2 {
        return Err(IdxError::Rank { expected: 3, found: idx.dims.len() });
    }
    idx.into_samples()
}

/// Reads labels (an IDX file of 1 dim).
pub fn load_idx_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, IdxError> {
    let idx = read_idx(path)?;
    if idx.dims.len() != 1 {
        return Err(IdxError::Rank { expected: 1, found: idx.dims.len() });
    }
    Ok(idx.data)
}

/// Images and labels of one split, checked to agree in number.
pub fn load_idx_pair<S: Shape<Elem = u8>>(
    images: impl AsRef<Path>,
    labels: impl AsRef<Path>,
) -> Result<(Vec<S>, Vec<u8>), IdxError> {
    let x = load_idx_images::<S>(images)?;
    let y = load_idx_labels(labels)?;
    if x.len() != y.len() {
        return Err(IdxError::CountMismatch { images: x.len(), labels: y.len() });
    }
    Ok((x, y))
}
