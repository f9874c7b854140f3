//! The IDX readers on any bytes: plain and gzip, flat and as samples. The first byte
//! picks the encoding; a panic or an abort is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shaped::data::{Encoding, decode_idx, decode_idx_samples};

fuzz_target!(|data: &[u8]| {
    let Some((&first, bytes)) = data.split_first() else { return };
    let encoding = if first & 1 == 0 { Encoding::Plain } else { Encoding::Gzip };
    if let Ok(idx) = decode_idx(bytes, encoding) {
        let expected: Option<usize> = idx.dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        assert_eq!(expected, Some(idx.data.len()));
    }
    let _ = decode_idx_samples::<[u8; 16], _>(bytes, encoding);
    let _ = decode_idx_samples::<[[u8; 4]; 4], _>(bytes, encoding);
});
