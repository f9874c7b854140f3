//! A tour of chapter 2's tensor operations, each shape checked by the compiler.
//!
//! `cargo run --release --example tensors`

use shaped::rand::SeedableRng;
use shaped::rand::rngs::StdRng;
use shaped::{Tensor, Tensor1, Tensor2, Tensor3};

fn main() {
    let mut rng = StdRng::seed_from_u64(42);

    // Rank, dims and element count are constants of the type.
    let images = Tensor3::<u8, 4, 28, 28>::from_fn(|ix| ((ix[0] * 31 + ix[1] * 28 + ix[2]) % 256) as u8);
    println!("images: ndim {}, shape {:?}, dtype {}", images.ndim(), images.shape(), images.dtype());

    // The book's `(32, 10) + (10,)`: a vector broadcast over the rows of a matrix.
    let x = Tensor2::<f32, 32, 10>::random_uniform(&mut rng, -1.0, 1.0);
    let y = Tensor1::<f32, 10>::random_uniform(&mut rng, -1.0, 1.0);
    let z = (&x + &y).relu();
    println!("relu(x + y) for x 32x10, y 10: shape {:?}, sum {:.4}", z.shape(), z.sum());

    // Products of every kind; the output shape is in the type.
    let w = Tensor2::<f32, 10, 4>::random_normal(&mut rng, 0.0, 0.1);
    let h: Tensor2<f32, 32, 4> = z.dot(&w);
    println!("z . w: {:?}, first row {:?}", h.shape(), &h.as_array()[0]);
    let v = Tensor1::<f32, 4>::ones();
    println!("(z . w) . ones(4) = first rows {:?}", &h.dot(&v).as_slice()[..3]);

    // Reductions over an axis, reshape, transpose, slices.
    let per_class: Tensor1<usize, 32> = h.argmax_axis::<1>();
    println!("argmax over axis 1, first 8: {:?}", &per_class.as_slice()[..8]);
    let flat: Tensor2<u8, 4, 784> = images.reshape();
    println!("reshape 4x28x28 -> {:?}", flat.shape());
    let first_two: Tensor<[[u8; 784]; 2]> = flat.slice::<0, 2>();
    println!("slice ::<0, 2> -> {:?}", first_two.shape());
    println!("transpose of w: {:?}", w.transpose().shape());

    // numpy-like printing.
    let m = Tensor2::<f32, 2, 3>::from_array([[1.0, 2.5, -3.0], [0.25, 0.0, 8.0]]);
    println!("m =\n{m}");
    println!("{m:?}");
}
