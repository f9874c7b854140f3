use shaped::Tensor2;

fn main() {
    let a = Tensor2::<f32, 2, 3>::ones();
    let b = Tensor2::<f64, 2, 3>::ones();
    let _ = &a + &b;
}
