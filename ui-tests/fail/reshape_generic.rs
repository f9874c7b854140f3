use shaped::{Tensor, Tensor2};

fn to_rows<const N: usize>(x: &Tensor2<f32, N, 4>) -> Tensor<[[f32; 2]; N]> {
    // Half the elements: N x 4 does not fit N x 2.
    x.reshape()
}

fn main() {
    let _ = to_rows(&Tensor2::<f32, 3, 4>::zeros());
}
