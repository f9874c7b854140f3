// The book's `(32, 10) + (10,)` works; `(32, 10) + (9,)` does not.
use shaped::{Tensor1, Tensor2};

fn main() {
    let x = Tensor2::<f32, 32, 10>::zeros();
    let b = Tensor1::<f32, 9>::zeros();
    let _ = x + &b;
}
