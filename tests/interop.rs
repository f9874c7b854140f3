//! Networks from PyTorch and Keras, through safetensors files those tools wrote
//! (`tests/fixtures/make_safetensors.py` made them and printed the outputs in `*_io.txt`),
//! and files of ours that Python reads.

use std::path::PathBuf;

use shaped::nn::{Convention, Dense, Layers, Relu, Sequential, Sigmoid, Softmax, Tanh};
use shaped::rand::{SeedableRng, rngs::StdRng};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The samples of an `_io.txt` fixture: (inputs, outputs the Python side printed).
fn samples(name: &str) -> Vec<(Vec<f64>, Vec<f64>)> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let numbers = |s: &str| s.split_whitespace().map(|v| v.parse::<f64>().unwrap()).collect::<Vec<_>>();
    text.lines()
        .map(|line| {
            let (x, y) = line.split_once(" | ").unwrap();
            (numbers(x), numbers(y))
        })
        .collect()
}

/// Our outputs agree with Python's within 1e-5 relative (and 1e-7 absolute, for
/// probabilities near zero).
fn agrees<
    N: shaped::Network + Layers<f32, Input = [f32; IN], Output = [f32; OUT]>,
    const IN: usize,
    const OUT: usize,
>(
    model: &Sequential<N>,
    io: &str,
) {
    let samples = samples(io);
    assert!(samples.len() >= 8);
    for (x, expected) in samples {
        let x: [f32; IN] = core::array::from_fn(|i| x[i] as f32);
        let y = model.predict(&x);
        for (a, b) in y.iter().zip(&expected) {
            let (a, b) = (*a as f64, *b);
            assert!((a - b).abs() <= 1e-5 * b.abs() + 1e-7, "{io}: {a} vs {b} (Python)");
        }
    }
}

#[test]
fn a_pytorch_model_predicts_as_pytorch_did() {
    type Mlp = (Dense<4, 16, Relu>, Dense<16, 3, Softmax>);
    let mut model = Sequential::<Mlp>::zeros();
    model.load_safetensors(fixture("torch_mlp.safetensors"), Convention::PyTorch).unwrap();
    agrees(&model, "torch_mlp_io.txt");
}

#[test]
fn bfloat16_pytorch_weights_load_and_predict_as_pytorch_did() {
    type Deep = (Dense<5, 8, Tanh>, Dense<8, 8, Relu>, Dense<8, 1, Sigmoid>);
    let mut model = Sequential::<Deep>::zeros();
    model.load_safetensors(fixture("torch_deep_bf16.safetensors"), Convention::PyTorch).unwrap();
    agrees(&model, "torch_deep_bf16_io.txt");
}

#[test]
fn a_keras_model_predicts_as_keras_did() {
    type Mlp = (Dense<4, 16, Relu>, Dense<16, 3, Softmax>);
    let mut model = Sequential::<Mlp>::zeros();
    model.load_safetensors(fixture("keras_mlp.safetensors"), Convention::Keras).unwrap();
    agrees(&model, "keras_mlp_io.txt");
    // The same file in the other convention is refused, naming what it holds.
    let err = model.load_safetensors(fixture("keras_mlp.safetensors"), Convention::PyTorch).unwrap_err();
    assert!(err.to_string().contains("/kernel`"), "{err}");
}

type Written = (Dense<3, 4, Relu>, Dense<4, 2, Softmax>);

fn written_model() -> Sequential<Written> {
    Sequential::<Written>::new(&mut StdRng::seed_from_u64(5))
}

/// Writes the files the Python script checks (run once with SHAPED_WRITE_FIXTURES=1).
#[test]
fn files_we_write_are_the_committed_ones() {
    let model = written_model();
    let keras = model.to_safetensors(Convention::Keras).unwrap();
    let torch = model.to_safetensors(Convention::PyTorch).unwrap();
    if std::env::var_os("SHAPED_WRITE_FIXTURES").is_some() {
        std::fs::write(fixture("shaped_written.safetensors"), &keras).unwrap();
        std::fs::write(fixture("shaped_written_torch.safetensors"), &torch).unwrap();
        let mut arrays = String::new();
        let p = model.params();
        let row = |v: &[f32]| v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(" ");
        arrays += &format!("dense/kernel | 3 4 | {}\n", row(p.0.kernel.as_flattened()));
        arrays += &format!("dense/bias | 4 | {}\n", row(&p.0.bias));
        arrays += &format!("dense_1/kernel | 4 2 | {}\n", row(p.1.kernel.as_flattened()));
        arrays += &format!("dense_1/bias | 2 | {}\n", row(&p.1.bias));
        std::fs::write(fixture("shaped_written.txt"), arrays).unwrap();
        let mut io = String::new();
        for k in 0..8 {
            let x = [k as f32 / 4.0 - 1.0, 0.5, (k * k) as f32 / 10.0];
            io += &format!("{} | {}\n", row(&x), row(&model.predict(&x)));
        }
        std::fs::write(fixture("shaped_written_torch_io.txt"), io).unwrap();
    }
    // The committed files are what we write today, so the script's check of them holds.
    assert_eq!(std::fs::read(fixture("shaped_written.safetensors")).unwrap(), keras);
    assert_eq!(std::fs::read(fixture("shaped_written_torch.safetensors")).unwrap(), torch);
}

shaped::network! {
    /// The network of `make_convnet.py`, as Keras writes it (channels last).
    type TorchConvnet = (28, 28, 1) => [
        Conv2D(8, 3, activation = "relu"),
        MaxPooling2D(2),
        Conv2D(16, 3, activation = "relu"),
        MaxPooling2D(2),
        Conv2D(16, 3, padding = "same", activation = "relu"),
        Flatten,
        Dense(32, activation = "relu"),
        Dense(10, activation = "softmax"),
    ];
}

/// A convnet trained in PyTorch, on channels-first images: its Conv2d kernels and the
/// Linear after its Flatten are laid out otherwise, and the loader converts them. Loaded
/// without conversion the shapes of the Linear would still agree; the predictions would not.
#[test]
fn a_pytorch_convnet_predicts_as_pytorch_did() {
    let mut model = Sequential::<TorchConvnet>::new(&mut StdRng::seed_from_u64(0));
    model.load_safetensors(fixture("torch_convnet.safetensors"), Convention::PyTorch).unwrap();
    let samples = samples("torch_convnet_io.txt");
    assert_eq!(samples.len(), 10);
    let images: Vec<[[[f32; 1]; 28]; 28]> = samples
        .iter()
        .map(|(x, _)| core::array::from_fn(|h| core::array::from_fn(|w| [x[h * 28 + w] as f32])))
        .collect();
    let batch = model.predict_batch(&images);
    for ((image, (_, expected)), from_batch) in images.iter().zip(&samples).zip(&batch) {
        let y = model.predict(image);
        for ((a, c), b) in y.iter().zip(from_batch).zip(expected) {
            let (a, c, b) = (*a as f64, *c as f64, *b);
            assert!((a - b).abs() <= 1e-5 * b.abs() + 1e-7, "{a} vs {b} (PyTorch)");
            assert!((c - b).abs() <= 1e-5 * b.abs() + 1e-7, "batch: {c} vs {b} (PyTorch)");
        }
    }
}

shaped::network! {
    /// The network of `make_convnet_step.py`, channels last.
    type StepNet = (8, 8, 2) => [
        Conv2D(3, 3, activation = "relu"),
        MaxPooling2D(2),
        Conv2D(4, 2, padding = "same", activation = "tanh"),
        Flatten,
        Dense(5, activation = "softmax"),
    ];
}

/// One step of SGD and of RMSprop on a convnet, from the weights PyTorch started from,
/// on the batch it trained on: every weight moves as PyTorch moved it, within 1e-5 of the
/// tensor's largest update (and the weights' own rounding).
#[test]
fn one_training_step_of_a_convnet_updates_as_pytorch_did() {
    use shaped::nn::LoadOptions;
    use shaped::train::{CategoricalCrossentropy, FitOptions, RmsProp, Sgd};
    let samples = samples("convnet_step_batch.txt");
    let x: Vec<[[[f32; 2]; 8]; 8]> = samples
        .iter()
        .map(|(x, _)| {
            core::array::from_fn(|h| {
                core::array::from_fn(|w| core::array::from_fn(|c| x[(h * 8 + w) * 2 + c] as f32))
            })
        })
        .collect();
    let y: Vec<[f32; 5]> = samples.iter().map(|(_, y)| core::array::from_fn(|i| y[i] as f32)).collect();
    let load = |name: &str| {
        let mut m = Sequential::<StepNet>::zeros();
        let bytes = std::fs::read(fixture(name)).unwrap();
        m.read_safetensors(&bytes, LoadOptions::new(Convention::PyTorch)).unwrap();
        m.get_weights()
    };
    let before = load("convnet_step_before.safetensors");
    let options = FitOptions::new(1, 6).verbose(false).shuffle(false);
    let step = |optimizer: &str| {
        let mut model = Sequential::<StepNet>::zeros();
        model.set_weights(&before).unwrap();
        match optimizer {
            "sgd" => {
                let sgd = Sgd { learning_rate: 0.1, ..Sgd::default() };
                let mut m = model.compile(sgd, CategoricalCrossentropy, &[]).unwrap();
                m.fit_with(&x, &y, options).unwrap();
                m.model().get_weights()
            }
            _ => {
                let rms = RmsProp { learning_rate: 0.001, rho: 0.9, epsilon: 1e-30 };
                let mut m = model.compile(rms, CategoricalCrossentropy, &[]).unwrap();
                m.fit_with(&x, &y, options).unwrap();
                m.model().get_weights()
            }
        }
    };
    for optimizer in ["sgd", "rmsprop"] {
        let ours = step(optimizer);
        let torch = load(&format!("convnet_step_{optimizer}.safetensors"));
        for (k, ((o, t), b)) in ours.iter().zip(&torch).zip(&before).enumerate() {
            let largest = t.iter().zip(b).map(|(t, b)| (t - b).abs()).fold(0.0f32, f32::max);
            assert!(largest > 0.0, "{optimizer}: array {k} moved");
            for (i, ((o, t), b)) in o.iter().zip(t).zip(b).enumerate() {
                let tol = 1e-5 * largest + 2.0 * f32::EPSILON * b.abs();
                assert!(
                    (o - t).abs() <= tol,
                    "{optimizer}: array {k}[{i}]: {o} vs PyTorch {t} (from {b}, tolerance {tol})"
                );
            }
        }
    }
}
