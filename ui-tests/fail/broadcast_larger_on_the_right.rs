use shaped::{Tensor1, Tensor2};

fn main() {
    let bias = Tensor1::<f32, 10>::zeros();
    let batch = Tensor2::<f32, 32, 10>::ones();
    let _ = &bias + &batch;
}
