use shaped::{Tensor1, Tensor2};

fn main() {
    // Keras's kernel layout is (inputs, outputs): a sample multiplies it from the left.
    let kernel = Tensor2::<f32, 784, 10>::zeros();
    let x = Tensor1::<f32, 784>::zeros();
    let _ = kernel.dot(&x);
}
