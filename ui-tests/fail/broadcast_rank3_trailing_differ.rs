use shaped::{Tensor2, Tensor3};

fn main() {
    let images = Tensor3::<f32, 16, 28, 28>::zeros();
    let mean = Tensor2::<f32, 28, 27>::zeros();
    let _ = &images - &mean;
}
