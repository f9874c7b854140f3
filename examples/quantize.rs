//! Post-training int8 quantization of the chapter-2 network (TFLite's scheme; see
//! `shaped::quant`): calibrated on 1,000 training images, scored on the 10,000 test
//! images beside the `f32` network it came from.
//!
//! `cargo run --release --example quantize`
//!
//! It reads the weights `examples/mnist.rs -- --save data/chapter2.weights` wrote;
//! `-- --save PATH` writes the int8 network (the committed `data/chapter2-int8.weights`,
//! which the `no_std` classifier embeds, was made this way). The
//! latencies it prints are a quick look; the figures are criterion's
//! (`cargo bench --bench inference -- int8`, BENCHMARKS.md).

use std::error::Error;
use std::hint::black_box;
use std::time::Instant;

use shaped::data::{load_idx_pair, normalize_pixels};
use shaped::nn::{Dense, Relu, Sequential, Softmax};

type Network = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);

fn argmax(p: &[f32; 10]) -> u8 {
    (0..10).fold(0, |b, i| if p[i] > p[b] { i } else { b }) as u8
}

fn main() -> Result<(), Box<dyn Error>> {
    let root = env!("CARGO_MANIFEST_DIR");
    let (train, _) = load_idx_pair::<[u8; 784]>(
        format!("{root}/data/mnist/train-images-idx3-ubyte.gz"),
        format!("{root}/data/mnist/train-labels-idx1-ubyte.gz"),
    )?;
    let (test, labels) = load_idx_pair::<[u8; 784]>(
        format!("{root}/data/mnist/t10k-images-idx3-ubyte.gz"),
        format!("{root}/data/mnist/t10k-labels-idx1-ubyte.gz"),
    )?;
    let mut model = Sequential::<Network>::zeros();
    model.load_weights(format!("{root}/data/chapter2.weights"))?;

    let calibration = normalize_pixels::<f32, 784>(&train[..1000]);
    let quantized = model.quantize(&calibration)?;

    let test = normalize_pixels::<f32, 784>(&test);
    let score = |predict: &dyn Fn(&[f32; 784]) -> [f32; 10]| {
        test.iter().zip(&labels).filter(|&(x, &y)| argmax(&predict(x)) == y).count() as f64
            / test.len() as f64
    };
    let f32_acc = score(&|x| model.predict(x));
    let int8_acc = score(&|x| quantized.predict(x));
    println!("f32  test_acc: {f32_acc:.4}");
    println!("int8 test_acc: {int8_acc:.4} ({:+.2} points)", 100.0 * (int8_acc - f32_acc));

    let time = |predict: &dyn Fn(&[f32; 784]) -> [f32; 10]| {
        let began = Instant::now();
        for x in test.iter().take(2000) {
            black_box(predict(black_box(x)));
        }
        began.elapsed().as_secs_f64() / 2000.0 * 1e6
    };
    let (f, q) = (time(&|x| model.predict(x)), time(&|x| quantized.predict(x)));
    println!("one sample: f32 {f:.1} us, int8 {q:.1} us ({:.2}x)", q / f);

    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--save", Some(path)) => {
                quantized.save(&path)?;
                println!("int8 network saved to {path}");
            }
            _ => return Err(format!("unknown argument `{arg}` (expected `--save PATH`)").into()),
        }
    }
    Ok(())
}
