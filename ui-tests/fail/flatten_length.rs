// Flattening a 28x28 image gives 784 values, not 785.
use shaped::Tensor2;

fn main() {
    let image = Tensor2::<f32, 28, 28>::zeros();
    let _v = image.flatten::<785>();
}
