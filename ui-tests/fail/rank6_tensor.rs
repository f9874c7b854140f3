use shaped::Tensor;

fn main() {
    let _ = Tensor::<[[[[[[f32; 2]; 2]; 2]; 2]; 2]; 2]>::zeros();
}
