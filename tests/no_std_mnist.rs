//! The `no_std` MNIST classifiers (`ensure_no_std/src/mnist.rs` and `convnet.rs`), with
//! their weights compiled in, over the 10,000 test images.

#[path = "../ensure_no_std/src/convnet.rs"]
mod convnet;
#[path = "../ensure_no_std/src/mnist.rs"]
mod mnist;

use shaped::data::load_idx_pair;
use shaped::nn::{ModelRef, Sequential};

fn data(name: &str) -> String {
    format!("{}/data/mnist/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_embedded_weights_are_the_files_own() {
    // `load_weights` checks what `include_weights!` leaves to a test: the CRC-32 and that
    // every weight is finite.
    let mut loaded = Sequential::<mnist::Chapter2>::zeros();
    loaded.load_weights(concat!(env!("CARGO_MANIFEST_DIR"), "/data/chapter2.weights")).unwrap();
    assert!(loaded.params() == &mnist::WEIGHTS, "the embedded weights differ from the file's");
}

#[test]
fn the_embedded_classifier_scores_what_training_printed() {
    let (images, labels) =
        load_idx_pair::<[u8; 784]>(data("t10k-images-idx3-ubyte.gz"), data("t10k-labels-idx1-ubyte.gz"))
            .unwrap();
    let correct = images.iter().zip(&labels).filter(|&(x, &y)| mnist::classify(x) == y).count();
    // `cargo run --release --example mnist -- --save data/chapter2.weights` printed
    // `test_acc: 0.9810` for these weights.
    assert_eq!(correct, 9810, "accuracy {}", correct as f64 / 1e4);
    // The same as the heap model's argmax on every image.
    let model = ModelRef::<mnist::Chapter2>::new(&mnist::WEIGHTS);
    for x in images.iter().take(500) {
        let scaled: [f32; 784] = core::array::from_fn(|i| x[i] as f32 / 255.0);
        let p = model.predict(&scaled);
        let best = (0..10).fold(0, |b, i| if p[i] > p[b] { i } else { b });
        assert_eq!(mnist::classify(x) as usize, best);
    }
}

#[test]
fn the_embedded_int8_classifier_scores_what_quantize_printed() {
    use shaped::quant::{QLayers, Quantized};
    // The static is the file's network, as `from_bytes` (which checks the CRC-32) reads it.
    let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/chapter2-int8.weights")).unwrap();
    let loaded = Quantized::<mnist::Chapter2>::from_bytes(&file).unwrap();
    assert!(loaded.params() == &mnist::WEIGHTS_INT8, "the embedded int8 weights differ from the file's");
    // Bytes are the quantized input: the first layer's input scale is 1/255, zero 0.
    let input = <mnist::Chapter2Int8 as QLayers>::input_quant(&mnist::WEIGHTS_INT8);
    assert_eq!((input.zero, input.scale), (0, 1.0 / 255.0));
    let (images, labels) =
        load_idx_pair::<[u8; 784]>(data("t10k-images-idx3-ubyte.gz"), data("t10k-labels-idx1-ubyte.gz"))
            .unwrap();
    let correct = images.iter().zip(&labels).filter(|&(x, &y)| mnist::classify_int8(x) == y).count();
    // `cargo run --release --example quantize -- --save data/chapter2-int8.weights`
    // printed `int8 test_acc: 0.9808` for this network.
    assert_eq!(correct, 9808, "accuracy {}", correct as f64 / 1e4);
}

#[test]
fn the_classifier_runs_on_a_small_stack() {
    // Optimized, it needs about 5.3 KiB (BENCHMARKS.md); unoptimized code keeps copies of
    // its arrays on the stack.
    let stack = if cfg!(debug_assertions) { 256 } else { 16 } * 1024;
    let image = [128u8; 784];
    let digit = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || mnist::classify(&image))
        .unwrap()
        .join()
        .unwrap();
    assert!(digit < 10);
}

#[test]
fn the_embedded_convnet_is_the_files_own() {
    let mut loaded = Sequential::<convnet::Convnet>::zeros();
    loaded.load_weights(concat!(env!("CARGO_MANIFEST_DIR"), "/data/convnet.weights")).unwrap();
    assert!(loaded.params() == &convnet::WEIGHTS, "the embedded convnet's weights differ from the file's");
}

#[test]
fn the_embedded_convnet_scores_what_training_printed() {
    use shaped::Zeroable;
    use std::sync::Mutex;
    // The buffers in a `static`, as a microcontroller holds them.
    static BUFFERS: Mutex<convnet::Buffers> = Mutex::new(Zeroable::ZERO);
    let (images, labels) =
        load_idx_pair::<[u8; 784]>(data("t10k-images-idx3-ubyte.gz"), data("t10k-labels-idx1-ubyte.gz"))
            .unwrap();
    // Each image once, on both cores: a second buffer for the second thread.
    let half = images.len() / 2;
    let (first, second) = std::thread::scope(|s| {
        let first = s.spawn(|| {
            let mut buffers = BUFFERS.lock().unwrap();
            let (x, y) = (&images[..half], &labels[..half]);
            x.iter().zip(y).filter(|&(x, &y)| convnet::classify(x, &mut buffers) == y).count()
        });
        let mut buffers: Box<convnet::Buffers> = shaped::zeroed_box();
        let (x, y) = (&images[half..], &labels[half..]);
        let second = x.iter().zip(y).filter(|&(x, &y)| convnet::classify(x, &mut buffers) == y).count();
        (first.join().unwrap(), second)
    });
    // `cargo run --release --example convnet -- --save data/convnet.weights` printed
    // `test_acc: 0.9926` for these weights.
    assert_eq!(first + second, 9926, "accuracy {}", (first + second) as f64 / 1e4);
    // The same digit as the heap model's batch prediction.
    let mut params: Box<<convnet::Convnet as shaped::nn::Layers<f32>>::Params> = shaped::zeroed_box();
    *params = convnet::WEIGHTS;
    let model = Sequential::<convnet::Convnet>::from_params(params);
    let scaled: Vec<[[[f32; 1]; 28]; 28]> = shaped::data::normalize_images(&images[..300]);
    let batch = model.predict_batch(&scaled);
    let mut buffers = BUFFERS.lock().unwrap();
    for (x, p) in images.iter().zip(&batch) {
        let best = (0..10).fold(0, |b, i| if p[i] > p[b] { i } else { b });
        assert_eq!(convnet::classify(x, &mut buffers) as usize, best);
    }
}

#[test]
fn the_convnet_runs_on_a_small_stack() {
    // Its activations (about 150 KB) are in the buffers; the stack holds the kernels'
    // frames. Unoptimized code keeps copies of its arrays on the stack.
    let stack = if cfg!(debug_assertions) { 256 } else { 16 } * 1024;
    let image = [128u8; 784];
    let digit = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let mut buffers: Box<convnet::Buffers> = shaped::zeroed_box();
            convnet::classify(&image, &mut buffers)
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(digit < 10);
}

/// Writes each test image's digits (the chapter-2 network in f32, in int8, then the
/// convnet or 255), three bytes an image, to the file `SHAPED_HOST_PREDICTIONS` names: what
/// `.ci/embedded` compares the microcontroller's with, image for image. Run by that
/// script (`--ignored`), not by `cargo test`.
#[test]
#[ignore = "a tool of .ci/embedded: run with SHAPED_HOST_PREDICTIONS=PATH"]
fn write_host_predictions() {
    let path =
        std::env::var_os("SHAPED_HOST_PREDICTIONS").expect("set SHAPED_HOST_PREDICTIONS to the output file");
    let (images, _) =
        load_idx_pair::<[u8; 784]>(data("t10k-images-idx3-ubyte.gz"), data("t10k-labels-idx1-ubyte.gz"))
            .unwrap();
    // The convnet on the first `SHAPED_CONVNET_COUNT` images (all by default), 255 after.
    let convnet_count = std::env::var("SHAPED_CONVNET_COUNT").map_or(images.len(), |n| n.parse().unwrap());
    let mut buffers: Box<convnet::Buffers> = shaped::zeroed_box();
    let mut out = Vec::with_capacity(3 * images.len());
    for (i, x) in images.iter().enumerate() {
        let conv = if i < convnet_count { convnet::classify(x, &mut buffers) } else { 255 };
        out.extend([mnist::classify(x), mnist::classify_int8(x), conv]);
    }
    std::fs::write(path, out).unwrap();
}
