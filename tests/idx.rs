//! The IDX reader on good, bad and hostile files, plain and gzip, and on the bundled MNIST.

use std::io::Write;
use std::path::PathBuf;

use shaped::data::{
    IdxError, MAX_IDX_BYTES, load_idx_images, load_idx_labels, load_idx_pair, normalize_pixels, parse_idx,
    read_idx, to_categorical, to_classes,
};

/// An IDX file of unsigned bytes with the given dims and data.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(data);
    v
}

/// Writes `bytes` to a fresh temporary file, gzip-compressed if `name` ends in `.gz`.
fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shaped-idx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    if name.ends_with(".gz") {
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap();
    } else {
        f.write_all(bytes).unwrap();
    }
    path
}

#[test]
fn reads_plain_and_gzip() {
    let data: Vec<u8> = (0..24).collect();
    let bytes = idx(&[3, 2, 4], &data);
    for name in ["good.idx", "good.idx.gz"] {
        let path = temp_file(name, &bytes);
        let parsed = read_idx(&path).unwrap();
        assert_eq!(parsed.dims, vec![3, 2, 4]);
        assert_eq!(parsed.data, data);
        // As flat samples of 8 and as 2x4 samples.
        let flat: Vec<[u8; 8]> = load_idx_images(&path).unwrap();
        assert_eq!(flat[2], [16, 17, 18, 19, 20, 21, 22, 23]);
        let grid: Vec<[[u8; 4]; 2]> = load_idx_images(&path).unwrap();
        assert_eq!(grid[1], [[8, 9, 10, 11], [12, 13, 14, 15]]);
    }
}

#[test]
fn sample_shape_must_match_the_type() {
    let path = temp_file("shape.idx", &idx(&[2, 2, 3], &[0; 12]));
    let err = load_idx_images::<[u8; 5]>(&path).unwrap_err();
    assert!(matches!(err, IdxError::SampleShape { .. }));
    assert_eq!(err.to_string(), "the file's samples have shape [2, 3], but the sample type has shape [5]");
    // Same count, different dims: a 3x2 type does not take 2x3 samples.
    let err = load_idx_images::<[[u8; 2]; 3]>(&path).unwrap_err();
    assert_eq!(err.to_string(), "the file's samples have shape [2, 3], but the sample type has shape [3, 2]");
    // A label file is not an image file.
    let labels = temp_file("labels-as-images.idx", &idx(&[4], &[1, 2, 3, 4]));
    assert!(matches!(load_idx_images::<[u8; 1]>(&labels), Err(IdxError::Rank { expected: 3, found: 1 })));
    assert!(matches!(load_idx_labels(&path), Err(IdxError::Rank { expected: 1, found: 3 })));
}

#[test]
fn wrong_magic_and_type() {
    let mut bytes = idx(&[1], &[7]);
    bytes[0] = 0x1f;
    assert!(matches!(parse_idx(&bytes[..]), Err(IdxError::BadMagic([0x1f, 0, 8, 1]))));
    let mut bytes = idx(&[1], &[7]);
    bytes[2] = 0x0d; // float32
    let err = parse_idx(&bytes[..]).unwrap_err();
    assert!(matches!(err, IdxError::UnsupportedType(0x0d)));
    assert!(err.to_string().contains("0x0d"));
}

#[test]
fn truncated_files() {
    // In the magic, in the dims, in the data.
    assert!(matches!(parse_idx(&[0u8, 0][..]), Err(IdxError::Truncated { expected: 4, found: 2 })));
    let bytes = idx(&[2, 3], &[1; 6]);
    assert!(matches!(parse_idx(&bytes[..9]), Err(IdxError::Truncated { expected: 12, found: 9 })));
    let err = parse_idx(&bytes[..15]).unwrap_err();
    assert!(matches!(err, IdxError::Truncated { expected: 18, found: 15 }));
    assert_eq!(err.to_string(), "truncated IDX file: the header declares 18 bytes, the file has 15");
    // The same through gzip.
    let path = temp_file("truncated.idx.gz", &bytes[..15]);
    assert!(matches!(read_idx(&path), Err(IdxError::Truncated { expected: 18, found: 15 })));
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut bytes = idx(&[2], &[1, 2]);
    bytes.push(3);
    assert!(matches!(parse_idx(&bytes[..]), Err(IdxError::TrailingData { expected: 10 })));
}

#[test]
fn absurd_headers_do_not_allocate() {
    // 2^32 - 1 items of 2^32 - 1 bytes: refused from the header alone.
    let bytes = idx(&[u32::MAX, u32::MAX], &[]);
    assert!(matches!(parse_idx(&bytes[..]), Err(IdxError::TooLarge { .. })));
    // Under the limit but absent: the reader stops at the end of the data, having
    // reserved at most 1 MiB.
    let bytes = idx(&[60_000, 65_536], &[0; 100]);
    const { assert!(60_000u64 * 65_536 <= MAX_IDX_BYTES) };
    assert!(matches!(parse_idx(&bytes[..]), Err(IdxError::Truncated { found: 112, .. })));
}

#[test]
fn corrupt_gzip_and_missing_file() {
    let dir = std::env::temp_dir().join(format!("shaped-idx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("corrupt.idx.gz");
    // A gzip header followed by garbage.
    std::fs::write(&path, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0x00, 0x13]).unwrap();
    let err = read_idx(&path).unwrap_err();
    assert!(matches!(err, IdxError::Gzip(_) | IdxError::Truncated { .. }), "{err:?}");
    let err = read_idx(dir.join("does-not-exist.idx")).unwrap_err();
    assert!(matches!(err, IdxError::Io { .. }));
    assert!(err.to_string().starts_with("cannot read "), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn counts_must_agree() {
    let images = temp_file("pair-images.idx", &idx(&[3, 2, 2], &[0; 12]));
    let labels = temp_file("pair-labels.idx", &idx(&[2], &[0, 1]));
    let err = load_idx_pair::<[u8; 4]>(&images, &labels).unwrap_err();
    assert!(matches!(err, IdxError::CountMismatch { images: 3, labels: 2 }));
    assert_eq!(err.to_string(), "3 images but 2 labels");
}

#[test]
fn labels_and_pixels() {
    let y = to_categorical::<f32, 4>(&[3, 0]).unwrap();
    assert_eq!(y, vec![[0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]]);
    let err = to_categorical::<f32, 4>(&[1, 4]).unwrap_err();
    assert_eq!(err.to_string(), "label 4 at index 1 is not below the 4 classes");
    assert_eq!(to_classes::<4>(&[3]).unwrap()[0].index(), 3);
    assert!(to_classes::<4>(&[9]).is_err());
    assert_eq!(normalize_pixels::<f32, 3>(&[[0, 51, 255]]), vec![[0.0, 0.2, 1.0]]);
}

#[test]
fn bundled_mnist() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist");
    let (x, y) = load_idx_pair::<[[u8; 28]; 28]>(
        format!("{dir}/t10k-images-idx3-ubyte.gz"),
        format!("{dir}/t10k-labels-idx1-ubyte.gz"),
    )
    .unwrap();
    assert_eq!((x.len(), y.len()), (10_000, 10_000));
    // The first test digits of MNIST are 7, 2, 1, 0, 4.
    assert_eq!(&y[..5], &[7, 2, 1, 0, 4]);
    assert!(y.iter().all(|&l| l < 10));
    let mut counts = [0usize; 10];
    y.iter().for_each(|&l| counts[l as usize] += 1);
    assert_eq!(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    // Ink in the middle of the first image, blank corners.
    assert_eq!(x[0][0][0], 0);
    assert!(x[0][14].iter().any(|&p| p > 128));
    let train = load_idx_labels(format!("{dir}/train-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!(train.len(), 60_000);
    assert_eq!(&train[..5], &[5, 0, 4, 1, 9]);
}

/// A rank-4 header with no items and huge item dims: their product overflows `usize`.
/// Refused as a sample-shape mismatch, with no overflow (this test runs in debug, where
/// an overflow panics).
#[test]
fn overflowing_item_dims_are_an_error() {
    let bytes = idx(&[0, u32::MAX, u32::MAX, u32::MAX], &[]);
    let path = temp_file("overflow.idx", &bytes);
    assert!(matches!(load_idx_images::<[u8; 784]>(&path), Err(IdxError::SampleShape { .. })));
    assert!(matches!(load_idx_images::<[[u8; 28]; 28]>(&path), Err(IdxError::SampleShape { .. })));
    let parsed = parse_idx(&bytes[..]).unwrap();
    assert!(matches!(parsed.into_samples::<[u8; 784]>(), Err(IdxError::SampleShape { .. })));
    // Zero-sized samples hold nothing to learn from: refused, not a loop over 4e9 items.
    let zero = temp_file("zero.idx", &idx(&[u32::MAX, 0, 0], &[]));
    assert!(matches!(load_idx_images::<[u8; 0]>(&zero), Err(IdxError::SampleShape { .. })));
}

/// Writes `members` as consecutive gzip members, then `tail`, to a `.gz` file.
fn gzip_members(name: &str, members: &[&[u8]], tail: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shaped-idx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let mut out = Vec::new();
    for m in members {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(m).unwrap();
        out.extend(gz.finish().unwrap());
    }
    out.extend_from_slice(tail);
    std::fs::write(&path, out).unwrap();
    path
}

/// A gzip file of several members (`cat a.gz b.gz`) is one stream, as the gzip format
/// says: the IDX checks apply to all of it. Bytes after the last member are an error.
#[test]
fn gzip_members_and_trailing_garbage() {
    let data: Vec<u8> = (0..24).collect();
    let bytes = idx(&[3, 2, 4], &data);
    let (head, rest) = bytes.split_at(17);
    // Split across two members: read whole.
    let two = gzip_members("two.idx.gz", &[head, rest], &[]);
    let images: Vec<[u8; 8]> = load_idx_images(&two).unwrap();
    assert_eq!(images[2], [16, 17, 18, 19, 20, 21, 22, 23]);
    assert_eq!(read_idx(&two).unwrap().data, data);
    // A second member that adds data past the declared size: trailing data.
    let more = gzip_members("more.idx.gz", &[&bytes, &[1, 2, 3]], &[]);
    assert!(matches!(load_idx_images::<[u8; 8]>(&more), Err(IdxError::TrailingData { .. })));
    assert!(matches!(read_idx(&more), Err(IdxError::TrailingData { .. })));
    // Garbage after the last member: a corrupt gzip stream, not silently ignored.
    for tail in [&b"garbage!"[..], &[0u8; 16][..], &[0x1f, 0x8b][..]] {
        let path = gzip_members("tail.idx.gz", &[&bytes], tail);
        let err = load_idx_images::<[u8; 8]>(&path).unwrap_err();
        assert!(matches!(err, IdxError::Gzip(_)), "{tail:?}: {err}");
        assert!(read_idx(&path).is_err(), "{tail:?}");
    }
}

/// Issue #30: a file of 2 dims is a table, not images (refused with the way to read it),
/// and a labels load refuses an images file from its header, before reading its data.
#[test]
fn ranks_are_checked_from_the_header() {
    let dir = std::env::temp_dir().join(format!("shaped-idx-rank-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A table of 3 rows of 4 bytes.
    let mut table = vec![0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 4];
    table.extend(0..12u8);
    let path = dir.join("table.idx");
    std::fs::write(&path, &table).unwrap();
    let e = shaped::data::load_idx_images::<[u8; 4]>(&path).unwrap_err();
    assert!(e.to_string().contains("found 2") && e.to_string().contains("into_samples"), "{e}");
    assert_eq!(format!("{e:?}"), e.to_string(), "Debug is Display");
    let rows: Vec<[u8; 4]> = shaped::data::read_idx(&path).unwrap().into_samples().unwrap();
    assert_eq!(rows[2], [8, 9, 10, 11]);
    // The header of 60,000 images of 28 x 28 (47 MB) with none of its data: refused as
    // the wrong rank, not read (the data would be reported missing).
    let mut images = vec![0, 0, 8, 3];
    for d in [60_000u32, 28, 28] {
        images.extend(d.to_be_bytes());
    }
    let path = dir.join("images.idx");
    std::fs::write(&path, &images).unwrap();
    let e = shaped::data::load_idx_labels(&path).unwrap_err();
    assert!(matches!(e, shaped::data::IdxError::Rank { expected: 1, found: 3 }), "{e}");
    assert!(e.to_string().contains("swapped"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
