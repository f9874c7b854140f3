//! The weight reader on any bytes: a failed load must leave the model as it was, a
//! successful one must hold finite weights.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shaped::nn::{Dense, Layers, Relu, Sequential, Softmax};

type Net = (Dense<5, 7, Relu>, Dense<7, 3, Softmax>);

fuzz_target!(|data: &[u8]| {
    let keep = Sequential::<Net>::zeros();
    let mut model = keep.clone();
    match model.read_weights(&mut &data[..]) {
        Err(_) => assert!(model.params() == keep.params()),
        Ok(()) => Net::visit_params(model.params(), &mut |a: &[f32]| assert!(a.iter().all(|w| w.is_finite()))),
    }
});
