// A vector has only axis 0.
use shaped::Tensor1;

fn main() {
    let x = Tensor1::<f32, 10>::zeros();
    let _ = x.argmax_axis::<1>();
}
