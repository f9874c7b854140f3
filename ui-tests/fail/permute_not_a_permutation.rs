// Each axis must appear exactly once.
use shaped::Tensor3;

fn main() {
    let x = Tensor3::<f32, 2, 3, 4>::zeros();
    let _ = x.permute3::<0, 0, 1>();
}
