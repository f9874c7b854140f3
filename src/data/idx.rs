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
    /// Memory for the data could not be allocated (a process limit, or a file that
    /// declares more than the machine holds); nothing was aborted.
    OutOfMemory {
        /// Bytes that were being reserved.
        bytes: usize,
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
        label: i128,
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
                write!(f, "expected an IDX file of {expected} dimensions, found {found}")?;
                match (expected, found) {
                    (3, 2) => write!(
                        f,
                        " (a table, not images: `read_idx(path)?.into_samples()` reads its rows as samples)"
                    ),
                    (3, 1) | (1, 3..) => write!(f, " (are the images and labels files swapped?)"),
                    _ => Ok(()),
                }
            }
            IdxError::Truncated { expected, found } => {
                write!(f, "truncated IDX file: the header declares {expected} bytes, the file has {found}")
            }
            IdxError::TrailingData { expected } => {
                write!(f, "IDX file longer than the {expected} bytes its header declares")
            }
            IdxError::TooLarge { dims } => {
                write!(
                    f,
                    "IDX header declares shape {}, more than {MAX_IDX_BYTES} bytes",
                    crate::shape::ShapeDisplay(dims)
                )
            }
            IdxError::SampleShape { file, expected } => write!(
                f,
                "the file's samples have shape {file:?}, but the sample type has shape {expected:?}"
            ),
            IdxError::OutOfMemory { bytes } => {
                write!(f, "cannot allocate {bytes} bytes for the IDX data (out of memory)")
            }
            IdxError::CountMismatch { images, labels } => write!(f, "{images} images but {labels} labels"),
            IdxError::LabelOutOfRange { index, label, classes } => {
                write!(f, "label {label} at index {index} is not below the {classes} classes")
            }
        }
    }
}

crate::error::debug_is_display!(IdxError);

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

/// How the bytes of an IDX stream are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// As they are.
    Plain,
    /// gzip-compressed, one member or several (read as one stream, as the gzip format
    /// says; bytes after the last member that are not a gzip member are an error).
    Gzip,
}

impl Encoding {
    /// Gzip for a path whose name ends in `.gz`, plain otherwise.
    pub fn of_path(path: &Path) -> Encoding {
        if path.extension().is_some_and(|e| e == "gz") { Encoding::Gzip } else { Encoding::Plain }
    }
}

/// Reads an IDX file, gzip-compressed if its name ends in `.gz`.
///
/// A gzip file may hold several members (as `cat a.gz b.gz` makes): all are read, as
/// the gzip format says, and the IDX size checks apply to what they hold together;
/// bytes after the last member that are not a gzip member are an error.
pub fn read_idx(path: impl AsRef<Path>) -> Result<Idx, IdxError> {
    with_file(path.as_ref(), decode_idx)
}

/// Parses an IDX stream from any reader, plain or gzip-compressed.
///
/// ```
/// use shaped::data::{Encoding, decode_idx};
/// let bytes = [0, 0, 8, 1, 0, 0, 0, 2, 7, 9]; // two labels, 7 and 9
/// let idx = decode_idx(&bytes[..], Encoding::Plain)?;
/// assert_eq!((idx.dims, idx.data), (vec![2], vec![7, 9]));
/// # Ok::<(), shaped::data::IdxError>(())
/// ```
pub fn decode_idx<R: Read>(reader: R, encoding: Encoding) -> Result<Idx, IdxError> {
    decode(reader, encoding, |r| parse_from(r))
}

/// Reads the samples of an IDX stream from any reader, plain or gzip-compressed, as
/// [`load_idx_images`] does for a file.
pub fn decode_idx_samples<S: Shape<Elem = u8>, R: Read>(
    reader: R,
    encoding: Encoding,
) -> Result<Vec<S>, IdxError> {
    decode(reader, encoding, |r| read_samples::<S, _>(r))
}

/// Runs `f` on the stream's bytes, decompressed if gzip, turning decompression errors
/// into [`IdxError::Gzip`].
fn decode<T, R: Read>(
    reader: R,
    encoding: Encoding,
    f: impl FnOnce(&mut dyn Read) -> Result<T, IdxError>,
) -> Result<T, IdxError> {
    match encoding {
        Encoding::Plain => f(&mut { reader }),
        Encoding::Gzip => f(&mut flate2::read::MultiGzDecoder::new(reader)).map_err(|e| match e {
            IdxError::Io { source, .. }
                if matches!(
                    source.kind(),
                    std::io::ErrorKind::InvalidInput
                        | std::io::ErrorKind::InvalidData
                        | std::io::ErrorKind::UnexpectedEof
                ) =>
            {
                IdxError::Gzip(source.to_string())
            }
            e => e,
        }),
    }
}

/// Opens `path` and runs `f` on its reader and encoding, naming the file in I/O errors.
fn with_file<T>(
    path: &Path,
    f: impl FnOnce(std::io::BufReader<std::fs::File>, Encoding) -> Result<T, IdxError>,
) -> Result<T, IdxError> {
    let io = |source| IdxError::Io { path: path.display().to_string(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    f(std::io::BufReader::new(file), Encoding::of_path(path)).map_err(|e| match e {
        IdxError::Io { source, .. } => io(source),
        e => e,
    })
}

fn reader_io(source: std::io::Error) -> IdxError {
    IdxError::Io { path: String::from("<reader>"), source }
}

/// The dims of an IDX header and the data bytes they declare (checked, at most
/// [`MAX_IDX_BYTES`]).
fn read_header<R: Read + ?Sized>(reader: &mut R) -> Result<(Vec<usize>, u64), IdxError> {
    let mut magic = [0u8; 4];
    let got = read_full(reader, &mut magic).map_err(reader_io)?;
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
        let got = read_full(reader, &mut d).map_err(reader_io)?;
        if got < 4 {
            return Err(IdxError::Truncated { expected: header, found: 4 + 4 * i as u64 + got as u64 });
        }
        dims.push(u32::from_be_bytes(d) as usize);
    }
    let total = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
    match total {
        Some(t) if t <= MAX_IDX_BYTES && usize::try_from(t).is_ok() => Ok((dims, t)),
        _ => Err(IdxError::TooLarge { dims }),
    }
}

/// Bytes of the header of an IDX file of these dims.
fn header_len(dims: &[usize]) -> u64 {
    4 + 4 * dims.len() as u64
}

/// After the data: anything more is an error.
fn expect_end<R: Read + ?Sized>(reader: &mut R, expected: u64) -> Result<(), IdxError> {
    let mut extra = [0u8; 1];
    if read_full(reader, &mut extra).map_err(reader_io)? > 0 {
        return Err(IdxError::TrailingData { expected });
    }
    Ok(())
}

/// Reads `total` bytes into `data`, growing it as bytes arrive (64 KiB ahead of them at
/// most, nothing zero-filled), so a header that lies costs no memory, and a failed
/// allocation is an error.
fn read_growing<R: Read + ?Sized>(
    reader: &mut R,
    total: usize,
    data: &mut Vec<u8>,
) -> Result<usize, IdxError> {
    const STEP: usize = 1 << 16;
    while data.len() < total {
        let want = STEP.min(total - data.len());
        data.try_reserve(want).map_err(|_| IdxError::OutOfMemory { bytes: data.len() + want })?;
        // `take` stops at `want`, within the capacity just reserved: no growth inside.
        let got = reader.take(want as u64).read_to_end(data).map_err(reader_io)?;
        if got < want {
            break;
        }
    }
    Ok(data.len())
}

/// Parses IDX data from any reader (plain bytes; wrap a gzip stream in a decoder first).
///
/// The reader is never trusted for sizes: the data is read up to the size the header
/// declares (at most [`MAX_IDX_BYTES`]), growing the buffer as bytes arrive, so a header
/// that lies cannot cause a huge allocation.
pub fn parse_idx<R: Read>(mut reader: R) -> Result<Idx, IdxError> {
    parse_from(&mut reader)
}

fn parse_from<R: Read + ?Sized>(reader: &mut R) -> Result<Idx, IdxError> {
    parse_ranked(reader, None)
}

/// [`parse_from`], refusing a header of another rank than `rank` (if given) before any
/// data is read.
fn parse_ranked<R: Read + ?Sized>(reader: &mut R, rank: Option<usize>) -> Result<Idx, IdxError> {
    let (dims, total) = read_header(reader)?;
    if let Some(expected) = rank.filter(|&r| r != dims.len()) {
        return Err(IdxError::Rank { expected, found: dims.len() });
    }
    let header = header_len(&dims);
    let mut data = Vec::new();
    let read = read_growing(reader, total as usize, &mut data)?;
    if (read as u64) < total {
        return Err(IdxError::Truncated { expected: header + total, found: header + read as u64 });
    }
    expect_end(reader, header + total)?;
    Ok(Idx { dims, data })
}

/// Whether samples of shape `S` can hold one item of a file with these item dims: a
/// vector type takes any item dims with its element count (28x28 into 784), a type of
/// higher rank needs the dims exactly. Checked arithmetic: no header overflows it.
fn sample_fits<S: Shape>(item_dims: &[usize]) -> bool {
    let numel = item_dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    // A last axis of 1 may be added: (28, 28) images read as `[[[u8; 1]; 28]; 28]`, the
    // channels-last shape of a convolution's input (Keras: `x.reshape((-1, 28, 28, 1))`).
    let channel = S::RANK >= 2 && S::DIMS.last() == Some(&1) && item_dims == &S::DIMS[..S::RANK - 1];
    if S::RANK == 1 { numel == Some(S::NUMEL) } else { item_dims == S::DIMS || channel }
}

/// Reads the samples of an IDX file straight into `Vec<S>`: the sample shape is checked
/// against the header before any data is read, and no second copy of the data is made
/// (peak memory is the samples, grown as they arrive).
fn read_samples<S: Shape<Elem = u8>, R: Read + ?Sized>(reader: &mut R) -> Result<Vec<S>, IdxError> {
    let (dims, total) = read_header(reader)?;
    // Images are (n, rows, cols) or more: a file of 2 dims is a table, of 1 labels
    // (`read_idx(..)?.into_samples()` reads a table's rows as samples).
    if dims.len() < 3 {
        return Err(IdxError::Rank { expected: 3, found: dims.len() });
    }
    if !sample_fits::<S>(&dims[1..]) {
        return Err(IdxError::SampleShape { file: dims[1..].to_vec(), expected: S::DIMS });
    }
    let header = header_len(&dims);
    let count = dims[0];
    let size = S::NUMEL;
    let mut out: Vec<S> = Vec::new();
    if size == 0 {
        return Err(IdxError::SampleShape { file: dims[1..].to_vec(), expected: S::DIMS });
    }
    // Samples are decoded a block at a time through a small buffer.
    // (No bigger than the declared count: small files need no 64 KiB buffer.)
    let per_block = ((1usize << 16) / size).clamp(1, count.max(1));
    let mut buf = alloc::vec![0u8; per_block * size];
    let zero: S = *crate::zeroed::zeroed_box::<S>();
    while out.len() < count {
        let n = per_block.min(count - out.len());
        let got = read_full(reader, &mut buf[..n * size]).map_err(reader_io)?;
        let whole = got / size;
        out.try_reserve(whole)
            .map_err(|_| IdxError::OutOfMemory { bytes: (out.len() + whole).saturating_mul(size) })?;
        for chunk in buf[..whole * size].chunks_exact(size) {
            let mut sample = zero;
            sample.flat_mut().copy_from_slice(chunk);
            out.push(sample);
        }
        if got < n * size {
            let found = header + (out.len() * size + got % size) as u64;
            return Err(IdxError::Truncated { expected: header + total, found });
        }
    }
    expect_end(reader, header + total)?;
    Ok(out)
}

/// Reads into `buf` until it is full or the reader ends; returns the bytes read.
fn read_full<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
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
    /// type of higher rank needs the file's dims exactly, or with a last axis of 1 added
    /// (28x28 into `[[[u8; 1]; 28]; 28]`, an image of one channel).
    pub fn into_samples<S: Shape<Elem = u8>>(self) -> Result<Vec<S>, IdxError> {
        let file_dims = self.dims.get(1..).unwrap_or(&[]);
        if self.dims.is_empty() || S::NUMEL == 0 || !sample_fits::<S>(file_dims) {
            return Err(IdxError::SampleShape { file: file_dims.to_vec(), expected: S::DIMS });
        }
        // One sample is small (a 28x28 image is 784 bytes): fine on the stack.
        let zero: S = *crate::zeroed::zeroed_box::<S>();
        let mut out = Vec::new();
        out.try_reserve_exact(self.dims[0]).map_err(|_| IdxError::OutOfMemory { bytes: self.data.len() })?;
        for src in self.data.chunks_exact(S::NUMEL).take(self.dims[0]) {
            let mut sample = zero;
            sample.flat_mut().copy_from_slice(src);
            out.push(sample);
        }
        Ok(out)
    }
}

/// Reads images (an IDX file of 3 or more dims) as samples of shape `S`.
///
/// The samples are decoded as the file is read: peak memory is the samples themselves.
pub fn load_idx_images<S: Shape<Elem = u8>>(path: impl AsRef<Path>) -> Result<Vec<S>, IdxError> {
    with_file(path.as_ref(), decode_idx_samples)
}

/// Reads labels (an IDX file of 1 dim). A file of another rank (an images file given
/// by mistake) is refused from its header, before its data is read.
pub fn load_idx_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, IdxError> {
    let idx = with_file(path.as_ref(), |r, encoding| decode(r, encoding, |r| parse_ranked(r, Some(1))))?;
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
