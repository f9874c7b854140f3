//! One-sample inference touches the heap zero times, counted by the global allocator.

mod common;
use common::counting_alloc::{Counting, on_this_thread as allocations_during};

use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn the_counter_counts() {
    // Guards the tests below against a counter that never moves.
    let n = allocations_during(|| drop(std::hint::black_box(vec![1u8; 10])));
    assert_eq!(n, 1);
    let m = Sequential::<(Dense<4, 4, Relu>, Dense<4, 2, Softmax>)>::new(&mut StdRng::seed_from_u64(0));
    assert!(allocations_during(|| drop(std::hint::black_box(m.predict_batch(&[[0.0f32; 4]; 8])))) >= 2);
}

#[test]
fn small_network_predicts_without_allocating() {
    type Net = (Dense<16, 32, Relu>, Dense<32, 32, Relu>, Dense<32, 4, Softmax>);
    let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(1));
    let x = [0.25f32; 16];
    // Once-per-process caches (the instruction set, read from `SHAPED_ISA` when set)
    // fill at the first call: outside the counted region, so the count does not depend
    // on the environment.
    let _ = model.predict(&x);
    let mut sum = 0.0;
    let n = allocations_during(|| {
        for _ in 0..100 {
            sum += std::hint::black_box(model.predict(std::hint::black_box(&x)))[0];
        }
    });
    assert_eq!(n, 0);
    assert!(sum > 0.0);
}

#[test]
fn chapter2_network_predicts_without_allocating() {
    type Net = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
    let model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(2));
    let x = [0.5f32; 784];
    let mut out = [0.0f32; 10];
    let _ = model.predict(&x); // once-per-process caches, as above
    let n = allocations_during(|| {
        let p = model.predict(&x);
        model.predict_into(&x, &mut out);
        assert_eq!(p, out);
    });
    assert_eq!(n, 0);
    assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}
