//! Chapter 5 of "Deep Learning with Python": the first convnet, trained on MNIST.
//!
//! `cargo run --release --example convnet`
//!
//! `-- --save PATH` also writes the trained weights (`save_weights`); the committed
//! `data/convnet.weights`, which the `no_std` convnet classifier embeds, was made this way.
//!
//! ```python
//! model = models.Sequential()
//! model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
//! model.add(layers.MaxPooling2D((2, 2)))
//! model.add(layers.Conv2D(64, (3, 3), activation="relu"))
//! model.add(layers.MaxPooling2D((2, 2)))
//! model.add(layers.Conv2D(64, (3, 3), activation="relu"))
//! model.add(layers.Flatten())
//! model.add(layers.Dense(64, activation="relu"))
//! model.add(layers.Dense(10, activation="softmax"))
//! model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
//! model.fit(train_images, train_labels, epochs=5, batch_size=64)
//! ```
//!
//! (Listings 5.1 to 5.3 of the book's first edition.)

use std::error::Error;
use std::time::Instant;

use shaped::data::{load_idx_pair, normalize_images, to_categorical};
use shaped::nn::{Layers, Sequential, Summary};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{CategoricalCrossentropy, Metric, RmsProp};

shaped::network! {
    /// The chapter-5 convnet on 28 x 28 images of one channel.
    type Convnet = (28, 28, 1) => [
        Conv2D(32, 3, activation = "relu"),
        MaxPooling2D(2),
        Conv2D(64, 3, activation = "relu"),
        MaxPooling2D(2),
        Conv2D(64, 3, activation = "relu"),
        Flatten,
        Dense(64, activation = "relu"),
        Dense(10, activation = "softmax"),
    ];
}

/// One image as the network takes it: (height, width, channels).
type Image = [[[f32; 1]; 28]; 28];

/// Multiply-adds of one sample's forward pass: the three convolutions and two dense
/// layers. A training step is about three times this (forward, weight and input
/// gradients; the first layer needs no input gradient).
const MACS_FORWARD: f64 =
    26.0 * 26.0 * 9.0 * 32.0 + 11.0 * 11.0 * 288.0 * 64.0 + 3.0 * 3.0 * 576.0 * 64.0 + 576.0 * 64.0 + 640.0;

fn main() -> Result<(), Box<dyn Error>> {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist");
    let (train_images, train_labels) = load_idx_pair::<[[[u8; 1]; 28]; 28]>(
        format!("{data}/train-images-idx3-ubyte.gz"),
        format!("{data}/train-labels-idx1-ubyte.gz"),
    )?;
    let (test_images, test_labels) = load_idx_pair::<[[[u8; 1]; 28]; 28]>(
        format!("{data}/t10k-images-idx3-ubyte.gz"),
        format!("{data}/t10k-labels-idx1-ubyte.gz"),
    )?;
    // train_images.reshape((60000, 28, 28, 1)).astype("float32") / 255
    let train_images = normalize_images::<_, Image>(&train_images);
    let test_images = normalize_images::<_, Image>(&test_images);
    let train_labels = to_categorical::<f32, 10>(&train_labels)?;
    let test_labels = to_categorical::<f32, 10>(&test_labels)?;

    let mut model = Sequential::<Convnet>::new(&mut StdRng::seed_from_u64(42)).compile(
        RmsProp::default(),
        CategoricalCrossentropy,
        &[Metric::Accuracy],
    )?;
    println!("{}", Summary::<Convnet>::new());

    // `SHAPED_EXAMPLE_QUICK=1` (CI): one epoch on a twentieth of the data.
    let (train_images, train_labels, test_images, test_labels, epochs) = if quick() {
        (&train_images[..3000], &train_labels[..3000], &test_images[..500], &test_labels[..500], 1)
    } else {
        (&train_images[..], &train_labels[..], &test_images[..], &test_labels[..], 5)
    };

    let start = Instant::now();
    model.fit(train_images, train_labels, epochs, 64)?;
    let fit_time = start.elapsed();

    let result = model.evaluate(test_images, test_labels)?;
    println!("test_loss: {:.4}", result.loss);
    println!("test_acc: {:.4}", result.accuracy.unwrap_or(f64::NAN));
    let flop = 2.0 * 3.0 * MACS_FORWARD * train_images.len() as f64 * epochs as f64;
    println!(
        "fit: {:.2} s for {epochs} epochs on {} threads ({:.1} GFLOP/s counting a step as 3 forward passes; {} params)",
        fit_time.as_secs_f64(),
        shaped::parallel::threads(),
        flop / 1e9 / fit_time.as_secs_f64(),
        <Convnet as Layers<f32>>::PARAMS,
    );

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
