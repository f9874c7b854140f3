// A reshape keeps the element count: 2x3 has 6 elements, 4x2 has 8.
use shaped::{Tensor, Tensor2};

fn main() {
    let x = Tensor2::<f32, 2, 3>::zeros();
    let _y: Tensor<[[f32; 2]; 4]> = x.reshape();
}
