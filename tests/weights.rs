//! Weight files: round trips, and every malformed file refused with the model unchanged.

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
    assert_eq!(bytes.len(), 8 + 4 + 4 + 2 * 8 + 4 * (5 * 7 + 7 + 7 * 3 + 3));
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

    let mut nan = good.clone();
    let at = nan.len() - 4;
    nan[at..].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(matches!(refused(&nan), WeightsError::NonFinite));

    let missing = Sequential::<Net>::zeros().load_weights("/nonexistent/dir/weights.bin").unwrap_err();
    assert!(matches!(missing, WeightsError::Io(_)));
}
