// Element-wise operations need equal shapes.
use shaped::Tensor1;

fn main() {
    let a = Tensor1::<f32, 3>::zeros();
    let b = Tensor1::<f32, 4>::zeros();
    let _ = &a + &b;
}
