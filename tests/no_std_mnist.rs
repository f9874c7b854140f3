//! The `no_std` MNIST classifier (`ensure_no_std/src/mnist.rs`), with its weights
//! compiled in, over the 10,000 test images.

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
