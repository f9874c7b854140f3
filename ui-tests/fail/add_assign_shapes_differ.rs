use shaped::Tensor2;

fn main() {
    let mut acc = Tensor2::<f32, 4, 3>::zeros();
    let g = Tensor2::<f32, 3, 4>::ones();
    acc += &g;
}
