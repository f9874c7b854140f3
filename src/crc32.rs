//! CRC-32 (IEEE 802.3, the checksum of zlib, gzip and PNG), usable in `const` code.

/// The table of the byte-at-a-time algorithm, built at compile time.
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// A running CRC-32.
#[derive(Clone, Copy, Debug)]
pub struct Crc32(u32);

impl Crc32 {
    /// A checksum of no bytes yet.
    pub const fn new() -> Self {
        Crc32(!0)
    }
    /// Adds `bytes`.
    pub const fn update(self, bytes: &[u8]) -> Self {
        let mut c = self.0;
        let mut i = 0;
        while i < bytes.len() {
            c = TABLE[((c ^ bytes[i] as u32) & 0xFF) as usize] ^ (c >> 8);
            i += 1;
        }
        Crc32(c)
    }
    /// The checksum of the bytes added.
    pub const fn value(self) -> u32 {
        !self.0
    }
}

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}

/// The CRC-32 of `bytes`.
#[cfg_attr(not(test), allow(dead_code))] // for the tests, and the embedded files to come
pub const fn crc32(bytes: &[u8]) -> u32 {
    Crc32::new().update(bytes).value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // The check value of CRC-32/ISO-HDLC, and zlib's crc32 of a few strings.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
        // In pieces, the same.
        let c = Crc32::new().update(b"The quick brown ").update(b"fox jumps over the lazy dog");
        assert_eq!(c.value(), 0x414F_A339);
        const AT_COMPILE_TIME: u32 = crc32(b"123456789");
        assert_eq!(AT_COMPILE_TIME, 0xCBF4_3926);
    }
}
