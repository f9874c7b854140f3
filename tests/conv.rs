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
