//! TensorFlow Lite Micro's "hello world": a 1-16-16-1 network learns `sin(x)` on
//! `[0, 2π]`, in f32 and quantized to int8. MicroFlow and TFLite Micro publish their
//! flash and RAM for this model on a Cortex-M4F; `embedded/src/bin/sine.rs` embeds the
//! weights this writes for the same comparison (BENCHMARKS.md).
//!
//! `cargo run --release --example sine` (`-- --save DIR` writes `sine.weights` and
//! `sine-int8.weights` into DIR: the committed `data/` files were made so).
//!
//! ```python
//! model = tf.keras.Sequential([
//!     keras.layers.Dense(16, activation="relu", input_shape=(1,)),
//!     keras.layers.Dense(16, activation="relu"),
//!     keras.layers.Dense(1)])
//! model.compile(optimizer="adam", loss="mse", metrics=["mae"])
//! model.fit(x_train, y_train, epochs=500, batch_size=64, validation_data=(x_validate, y_validate))
//! ```

use std::error::Error;

use shaped::nn::{Dense, Linear, Relu, Sequential};
use shaped::rand::{RngExt, SeedableRng, rngs::StdRng};
use shaped::train::{Adam, FitOptions, MeanSquaredError, Metric};

/// The hello-world model: 321 parameters.
type Sine = (Dense<1, 16, Relu>, Dense<16, 16, Relu>, Dense<16, 1, Linear>);

fn main() -> Result<(), Box<dyn Error>> {
    // 1,000 points of sin(x) with a little noise, as the TFLite tutorial makes them.
    let mut rng = StdRng::seed_from_u64(1337);
    let x: Vec<[f32; 1]> = (0..1000).map(|_| [rng.random_range(0.0..std::f32::consts::TAU)]).collect();
    let y: Vec<[f32; 1]> = x.iter().map(|&[v]| [v.sin() + 0.1 * rng.random_range(-1.0f32..1.0)]).collect();
    let (train_x, test_x) = x.split_at(800);
    let (train_y, test_y) = y.split_at(800);

    let mut model = Sequential::<Sine>::new(&mut StdRng::seed_from_u64(2)).compile(
        Adam::default(),
        MeanSquaredError,
        &[Metric::MeanAbsoluteError],
    )?;
    let quick = std::env::var_os("SHAPED_EXAMPLE_QUICK").is_some_and(|v| v != "0");
    let epochs = if quick { 20 } else { 500 };
    model.fit_with(train_x, train_y, FitOptions::new(epochs, 64).verbose(false))?;
    let result = model.evaluate(test_x, test_y)?;
    println!("f32: test mse {:.4}, mae {:.4}", result.loss, result.mae.unwrap_or(f64::NAN));

    let quantized = model.model().quantize(train_x)?;
    let mae: f32 =
        test_x.iter().zip(test_y).map(|(x, y)| (quantized.predict(x)[0] - y[0]).abs()).sum::<f32>()
            / test_x.len() as f32;
    println!("int8: test mae {mae:.4}");
    // Against the curve itself (no noise), a few points.
    for v in [0.5f32, 1.5, 3.0, 4.5, 6.0] {
        let (f, q) = (model.model().predict(&[v])[0], quantized.predict(&[v])[0]);
        println!("sin({v}) = {:.4}: f32 {f:.4}, int8 {q:.4}", v.sin());
    }

    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--save", Some(dir)) => {
                model.model().save_weights(format!("{dir}/sine.weights"))?;
                quantized.save(format!("{dir}/sine-int8.weights"))?;
                println!("weights saved to {dir}/sine.weights and {dir}/sine-int8.weights");
            }
            _ => return Err(format!("unknown argument `{arg}` (expected `--save DIR`)").into()),
        }
    }
    Ok(())
}
