//! A seeded mutation fuzzer for every loader, on stable: IDX (plain and gzip, flat and as
//! samples), weight files, safetensors, quantized files and `.npy`. Each input must give a value or an error (no panic), within
//! a memory bound set by its length, and a failed weight load must leave the model as it
//! was.
//!
//! `cargo test --test fuzz` runs 100,000 inputs per loader (CI); more with
//! `SHAPED_FUZZ_ITERS=N cargo test --release --test fuzz`, and a different stream with
//! `SHAPED_FUZZ_SEED=S`. Coverage-guided targets for nightly are in `fuzz/`.

mod common;
use common::counting_alloc::{Counting, peak_bytes_during};
use common::crc32;

use std::io::Write;

use shaped::data::{Encoding, decode_idx, decode_idx_samples};
use shaped::nn::{Convention, Dense, LoadOptions, Relu, Sequential, Softmax};
use shaped::rand::rngs::StdRng;
use shaped::rand::{RngExt, SeedableRng};

#[global_allocator]
static GLOBAL: Counting = Counting;

const MIB: usize = 1 << 20;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// An IDX file of unsigned bytes.
fn idx(dims: &[u32], fill: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut v = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    let n: u32 = dims.iter().product();
    v.extend((0..n as usize).map(fill));
    v
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Values that break size arithmetic.
const INTERESTING: [u32; 8] = [0, 1, 2, 0x7F, 0xFF, 0x8000_0000, 0xFFFF_FFFF, 0x0001_0000];

/// One to four random mutations of `seed`.
fn mutate(seed: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = v.len();
        match rng.random_range(0..8) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                v[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.random_range(0..len);
                v[i] = rng.random();
            }
            2 if len >= 4 => {
                // An interesting u32, big- or little-endian, at a random or a header offset.
                let x = INTERESTING[rng.random_range(0..INTERESTING.len())];
                let at = if rng.random_bool(0.5) {
                    4 * rng.random_range(0..len / 4)
                } else {
                    rng.random_range(0..=len - 4)
                };
                let bytes = if rng.random_bool(0.5) { x.to_be_bytes() } else { x.to_le_bytes() };
                v[at..at + 4].copy_from_slice(&bytes);
            }
            3 => v.truncate(rng.random_range(0..=len)),
            4 => {
                let at = rng.random_range(0..=len);
                let extra: Vec<u8> = (0..rng.random_range(1..16)).map(|_| rng.random()).collect();
                v.splice(at..at, extra);
            }
            5 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = rng.random_range(a..=len.min(a + 64));
                v.drain(a..b);
            }
            6 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = rng.random_range(a..=len.min(a + 64));
                let chunk = v[a..b].to_vec();
                let at = rng.random_range(0..=v.len());
                v.splice(at..at, chunk);
            }
            _ => {
                if len > 0 {
                    let i = rng.random_range(0..len);
                    v[i] = [0u8, 1, 0x7F, 0x80, 0xFF][rng.random_range(0..5)];
                }
            }
        }
    }
    v
}

type Net = (Dense<5, 7, Relu>, Dense<7, 3, Softmax>);

/// The IDX readers on one input: a value or an error, and memory bounded by what the
/// input can decode to.
fn idx_input(bytes: &[u8], encoding: Encoding) -> bool {
    // Deflate expands at most about 1032:1.
    let decoded = if encoding == Encoding::Gzip { bytes.len() * 1032 } else { bytes.len() };
    let bound = 2 * decoded + 2 * MIB;
    let (peak, result) = peak_bytes_during(|| decode_idx(bytes, encoding).map(|i| i.data.len()));
    assert!(peak <= bound, "{encoding:?} flat: peak {peak} > {bound} for {} bytes", bytes.len());
    if let Ok(n) = result {
        assert!(n <= decoded, "{n} bytes of data from {decoded} decodable");
    }
    let loaded = result.is_ok();
    let (peak, _) = peak_bytes_during(|| decode_idx_samples::<[u8; 16], _>(bytes, encoding).map(|s| s.len()));
    assert!(peak <= bound, "{encoding:?} samples: peak {peak} > {bound} for {} bytes", bytes.len());
    let (peak, _) =
        peak_bytes_during(|| decode_idx_samples::<[[u8; 4]; 4], _>(bytes, encoding).map(|s| s.len()));
    assert!(peak <= bound, "{encoding:?} 4x4 samples: peak {peak} > {bound} for {} bytes", bytes.len());
    loaded
}

/// The weight reader on one input: on an error the model keeps its weights; on success
/// they are finite; memory stays about the size of the weights.
fn weights_input(model: &mut Sequential<Net>, keep: &Sequential<Net>, bytes: &[u8]) -> bool {
    let (peak, result) = peak_bytes_during(|| model.read_weights(&mut &bytes[..]));
    assert!(peak <= 64 * 1024, "weights: peak {peak} bytes for a 313-byte file");
    match result {
        Err(_) => assert_eq!(model.params(), keep.params(), "a failed load changed the model"),
        Ok(()) => {
            let mut flat = Vec::new();
            <Net as shaped::nn::Layers<f32>>::visit_params(model.params(), &mut |a| {
                flat.extend_from_slice(a)
            });
            assert!(flat.iter().all(|w| w.is_finite()));
            *model = keep.clone();
            return true;
        }
    }
    false
}

/// The safetensors reader on one input: on an error the model keeps its weights; on
/// success they are finite; memory stays within a small multiple of the file's size.
fn safetensors_input(
    model: &mut Sequential<Net>,
    keep: &Sequential<Net>,
    bytes: &[u8],
    convention: Convention,
) -> bool {
    let options = LoadOptions::new(convention).ignore_extra(true);
    let (peak, result) = peak_bytes_during(|| model.read_safetensors(bytes, options));
    let bound = 64 * 1024 + 16 * bytes.len();
    assert!(peak <= bound, "safetensors: peak {peak} bytes for a {}-byte file", bytes.len());
    match result {
        Err(_) => assert_eq!(model.params(), keep.params(), "a failed load changed the model"),
        Ok(()) => {
            let mut flat = Vec::new();
            <Net as shaped::nn::Layers<f32>>::visit_params(model.params(), &mut |a| {
                flat.extend_from_slice(a)
            });
            assert!(flat.iter().all(|w| w.is_finite()));
            *model = keep.clone();
            return true;
        }
    }
    false
}

/// A `.npy` file as `np.save` writes it.
fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let header = format!("{header:<117}\n");
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((header.len() as u16).to_le_bytes());
    b.extend(header.as_bytes());
    b.extend(data);
    b
}

/// The `.npy` reader on one input, into several sample types: a value or an error, and
/// memory within the samples' bound (at most 8 bytes of sample a byte of file) and the
/// header's. A float sample is never an infinity that the file did not hold: an
/// overflowing conversion is an error.
fn npy_input(bytes: &[u8]) -> bool {
    use shaped::data::decode_npy;
    let bound = 64 * 1024 + 16 * bytes.len();
    let (peak, f32s) = peak_bytes_during(|| decode_npy::<[f32; 3]>(bytes));
    assert!(peak <= bound, "npy f32: peak {peak} bytes for a {}-byte file", bytes.len());
    let (peak, f64s) = peak_bytes_during(|| decode_npy::<[f64; 3]>(bytes));
    assert!(peak <= bound, "npy f64: peak {peak} bytes for a {}-byte file", bytes.len());
    if let (Ok(a), Ok(b)) = (&f32s, &f64s) {
        for (x, y) in a.as_flattened().iter().zip(b.as_flattened()) {
            assert!(x.is_finite() == y.is_finite() || y.is_nan(), "npy: {y} became {x} in f32");
        }
    }
    let (peak, ints) = peak_bytes_during(|| decode_npy::<i64>(bytes).map(|v| v.len()));
    assert!(peak <= bound, "npy i64: peak {peak} bytes for a {}-byte file", bytes.len());
    let (peak, _) = peak_bytes_during(|| decode_npy::<[[u8; 3]; 1]>(bytes).map(|v| v.len()));
    assert!(peak <= bound, "npy u8: peak {peak} bytes for a {}-byte file", bytes.len());
    f32s.is_ok() || f64s.is_ok() || ints.is_ok()
}

/// One test for every loader: the memory measure counts all threads.
#[test]
fn loaders_survive_mutated_inputs() {
    let iters = env("SHAPED_FUZZ_ITERS", 100_000);
    let mut rng = StdRng::seed_from_u64(env("SHAPED_FUZZ_SEED", 2026));
    let seeds = [
        idx(&[20], |i| (i % 10) as u8),
        idx(&[3, 4, 4], |i| i as u8),
        idx(&[2, 16], |i| (i * 7) as u8),
        idx(&[2, 2, 2, 2], |i| i as u8),
        idx(&[0, 28, 28], |_| 0),
        idx(&[1, 1, 1, 1, 1], |_| 255),
    ];
    let gz_seeds: Vec<Vec<u8>> = seeds.iter().map(|s| gzip(s)).collect();

    // Inputs that loaded: a mutator that only ever broke headers would test little.
    let mut loaded = [0u64; 3];
    let started = std::time::Instant::now();
    for _ in 0..iters {
        let seed = &seeds[rng.random_range(0..seeds.len())];
        loaded[0] += idx_input(&mutate(seed, &mut rng), Encoding::Plain) as u64;
    }
    let plain = started.elapsed();
    for k in 0..iters {
        // Alternately: a damaged gzip stream, and a sound stream of a damaged file.
        let bytes = if k % 2 == 0 {
            mutate(&gz_seeds[rng.random_range(0..gz_seeds.len())], &mut rng)
        } else {
            gzip(&mutate(&seeds[rng.random_range(0..seeds.len())], &mut rng))
        };
        loaded[1] += idx_input(&bytes, Encoding::Gzip) as u64;
    }
    let gz = started.elapsed() - plain;

    let keep = Sequential::<Net>::new(&mut StdRng::seed_from_u64(1));
    let mut good = Vec::new();
    keep.write_weights(&mut good).unwrap();
    let mut model = keep.clone();
    for k in 0..iters {
        let mut bytes = mutate(&good, &mut rng);
        // Every other input gets a valid checksum, so the checks behind it are reached.
        if k % 2 == 1 && bytes.len() >= 4 {
            let end = bytes.len() - 4;
            let crc = crc32(&bytes[..end]);
            bytes[end..].copy_from_slice(&crc.to_le_bytes());
        }
        loaded[2] += weights_input(&mut model, &keep, &bytes) as u64;
    }
    let weights = started.elapsed() - plain - gz;

    let torch = keep.to_safetensors(Convention::PyTorch).unwrap();
    let keras = keep.to_safetensors(Convention::Keras).unwrap();
    let mut safetensors_loaded = 0;
    for k in 0..iters {
        let (seed, convention) =
            if k % 2 == 0 { (&torch, Convention::PyTorch) } else { (&keras, Convention::Keras) };
        safetensors_loaded +=
            safetensors_input(&mut model, &keep, &mutate(seed, &mut rng), convention) as u64;
    }
    let safetensors = started.elapsed() - plain - gz - weights;

    // Quantized weight files: every other input with a valid checksum.
    let calibration: Vec<<Net as shaped::nn::Layers<f32>>::Input> =
        (0..32).map(|s| core::array::from_fn(|i| ((s * 3 + i) % 7) as f32 / 7.0)).collect();
    let quantized = keep.quantize(&calibration).unwrap().to_bytes();
    let mut quant_loaded = 0;
    for k in 0..iters {
        let mut bytes = mutate(&quantized, &mut rng);
        if k % 2 == 1 && bytes.len() >= 4 {
            let end = bytes.len() - 4;
            let crc = crc32(&bytes[..end]);
            bytes[end..].copy_from_slice(&crc.to_le_bytes());
        }
        let (peak, result) = peak_bytes_during(|| shaped::quant::Quantized::<Net>::from_bytes(&bytes));
        assert!(
            peak <= 64 * 1024 + 4 * bytes.len(),
            "quantized: peak {peak} bytes for {} bytes",
            bytes.len()
        );
        if let Ok(q) = result {
            quant_loaded += 1;
            let _ = q.predict(&calibration[0]);
        }
    }
    let quant = started.elapsed() - plain - gz - weights - safetensors;

    // .npy files: floats, integers, big-endian, samples of 3 and scalars.
    let f64s: Vec<u8> = [1.0f64, -2.5, 1e300, 0.0, 3.0, 7.0].iter().flat_map(|x| x.to_le_bytes()).collect();
    let f32s: Vec<u8> = [1.0f32, -2.5, 3e38, 0.0, 3.0, 7.0].iter().flat_map(|x| x.to_le_bytes()).collect();
    let i64s: Vec<u8> = [1i64, -2, 1 << 53, 0, 3, 7].iter().flat_map(|x| x.to_le_bytes()).collect();
    let npy_seeds = [
        npy("<f8", "(2, 3)", &f64s),
        npy("<f4", "(2, 3)", &f32s),
        npy("<i8", "(6,)", &i64s),
        npy("|u1", "(2, 3)", &[0, 1, 2, 253, 254, 255]),
        npy(
            ">f8",
            "(2, 3)",
            &f64s.chunks(8).flat_map(|c| c.iter().rev().copied().collect::<Vec<_>>()).collect::<Vec<_>>(),
        ),
        npy("<i2", "(3, 1)", &[1, 0, 255, 255, 0, 128]),
    ];
    let mut npy_loaded = 0;
    for _ in 0..iters {
        let seed = &npy_seeds[rng.random_range(0..npy_seeds.len())];
        npy_loaded += npy_input(&mutate(seed, &mut rng)) as u64;
    }
    let npy_time = started.elapsed() - plain - gz - weights - safetensors - quant;
    let loaded = [loaded[0], loaded[1], loaded[2], safetensors_loaded, quant_loaded, npy_loaded];
    println!(
        "{iters} inputs per loader: IDX plain {plain:?}, IDX gzip {gz:?}, weights {weights:?}, safetensors {safetensors:?}, quantized {quant:?}, npy {npy_time:?}; loaded {loaded:?}"
    );
    // Mutations that change only data bytes keep a file loadable; a few percent must be.
    for (name, n) in
        ["IDX plain", "IDX gzip", "weights", "safetensors", "quantized", "npy"].iter().zip(loaded)
    {
        assert!(n * 100 >= iters, "{name}: only {n} of {iters} mutated inputs loaded");
    }
}
