use shaped::Tensor2;

fn gram<const M: usize, const N: usize>(a: &Tensor2<f32, M, N>) -> Tensor2<f32, M, M> {
    // a . a is only defined when a is square; a . a^T was meant.
    a.dot(a)
}

fn main() {
    let _ = gram(&Tensor2::<f32, 2, 3>::ones());
}
