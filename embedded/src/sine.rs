//! The hello-world sine model (`examples/sine.rs`) on the microcontroller: shared by
//! `bin/sine_f32.rs` and `bin/sine_int8.rs`, each a whole program with one of the two
//! models, so that their flash and RAM are the model's and the runtime's alone.

use core::fmt::Write;

use crate::board::{INSNS_PER_TICK, current_sp, paint_stack, stack_low_water, stack_top, start_timer, timer};
use crate::semihosting::{self, Out};

/// Runs `predict` on 64 points of `[0, 2π]`, checks each against `sin` (within 0.3: the
/// model learned noisy data), and prints the instructions an inference took and the
/// stack below `run`'s frame it used. Ends the program.
pub fn run(name: &str, predict: fn(f32) -> f32) -> ! {
    let sp = current_sp();
    // `paint_stack` is a leaf with no frame: 64 bytes spare it.
    let below = sp - 64;
    paint_stack(below);
    start_timer();
    let mut ticks = 0u64;
    let mut worst = 0.0f32;
    let n = 64;
    for i in 0..n {
        let x = core::hint::black_box(i as f32 * core::f32::consts::TAU / n as f32);
        let t0 = timer();
        let y = predict(x);
        ticks += t0.wrapping_sub(timer()) as u64;
        worst = worst.max((y - sin(x)).abs());
    }
    let low = stack_low_water(below);
    let (stack, all) = (sp - low, stack_top() - low);
    // Integers only: float formatting would be most of the program's code.
    let per = ticks * INSNS_PER_TICK / n as u64;
    let worst_e4 = (worst * 1e4) as u32;
    let _ = writeln!(
        Out,
        "{name}: {per} instructions per inference, stack {stack} bytes below `run` ({all} in all), worst error {worst_e4}e-4"
    );
    semihosting::exit(worst < 0.3)
}

/// `sin(x)` on `[0, 2π]` to about 1e-4: a Taylor polynomial on `[-π/2, π/2]`.
fn sin(x: f32) -> f32 {
    use core::f32::consts::PI;
    let x = if x > PI { x - 2.0 * PI } else { x };
    let x = if x > PI / 2.0 {
        PI - x
    } else if x < -PI / 2.0 {
        -PI - x
    } else {
        x
    };
    let x2 = x * x;
    x * (1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0 * (1.0 - x2 / 72.0))))
}
