//! The image layers: gradients against finite differences on many geometries, forward
//! passes against a direct definition, and one batch against one sample at a time.

mod common;
use common::gradients::check_gradients;

use shaped::nn::{
    AveragePooling2D, Conv2D, Dense, Flatten, GlobalAveragePooling2D, Layers, Linear, MaxPooling2D, Relu,
    Same, Sigmoid, Softmax, Tanh, Valid,
};
use shaped::train::{CategoricalCrossentropy, MeanSquaredError};

fn one_hot<const C: usize>(labels: &[usize]) -> Vec<[f64; C]> {
    labels.iter().map(|&l| std::array::from_fn(|i| if i == l { 1.0 } else { 0.0 })).collect()
}

#[test]
fn conv_valid_then_dense() {
    type Net = (Conv2D<5, 4, 2, 3, 3, 2, 1, 1, 3, 3, Tanh>, Flatten<3, 3, 3, 27>, Dense<27, 4, Softmax>);
    check_gradients::<Net, CategoricalCrossentropy, _>(11, &one_hot::<4>(&[0, 3, 1]));
}

#[test]
fn conv_same_with_strides_on_odd_sizes() {
    // Padding "same" with strides 2 on 7 x 6: the windows overhang the bottom and right.
    type Net =
        (Conv2D<7, 6, 2, 3, 3, 3, 2, 2, 4, 3, Sigmoid, Same>, Flatten<4, 3, 3, 36>, Dense<36, 2, Linear>);
    check_gradients::<Net, MeanSquaredError, _>(12, &[[0.3, -0.2], [1.0, 0.5]]);
    // Rectangular kernel and strides that differ (the DS-CNN's first layer is (10, 4), 2).
    type Rect =
        (Conv2D<9, 5, 1, 2, 4, 2, 2, 1, 5, 5, Tanh, Same>, Flatten<5, 5, 2, 50>, Dense<50, 3, Softmax>);
    check_gradients::<Rect, CategoricalCrossentropy, _>(13, &one_hot::<3>(&[2, 0]));
}

#[test]
fn pointwise_conv_and_global_pooling() {
    // A 1x1 convolution reads its input as the patch matrix itself.
    type Net = (
        Conv2D<3, 4, 3, 5, 1, 1, 1, 1, 3, 4, Relu>,
        Conv2D<3, 4, 5, 4, 2, 2, 1, 1, 3, 4, Tanh, Same>,
        GlobalAveragePooling2D<3, 4, 4>,
        Dense<4, 3, Softmax>,
    );
    check_gradients::<Net, CategoricalCrossentropy, _>(14, &one_hot::<3>(&[1, 2, 0]));
}

#[test]
fn max_and_average_pooling() {
    type Max = (
        Conv2D<6, 6, 1, 2, 3, 3, 1, 1, 4, 4, Tanh>,
        MaxPooling2D<4, 4, 2, 2, 2, 2, 2, 2, 2>,
        Flatten<2, 2, 2, 8>,
        Dense<8, 3, Softmax>,
    );
    check_gradients::<Max, CategoricalCrossentropy, _>(15, &one_hot::<3>(&[1, 2]));
    // Overlapping windows (3 with stride 2) and "same" padding at the edges.
    type Overlap = (
        Conv2D<7, 5, 2, 3, 2, 2, 1, 1, 6, 4, Tanh>,
        MaxPooling2D<6, 4, 3, 3, 3, 2, 2, 3, 2, Same>,
        AveragePooling2D<3, 2, 3, 2, 2, 1, 1, 3, 2, Same>,
        Flatten<3, 2, 3, 18>,
        Dense<18, 2, Linear>,
    );
    check_gradients::<Overlap, MeanSquaredError, _>(16, &[[0.5, -0.5], [0.1, 0.9], [-1.0, 0.0]]);
    type Avg =
        (AveragePooling2D<5, 5, 2, 2, 2, 2, 2, 2, 2, Valid>, Flatten<2, 2, 2, 8>, Dense<8, 2, Sigmoid>);
    check_gradients::<Avg, MeanSquaredError, _>(17, &[[0.2, 0.7]]);
}

/// `Conv2D` against its definition written out with indices, padding included.
#[allow(clippy::needless_range_loop)] // the definition, index by index
#[test]
fn conv_forward_matches_its_definition() {
    type L = Conv2D<6, 5, 2, 3, 3, 2, 2, 2, 3, 3, Linear, Same>;
    let mut rng = <shaped::rand::rngs::StdRng as shaped::rand::SeedableRng>::seed_from_u64(3);
    let model = shaped::nn::Sequential::<L, f64>::new(&mut rng);
    let p = model.params();
    let x: [[[f64; 2]; 5]; 6] = std::array::from_fn(|y| {
        std::array::from_fn(|x| std::array::from_fn(|c| (y * 10 + x * 3 + c) as f64 * 0.1 - 1.0))
    });
    let mut out = [[[0.0; 3]; 3]; 3];
    L::forward(p, &x, &mut out);
    // TensorFlow's "same": out = ceil(6/2) = 3 rows, padding total (3-1)*2+3-6 = 1, top 0;
    // columns ceil(5/2) = 3, total (3-1)*2+2-5 = 1, left 0.
    for oy in 0..3 {
        for ox in 0..3 {
            for f in 0..3 {
                let mut want = p.bias[f];
                for ky in 0..3 {
                    for kx in 0..2 {
                        let (y, xx) = (oy * 2 + ky, ox * 2 + kx);
                        if y < 6 && xx < 5 {
                            for c in 0..2 {
                                want += x[y][xx][c] * p.kernel[ky][kx][c][f];
                            }
                        }
                    }
                }
                assert!(
                    (out[oy][ox][f] - want).abs() < 1e-12,
                    "({oy}, {ox}, {f}): {} vs {want}",
                    out[oy][ox][f]
                );
            }
        }
    }
    // The batch path (patches onto the GEMM) gives the same outputs.
    let batch = model.predict_batch(&[x, x]);
    for o in &batch {
        for (a, b) in o.as_flattened().as_flattened().iter().zip(out.as_flattened().as_flattened()) {
            assert!((a - b).abs() < 1e-12);
        }
    }
}

shaped::network! {
    /// A small convnet with every kind of image layer and a Flatten before a Dense (the
    /// layout that PyTorch orders differently).
    type Small = (9, 8, 2) => [
        Conv2D(4, (3, 2), activation = "relu"),
        MaxPooling2D(2),
        Conv2D(3, 2, padding = "same", activation = "tanh"),
        Flatten,
        Dense(5, activation = "relu"),
        Dense(3, activation = "softmax"),
    ];
}

/// The same layers with the second convolution's kernel 3 x 3: every shape but one agrees.
type OtherKernel = (
    Conv2D<9, 8, 2, 4, 3, 2, 1, 1, 7, 7, Relu>,
    MaxPooling2D<7, 7, 4, 2, 2, 2, 2, 3, 3>,
    Conv2D<3, 3, 4, 3, 3, 3, 1, 1, 3, 3, Tanh, Same>,
    Flatten<3, 3, 3, 27>,
    Dense<27, 5, Relu>,
    Dense<5, 3, Softmax>,
);

fn small_inputs() -> Vec<[[[f32; 2]; 8]; 9]> {
    (0..3)
        .map(|s| {
            std::array::from_fn(|y| {
                std::array::from_fn(|x| {
                    std::array::from_fn(|c| ((s * 7 + y * 3 + x * 5 + c) % 11) as f32 / 11.0 - 0.4)
                })
            })
        })
        .collect()
}

fn seeded<N: Layers<f32>>(seed: u64) -> shaped::nn::Sequential<N> {
    let mut rng = <shaped::rand::rngs::StdRng as shaped::rand::SeedableRng>::seed_from_u64(seed);
    shaped::nn::Sequential::<N>::new(&mut rng)
}

#[test]
fn weight_files_of_convnets_round_trip_and_refuse_other_geometry() {
    let dir = std::env::temp_dir().join(format!("shaped-conv-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("small.weights");
    let model = seeded::<Small>(5);
    model.save_weights(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"SHAPEDW3");
    let mut other = seeded::<Small>(6);
    other.load_weights(&path).unwrap();
    assert_eq!(other.params(), model.params());
    assert_eq!(other.predict_batch(&small_inputs()), model.predict_batch(&small_inputs()));

    // Another kernel size: refused naming the layer and both shapes; weights unchanged.
    let mut wrong = seeded::<OtherKernel>(7);
    let before = wrong.get_weights();
    let err = wrong.load_weights(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layer 2 (Conv2D): the file's kernel is (2, 2, 4, 3), the model's is (3, 3, 4, 3)"
    );
    assert_eq!(wrong.get_weights(), before);

    // A flipped bit anywhere, a truncated file, a chapter-2 (version 2) file.
    let mut flipped = bytes.clone();
    flipped[40] ^= 1;
    assert!(matches!(other.read_weights(&mut &flipped[..]), Err(shaped::nn::WeightsError::Checksum { .. })));
    for cut in [10, 30, bytes.len() / 2, bytes.len() - 1] {
        assert!(other.read_weights(&mut &bytes[..cut]).is_err(), "cut at {cut}");
    }
    let dense = seeded::<(Dense<144, 5, Relu>, Dense<5, 3, Softmax>)>(8);
    let dense_path = dir.join("dense.weights");
    dense.save_weights(&dense_path).unwrap();
    assert_eq!(&std::fs::read(&dense_path).unwrap()[..8], b"SHAPEDW2");
    let err = other.load_weights(&dense_path).unwrap_err();
    assert_eq!(err.to_string(), "layer 0: the file holds a `Dense` layer, the model's layer is a `Conv2D`");
    assert_eq!(other.params(), model.params());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn keras_and_pytorch_safetensors_of_convnets_round_trip() {
    use shaped::nn::{Convention, LoadOptions};
    let model = seeded::<Small>(9);
    for convention in [Convention::Keras, Convention::PyTorch] {
        let bytes = model.to_safetensors(convention).unwrap();
        let mut back = seeded::<Small>(10);
        back.read_safetensors(&bytes, LoadOptions::new(convention)).unwrap();
        assert_eq!(back.params(), model.params(), "{convention:?}");
        // The other geometry is refused, naming the tensor and both shapes.
        let mut wrong = seeded::<OtherKernel>(11);
        let before = wrong.get_weights();
        let err = wrong.read_safetensors(&bytes, LoadOptions::new(convention)).unwrap_err().to_string();
        let want = match convention {
            Convention::Keras => {
                "tensor `conv2d_1/kernel` has shape (2, 2, 4, 3), the network needs (3, 3, 4, 3)"
            }
            Convention::PyTorch => "tensor `3.weight` has shape (3, 4, 2, 2), the network needs (3, 4, 3, 3)",
        };
        assert_eq!(err, want);
        assert_eq!(wrong.get_weights(), before);
    }
}

/// PyTorch's layouts, written out: `Conv2d.weight[f][c][ky][kx]`, and the `Linear` after
/// `Flatten` reading channels-first features `c * H * W + h * W + w`.
#[test]
fn pytorch_layouts_are_converted() {
    use shaped::nn::{Convention, LoadOptions};
    let model = seeded::<Small>(12);
    let bytes = model.to_safetensors(Convention::PyTorch).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    // nn.Sequential(Conv2d, ReLU, MaxPool2d, Conv2d, Tanh, Flatten, Linear, ReLU, Linear, Softmax)
    assert_eq!(
        names,
        ["0.bias", "0.weight", "3.bias", "3.weight", "6.bias", "6.weight", "8.bias", "8.weight"]
    );
    let f32s = |name: &str| -> Vec<f32> {
        st.tensor(name)
            .unwrap()
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    let (conv, linear) = (f32s("0.weight"), f32s("6.weight"));
    let p = model.params();
    let k = &p.0.kernel; // (3, 2, 2, 4)
    for f in 0..4 {
        for c in 0..2 {
            for ky in 0..3 {
                for kx in 0..2 {
                    assert_eq!(conv[((f * 2 + c) * 3 + ky) * 2 + kx], k[ky][kx][c][f]);
                }
            }
        }
    }
    // The Flatten sees (3, 3, 3) images.
    let dense = &p.1.1.1.1.0.kernel; // (27, 5)
    for o in 0..5 {
        for h in 0..3 {
            for w in 0..3 {
                for c in 0..3 {
                    assert_eq!(linear[o * 27 + c * 9 + h * 3 + w], dense[(h * 3 + w) * 3 + c][o]);
                }
            }
        }
    }
    let mut back = seeded::<Small>(13);
    back.read_safetensors(&bytes, LoadOptions::new(Convention::PyTorch)).unwrap();
    assert_eq!(back.params(), model.params());
}

shaped::network! {
    /// A convnet whose dense layers are too wide for the inline kernel of tiny products,
    /// so that one row and a whole batch round alike (as `tests/train.rs` explains).
    type Wide = (10, 10, 2) => [
        Conv2D(8, 3, activation = "relu"),
        MaxPooling2D(2),
        Conv2D(6, 2, padding = "same", activation = "tanh"),
        AveragePooling2D(2, strides = 1),
        Flatten,
        Dense(40, activation = "relu"),
        Dense(26, activation = "softmax"),
    ];
}

/// Training on 1 to 5 threads gives the same weights, bit for bit: each thread's rows go
/// through the same products, and the weight gradients are shares of one product over
/// the threads' rows stacked in order, as one thread's batch would be.
#[test]
fn a_convnet_trains_alike_on_any_number_of_threads() {
    use shaped::train::{CategoricalCrossentropy, FitOptions, RmsProp};
    let x: Vec<[[[f32; 2]; 10]; 10]> = (0..30)
        .map(|s| {
            std::array::from_fn(|h| {
                std::array::from_fn(|w| {
                    std::array::from_fn(|c| ((s * 13 + h * 7 + w * 3 + c) % 17) as f32 / 17.0 - 0.3)
                })
            })
        })
        .collect();
    let y: Vec<[f32; 26]> =
        (0..x.len()).map(|i| std::array::from_fn(|c| if c == (i * 7) % 26 { 1.0 } else { 0.0 })).collect();
    let train = |threads: usize| {
        let mut model = seeded::<Wide>(21).compile(RmsProp::default(), CategoricalCrossentropy, &[]).unwrap();
        // Batches of 12 and a last one of 6.
        model.fit_with(&x, &y, FitOptions::new(2, 12).verbose(false).threads(threads)).unwrap();
        model.model().get_weights()
    };
    let one = train(1);
    assert_ne!(one, seeded::<Wide>(21).get_weights(), "it trained");
    for threads in [2, 3, 5] {
        assert_eq!(train(threads), one, "{threads} threads");
    }
}
