// vector . vector: equal lengths.
use shaped::Tensor1;

fn main() {
    let u = Tensor1::<f32, 3>::zeros();
    let v = Tensor1::<f32, 2>::zeros();
    let _ = u.dot(&v);
}
