//! The int8 product on Arm cores with the DSP extension (Cortex-M4, M7, M33), whose
//! `SMLAD` adds two signed 16 x 16-bit products to an accumulator in one instruction.
//!
//! A word of four weights `[w0, w1, w2, w3]` becomes two pairs of 16-bit halves with
//! `SXTB16` (bytes 0 and 2) and `SXTB16 .., ROR #8` (bytes 1 and 3); a word of four
//! activations becomes `(x0, x2)` and `(x1, x3)` with `UXTB16` the same way, so that two
//! `SMLAD`s add all four products, whatever order the pairs are in. Each word of
//! activations is widened once and serves four rows of a group: per four inputs and four
//! rows, one load and two widenings of the activations, then per row one load, two
//! widenings and two `SMLAD`s, about 1.4 instructions a multiply-add (the portable loop
//! compiles to about 3.9 on a Cortex-M4F, issue #31).
//!
//! The kernel is written once over [`Dual`], the four operations above: [`Dsp`] issues
//! the instructions (only where the target has the DSP extension), [`Emulated`] computes
//! them in plain Rust. The host's tests run the kernel on [`Emulated`] against the
//! reference product, so the layout and the pairing are tested wherever the tests run;
//! the instructions themselves are checked by `.ci/embedded`, whose digits must equal
//! the host's on every test image.

use super::{CHUNK, GROUP};

/// The dual 16-bit operations of the kernel.
pub(super) trait Dual: Sized {
    /// Bytes 0 and 2 of `w`, sign-extended into the low and high halves (`SXTB16`).
    fn sxtb16(w: u32) -> u32;
    /// Bytes 1 and 3 of `w`, sign-extended (`SXTB16 .., ROR #8`).
    fn sxtb16_ror8(w: u32) -> u32 {
        Self::sxtb16(w.rotate_right(8))
    }
    /// Bytes 0 and 2 of `x`, zero-extended into the two halves (`UXTB16`).
    fn uxtb16(x: u32) -> u32;
    /// Bytes 1 and 3 of `x`, zero-extended (`UXTB16 .., ROR #8`).
    fn uxtb16_ror8(x: u32) -> u32 {
        Self::uxtb16(x.rotate_right(8))
    }
    /// `acc + lo(a) * lo(b) + hi(a) * hi(b)`, the halves signed, wrapping (`SMLAD`).
    fn smlad(a: u32, b: u32, acc: i32) -> i32;

    /// `acc[r] += x . w[r]` for four rows of a chunk, each word of `x` widened once for
    /// the four: the kernel's inner loop, written with the operations above.
    #[inline(always)]
    fn dot4(x: &[u8; CHUNK], w: &[[i8; CHUNK]; 4], acc: &mut [i32; 4]) {
        let mut a = *acc;
        for (q, x) in x.as_chunks::<4>().0.iter().enumerate() {
            let (xa, xb) = pairs::<Self>(x);
            for (a, row) in a.iter_mut().zip(w) {
                let wq: &[i8; 4] = row[4 * q..4 * q + 4].try_into().expect("a quad of a chunk");
                *a = quad::<Self>(xa, xb, wq, *a);
            }
        }
        *acc = a;
    }
}

/// The operations in plain Rust: what the host's tests run the kernel on.
#[cfg_attr(not(test), allow(dead_code))] // the targets with DSP run `Dsp`
pub(super) struct Emulated;

impl Dual for Emulated {
    #[inline(always)]
    fn sxtb16(w: u32) -> u32 {
        let lo = w as u8 as i8 as i16 as u16 as u32;
        let hi = (w >> 16) as u8 as i8 as i16 as u16 as u32;
        lo | hi << 16
    }
    #[inline(always)]
    fn uxtb16(x: u32) -> u32 {
        x & 0x00ff_00ff
    }
    #[inline(always)]
    fn smlad(a: u32, b: u32, acc: i32) -> i32 {
        let (al, ah) = (a as u16 as i16 as i32, (a >> 16) as u16 as i16 as i32);
        let (bl, bh) = (b as u16 as i16 as i32, (b >> 16) as u16 as i16 as i32);
        acc.wrapping_add(al * bl).wrapping_add(ah * bh)
    }
}

/// The DSP extension's instructions.
#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
pub(super) struct Dsp;

#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
impl Dual for Dsp {
    #[inline(always)]
    fn sxtb16(w: u32) -> u32 {
        let r: u32;
        // SAFETY: `sxtb16` reads and writes registers only; the target has the DSP
        // extension (cfg above).
        unsafe {
            core::arch::asm!("sxtb16 {r}, {w}", r = out(reg) r, w = in(reg) w, options(pure, nomem, nostack, preserves_flags))
        };
        r
    }
    #[inline(always)]
    fn sxtb16_ror8(w: u32) -> u32 {
        let r: u32;
        // SAFETY: as above (`sxtb16` with its operand rotated).
        unsafe {
            core::arch::asm!("sxtb16 {r}, {w}, ror #8", r = out(reg) r, w = in(reg) w, options(pure, nomem, nostack, preserves_flags))
        };
        r
    }
    #[inline(always)]
    fn uxtb16(x: u32) -> u32 {
        let r: u32;
        // SAFETY: as above (`uxtb16`).
        unsafe {
            core::arch::asm!("uxtb16 {r}, {x}", r = out(reg) r, x = in(reg) x, options(pure, nomem, nostack, preserves_flags))
        };
        r
    }
    #[inline(always)]
    fn uxtb16_ror8(x: u32) -> u32 {
        let r: u32;
        // SAFETY: as above (`uxtb16` with its operand rotated).
        unsafe {
            core::arch::asm!("uxtb16 {r}, {x}, ror #8", r = out(reg) r, x = in(reg) x, options(pure, nomem, nostack, preserves_flags))
        };
        r
    }
    /// The loop in assembly: written from the operations, the compiler kept two of the
    /// four sums on the stack (about 30 instructions a quad of four rows against 24 here).
    #[inline(always)]
    fn dot4(x: &[u8; CHUNK], w: &[[i8; CHUNK]; 4], acc: &mut [i32; 4]) {
        let [mut a0, mut a1, mut a2, mut a3] = *acc;
        // SAFETY: the loop runs CHUNK / 4 = 16 times; each reads one word of `x` at
        // `xp` (post-incremented by 4: 64 bytes in all, `x`'s length) and one word of each
        // row at `wp + 64 r` (r < 4; `wp` advances 4 a pass: the last read ends at byte
        // 3 * 64 + 60 + 4 = 256, `w`'s length). Unaligned words are allowed on M-profile
        // cores for `ldr`. Only registers are written; the flags change (`subs`, and the
        // Q flag of `smlad`), so they are not declared preserved.
        unsafe {
            core::arch::asm!(
                "2:",
                "ldr {x}, [{xp}], #4",
                "uxtb16 {xa}, {x}",
                "uxtb16 {xb}, {x}, ror #8",
                "ldr {x}, [{wp}]",
                "sxtb16 {t}, {x}",
                "smlad {a0}, {t}, {xa}, {a0}",
                "sxtb16 {t}, {x}, ror #8",
                "smlad {a0}, {t}, {xb}, {a0}",
                "ldr {x}, [{wp}, #64]",
                "sxtb16 {t}, {x}",
                "smlad {a1}, {t}, {xa}, {a1}",
                "sxtb16 {t}, {x}, ror #8",
                "smlad {a1}, {t}, {xb}, {a1}",
                "ldr {x}, [{wp}, #128]",
                "sxtb16 {t}, {x}",
                "smlad {a2}, {t}, {xa}, {a2}",
                "sxtb16 {t}, {x}, ror #8",
                "smlad {a2}, {t}, {xb}, {a2}",
                "ldr {x}, [{wp}, #192]",
                "sxtb16 {t}, {x}",
                "smlad {a3}, {t}, {xa}, {a3}",
                "sxtb16 {t}, {x}, ror #8",
                "smlad {a3}, {t}, {xb}, {a3}",
                "adds {wp}, #4",
                "subs {n}, #1",
                "bne 2b",
                xp = inout(reg) x.as_ptr() => _,
                wp = inout(reg) w.as_ptr() => _,
                n = inout(reg) CHUNK / 4 => _,
                x = out(reg) _,
                xa = out(reg) _,
                xb = out(reg) _,
                t = out(reg) _,
                a0 = inout(reg) a0,
                a1 = inout(reg) a1,
                a2 = inout(reg) a2,
                a3 = inout(reg) a3,
                options(pure, readonly, nostack),
            );
        }
        *acc = [a0, a1, a2, a3];
    }

    #[inline(always)]
    fn smlad(a: u32, b: u32, mut acc: i32) -> i32 {
        // SAFETY: as above (`smlad`; it may set the Q flag, which nothing reads, so the
        // flags are not declared preserved). The accumulator is read and written in one
        // register: with separate ones the compiler moved it every time.
        unsafe {
            core::arch::asm!("smlad {c}, {a}, {b}, {c}", c = inout(reg) acc, a = in(reg) a, b = in(reg) b, options(pure, nomem, nostack))
        };
        acc
    }
}

/// Four weights as a word, byte 0 lowest.
#[inline(always)]
fn weights(w: &[i8; 4]) -> u32 {
    u32::from_le_bytes([w[0] as u8, w[1] as u8, w[2] as u8, w[3] as u8])
}

/// `acc + x . w` for four activations and four weights: two `SMLAD`s.
#[inline(always)]
fn quad<D: Dual>(xa: u32, xb: u32, w: &[i8; 4], acc: i32) -> i32 {
    let w = weights(w);
    let acc = D::smlad(D::sxtb16(w), xa, acc);
    D::smlad(D::sxtb16_ror8(w), xb, acc)
}

/// A word of activations as its two pairs, `(x0, x2)` and `(x1, x3)`.
#[inline(always)]
fn pairs<D: Dual>(x: &[u8; 4]) -> (u32, u32) {
    let x = u32::from_le_bytes(*x);
    (D::uxtb16(x), D::uxtb16_ror8(x))
}

/// `acc + x . w` for inputs of any length.
#[inline(always)]
fn dot<D: Dual>(x: &[u8], w: &[i8], mut acc: i32) -> i32 {
    let (xq, x_rest) = x.as_chunks::<4>();
    let (wq, w_rest) = w.as_chunks::<4>();
    for (x, w) in xq.iter().zip(wq) {
        let (xa, xb) = pairs::<D>(x);
        acc = quad::<D>(xa, xb, w, acc);
    }
    for (&x, &w) in x_rest.iter().zip(w_rest) {
        acc = acc.wrapping_add(x as i32 * w as i32);
    }
    acc
}

/// `acc[r] += x . w[r]` for a whole group: the chunk's eight rows of [`CHUNK`] weights
/// one after the other, four rows at a time ([`Dual::dot4`]). (All eight at once held
/// more sums than a Cortex-M4 has registers: they went through the stack.)
#[inline(always)]
fn dot_group<D: Dual>(x: &[u8; CHUNK], w: &[[i8; CHUNK]; GROUP], acc: &mut [i32; GROUP]) {
    for (acc, w) in acc.as_chunks_mut::<4>().0.iter_mut().zip(w.as_chunks::<4>().0) {
        D::dot4(x, w, acc);
    }
}

/// `out[o] = bias[o] + x . W[o]` with the weights packed as
/// [`packed_index`](super::packed_index) says (both of its layouts); the lengths are the
/// caller's to check (`matvec_u8i8_at` does).
pub(super) fn matvec<D: Dual>(x: &[u8], w: &[i8], bias: &[i32], out: &mut [i32]) {
    let n = x.len();
    let rows = out.len();
    if n < CHUNK {
        // Quads: for each four inputs, every row's four weights side by side.
        out.copy_from_slice(bias);
        let (xq, x_rest) = x.as_chunks::<4>();
        let (blocks, rest) = w.split_at(xq.len() * 4 * rows);
        for (x, block) in xq.iter().zip(blocks.chunks_exact(4 * rows)) {
            let (xa, xb) = pairs::<D>(x);
            for (a, wq) in out.iter_mut().zip(block.as_chunks::<4>().0) {
                *a = quad::<D>(xa, xb, wq, *a);
            }
        }
        if !x_rest.is_empty() {
            for (a, ws) in out.iter_mut().zip(rest.chunks_exact(x_rest.len())) {
                *a = dot::<D>(x_rest, ws, *a);
            }
        }
        return;
    }
    let (chunks, tail) = x.as_chunks::<CHUNK>();
    let mut at = 0;
    let mut o = 0;
    while o < rows {
        let group = (rows - o).min(GROUP);
        let mut acc = [0i32; GROUP];
        for xc in chunks {
            let ws = &w[at..at + group * CHUNK];
            match <&[[i8; CHUNK]; GROUP]>::try_from(ws.as_chunks::<CHUNK>().0) {
                Ok(ws) => dot_group::<D>(xc, ws, &mut acc),
                Err(_) => {
                    for (a, row) in acc.iter_mut().zip(ws.chunks_exact(CHUNK)) {
                        *a = dot::<D>(xc, row, *a);
                    }
                }
            }
            at += group * CHUNK;
        }
        for a in acc.iter_mut().take(group) {
            *a = dot::<D>(tail, &w[at..at + tail.len()], *a);
            at += tail.len();
        }
        for r in 0..group {
            out[o + r] = bias[o + r].wrapping_add(acc[r]);
        }
        o += group;
    }
}
