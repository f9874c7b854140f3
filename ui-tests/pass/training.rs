use shaped::nn::{Dense, Linear, Relu, Sequential, Sigmoid, Softmax, Tanh};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{
    Adam, BinaryCrossentropy, CategoricalCrossentropy, Class, FitOptions, MeanAbsoluteError, MeanSquaredError, Metric, RmsProp,
    Sgd, SparseCategoricalCrossentropy,
};

fn main() {
    let mut rng = StdRng::seed_from_u64(0);
    let x = vec![[0.5f32; 4]; 8];
    let mut m = Sequential::<(Dense<4, 8, Relu>, Dense<8, 3, Softmax>)>::new(&mut rng).compile(
        RmsProp::default(),
        CategoricalCrossentropy,
        &[Metric::Accuracy],
    ).unwrap();
    let y = vec![[1.0f32, 0.0, 0.0]; 8];
    let _ = m.fit_with(&x, &y, FitOptions::new(1, 4).verbose(false));
    let _ = m.evaluate(&x, &y);
    let m = m.into_model().compile(Adam::default(), SparseCategoricalCrossentropy, &[]).unwrap();
    let _ = m.evaluate(&x, &vec![Class::<3>::new(1).unwrap(); 8]);
    let b = Sequential::<(Dense<4, 8, Tanh>, Dense<8, 2, Sigmoid>)>::new(&mut rng).compile(
        Sgd::default(),
        BinaryCrossentropy,
        &[Metric::Accuracy],
    ).unwrap();
    let _ = b.evaluate(&x, &vec![[1.0f32, 0.0]; 8]);
    let r = Sequential::<(Dense<4, 8, Relu>, Dense<8, 1, Linear>)>::new(&mut rng).compile(
        Sgd::default(),
        MeanSquaredError,
        &[],
    ).unwrap();
    let _ = r.evaluate(&x, &vec![[2.0f32]; 8]);
    let r = r.into_model().compile(Sgd::default(), MeanAbsoluteError, &[]).unwrap();
    let _ = r.evaluate(&x, &vec![[2.0f32]; 8]);
    // A one-output regression takes plain numbers as labels, as Keras's `y` of shape (n,).
    let _ = r.evaluate(&x, &vec![2.0f32; 8]);
    // A one-input network takes plain numbers as samples.
    let s = Sequential::<(Dense<1, 4, Relu>, Dense<4, 1, Linear>)>::new(&mut rng);
    let _: [f32; 1] = s.predict(&0.5f32);
    let _ = s.predict_batch(&[0.5f32, 1.5]);
}
