//! The sine model in f32, alone in a program (its flash and RAM in BENCHMARKS.md).
#![no_std]
#![no_main]

#[path = "../board.rs"]
mod board;
#[allow(dead_code)] // the file I/O is the MNIST program's
#[path = "../semihosting.rs"]
mod semihosting;
#[path = "../sine.rs"]
mod sine;

use shaped::nn::{Dense, Layers, Linear, ModelRef, Relu};

type Sine = (Dense<1, 16, Relu>, Dense<16, 16, Relu>, Dense<16, 1, Linear>);

static WEIGHTS: <Sine as Layers<f32>>::Params = shaped::include_weights!(Sine, "../../../data/sine.weights");

#[cortex_m_rt::entry]
fn main() -> ! {
    sine::run("sine f32", |x| ModelRef::<Sine>::new(&WEIGHTS).predict(&[x])[0])
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    semihosting::exit(false)
}
