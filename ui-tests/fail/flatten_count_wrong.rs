use shaped::nn::{Flatten, Layers};

// (5, 5, 64) holds 1600 values.
fn main() {
    let _ = <Flatten<5, 5, 64, 1000> as Layers<f32>>::CHECK;
}
