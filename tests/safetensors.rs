//! safetensors in and out: round trips in both conventions, and hostile files.

use shaped::nn::{Convention, Dense, LoadOptions, Relu, SafetensorsError, Sequential, Softmax, Tanh};
use shaped::rand::{SeedableRng, rngs::StdRng};

type Net = (Dense<4, 8, Relu>, Dense<8, 3, Softmax>);

fn model(seed: u64) -> Sequential<Net> {
    Sequential::<Net>::new(&mut StdRng::seed_from_u64(seed))
}

/// A safetensors file from a JSON header and data, as the format lays it out.
fn file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A file of tensors (name, shape, little-endian bytes), all of `dtype`.
fn tensors_file(dtype: &str, tensors: &[(&str, &[usize], Vec<u8>)]) -> Vec<u8> {
    let mut header = String::from("{");
    let mut data = Vec::new();
    for (i, (name, shape, bytes)) in tensors.iter().enumerate() {
        let start = data.len();
        data.extend(bytes);
        if i > 0 {
            header.push(',');
        }
        header.push_str(&format!(
            "\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape:?},\"data_offsets\":[{start},{}]}}",
            data.len()
        ));
    }
    header.push('}');
    file(&header, &data)
}

/// A PyTorch-convention file for `Net` with the given tensors (name, shape, values).
fn torch_file(tensors: &[(&str, &[usize], Vec<f32>)]) -> Vec<u8> {
    let t: Vec<_> = tensors.iter().map(|(n, s, v)| (*n, *s, f32_bytes(v))).collect();
    tensors_file("F32", &t)
}

fn good_torch_tensors() -> Vec<(&'static str, &'static [usize], Vec<f32>)> {
    vec![
        ("0.weight", &[8, 4], (0..32).map(|i| i as f32 / 32.0).collect()),
        ("0.bias", &[8], vec![0.5; 8]),
        ("2.weight", &[3, 8], (0..24).map(|i| -(i as f32) / 24.0).collect()),
        ("2.bias", &[3], vec![0.1, 0.2, 0.3]),
    ]
}

fn load(bytes: &[u8], options: LoadOptions) -> Result<Sequential<Net>, (SafetensorsError, Sequential<Net>)> {
    let mut m = model(7);
    let before = *m.params();
    match m.read_safetensors(bytes, options) {
        Ok(()) => Ok(m),
        Err(e) => {
            assert_eq!(m.params(), &before, "a failed load changed the model ({e})");
            Err((e, m))
        }
    }
}

fn error(bytes: &[u8], convention: Convention) -> String {
    load(bytes, LoadOptions::new(convention)).expect_err("the load must fail").0.to_string()
}

#[test]
fn round_trips_in_both_conventions_and_element_types() {
    let m = model(1);
    for convention in [Convention::Keras, Convention::PyTorch] {
        let bytes = m.to_safetensors(convention).unwrap();
        let back = load(&bytes, LoadOptions::new(convention)).ok().unwrap();
        assert_eq!(back.params(), m.params());
        // f32 weights into an f64 model and back are exact.
        let mut wide = Sequential::<Net, f64>::zeros();
        wide.read_safetensors(&bytes, LoadOptions::new(convention)).unwrap();
        assert_eq!(wide.params().0.kernel[3][7], m.params().0.kernel[3][7] as f64);
        let narrow_again =
            load(&wide.to_safetensors(convention).unwrap(), LoadOptions::new(convention)).ok().unwrap();
        assert_eq!(narrow_again.params(), m.params());
    }
    let path = std::env::temp_dir().join(format!("shaped-test-{}.safetensors", std::process::id()));
    m.save_safetensors(&path).unwrap();
    let mut from_disk = Sequential::<Net>::zeros();
    from_disk.load_safetensors(&path, Convention::Keras).unwrap();
    assert_eq!(from_disk.params(), m.params());
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn pytorch_weights_are_transposed_on_load() {
    let m = load(&torch_file(&good_torch_tensors()), LoadOptions::new(Convention::PyTorch)).ok().unwrap();
    let p = m.params();
    // 0.weight[o][i] = (o * 4 + i) / 32 is kernel[i][o].
    assert_eq!(p.0.kernel[1][2], (2 * 4 + 1) as f32 / 32.0);
    assert_eq!(p.1.kernel[7][2], -((2 * 8 + 7) as f32) / 24.0);
    assert_eq!(p.1.bias, [0.1, 0.2, 0.3]);
}

#[test]
fn every_mismatch_names_the_tensor() {
    let mut t = good_torch_tensors();
    t[2] = ("2.weight", &[8, 3], vec![0.0; 24]);
    assert_eq!(
        error(&torch_file(&t), Convention::PyTorch),
        "tensor `2.weight` has shape (8, 3), the network needs (3, 8)"
    );
    let mut t = good_torch_tensors();
    t.remove(1);
    let e = error(&torch_file(&t), Convention::PyTorch);
    assert_eq!(e, "the file has no tensor `0.bias`; it has: `0.weight`, `2.bias`, `2.weight`");
    let mut t = good_torch_tensors();
    t.push(("optimizer.step", &[1], vec![3.0]));
    let bytes = torch_file(&t);
    assert_eq!(
        error(&bytes, Convention::PyTorch),
        "the file has tensors the network has no use for: `optimizer.step` (LoadOptions::ignore_extra allows them)"
    );
    assert!(load(&bytes, LoadOptions::new(Convention::PyTorch).ignore_extra(true)).is_ok());
    let mut t = good_torch_tensors();
    t.push(("4.weight", &[3, 3], vec![0.0; 9]));
    t.push(("4.bias", &[3], vec![0.0; 3]));
    assert!(error(&torch_file(&t), Convention::PyTorch).starts_with(
        "the file holds 3 layers by this convention's names (`0`, `2`, `4`), the network has 2"
    ));
    let e = error(&torch_file(&good_torch_tensors()), Convention::Keras);
    assert!(e.contains("the file holds 0 layers") && e.contains("`0.weight`"), "{e}");
    let mut t = good_torch_tensors();
    t[3].2[1] = f32::NAN;
    assert_eq!(error(&torch_file(&t), Convention::PyTorch), "tensor `2.bias` holds a NaN or infinite weight");
    let mut t = good_torch_tensors();
    t[0].2[5] = f32::NEG_INFINITY;
    assert_eq!(
        error(&torch_file(&t), Convention::PyTorch),
        "tensor `0.weight` holds a NaN or infinite weight"
    );
}

#[test]
fn other_element_types_load_or_are_named() {
    // bf16 and f16 weights: 1.0 and -2.0 in each.
    let half = |dtype: &str, one: u16, minus_two: u16| {
        let mut header = String::from("{");
        let mut data = Vec::new();
        for (i, (name, shape)) in
            [("0.weight", vec![8, 4]), ("0.bias", vec![8]), ("2.weight", vec![3, 8]), ("2.bias", vec![3])]
                .iter()
                .enumerate()
        {
            let n: usize = shape.iter().product();
            let start = data.len();
            for k in 0..n {
                data.extend((if k % 2 == 0 { one } else { minus_two }).to_le_bytes());
            }
            if i > 0 {
                header.push(',');
            }
            header.push_str(&format!(
                "\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape:?},\"data_offsets\":[{start},{}]}}",
                data.len()
            ));
        }
        header.push('}');
        file(&header, &data)
    };
    for (dtype, one, minus_two) in [("BF16", 0x3f80, 0xc000), ("F16", 0x3c00, 0xc000)] {
        let m = load(&half(dtype, one, minus_two), LoadOptions::new(Convention::PyTorch)).ok().unwrap();
        assert_eq!(m.params().0.kernel[0][0], 1.0, "{dtype}");
        assert_eq!(m.params().0.kernel[1][0], -2.0, "{dtype}");
    }
    let ints =
        file("{\"0.weight\":{\"dtype\":\"I64\",\"shape\":[8,4],\"data_offsets\":[0,256]}}", &[0u8; 256]);
    let e = load(&ints, LoadOptions::new(Convention::PyTorch)).err().unwrap().0.to_string();
    assert!(e.starts_with("the file holds 1 layers"), "{e}");
    let mut t = torch_file(&good_torch_tensors());
    let at = t.windows(5).position(|w| w == b"\"F32\"").unwrap();
    t[at + 1] = b'I';
    let e = error(&t, Convention::PyTorch);
    assert!(e.contains("holds I32, not a float type"), "{e}");
}

#[test]
fn hostile_files_are_errors() {
    let good = torch_file(&good_torch_tensors());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("short length", vec![1, 2, 3]),
        ("header length past the file", {
            let mut b = good.clone();
            b[..8].copy_from_slice(&(good.len() as u64 * 2).to_le_bytes());
            b
        }),
        ("huge header length", {
            let mut b = good.clone();
            b[..8].copy_from_slice(&u64::MAX.to_le_bytes());
            b
        }),
        ("not JSON", file("{not json", &[])),
        ("truncated data", good[..good.len() - 5].to_vec()),
        ("trailing data", {
            let mut b = good.clone();
            b.extend_from_slice(&[0; 8]);
            b
        }),
        (
            "offsets past the data",
            file("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[8,4],\"data_offsets\":[0,1000]}}", &[0; 128]),
        ),
        (
            "overlapping tensors",
            file(
                "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[8,4],\"data_offsets\":[0,128]},\"0.bias\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[96,128]}}",
                &[0; 128],
            ),
        ),
        (
            "offsets that lie about the size",
            file("{\"0.bias\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,16]}}", &[0; 16]),
        ),
        (
            "unknown dtype",
            file("{\"0.bias\":{\"dtype\":\"F7\",\"shape\":[8],\"data_offsets\":[0,32]}}", &[0; 32]),
        ),
        ("zero dim", file("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,0]}}", &[])),
        (
            "huge dims",
            file(
                "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,0]}}",
                &[],
            ),
        ),
        (
            "negative dim",
            file("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[-8,4],\"data_offsets\":[0,128]}}", &[0; 128]),
        ),
    ];
    for (what, bytes) in cases {
        for convention in [Convention::PyTorch, Convention::Keras] {
            let r = load(&bytes, LoadOptions::new(convention).ignore_extra(true));
            assert!(r.is_err(), "{what}: loaded");
        }
    }
    // A missing file is an I/O error, with its source.
    let mut m = model(1);
    let e = m.load_safetensors("/nonexistent/dir/x.safetensors", Convention::PyTorch).unwrap_err();
    assert!(matches!(e, SafetensorsError::Io(_)) && std::error::Error::source(&e).is_some());
}

#[test]
fn deeper_networks_and_f64_models() {
    type Deep = (Dense<3, 5, Tanh>, Dense<5, 5, Relu>, Dense<5, 2, Softmax>);
    let m = Sequential::<Deep, f64>::new(&mut StdRng::seed_from_u64(4));
    for convention in [Convention::Keras, Convention::PyTorch] {
        let bytes = m.to_safetensors(convention).unwrap();
        let mut back = Sequential::<Deep, f64>::zeros();
        back.read_safetensors(&bytes, LoadOptions::new(convention)).unwrap();
        assert_eq!(back.params(), m.params());
    }
}

#[test]
fn layers_that_cannot_be_ordered_are_refused() {
    // Keras layers named by hand ("hidden", "out") carry no order in their names.
    let m = model(3);
    let bytes = m.to_safetensors(Convention::Keras).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + header_len]).unwrap();
    // Names of the same lengths, so the header keeps its length.
    let renamed = header.replace("dense_1/", "outlay1/").replace("dense/", "hiddn/");
    assert_eq!(renamed.len(), header_len);
    let mut b = bytes.clone();
    b[8..8 + header_len].copy_from_slice(renamed.as_bytes());
    let e = error(&b, Convention::Keras);
    assert!(e.contains("cannot be ordered"), "{e}");
}

/// An F64 file from `(name, shape, values)`.
fn f64_file(tensors: &[(&str, &[usize], Vec<f64>)]) -> Vec<u8> {
    let t: Vec<_> =
        tensors.iter().map(|(n, s, v)| (*n, *s, v.iter().flat_map(|x| x.to_le_bytes()).collect())).collect();
    tensors_file("F64", &t)
}

/// Issue #30: numbers in names are checked (no overflow in a debug build); a value that
/// overflows the model's type is refused naming the tensor; the other convention is
/// named when its names fit; Debug is Display.
#[test]
fn hostile_names_and_values_are_errors() {
    let good: Vec<(&str, &[usize], Vec<f64>)> = good_torch_tensors()
        .into_iter()
        .map(|(n, s, v)| (n, s, v.into_iter().map(f64::from).collect()))
        .collect();
    for names in [
        [
            "dense_18446744073709551615/kernel",
            "dense_18446744073709551615/bias",
            "dense_1/kernel",
            "dense_1/bias",
        ],
        [
            "dense_18446744073709551614/kernel",
            "dense_18446744073709551614/bias",
            "dense_99999999999999999999/kernel",
            "dense_99999999999999999999/bias",
        ],
    ] {
        let t: Vec<(&str, &[usize], Vec<f64>)> = vec![
            (names[0], &[4, 8], vec![0.1; 32]),
            (names[1], &[8], vec![0.0; 8]),
            (names[2], &[8, 3], vec![0.1; 24]),
            (names[3], &[3], vec![0.0; 3]),
        ];
        // Loads in some order or is refused; it never panics.
        let _ = load(&f64_file(&t), LoadOptions::new(Convention::Keras));
    }
    let mut big = good.clone();
    big[2].2[5] = 1e300;
    let (e, _) = load(&f64_file(&big), LoadOptions::new(Convention::PyTorch)).unwrap_err();
    assert_eq!(e.to_string(), "tensor `2.weight` holds 1e300, which overflows the model's float32");
    assert_eq!(format!("{e:?}"), e.to_string());
    let mut m64 = Sequential::<Net, f64>::zeros();
    m64.read_safetensors(&f64_file(&big), LoadOptions::new(Convention::PyTorch)).unwrap();
    assert_eq!(m64.params().1.kernel[5][0], 1e300);
    let e = error(&f64_file(&good), Convention::Keras);
    assert!(e.starts_with("the file holds 0 layers") && e.contains("follow Convention::PyTorch"), "{e}");
    let keras = model(3).to_safetensors(Convention::Keras).unwrap();
    assert!(error(&keras, Convention::PyTorch).contains("follow Convention::Keras"));
}

/// Issue #30: reads are bounded by the header: an endless stream is refused at once, a
/// file longer than its header says is refused, and I/O errors name the file.
#[test]
fn reads_are_bounded_by_the_header() {
    let mut m = model(1);
    let e = m.load_safetensors("/dev/zero", Convention::PyTorch).unwrap_err();
    assert!(e.to_string().contains("a header of 0 bytes"), "{e}");
    let e = m.load_safetensors("/no/such/file.safetensors", Convention::PyTorch).unwrap_err();
    assert!(e.to_string().contains("/no/such/file.safetensors"), "{e}");
    let dir = std::env::temp_dir().join(format!("shaped-st-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.safetensors");
    let mut bytes = torch_file(&good_torch_tensors());
    std::fs::write(&path, &bytes).unwrap();
    m.load_safetensors(&path, Convention::PyTorch).unwrap();
    bytes.extend([0u8; 4096]);
    std::fs::write(&path, &bytes).unwrap();
    assert!(m.load_safetensors(&path, Convention::PyTorch).is_err());
    // A header whose string values hold large numbers reads no further than the data.
    let header = r#"{"__metadata__":{"note":"99999999999999"},"0.weight":{"dtype":"F32","shape":[8,4],"data_offsets":[0,128]}}"#;
    let _ = shaped::nn::Sequential::<Net>::zeros()
        .read_safetensors(&file(header, &[0; 128]), LoadOptions::new(Convention::PyTorch));
    // Saving over a good file through a folder that does not exist fails without a trace.
    let e = model(2).save_safetensors(dir.join("no/such/m.safetensors")).unwrap_err();
    assert!(e.to_string().contains("m.safetensors"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
