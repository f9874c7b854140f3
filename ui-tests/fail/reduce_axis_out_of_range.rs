// A matrix has axes 0 and 1.
use shaped::Tensor2;

fn main() {
    let x = Tensor2::<f32, 32, 10>::zeros();
    let _ = x.sum_axis::<2>();
}
