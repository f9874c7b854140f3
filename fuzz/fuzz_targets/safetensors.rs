//! The safetensors reader on any bytes, in both conventions: a failed load must leave
//! the model as it was, a successful one must hold finite weights.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shaped::nn::{Convention, Dense, Layers, LoadOptions, Relu, Sequential, Softmax};

type Net = (Dense<5, 7, Relu>, Dense<7, 3, Softmax>);

fuzz_target!(|data: &[u8]| {
    for convention in [Convention::PyTorch, Convention::Keras] {
        let keep = Sequential::<Net>::zeros();
        let mut model = keep.clone();
        match model.read_safetensors(data, LoadOptions::new(convention).ignore_extra(true)) {
            Err(_) => assert!(model.params() == keep.params()),
            Ok(()) => Net::visit_params(model.params(), &mut |a: &[f32]| assert!(a.iter().all(|w| w.is_finite()))),
        }
    }
});
