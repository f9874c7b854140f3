//! Chapter 4 of "Deep Learning with Python", regression: predicting a price from 13
//! features with `mse` as the loss and `mae` as the metric, validation MAE per epoch.
//!
//! `cargo run --release --example regression`
//!
//! The book uses the Boston housing data (not bundled here); this example makes a data
//! set of the same shape (404 training and 102 test samples of 13 features, prices in
//! thousands of dollars) from a fixed seed, with a known nonlinear rule and noise, so
//! the MAE it reaches can be compared with the noise's (1.5).
//!
//! ```python
//! model = keras.Sequential([layers.Dense(64, activation="relu"),
//!                           layers.Dense(64, activation="relu"), layers.Dense(1)])
//! model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
//! history = model.fit(train_data, train_targets, epochs=30, batch_size=16, validation_split=0.2)
//! ```

use std::error::Error;

use shaped::data::train_test_split;
use shaped::nn::{Dense, Linear, Relu, Sequential};
use shaped::rand::{RngExt, SeedableRng, rngs::StdRng};
use shaped::train::{FitOptions, MeanSquaredError, Metric, RmsProp};

type Network = (Dense<13, 64, Relu>, Dense<64, 64, Relu>, Dense<64, 1, Linear>);

fn main() -> Result<(), Box<dyn Error>> {
    // 506 houses: features of various scales, a price from a nonlinear rule plus noise.
    let mut rng = StdRng::seed_from_u64(4);
    let scales = [10.0, 25.0, 12.0, 1.0, 0.5, 6.5, 70.0, 4.0, 10.0, 400.0, 18.0, 350.0, 12.0];
    let x: Vec<[f32; 13]> =
        (0..506).map(|_| core::array::from_fn(|i| scales[i] * rng.random_range(0.5f32..1.5))).collect();
    let y: Vec<[f32; 1]> = x
        .iter()
        .map(|f| {
            let noise: f32 = rng.random_range(-3.0..3.0);
            [22.0 + 4.0 * (f[5] - 6.5) - 0.3 * (f[12] - 12.0)
                + 0.02 * (f[6] - 70.0) * (f[5] - 6.5).abs()
                + noise]
        })
        .collect();
    let (train_x, train_y, test_x, test_y) = train_test_split(&x, &y, 0.2, 42)?;

    // Normalize each feature by the training data's mean and standard deviation.
    let n = train_x.len() as f32;
    let mean: [f32; 13] = core::array::from_fn(|i| train_x.iter().map(|r| r[i]).sum::<f32>() / n);
    let std: [f32; 13] =
        core::array::from_fn(|i| (train_x.iter().map(|r| (r[i] - mean[i]).powi(2)).sum::<f32>() / n).sqrt());
    let normalize = |rows: &[[f32; 13]]| -> Vec<[f32; 13]> {
        rows.iter().map(|r| core::array::from_fn(|i| (r[i] - mean[i]) / std[i])).collect()
    };
    let (train_x, test_x) = (normalize(&train_x), normalize(&test_x));

    let mut model = Sequential::<Network>::new(&mut StdRng::seed_from_u64(0)).compile(
        RmsProp::default(),
        MeanSquaredError,
        &[Metric::MeanAbsoluteError],
    )?;
    // `SHAPED_EXAMPLE_QUICK=1` (CI): one epoch.
    let epochs = if quick() { 1 } else { 30 };
    let history = model.fit_with(&train_x, &train_y, FitOptions::new(epochs, 16).validation_split(0.2))?;

    println!("validation MAE per epoch:");
    for (epoch, mae) in history.val_mae.iter().enumerate() {
        println!("  epoch {:2}: {mae:.2}", epoch + 1);
    }
    let test = model.evaluate(&test_x, &test_y)?;
    println!(
        "test_mae: {:.2} (thousands of dollars; the noise alone gives about 1.5)",
        test.mae.unwrap_or(f64::NAN)
    );
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/target/regression-history");
    std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/target"))?;
    history.save_svg(format!("{out}.svg"))?;
    println!("history: {out}.svg");
    Ok(())
}

/// Whether `SHAPED_EXAMPLE_QUICK` asks for a short run (CI runs every example so).
fn quick() -> bool {
    std::env::var_os("SHAPED_EXAMPLE_QUICK").is_some_and(|v| v != "0")
}
