use shaped::Tensor1;

fn main() {
    let v = Tensor1::<f32, 10>::zeros();
    let _ = v[[0, 1]];
}
