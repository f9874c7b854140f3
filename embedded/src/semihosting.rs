//! ARM semihosting, the few calls this program needs: the debugger (here QEMU, with
//! `-semihosting-config enable=on,target=native`) serves `bkpt 0xab` with the operation
//! in r0 and a pointer to its arguments in r1. Written out rather than taken from
//! `cortex-m-semihosting`, whose 0.5 `syscall!` passes one argument wrongly for
//! SYS_GET_CMDLINE; these are six short calls.

const SYS_OPEN: usize = 0x01;
const SYS_CLOSE: usize = 0x02;
const SYS_WRITEC: usize = 0x03;
const SYS_WRITE: usize = 0x05;
const SYS_READ: usize = 0x06;
const SYS_GET_CMDLINE: usize = 0x15;
const SYS_EXIT: usize = 0x18;

/// `ADP_Stopped_ApplicationExit`: QEMU exits with status 0.
const APPLICATION_EXIT: usize = 0x20026;
/// `ADP_Stopped_RunTimeErrorUnknown`: QEMU exits with status 1.
const RUNTIME_ERROR: usize = 0x20023;

/// One semihosting call.
///
/// # Safety
/// `arg` must be what operation `op` takes: a pointer to its argument block (valid for
/// the block's length and, for reads, writable), or a plain value.
unsafe fn call(op: usize, arg: usize) -> isize {
    let result: isize;
    // SAFETY: `bkpt 0xab` is the semihosting trap on M-profile cores: QEMU performs the
    // operation and returns to the next instruction with the result in r0. It reads and
    // writes only the memory the caller's block points at (the caller's contract).
    unsafe {
        core::arch::asm!("bkpt #0xab", inout("r0") op => result, in("r1") arg, options(nostack));
    }
    result
}

/// A host file opened through semihosting.
pub struct File(usize);

impl File {
    /// Opens `path` for reading (binary) or, with `write`, creates it for writing.
    pub fn open(path: &[u8], write: bool) -> Option<File> {
        let mut name = [0u8; 256];
        if path.len() >= name.len() {
            return None;
        }
        name[..path.len()].copy_from_slice(path);
        let block = [name.as_ptr() as usize, if write { 5 } else { 1 }, path.len()];
        // SAFETY: SYS_OPEN's block: a NUL-terminated name (zero-filled buffer), the mode
        // (1 "rb", 5 "wb") and the name's length; all live across the call.
        let handle = unsafe { call(SYS_OPEN, block.as_ptr() as usize) };
        (handle >= 0).then_some(File(handle as usize))
    }

    /// Fills `buf` from the file; `None` if the file ends first.
    pub fn read_exact(&self, buf: &mut [u8]) -> Option<()> {
        let block = [self.0, buf.as_mut_ptr() as usize, buf.len()];
        // SAFETY: SYS_READ's block: the handle, a writable buffer and its length. The
        // call returns the number of bytes it did not read.
        let left = unsafe { call(SYS_READ, block.as_ptr() as usize) };
        (left == 0).then_some(())
    }

    /// Writes all of `buf`.
    pub fn write_all(&self, buf: &[u8]) -> Option<()> {
        let block = [self.0, buf.as_ptr() as usize, buf.len()];
        // SAFETY: SYS_WRITE's block: the handle, a readable buffer and its length. It
        // returns the number of bytes it did not write.
        let left = unsafe { call(SYS_WRITE, block.as_ptr() as usize) };
        (left == 0).then_some(())
    }
}

impl Drop for File {
    fn drop(&mut self) {
        let block = [self.0];
        // SAFETY: SYS_CLOSE's block: the handle SYS_OPEN returned.
        unsafe { call(SYS_CLOSE, block.as_ptr() as usize) };
    }
}

/// The program's command line (QEMU's `-semihosting-config arg=..`s joined by spaces).
pub fn command_line(buf: &mut [u8]) -> Option<&[u8]> {
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    // SAFETY: SYS_GET_CMDLINE's block: a writable buffer and its length, which the call
    // overwrites with the length of the NUL-terminated line it wrote.
    let status = unsafe { call(SYS_GET_CMDLINE, block.as_mut_ptr() as usize) };
    (status == 0 && block[1] <= buf.len()).then(|| &buf[..block[1]])
}

/// Ends the program: QEMU exits with status 0 on success, 1 otherwise.
pub fn exit(success: bool) -> ! {
    let reason = if success { APPLICATION_EXIT } else { RUNTIME_ERROR };
    // SAFETY: on 32-bit ARM, SYS_EXIT takes the reason itself in r1, not a block.
    unsafe { call(SYS_EXIT, reason) };
    loop {
        core::hint::spin_loop();
    }
}

/// The host's console, a character at a time.
pub struct Out;

impl core::fmt::Write for Out {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            // SAFETY: SYS_WRITEC takes a pointer to one character.
            unsafe { call(SYS_WRITEC, &b as *const u8 as usize) };
        }
        Ok(())
    }
}
