use shaped::Tensor2;

fn main() {
    let a = Tensor2::<f32, 2, 3>::ones();
    let _ = a.dot(&a);
}
