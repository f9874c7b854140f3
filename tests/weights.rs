//! Weight files: round trips, and every malformed file refused with the model unchanged.

mod common;
use common::crc32;

use shaped::nn::{Dense, Relu, Sequential, Sigmoid, Softmax, WeightsError};
use shaped::rand::{SeedableRng, rngs::StdRng};

type Net = (Dense<5, 7, Relu>, Dense<7, 3, Softmax>);

fn saved(seed: u64) -> (Sequential<Net>, Vec<u8>) {
    let m = Sequential::<Net>::new(&mut StdRng::seed_from_u64(seed));
    let mut bytes = Vec::new();
    m.write_weights(&mut bytes).unwrap();
    (m, bytes)
}

#[test]
fn round_trip_f32_and_f64() {
    let (m, bytes) = saved(1);
    // Header, two layers (widths and activation names), the weights, the checksum.
    assert_eq!(bytes.len(), 8 + 4 + 4 + (8 + 1 + 4) + (8 + 1 + 7) + 4 * (5 * 7 + 7 + 7 * 3 + 3) + 4);
    assert_eq!(&bytes[..8], b"SHAPEDW2");
    let mut other = Sequential::<Net>::zeros();
    other.read_weights(&mut &bytes[..]).unwrap();
    assert_eq!(other.params(), m.params());
    assert_eq!(other.predict(&[0.1, 0.2, 0.3, 0.4, 0.5]), m.predict(&[0.1, 0.2, 0.3, 0.4, 0.5]));

    let d = Sequential::<Net, f64>::new(&mut StdRng::seed_from_u64(2));
    let path = std::env::temp_dir().join(format!("shaped-weights-{}.bin", std::process::id()));
    d.save_weights(&path).unwrap();
    let mut e = Sequential::<Net, f64>::zeros();
    e.load_weights(&path).unwrap();
    assert_eq!(e.params(), d.params());
}

/// Loads `bytes` into a fresh model and checks that it kept its weights.
fn refused(bytes: &[u8]) -> WeightsError {
    let (keep, _) = saved(3);
    let mut m = keep.clone();
    let err = m.read_weights(&mut &bytes[..]).unwrap_err();
    assert_eq!(m.params(), keep.params(), "a failed load must leave the weights alone");
    err
}

#[test]
fn malformed_files_are_errors() {
    let (_, good) = saved(4);
    let mut bad = good.clone();
    bad[0] = b'X';
    assert!(matches!(refused(&bad), WeightsError::BadMagic));

    let d = Sequential::<Net, f64>::new(&mut StdRng::seed_from_u64(5));
    let mut wide = Vec::new();
    d.write_weights(&mut wide).unwrap();
    let err = refused(&wide);
    assert!(matches!(err, WeightsError::ElementSize { expected: 4, found: 8 }));
    assert_eq!(err.to_string(), "the file holds 8-byte weights, the model 4-byte ones");

    let three = Sequential::<(Dense<5, 7, Relu>, Dense<7, 7, Relu>, Dense<7, 3, Softmax>)>::zeros();
    let mut deep = Vec::new();
    three.write_weights(&mut deep).unwrap();
    assert!(matches!(refused(&deep), WeightsError::Depth { expected: 2, found: 3 }));

    let other = Sequential::<(Dense<5, 7, Relu>, Dense<7, 4, Sigmoid>)>::zeros();
    let mut shape = Vec::new();
    other.write_weights(&mut shape).unwrap();
    let err = refused(&shape);
    assert!(matches!(err, WeightsError::LayerShape { layer: 1, expected: (7, 3), found: (7, 4) }));

    for cut in [3, 12, 20, good.len() - 1] {
        assert!(matches!(refused(&good[..cut]), WeightsError::Truncated), "cut at {cut}");
    }
    let mut long = good.clone();
    long.push(0);
    assert!(matches!(refused(&long), WeightsError::TrailingData));

    // A NaN weight behind a valid checksum: refused as a NaN.
    let mut nan = good.clone();
    let at = nan.len() - 8;
    nan[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    let crc = crc32(&nan[..nan.len() - 4]);
    let end = nan.len() - 4;
    nan[end..].copy_from_slice(&crc.to_le_bytes());
    assert!(matches!(refused(&nan), WeightsError::NonFinite));

    let missing = Sequential::<Net>::zeros().load_weights("/nonexistent/dir/weights.bin").unwrap_err();
    assert!(matches!(missing, WeightsError::Io(_)));
}

/// Every single-bit flip anywhere in a file is refused, and the model keeps its weights;
/// a flip in a weight value or the checksum reads as corruption.
#[test]
fn every_bit_flip_is_refused() {
    let (_, good) = saved(6);
    let weights_start = good.len() - 4 - 4 * (5 * 7 + 7 + 7 * 3 + 3);
    for byte in 0..good.len() {
        for bit in 0..8 {
            let mut bad = good.clone();
            bad[byte] ^= 1 << bit;
            let err = refused(&bad);
            if byte >= weights_start {
                assert!(matches!(err, WeightsError::Checksum { .. }), "byte {byte} bit {bit}: {err}");
            }
        }
    }
    let mut flipped = good.clone();
    flipped[weights_start + 5] ^= 0x10;
    let err = refused(&flipped);
    assert!(err.to_string().starts_with("the weight file is corrupt: its checksum is "), "{err}");
}

/// A file saved from a network with other activations is refused by name.
#[test]
fn other_activations_are_refused() {
    let tanh = Sequential::<(Dense<5, 7, shaped::nn::Tanh>, Dense<7, 3, Softmax>)>::new(
        &mut StdRng::seed_from_u64(7),
    );
    let mut bytes = Vec::new();
    tanh.write_weights(&mut bytes).unwrap();
    let err = refused(&bytes);
    assert!(
        matches!(&err, WeightsError::Activation { layer: 0, expected: "relu", found } if found == "tanh"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "layer 0: the file's weights were saved from a `tanh` layer, the model's layer is `relu`"
    );
    let sigmoid = Sequential::<(Dense<5, 7, Relu>, Dense<7, 3, Sigmoid>)>::zeros();
    let mut bytes = Vec::new();
    sigmoid.write_weights(&mut bytes).unwrap();
    assert!(matches!(refused(&bytes), WeightsError::Activation { layer: 1, expected: "softmax", .. }));
}

/// A version-1 file (no activations, no checksum) still loads.
#[test]
fn version_1_files_still_load() {
    let (m, v2) = saved(8);
    // Version 1 is version 2 without the activation names and the checksum.
    let mut v1 = b"SHAPEDW1".to_vec();
    v1.extend_from_slice(&v2[8..16]);
    v1.extend_from_slice(&v2[16..24]); // layer 0 widths
    v1.extend_from_slice(&v2[29..37]); // layer 1 widths, after "relu"
    v1.extend_from_slice(&v2[45..v2.len() - 4]); // the weights, after "softmax"
    let mut other = Sequential::<Net>::zeros();
    other.read_weights(&mut &v1[..]).unwrap();
    assert_eq!(other.params(), m.params());
    let mut long = v1.clone();
    long.push(1);
    assert!(matches!(refused(&long), WeightsError::TrailingData));
    assert!(matches!(refused(&v1[..v1.len() - 1]), WeightsError::Truncated));
}

/// A stream longer than any file of the network is read no further than one byte past it.
#[test]
fn an_endless_stream_is_not_read_to_its_end() {
    let (_, good) = saved(9);
    let mut endless = std::io::Read::chain(&good[..], std::io::repeat(0));
    let mut m = Sequential::<Net>::zeros();
    assert!(matches!(m.read_weights(&mut endless), Err(WeightsError::TrailingData)));
}
