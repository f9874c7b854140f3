//! The sine model in int8, alone in a program: what MicroFlow's and TFLite Micro's
//! published flash and RAM are for (BENCHMARKS.md).
#![no_std]
#![no_main]

#[path = "../board.rs"]
mod board;
#[allow(dead_code)] // the file I/O is the MNIST program's
#[path = "../semihosting.rs"]
mod semihosting;
#[path = "../sine.rs"]
mod sine;

use shaped::nn::{Linear, Relu};
use shaped::quant::{QDense, QLayers, QModelRef};

/// As `Quantize` gives it for the f32 network: flat tuples become nested pairs.
type Sine = (QDense<1, 16, Relu>, (QDense<16, 16, Relu>, QDense<16, 1, Linear>));

static WEIGHTS: <Sine as QLayers>::Params =
    shaped::include_quantized!(Sine, "../../../data/sine-int8.weights");

#[cortex_m_rt::entry]
fn main() -> ! {
    sine::run("sine int8", |x| QModelRef::<Sine>::new(&WEIGHTS).predict(&[x])[0])
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    semihosting::exit(false)
}
