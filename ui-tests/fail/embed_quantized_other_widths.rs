use shaped::nn::{Relu, Softmax};
use shaped::quant::{QDense, QLayers};

// data/chapter2-int8.weights holds the quantized (784, 512) -> (512, 10) network.
type Smaller = (QDense<784, 256, Relu>, QDense<256, 10, Softmax>);

static WEIGHTS: <Smaller as QLayers>::Params = shaped::include_quantized!(Smaller, "../../data/chapter2-int8.weights");

fn main() {
    let _ = &WEIGHTS;
}
