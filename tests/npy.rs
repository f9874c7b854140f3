//! numpy's .npy files, made by numpy (`tests/fixtures/make_npy.py`).

use shaped::data::{NpyError, load_npy, to_categorical, to_classes};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn expected() -> Vec<[f64; 3]> {
    (0..4).map(|r| core::array::from_fn(|c| (r * 3 + c) as f64 / 4.0 - 1.0)).collect()
}

#[test]
fn float_arrays_load_into_either_float_type() {
    let x: Vec<[f64; 3]> = load_npy(fixture("x_f64.npy")).unwrap();
    assert_eq!(x, expected());
    let x32: Vec<[f32; 3]> = load_npy(fixture("x_f64.npy")).unwrap();
    assert_eq!(x32[3][2], 1.75f32);
    let x32: Vec<[f32; 3]> = load_npy(fixture("x_f32.npy")).unwrap();
    assert_eq!(x32[1], [-0.25, 0.0, 0.25]);
    let be: Vec<[f64; 3]> = load_npy(fixture("x_big_endian.npy")).unwrap();
    assert_eq!(be, expected());
    let v2: Vec<[f64; 3]> = load_npy(fixture("x_v2.npy")).unwrap();
    assert_eq!(v2, expected());
    let cube: Vec<[[f32; 4]; 3]> = load_npy(fixture("x_f32_3d.npy")).unwrap();
    assert_eq!(cube[1][2][3], 23.0);
}

#[test]
fn integer_labels_load_and_convert() {
    let y: Vec<i64> = load_npy(fixture("labels_i64.npy")).unwrap();
    assert_eq!(y, [0, 2, 1, 2]);
    let onehot = to_categorical::<f32, 3>(&y).unwrap();
    assert_eq!(onehot[1], [0.0, 0.0, 1.0]);
    assert_eq!(to_classes::<3>(&y).unwrap()[2].index(), 1);
    // int64 labels read straight into u8 when every value fits.
    let small: Vec<u8> = load_npy(fixture("labels_i64.npy")).unwrap();
    assert_eq!(small, [0, 2, 1, 2]);
    let u: Vec<u8> = load_npy(fixture("labels_u8.npy")).unwrap();
    assert_eq!(u, [3, 0, 255]);
    let neg: Vec<i32> = load_npy(fixture("labels_neg.npy")).unwrap();
    let e = to_classes::<3>(&neg).unwrap_err();
    assert_eq!(e.to_string(), "label -1 at index 1 is not below the 3 classes");
}

#[test]
fn what_does_not_fit_is_an_error_naming_it() {
    let e = load_npy::<[f32; 4]>(fixture("x_f32.npy")).unwrap_err();
    assert_eq!(e.to_string(), "the array has shape (4, 3), not (n, ...) samples of shape (4,)");
    let e = load_npy::<[i8; 1]>(fixture("labels_u8.npy")).unwrap_err();
    assert!(matches!(e, NpyError::Shape { .. }), "{e}");
    let e = load_npy::<i8>(fixture("labels_u8.npy")).unwrap_err();
    assert_eq!(e.to_string(), "value 255 at index 2 (uint8) does not fit int8");
    let e = load_npy::<[i32; 3]>(fixture("x_f64.npy")).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "value -1.0 at index 0: the file holds float64, and int32 samples take integers only"
        ),
        "{e}"
    );
    let e = load_npy::<[f64; 3]>(fixture("x_fortran.npy")).unwrap_err();
    assert!(e.to_string().contains("Fortran order"), "{e}");
    let e = load_npy::<[f64; 3]>(fixture("x_f16.npy")).unwrap_err();
    assert!(e.to_string().contains("dtype '<f2'"), "{e}");
    let e = load_npy::<[f64; 3]>(fixture("no_such.npy")).unwrap_err();
    assert!(matches!(e, NpyError::Io(_)));
    assert!(e.to_string().contains("no_such.npy"), "the error names the file: {e}");
    assert_eq!(format!("{e:?}"), e.to_string(), "Debug is Display");
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let good = std::fs::read(fixture("x_f64.npy")).unwrap();
    for cut in 0..good.len() {
        assert!(shaped::data::decode_npy::<[f64; 3]>(&good[..cut]).is_err(), "cut at {cut} loaded");
    }
    let mut longer = good.clone();
    longer.push(0);
    assert!(shaped::data::decode_npy::<[f64; 3]>(&longer).is_err());
    // Every single-byte change either loads or is an error (no panic).
    for i in 0..good.len() {
        for v in [0u8, 0x20, b'9', 0xff] {
            let mut b = good.clone();
            b[i] = v;
            let _ = shaped::data::decode_npy::<[f64; 3]>(&b);
        }
    }
    // A header that claims a huge shape allocates nothing.
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 3), }";
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((header.len() as u16).to_le_bytes());
    b.extend(header.as_bytes());
    assert!(shaped::data::decode_npy::<[f64; 3]>(&b).is_err());
}

/// A `.npy` file of the given header text and data bytes.
fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    let header = format!("{header:<117}\n");
    b.extend((header.len() as u16).to_le_bytes());
    b.extend(header.as_bytes());
    b.extend(data);
    b
}

fn f64s(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Issue #30: header text with non-ASCII bytes, repeated and unknown keys, and keys
/// hidden inside other values are errors naming the cause, never a panic or the wrong
/// dtype (numpy refuses them all).
#[test]
fn headers_are_parsed_not_searched() {
    use shaped::data::decode_npy;
    let data = f64s(&[1.0, 2.0]);
    let ok = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", &data);
    assert_eq!(decode_npy::<f64>(&ok).unwrap(), vec![1.0, 2.0]);
    // Double quotes and no trailing comma are Python too.
    let ok = npy(r#"{"descr": "<f8", "fortran_order": False, "shape": (2,)}"#, &data);
    assert_eq!(decode_npy::<f64>(&ok).unwrap(), vec![1.0, 2.0]);
    for (header, why) in [
        ("{'descr': '<\u{e9}4', 'fortran_order': False, 'shape': (2,), }", "ASCII"),
        ("{'descr': '<é4', 'fortran_order': False, 'shape': (2,), }", "ASCII"),
        ("{'descr': 'é', 'fortran_order': False, 'shape': (2,), }", "ASCII"),
        ("{'descr': '<f8', 'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", "twice"),
        ("{'x': \"'descr': '<i4'\", 'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", "key 'x'"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "key 'extra'"),
        ("{'descr': '<f8', 'fortran_order': False}", "no 'shape'"),
        ("{'descr': '<f8', 'fortran_order': 0, 'shape': (2,)}", "value"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551616,)}", "overflows"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} x", "after"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (2,", "malformed"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}", "malformed"),
    ] {
        let e = decode_npy::<f64>(&npy(header, &data)).unwrap_err();
        assert!(e.to_string().contains(why), "{header}: {e}");
    }
    // Raw bytes that are not UTF-8 in a string, and at every position of a good header.
    let mut bad = ok.clone();
    bad[12] = 0xe9;
    assert!(decode_npy::<f64>(&bad).is_err());
    for i in 10..ok.len() - data.len() {
        for v in [0x80u8, 0xc3, 0xe9, 0xff, b'\'', b'"', b'(', b')', b'{', b'}', b',', b':'] {
            let mut b = ok.clone();
            b[i] = v;
            let _ = decode_npy::<f64>(&b);
        }
    }
}

/// Issue #30: numbers convert only without loss; the messages name the cause.
#[test]
fn conversions_lose_nothing() {
    use shaped::data::decode_npy;
    let big = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", &f64s(&[1.0, 1e300]));
    let e = decode_npy::<f32>(&big).unwrap_err();
    assert_eq!(e.to_string(), "value 1e300 at index 1 (float64) overflows float32");
    assert_eq!(decode_npy::<f64>(&big).unwrap(), vec![1.0, 1e300]);
    // Rounding is no loss (astype("float32")); infinities and NaN stay what they are.
    let round = npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
        &f64s(&[0.1, f64::INFINITY, f64::NAN]),
    );
    let v = decode_npy::<f32>(&round).unwrap();
    assert!(v[0] == 0.1f32 && v[1] == f32::INFINITY && v[2].is_nan());
    let ints: Vec<u8> = [(1i64 << 53) + 1, 3].iter().flat_map(|x| x.to_le_bytes()).collect();
    let ints = npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", &ints);
    let e = decode_npy::<f64>(&ints).unwrap_err();
    assert_eq!(e.to_string(), "value 9007199254740993 at index 0 (int64) has no exact float64");
    assert!(decode_npy::<f32>(&ints).is_err());
    assert_eq!(decode_npy::<i64>(&ints).unwrap(), vec![(1 << 53) + 1, 3]);
    let e = decode_npy::<u8>(&big).unwrap_err();
    assert!(e.to_string().contains("the file holds float64, and uint8 samples take integers only"), "{e}");
}

/// Issue #30: an `(n, 1)` file read as scalars (and the other way round) hints at the
/// sample type that fits.
#[test]
fn a_trailing_axis_of_one_is_named() {
    use shaped::data::decode_npy;
    let column = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", &f64s(&[1.0, 2.0]));
    let e = decode_npy::<f32>(&column).unwrap_err();
    assert!(e.to_string().contains("read them as `[_; 1]` samples"), "{e}");
    assert_eq!(decode_npy::<[f32; 1]>(&column).unwrap(), vec![[1.0], [2.0]]);
    let flat = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", &f64s(&[1.0, 2.0]));
    let e = decode_npy::<[f32; 1]>(&flat).unwrap_err();
    assert!(e.to_string().contains("without the `[_; 1]`"), "{e}");
}

/// Issue #30: `load_npy` reads what the header announces and no more: an endless
/// stream, a file longer than its shape, a shape larger than its file.
#[test]
fn reads_are_bounded_by_the_header() {
    let e = load_npy::<f32>("/dev/zero").unwrap_err();
    assert!(e.to_string().contains("NUMPY"), "{e}");
    let dir = std::env::temp_dir().join(format!("shaped-npy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("x.npy");
    let mut longer =
        npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", &f64s(&[1.0, 2.0, 3.0]));
    std::fs::write(&path, &longer).unwrap();
    assert!(
        load_npy::<f64>(&path).unwrap_err().to_string().contains("the data is 24 bytes, its shape needs 16")
    );
    longer.truncate(longer.len() - 8);
    std::fs::write(&path, &longer).unwrap();
    assert_eq!(load_npy::<f64>(&path).unwrap(), vec![1.0, 2.0]);
    let huge =
        npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387, 1), }", &f64s(&[1.0]));
    std::fs::write(&path, &huge).unwrap();
    assert!(load_npy::<[f64; 1]>(&path).is_err());
    // A header that announces more than a header can be.
    let mut b = b"\x93NUMPY\x02\x00".to_vec();
    b.extend(u32::MAX.to_le_bytes());
    std::fs::write(&path, &b).unwrap();
    assert!(load_npy::<f64>(&path).unwrap_err().to_string().contains("at most"));
    std::fs::remove_dir_all(&dir).unwrap();
}
