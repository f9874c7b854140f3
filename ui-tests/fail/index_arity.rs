// A matrix is indexed with two indices. rustc infers the arity from the only `Index`
// impl a matrix has and reports the mismatch itself (E0308, naming both sizes).
use shaped::Tensor2;

fn main() {
    let x = Tensor2::<f32, 2, 3>::zeros();
    let _ = x[[1, 2, 0]];
}
