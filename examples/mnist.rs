//! Chapter 2 of "Deep Learning with Python": the first network, trained on MNIST.
//!
//! `cargo run --release --example mnist`
//!
//! It writes the history to `target/mnist-history.csv` and `.svg` (the README shows the
//! picture). `-- --save PATH` also writes the trained weights (`save_weights`); the committed
//! `data/chapter2.weights`, which the `no_std` classifier embeds, was made this way.
//!
//! ```python
//! model = keras.Sequential([
//!     layers.Dense(512, activation="relu"),
//!     layers.Dense(10, activation="softmax")])
//! model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
//! model.fit(train_images, train_labels, epochs=5, batch_size=128)
//! test_loss, test_acc = model.evaluate(test_images, test_labels)
//! ```

use std::error::Error;
use std::time::Instant;

use shaped::data::{load_idx_pair, normalize_pixels, to_categorical};
use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{CategoricalCrossentropy, Metric, RmsProp};

/// `Dense(512, activation="relu")` on 28 * 28 inputs, then `Dense(10, activation="softmax")`.
type Network = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);

/// Multiply-adds of one sample's training step as dense products, times 2 for FLOPs: the
/// forward pass (784x512 + 512x10), the weight gradients (the same), the second layer's
/// input gradient (512x10); the first layer needs none. `fit` runs fewer: it leaves out
/// the pixels that are zero in all of a thread's rows (about a third of them), so the
/// rate printed is that of the dense products the fit stands for.
const FLOP_PER_SAMPLE: f64 = 2.0 * (2.0 * (784.0 * 512.0 + 512.0 * 10.0) + 512.0 * 10.0);

fn main() -> Result<(), Box<dyn Error>> {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist");
    let (train_images, train_labels) = load_idx_pair::<[u8; 784]>(
        format!("{data}/train-images-idx3-ubyte.gz"),
        format!("{data}/train-labels-idx1-ubyte.gz"),
    )?;
    let (test_images, test_labels) = load_idx_pair::<[u8; 784]>(
        format!("{data}/t10k-images-idx3-ubyte.gz"),
        format!("{data}/t10k-labels-idx1-ubyte.gz"),
    )?;

    let mut model = Sequential::<Network>::new(&mut StdRng::seed_from_u64(42)).compile(
        RmsProp::default(),
        CategoricalCrossentropy,
        &[Metric::Accuracy],
    )?;

    // train_images.reshape((60000, 28 * 28)).astype("float32") / 255
    let train_images = normalize_pixels::<f32, 784>(&train_images);
    let test_images = normalize_pixels::<f32, 784>(&test_images);
    let train_labels = to_categorical::<f32, 10>(&train_labels)?;
    let test_labels = to_categorical::<f32, 10>(&test_labels)?;

    // `SHAPED_EXAMPLE_QUICK=1` (CI): one epoch on a tenth of the data.
    let (train_images, train_labels, test_images, test_labels, epochs) = if quick() {
        (&train_images[..6000], &train_labels[..6000], &test_images[..1000], &test_labels[..1000], 1)
    } else {
        (&train_images[..], &train_labels[..], &test_images[..], &test_labels[..], 5)
    };

    let start = Instant::now();
    let history = model.fit(train_images, train_labels, epochs, 128)?;
    let fit_time = start.elapsed();

    let result = model.evaluate(test_images, test_labels)?;
    println!("test_loss: {:.4}", result.loss);
    println!("test_acc: {:.4}", result.accuracy.unwrap_or(f64::NAN));
    let flop = FLOP_PER_SAMPLE * train_images.len() as f64 * epochs as f64;
    println!(
        "fit: {:.2} s for {epochs} epochs on {} threads ({:.0} GFLOP as dense products: {:.1} GFLOP/s)",
        fit_time.as_secs_f64(),
        shaped::parallel::threads(),
        flop / 1e9,
        flop / 1e9 / fit_time.as_secs_f64()
    );
    // The history as Keras's CSVLogger writes it, and as a picture.
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/target/mnist-history");
    std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/target"))?;
    history.save_csv(format!("{out}.csv"))?;
    history.save_svg(format!("{out}.svg"))?;
    println!("history: {out}.csv, {out}.svg");

    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--save", Some(path)) => {
                model.model().save_weights(&path)?;
                println!("weights saved to {path}");
            }
            _ => return Err(format!("unknown argument `{arg}` (expected `--save PATH`)").into()),
        }
    }
    Ok(())
}

/// Whether `SHAPED_EXAMPLE_QUICK` asks for a short run (CI runs every example so).
fn quick() -> bool {
    std::env::var_os("SHAPED_EXAMPLE_QUICK").is_some_and(|v| v != "0")
}
