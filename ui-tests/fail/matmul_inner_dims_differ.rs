// matrix . matrix: columns of the left must equal rows of the right.
use shaped::Tensor2;

fn main() {
    let a = Tensor2::<f32, 2, 4>::zeros();
    let b = Tensor2::<f32, 3, 5>::zeros();
    let _ = a.dot(&b);
}
