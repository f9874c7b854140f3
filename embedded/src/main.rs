//! The `no_std` MNIST classifiers of `ensure_no_std/` (the chapter-2 network in f32 and
//! int8, and the chapter-5 convnet; weights compiled in) on a Cortex-M4F, under QEMU's
//! `mps2-an386`, over the 10,000 test images (the convnet over the first `CONVNET` of
//! them: it takes about 40 times the instructions).
//!
//! `.ci/embedded` builds and runs it. The program reads the images and labels from the
//! host through semihosting (raw IDX files whose paths are its arguments), writes each
//! image's three digits (f32, int8, convnet or 255) to a third file for the script to
//! compare with the
//! host's, and prints accuracy, stack use (by painting) and the instructions an
//! inference takes (QEMU's `-icount shift=0` advances the virtual clock 1 ns an
//! instruction; the board's 25 MHz CMSDK timer counts that clock). A panic or a hard
//! fault ends QEMU with a non-zero status.
#![no_std]
#![no_main]

mod board;
#[cfg(not(feature = "netduinoplus2"))]
#[allow(dead_code)] // `classify` is used; the types name it
#[path = "../../ensure_no_std/src/convnet.rs"]
mod convnet;
#[allow(dead_code)] // `classify` and `classify_int8` are used; the types name them
#[path = "../../ensure_no_std/src/mnist.rs"]
mod mnist;

/// On the 1 MiB board: the int8 classifier alone (see `Cargo.toml`'s feature).
#[cfg(feature = "netduinoplus2")]
mod small {
    /// Neither the f32 network nor the convnet: 255, "not run".
    pub fn classify(_: &[u8; 784]) -> u8 {
        255
    }
    pub mod convnet {
        /// No buffers.
        pub type Buffers = ();
        pub fn classify(_: &[u8; 784], _: &mut Buffers) -> u8 {
            255
        }
    }
}
#[cfg(feature = "netduinoplus2")]
use small::convnet;
mod semihosting;

use core::fmt::Write;

use board::{INSNS_PER_TICK, current_sp, paint_stack, stack_low_water, stack_top, start_timer, timer};
use cortex_m_rt::{ExceptionFrame, entry, exception};
use semihosting::{File, Out};

#[entry]
fn main() -> ! {
    // The convnet's image and activations (153 KB), in `.bss`: cortex-m-rt turns a
    // `static mut` declared here into a `&'static mut` that only `main` holds.
    static mut BUFFERS: convnet::Buffers = shaped::Zeroable::ZERO;
    let mut out = Out;
    match run(&mut out, BUFFERS) {
        Ok(true) => semihosting::exit(true),
        Ok(false) => semihosting::exit(false),
        Err(e) => {
            let _ = writeln!(out, "embedded: {e}");
            semihosting::exit(false)
        }
    }
}

/// Classifies every image; whether every image was read and written.
fn run(out: &mut Out, buffers: &mut convnet::Buffers) -> Result<bool, &'static str> {
    let mut args = [0u8; 512];
    let args = semihosting::command_line(&mut args).ok_or("no command line (semihosting arguments)")?;
    let mut words = args.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let _program = words.next();
    let images = words.next().ok_or("usage: app IMAGES LABELS PREDICTIONS [COUNT [CONVNET]]")?;
    let labels = words.next().ok_or("usage: app IMAGES LABELS PREDICTIONS [COUNT [CONVNET]]")?;
    let predictions = words.next().ok_or("usage: app IMAGES LABELS PREDICTIONS [COUNT [CONVNET]]")?;
    let number = |w: Option<&[u8]>| w.and_then(|w| core::str::from_utf8(w).ok()?.parse::<usize>().ok());
    let limit = number(words.next());
    let convnet_count = number(words.next()).unwrap_or(usize::MAX);

    let images = File::open(images, false).ok_or("cannot open the images")?;
    let labels = File::open(labels, false).ok_or("cannot open the labels")?;
    let predictions = File::open(predictions, true).ok_or("cannot create the predictions file")?;
    let mut header = [0u8; 16];
    images.read_exact(&mut header).ok_or("the images file is shorter than its header")?;
    if header[..4] != [0, 0, 8, 3] || header[8..] != [0, 0, 0, 28, 0, 0, 0, 28] {
        return Err("not an IDX file of 28x28 images");
    }
    let count = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
    let mut label_header = [0u8; 8];
    labels.read_exact(&mut label_header).ok_or("the labels file is shorter than its header")?;
    let count = limit.map_or(count, |n| n.min(count));

    let sp = current_sp();
    let below = sp - 1024;
    paint_stack(below);
    start_timer();

    let (mut correct, mut correct_int8, mut correct_conv) = (0usize, 0usize, 0usize);
    let (mut ticks, mut ticks_int8, mut ticks_conv) = (0u64, 0u64, 0u64);
    let convnet_count = convnet_count.min(count);
    let mut image = [0u8; 784];
    for i in 0..count {
        images.read_exact(&mut image).ok_or("the images file is truncated")?;
        let mut label = [0u8; 1];
        labels.read_exact(&mut label).ok_or("the labels file is truncated")?;
        let t0 = timer();
        #[cfg(not(feature = "netduinoplus2"))]
        let digit = mnist::classify(&image);
        #[cfg(feature = "netduinoplus2")]
        let digit = small::classify(&image);
        let t1 = timer();
        let digit_int8 = mnist::classify_int8(&image);
        let t2 = timer();
        ticks += t0.wrapping_sub(t1) as u64;
        ticks_int8 += t1.wrapping_sub(t2) as u64;
        correct += (digit == label[0]) as usize;
        correct_int8 += (digit_int8 == label[0]) as usize;
        let mut digit_conv = 255;
        if i < convnet_count {
            let t0 = timer();
            digit_conv = convnet::classify(&image, buffers);
            ticks_conv += t0.wrapping_sub(timer()) as u64;
            correct_conv += (digit_conv == label[0]) as usize;
        }
        predictions.write_all(&[digit, digit_int8, digit_conv]).ok_or("cannot write the predictions")?;
    }
    let low = stack_low_water(below);
    let n = count.max(1) as u64;
    let _ = writeln!(out, "images: {count}");
    if cfg!(not(feature = "netduinoplus2")) {
        let _ = writeln!(out, "f32 correct: {correct}");
    }
    let _ = writeln!(out, "int8 correct: {correct_int8}");
    // The STM32F405 has no CMSDK timer (its TIM2 sits at that address): no counts there.
    if cfg!(not(feature = "netduinoplus2")) {
        let _ = writeln!(out, "f32 instructions per inference: {}", ticks * INSNS_PER_TICK / n);
        let _ = writeln!(out, "int8 instructions per inference: {}", ticks_int8 * INSNS_PER_TICK / n);
    }
    let _ = writeln!(out, "convnet images: {convnet_count}");
    let _ = writeln!(out, "convnet correct: {correct_conv}");
    let per = ticks_conv * INSNS_PER_TICK / convnet_count.max(1) as u64;
    if cfg!(not(feature = "netduinoplus2")) {
        let _ = writeln!(out, "convnet instructions per inference: {per}");
    }
    let _ = writeln!(
        out,
        "stack: {} bytes for the classifiers (the deepest of the three), {} in all",
        sp - low,
        stack_top() - low
    );
    Ok(true)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    let _ = writeln!(Out, "embedded: hard fault at pc {:#010x}", frame.pc());
    semihosting::exit(false)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let _ = writeln!(Out, "embedded: {info}");
    semihosting::exit(false)
}
