//! The `.npy` reader on any bytes, into float, integer and nested sample types: a value
//! or an error; a float sample is never an infinity the file did not hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shaped::data::decode_npy;

fuzz_target!(|data: &[u8]| {
    let f32s = decode_npy::<[f32; 3]>(data);
    let f64s = decode_npy::<[f64; 3]>(data);
    if let (Ok(a), Ok(b)) = (&f32s, &f64s) {
        for (x, y) in a.as_flattened().iter().zip(b.as_flattened()) {
            assert!(x.is_finite() == y.is_finite() || y.is_nan());
        }
    }
    let _ = decode_npy::<i64>(data);
    let _ = decode_npy::<[[u8; 3]; 1]>(data);
});
