//! The board's timer and the stack's painting: what the programs measure with.

/// The board's first CMSDK APB timer: a 32-bit down-counter on the 25 MHz system clock.
const TIMER0: usize = 0x4000_0000;
/// Instructions per timer tick under `-icount shift=0`: 1 ns an instruction, 40 ns a tick.
pub const INSNS_PER_TICK: u64 = 40;

/// Starts the timer from its top (read it with [`timer`]).
pub fn start_timer() {
    // SAFETY: TIMER0 is the CMSDK timer of mps2-an386 (QEMU's `cmsdk-apb-timer` at this
    // address): RELOAD at +8, CTRL at +0; volatile word writes to device registers.
    unsafe {
        core::ptr::write_volatile((TIMER0 + 8) as *mut u32, u32::MAX);
        core::ptr::write_volatile((TIMER0 + 4) as *mut u32, u32::MAX);
        core::ptr::write_volatile(TIMER0 as *mut u32, 1);
    }
}

/// The timer's value (it counts down).
pub fn timer() -> u32 {
    // SAFETY: VALUE at +4 of the timer above; a volatile word read of a device register.
    unsafe { core::ptr::read_volatile((TIMER0 + 4) as *const u32) }
}

unsafe extern "C" {
    /// The end of `.bss` (cortex-m-rt's linker script): the lowest address the stack
    /// may reach.
    static mut __sheap: u32;
}

const PAINT: u32 = 0xA5A5_A5A5;

/// Fills the free RAM below the stack with [`PAINT`], from the end of `.bss` to `below`.
pub fn paint_stack(below: usize) {
    let mut p = (&raw mut __sheap) as usize;
    while p + 4 <= below {
        // SAFETY: between the end of `.bss` and `below` (under the current stack pointer,
        // less a margin) no variable lives: the program has no heap and nothing else
        // uses that RAM. Aligned word writes (cortex-m-rt aligns `__sheap` to 4).
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// The deepest address written below the stack since [`paint_stack`]: the first word
/// from the end of `.bss` that no longer holds the paint.
pub fn stack_low_water(below: usize) -> usize {
    let mut p = (&raw mut __sheap) as usize;
    // SAFETY: the same words `paint_stack` wrote; aligned volatile reads.
    while p + 4 <= below && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    p
}

/// The stack pointer.
pub fn current_sp() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer into a register; touches no memory.
    unsafe { core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

/// The top of the stack (cortex-m-rt's `_stack_start`).
pub fn stack_top() -> usize {
    unsafe extern "C" {
        static _stack_start: u32;
    }
    (&raw const _stack_start) as usize
}
