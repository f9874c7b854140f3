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
    assert_eq!(e.to_string(), "value 255 at index 2 does not fit int8 without loss");
    let e = load_npy::<[i32; 3]>(fixture("x_f64.npy")).unwrap_err();
    assert!(e.to_string().starts_with("value -1 at index 0 does not fit int32"), "{e}");
    let e = load_npy::<[f64; 3]>(fixture("x_fortran.npy")).unwrap_err();
    assert!(e.to_string().contains("Fortran order"), "{e}");
    let e = load_npy::<[f64; 3]>(fixture("x_f16.npy")).unwrap_err();
    assert!(e.to_string().contains("dtype '<f2'"), "{e}");
    let e = load_npy::<[f64; 3]>(fixture("no_such.npy")).unwrap_err();
    assert!(matches!(e, NpyError::Io(_)));
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
