// numpy's `train_images[10:100]` on 60 images runs past the end.
use shaped::Tensor3;

fn main() {
    let images = Tensor3::<u8, 60, 28, 28>::zeros();
    let _s = images.slice::<10, 90>();
}
