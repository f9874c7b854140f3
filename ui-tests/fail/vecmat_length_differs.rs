// vector . matrix: the vector's length must equal the matrix's rows.
use shaped::{Tensor1, Tensor2};

fn main() {
    let x = Tensor1::<f32, 784>::zeros();
    let w = Tensor2::<f32, 512, 10>::zeros();
    let _ = x.dot(&w);
}
