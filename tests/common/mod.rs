//! Helpers shared by the integration tests: the reference implementations and a
//! counting allocator, written once.
#![allow(dead_code)] // each test binary uses a part

pub mod counting_alloc;
pub mod gradients;
#[path = "../../src/linalg/reference.rs"]
pub mod reference;

/// CRC-32 (IEEE), written out here so the tests do not trust the crate's.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}
