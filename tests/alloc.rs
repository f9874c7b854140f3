//! One-sample inference touches the heap zero times, counted by the global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};

/// Counts the allocations of the current thread (tests run on several threads).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

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
    let n = allocations_during(|| {
        let p = model.predict(&x);
        model.predict_into(&x, &mut out);
        assert_eq!(p, out);
    });
    assert_eq!(n, 0);
    assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}
