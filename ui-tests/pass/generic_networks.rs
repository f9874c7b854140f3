//! Valid programs that are generic over networks compile: a one-layer network, a
//! function generic over the network type, a generic hidden width, a network type in a
//! struct, generic training.

use shaped::Network;
use shaped::nn::{Dense, Layers, Relu, Sequential, Softmax, Vector};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{CategoricalCrossentropy, Compiled, FitOptions, Objective, RmsProp};

/// The highest output for each sample, whatever the network.
fn classes<N: Network>(model: &Sequential<N>, xs: &[N::Input]) -> Vec<usize> {
    let argmax = |p: &[f32]| (0..p.len()).fold(0, |best, i| if p[i] > p[best] { i } else { best });
    let one: Vec<usize> = xs.iter().map(|x| argmax(model.predict(x).as_slice())).collect();
    let batch: Vec<usize> = model.predict_batch(xs).iter().map(|p| argmax(p.as_slice())).collect();
    assert_eq!(one, batch);
    batch
}

/// One epoch of training and the loss after it, for any network the loss fits.
fn train<N: Network>(model: &mut Compiled<N, RmsProp, CategoricalCrossentropy>, x: &[N::Input], y: &[N::Output]) -> f64
where
    CategoricalCrossentropy: Objective<f32, N::Output, N::Output, N::Last>,
{
    model.fit_with(x, y, FitOptions::new(1, 4).verbose(false)).unwrap();
    model.evaluate(x, y).unwrap().loss
}

/// A network with a hidden width the caller picks.
type Mlp<const H: usize> = (Dense<4, H, Relu>, Dense<H, 3, Softmax>);

fn mlp<const H: usize>(seed: u64) -> Sequential<Mlp<H>> {
    Sequential::new(&mut StdRng::seed_from_u64(seed))
}

/// A network type held in a struct.
struct Classifier<N: Network> {
    model: Sequential<N>,
    names: Vec<&'static str>,
}

impl<N: Network> Classifier<N> {
    fn name_of(&self, x: &N::Input) -> &'static str {
        self.names[classes(&self.model, std::slice::from_ref(x))[0]]
    }
}

fn main() {
    // One layer, as a tuple of one.
    type Single = (Dense<4, 3, Softmax>,);
    let single = Sequential::<Single>::new(&mut StdRng::seed_from_u64(1));
    assert_eq!(<Single as Layers<f32>>::PARAMS, 15);
    let x = vec![[0.1f32, 0.2, 0.3, 0.4]; 8];
    assert_eq!(classes(&single, &x).len(), 8);
    let y = vec![[1.0f32, 0.0, 0.0]; 8];
    let mut c = single.compile(RmsProp::default(), CategoricalCrossentropy, &[]).unwrap();
    assert!(train(&mut c, &x, &y).is_finite());

    let wide = mlp::<32>(2);
    let narrow = mlp::<2>(3);
    assert_eq!(classes(&wide, &x).len(), classes(&narrow, &x).len());
    let mut c = narrow.compile(RmsProp::default(), CategoricalCrossentropy, &[]).unwrap();
    assert!(train(&mut c, &x, &y).is_finite());

    let k = Classifier { model: wide, names: vec!["a", "b", "c"] };
    assert!(["a", "b", "c"].contains(&k.name_of(&x[0])));
}
