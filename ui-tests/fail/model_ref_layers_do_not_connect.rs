use shaped::nn::{Dense, DenseParams, ModelRef, Relu, Softmax};

// The second layer expects 4 inputs, the first gives 3.
type Bad = (Dense<2, 3, Relu>, Dense<4, 2, Softmax>);

static WEIGHTS: (DenseParams<f32, 2, 3>, DenseParams<f32, 4, 2>) = (
    DenseParams::new([[0.0; 3]; 2], [0.0; 3]),
    DenseParams::new([[0.0; 2]; 4], [0.0; 2]),
);

fn main() {
    let _ = ModelRef::<Bad>::new(&WEIGHTS);
}
