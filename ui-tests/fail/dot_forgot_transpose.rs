use shaped::Tensor2;

fn main() {
    let a = Tensor2::<f32, 3, 4>::ones();
    let b = Tensor2::<f32, 3, 4>::ones();
    // a . b^T was meant: (3, 4) . (4, 3).
    let _ = a.dot(&b);
}
