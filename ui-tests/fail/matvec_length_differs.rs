// matrix . vector: the vector's length must equal the matrix's columns.
use shaped::{Tensor1, Tensor2};

fn main() {
    let a = Tensor2::<f64, 10, 784>::zeros();
    let x = Tensor1::<f64, 512>::zeros();
    let _ = a.dot(&x);
}
