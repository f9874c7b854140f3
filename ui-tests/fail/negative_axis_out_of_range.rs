use shaped::Tensor2;

fn main() {
    let x = Tensor2::<f32, 32, 10>::ones();
    let _ = x.sum_axis::<-3>();
}
