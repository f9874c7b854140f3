//! [`Network`]: the one bound generic code over networks needs.

use super::backprop::Backprop;
use crate::element::Scalar;
use crate::nn::TakesSample;

/// A network type, as generic code names it: under `N: Network`, `predict`,
/// `predict_batch`, `fit` and `evaluate` on the network's own samples (`N::Input`) just
/// work.
///
/// Implemented for every stack of layers that connects (`Dense`, tuples of them).
///
/// ```
/// use shaped::Network;
/// use shaped::nn::{Dense, Relu, Sequential, Softmax, Vector};
/// use shaped::rand::{SeedableRng, rngs::StdRng};
///
/// /// The class a model gives each sample, for any network.
/// fn classes<N: Network>(model: &Sequential<N>, xs: &[N::Input]) -> Vec<usize> {
///     let argmax = |p: &[f32]| (0..p.len()).fold(0, |best, i| if p[i] > p[best] { i } else { best });
///     model.predict_batch(xs).iter().map(|p| argmax(p.as_slice())).collect()
/// }
///
/// /// A network with a hidden width chosen by the caller.
/// type Mlp<const H: usize> = (Dense<4, H, Relu>, Dense<H, 3, Softmax>);
/// let model = Sequential::<Mlp<16>>::new(&mut StdRng::seed_from_u64(0));
/// assert_eq!(classes(&model, &[[0.5; 4]; 2]).len(), 2);
/// ```
pub trait Network<T: Scalar = f32>:
    Backprop<T> + TakesSample<T, <Self as crate::nn::Layers<T>>::Input>
{
}

impl<T: Scalar, N> Network<T> for N where N: Backprop<T> + TakesSample<T, <N as crate::nn::Layers<T>>::Input> {}
