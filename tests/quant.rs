//! int8 quantization: accuracy on MNIST, the table path, save/load and hostile files.

mod common;
use common::crc32;

use shaped::data::{load_idx_pair, normalize_pixels};
use shaped::nn::{Dense, Relu, Sequential, Sigmoid, Softmax, Tanh, WeightsError};
use shaped::quant::{QuantizeError, Quantized};
use shaped::rand::{SeedableRng, rngs::StdRng};

type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
type Curvy = (Dense<8, 16, Tanh>, Dense<16, 12, Sigmoid>, Dense<12, 4, Softmax>);

fn data(name: &str) -> String {
    format!("{}/data/mnist/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn argmax(p: &[f32; 10]) -> u8 {
    (0..10).fold(0, |b, i| if p[i] > p[b] { i } else { b }) as u8
}

#[test]
fn the_chapter2_network_loses_at_most_three_tenths_of_a_point() {
    let (train, _) =
        load_idx_pair::<[u8; 784]>(data("train-images-idx3-ubyte.gz"), data("train-labels-idx1-ubyte.gz"))
            .unwrap();
    let (test, labels) =
        load_idx_pair::<[u8; 784]>(data("t10k-images-idx3-ubyte.gz"), data("t10k-labels-idx1-ubyte.gz"))
            .unwrap();
    let mut model = Sequential::<Chapter2>::zeros();
    model.load_weights(concat!(env!("CARGO_MANIFEST_DIR"), "/data/chapter2.weights")).unwrap();
    let q = model.quantize(&normalize_pixels::<f32, 784>(&train[..1000])).unwrap();
    let test = normalize_pixels::<f32, 784>(&test);
    let f32_right = test.iter().zip(&labels).filter(|&(x, &y)| argmax(&model.predict(x)) == y).count();
    let batch = q.predict_batch(&test);
    let int8_right = batch.iter().zip(&labels).filter(|&(p, &y)| argmax(p) == y).count();
    assert_eq!(f32_right, 9810);
    assert!(int8_right + 30 >= f32_right, "int8 {int8_right} vs f32 {f32_right} of 10,000");
    // The batch path and the one-sample path agree bit for bit.
    for (x, p) in test.iter().zip(&batch).take(200) {
        assert_eq!(&q.predict(x), p);
    }
}

/// A quantized network with one output (issue #29's shape) predicts a batch as it
/// predicts each sample, bit for bit, at batch sizes through the kernels' groups.
#[test]
fn a_one_wide_quantized_network_batches_as_it_predicts() {
    type OneWide = (Dense<10, 64, Relu>, Dense<64, 33, Relu>, Dense<33, 1>);
    let model = Sequential::<OneWide>::new(&mut StdRng::seed_from_u64(29));
    let xs: Vec<[f32; 10]> =
        (0..97).map(|s| core::array::from_fn(|i| ((s * 7 + i * 3) % 17) as f32 / 8.5 - 1.0)).collect();
    let q = model.quantize(&xs).unwrap();
    for batch in [1, 2, 3, 7, 8, 9, 16, 17, 33, 40, 97] {
        let out = q.predict_batch(&xs[..batch]);
        assert_eq!(out.len(), batch);
        for (x, p) in xs.iter().zip(&out) {
            assert_eq!(&q.predict(x), p, "batch {batch}");
            assert!((p[0] - model.predict(x)[0]).abs() < 0.05 * (1.0 + p[0].abs()), "batch {batch}");
        }
    }
}

fn curvy() -> (Sequential<Curvy>, Vec<[f32; 8]>) {
    let model = Sequential::<Curvy>::new(&mut StdRng::seed_from_u64(5));
    let xs: Vec<[f32; 8]> =
        (0..256).map(|s| core::array::from_fn(|i| ((s * 13 + i * 7) % 29) as f32 / 14.5 - 1.0)).collect();
    (model, xs)
}

#[test]
fn tanh_and_sigmoid_layers_quantize_through_tables() {
    let (model, xs) = curvy();
    let q = model.quantize(&xs).unwrap();
    let mut worst = 0f32;
    for x in &xs {
        let (a, b) = (model.predict(x), q.predict(x));
        for (a, b) in a.iter().zip(&b) {
            worst = worst.max((a - b).abs());
        }
    }
    assert!(worst < 0.03, "largest difference {worst}");
    assert!(q.params().0.use_table && q.params().1.0.use_table && !q.params().1.1.use_table);
}

#[test]
fn what_cannot_be_quantized_is_refused() {
    let (model, _) = curvy();
    assert_eq!(model.quantize(&[]).err(), Some(QuantizeError::NoCalibrationData));
    let mut nan = model.clone();
    nan.params_mut().0.kernel[2][3] = f32::NAN;
    assert_eq!(nan.quantize(&[[0.0; 8]]).err(), Some(QuantizeError::NonFinite));
    let hidden_softmax = Sequential::<(Dense<4, 4, Softmax>, Dense<4, 2, Softmax>)>::zeros();
    assert_eq!(hidden_softmax.quantize(&[[0.0; 4]]).err(), Some(QuantizeError::HiddenSoftmax));
}

#[test]
fn save_and_load_round_trip_and_refuse_bad_files() {
    let (model, xs) = curvy();
    let q = model.quantize(&xs).unwrap();
    let bytes = q.to_bytes();
    let back = Quantized::<Curvy>::from_bytes(&bytes).unwrap();
    assert_eq!(back.params(), q.params());
    assert_eq!(back.predict(&xs[3]), q.predict(&xs[3]));
    let path = std::env::temp_dir().join(format!("shaped-quant-{}.bin", std::process::id()));
    q.save(&path).unwrap();
    assert_eq!(Quantized::<Curvy>::load(&path).unwrap().params(), q.params());
    std::fs::remove_file(&path).unwrap();

    // Every truncation, and a changed byte anywhere, is an error.
    for cut in 0..bytes.len() {
        assert!(Quantized::<Curvy>::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0x10;
        assert!(Quantized::<Curvy>::from_bytes(&b).is_err(), "flip at {i}");
    }
    // Another network type names the layer.
    let e =
        Quantized::<(Dense<8, 16, Tanh>, Dense<16, 12, Sigmoid>, Dense<12, 5, Softmax>)>::from_bytes(&bytes)
            .err()
            .unwrap();
    assert!(matches!(e, WeightsError::LayerShape { layer: 2, .. }), "{e}");
    // A value out of range behind a valid checksum is refused too.
    let header = 8 + 4 + 3 * 9 + "tanh".len() + "sigmoid".len() + "softmax".len();
    let mut b = bytes.clone();
    b[header + 12] = 2; // the first layer's table flag
    let end = b.len() - 4;
    let crc = crc32(&b[..end]);
    b[end..].copy_from_slice(&crc.to_le_bytes());
    let e = Quantized::<Curvy>::from_bytes(&b).err().unwrap();
    assert_eq!(e.to_string(), "layer 0: the quantized weight file holds an invalid table flag");
}

/// Issue #30: calibration values near `f32`'s limits quantize with a real scale (it fell
/// back to scale 1 and predicted uniform probabilities).
#[test]
fn calibration_near_the_limits_of_f32_keeps_its_range() {
    type Wide = (Dense<2, 4, Relu>, Dense<4, 3, Softmax>);
    let mut model = Sequential::<Wide>::new(&mut StdRng::seed_from_u64(8));
    // Small weights: the activations stay finite for inputs near 3e38.
    model.params_mut().0.kernel = [[1e-3, -1e-3, 2e-3, 0.0], [0.0, 1e-3, -1e-3, 2e-3]];
    let xs: Vec<[f32; 2]> =
        (0..64).map(|s| [(s as f32 / 32.0 - 1.0) * 3e38, (1.0 - s as f32 / 32.0) * 3e38]).collect();
    let q = model.quantize(&xs).unwrap();
    let input = q.params().0.input;
    assert!(input.scale > 1e36 && input.scale.is_finite(), "input scale {}", input.scale);
    // The int8 network tells the classes apart as the f32 one does, not uniformly.
    let agree = xs.iter().filter(|&x| argmax3(&q.predict(x)) == argmax3(&model.predict(x))).count();
    assert!(agree >= 56, "{agree} of 64 agree");
    let p = q.predict(&xs[0]);
    assert!(p.iter().any(|&v| (v - 1.0 / 3.0).abs() > 0.05), "uniform: {p:?}");
}

fn argmax3(p: &[f32; 3]) -> usize {
    (0..3).fold(0, |b, i| if p[i] > p[b] { i } else { b })
}

/// Issue #30: a file whose input scale is subnormal is refused (its inverse is
/// infinite); `load` reads no more than the file's length from an endless stream; I/O
/// errors name the file; a failed save keeps the old file.
#[test]
fn subnormal_scales_and_endless_files_are_refused() {
    let (model, xs) = curvy();
    let q = model.quantize(&xs).unwrap();
    let bytes = q.to_bytes();
    // The first layer's data follows the magic, the depth and each layer's widths and
    // activation name; it starts with the input scale.
    let mut at = 12;
    for _ in 0..3 {
        at += 9 + bytes[at + 8] as usize;
    }
    assert_eq!(f32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()), q.params().0.input.scale);
    for bad in [1e-45f32, f32::MIN_POSITIVE / 2.0, 0.0, -1.0, f32::NAN] {
        let mut b = bytes.clone();
        b[at..at + 4].copy_from_slice(&bad.to_le_bytes());
        let n = b.len();
        let crc = crc32(&b[..n - 4]);
        b[n - 4..].copy_from_slice(&crc.to_le_bytes());
        let e = Quantized::<Curvy>::from_bytes(&b).err().unwrap();
        assert!(e.to_string().contains("scale"), "{bad}: {e}");
    }
    let e = Quantized::<Curvy>::load("/dev/zero").err().unwrap();
    assert!(matches!(e, WeightsError::BadMagic), "{e}");
    let e = Quantized::<Curvy>::load("/no/such/q.bin").err().unwrap();
    assert!(e.to_string().contains("/no/such/q.bin"), "{e}");
    let e = q.save("/no/such/q.bin").unwrap_err();
    assert!(e.to_string().contains("q.bin"), "{e}");
}
