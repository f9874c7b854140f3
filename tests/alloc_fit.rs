//! `fit` allocates nothing per batch: the allocations of a fit do not grow with the number
//! of batches. Counted over all threads (the workers' too), so this file holds one test.

mod common;
use common::counting_alloc::{Counting, on_all_threads};

use shaped::nn::{Dense, Relu, Sequential, Softmax};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{CategoricalCrossentropy, FitOptions, Metric, RmsProp};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn fit_allocates_nothing_per_batch() {
    type Net = (Dense<64, 96, Relu>, Dense<96, 10, Softmax>);
    let x: Vec<[f32; 64]> =
        (0..2048).map(|s| std::array::from_fn(|i| ((s * 3 + i) % 11) as f32 / 11.0)).collect();
    let y: Vec<[f32; 10]> =
        (0..2048).map(|s| std::array::from_fn(|i| if i == s % 10 { 1.0 } else { 0.0 })).collect();
    let mut model = Sequential::<Net>::new(&mut StdRng::seed_from_u64(0))
        .compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy])
        .unwrap();
    // One thread and two (a team: the weight gradients split in shares).
    for threads in [1, 2] {
        let mut count = |samples: usize| {
            on_all_threads(|| {
                let options = FitOptions::new(1, 32).verbose(false).threads(threads);
                let h = model.fit_with(&x[..samples], &y[..samples], options).unwrap();
                assert_eq!(h.loss.len(), 1);
            })
        };
        count(64); // warm up once-per-process caches (thread count, CPU features)
        // The fewest of three fits: now and then another thread of the process (the test
        // harness's, woken while it waits for this test) allocates during a count, a few
        // times in a hundred runs on a loaded machine. An allocation per batch would show
        // in every fit.
        let two_batches = (0..3).map(|_| count(64)).min().unwrap();
        let sixty_four_batches = (0..3).map(|_| count(2048)).min().unwrap();
        assert!(two_batches > 0, "the counter must see fit's setup");
        assert_eq!(
            two_batches, sixty_four_batches,
            "{threads} threads: allocations grew with the number of batches"
        );
    }

    // A convnet: patch matrices, pooling choices and the gradient of the patches live in
    // the traces, made once.
    shaped::network! {
        type Convnet = (10, 10, 2) => [
            Conv2D(8, 3, activation = "relu"),
            MaxPooling2D(2),
            Conv2D(6, 2, padding = "same", activation = "relu"),
            AveragePooling2D(2),
            Flatten,
            Dense(10, activation = "softmax"),
        ];
    }
    let images: Vec<[[[f32; 2]; 10]; 10]> = x
        .iter()
        .map(|s| {
            std::array::from_fn(|h| {
                std::array::from_fn(|w| std::array::from_fn(|c| s[(h * 10 + w + c) % 64]))
            })
        })
        .collect();
    let mut convnet = Sequential::<Convnet>::new(&mut StdRng::seed_from_u64(1))
        .compile(RmsProp::default(), CategoricalCrossentropy, &[Metric::Accuracy])
        .unwrap();
    let mut count = |samples: usize| {
        on_all_threads(|| {
            let options = FitOptions::new(1, 32).verbose(false).threads(2);
            convnet.fit_with(&images[..samples], &y[..samples], options).unwrap();
        })
    };
    count(64);
    let two_batches = (0..3).map(|_| count(64)).min().unwrap();
    let sixty_four_batches = (0..3).map(|_| count(2048)).min().unwrap();
    assert_eq!(two_batches, sixty_four_batches, "a convnet's allocations grew with the number of batches");
}
