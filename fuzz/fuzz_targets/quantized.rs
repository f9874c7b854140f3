//! The quantized-file reader on any bytes: a value or an error, and a network that loads
//! predicts without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shaped::nn::{Dense, Relu, Softmax};
use shaped::quant::Quantized;

type Net = (Dense<5, 7, Relu>, Dense<7, 3, Softmax>);

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = Quantized::<Net>::from_bytes(data) {
        let p = q.predict(&[0.5; 5]);
        assert!(p.iter().all(|v| v.is_finite()));
    }
});
