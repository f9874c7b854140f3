use shaped::{Tensor2, Tensor3};

fn main() {
    let batch = Tensor3::<f32, 8, 3, 4>::ones();
    let w = Tensor2::<f32, 4, 5>::ones();
    let _ = batch.dot(&w);
}
