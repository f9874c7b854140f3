//! Backprop's gradients against central differences of the loss (f64), for any network.

use shaped::nn::{Layers, Sequential, TakesSample, Vector};
use shaped::rand::{RngExt, SeedableRng, rngs::StdRng};
use shaped::train::Objective;
use shaped::train::{Backprop, Workspace};

/// The mean loss of a batch, computed by one-sample inference.
pub fn mean_loss<N, L, Y>(params: &N::Params, x: &[N::Input], y: &[Y]) -> f64
where
    N: Layers<f64>,
    L: Objective<f64, N::Output, Y, N::Last>,
{
    let mut out = N::Output::zeros();
    let total: f64 = x
        .iter()
        .zip(y)
        .map(|(x, y)| {
            N::forward(params, x, &mut out);
            L::loss(&out, y)
        })
        .sum();
    total / x.len() as f64
}

/// Flat copies of every weight array, in visiting order.
pub fn flat<N: Layers<f64>>(p: &N::Params) -> Vec<f64> {
    let mut v = Vec::new();
    N::visit_params(p, &mut |w| v.extend_from_slice(w));
    v
}

/// Sets weight `index` (in visiting order) to `value`.
fn set_weight<N: Layers<f64>>(p: &mut N::Params, index: usize, value: f64) {
    let copy = *p;
    let mut offset = 0;
    N::zip_params(p, &copy, &mut |w, _| {
        if (offset..offset + w.len()).contains(&index) {
            w[index - offset] = value;
        }
        offset += w.len();
    });
}

/// The mean loss of a batch through the training forward pass (a fresh workspace: the
/// same dropout masks every call).
pub fn training_loss<N, L, Y>(params: &N::Params, x: &[N::Input], y: &[Y]) -> f64
where
    N: Backprop<f64>,
    L: Objective<f64, N::Output, Y, N::Last>,
{
    let mut trace = N::new_trace(x.len());
    N::forward_train(params, x, &mut trace, &mut Workspace::new());
    let total: f64 = N::output(&trace)[..x.len()].iter().zip(y).map(|(out, y)| L::loss(out, y)).sum();
    total / x.len() as f64
}

/// A batch's mean loss as a function of the weights and the inputs.
type LossOf<N, Y> = fn(&<N as Layers<f64>>::Params, &[<N as Layers<f64>>::Input], &[Y]) -> f64;

/// Backprop's gradients (weights and inputs) against central differences of the loss.
pub fn check_gradients<N, L, Y>(seed: u64, y: &[Y])
where
    N: Backprop<f64> + TakesSample<f64, <N as Layers<f64>>::Input>,
    L: Objective<f64, N::Output, Y, N::Last>,
{
    check_gradients_of::<N, L, Y>(seed, y, mean_loss::<N, L, Y>)
}

/// [`check_gradients`] for networks whose training pass differs from inference
/// (dropout): the differences are of [`training_loss`].
#[allow(dead_code)] // each test crate includes this module; not all use this
pub fn check_training_gradients<N, L, Y>(seed: u64, y: &[Y])
where
    N: Backprop<f64> + TakesSample<f64, <N as Layers<f64>>::Input>,
    L: Objective<f64, N::Output, Y, N::Last>,
{
    check_gradients_of::<N, L, Y>(seed, y, training_loss::<N, L, Y>)
}

fn check_gradients_of<N, L, Y>(seed: u64, y: &[Y], mean_loss: LossOf<N, Y>)
where
    N: Backprop<f64> + TakesSample<f64, <N as Layers<f64>>::Input>,
    L: Objective<f64, N::Output, Y, N::Last>,
{
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model = Sequential::<N, f64>::new(&mut rng);
    // Non-zero biases.
    let n = flat::<N>(model.params()).len();
    let mut p = *model.params();
    let mut offset = 0;
    let copy = p;
    N::zip_params(&mut p, &copy, &mut |w, _| {
        if w.len() < 20 {
            w.iter_mut().for_each(|b| *b = rng.random_range(-0.3..0.3));
        }
        offset += w.len();
    });
    assert_eq!(offset, n);
    *model.params_mut() = p;
    let x: Vec<N::Input> = y
        .iter()
        .map(|_| {
            let mut s = N::Input::zeros();
            s.as_mut_slice().iter_mut().for_each(|v| *v = rng.random_range(-1.0..1.0));
            s
        })
        .collect();

    // Backprop.
    let rows = x.len();
    let mut trace = N::new_trace(rows);
    let mut ws = Workspace::new();
    N::forward_train(&p, &x, &mut trace, &mut ws);
    let (yhat, dz) = N::output_and_grad(&mut trace);
    let mut loss = 0.0;
    for ((pred, d), t) in yhat[..rows].iter().zip(&mut dz[..rows]).zip(y) {
        loss += L::loss_and_grad(pred, t, d, 1.0 / rows as f64);
    }
    assert!((loss / rows as f64 - mean_loss(&p, &x, y)).abs() < 1e-12);
    let mut grads = p;
    let mut dx = vec![N::Input::zeros(); rows];
    N::backward(&p, &x, &mut trace, &mut grads, Some(&mut dx), &mut ws);
    let analytic = flat::<N>(&grads);

    let h = 1e-6;
    let weights = flat::<N>(&p);
    for (i, (&w, &g)) in weights.iter().zip(&analytic).enumerate() {
        let mut q = p;
        set_weight::<N>(&mut q, i, w + h);
        let up = mean_loss(&q, &x, y);
        set_weight::<N>(&mut q, i, w - h);
        let down = mean_loss(&q, &x, y);
        let numeric = (up - down) / (2.0 * h);
        assert!(
            (g - numeric).abs() <= 1e-6 * (1.0 + numeric.abs()),
            "weight {i}: backprop {g}, finite differences {numeric}"
        );
    }
    for r in 0..rows {
        for j in 0..N::Input::LEN {
            let mut xs = x.clone();
            xs[r].as_mut_slice()[j] += h;
            let up = mean_loss(&p, &xs, y);
            xs[r].as_mut_slice()[j] -= 2.0 * h;
            let down = mean_loss(&p, &xs, y);
            let numeric = (up - down) / (2.0 * h);
            let g = dx[r].as_slice()[j];
            assert!(
                (g - numeric).abs() <= 1e-6 * (1.0 + numeric.abs()),
                "input {r},{j}: backprop {g}, finite differences {numeric}"
            );
        }
    }
}
