use shaped::Tensor4;

fn main() {
    let nhwc = Tensor4::<f32, 8, 28, 28, 3>::zeros();
    let _ = nhwc.permute4::<0, 3, 1, 4>();
}
