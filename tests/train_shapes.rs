//! `fit`, `predict_batch` and `evaluate` on every shape of network and batch they can
//! produce, against a training step written out by hand (issue #29).
//!
//! Two-layer networks `Dense<I, H, Relu> -> Dense<H, O>` whose widths run from 1 to 70
//! through the edges of the kernels' tiles (8 rows, 32 columns, the row kernels' limit
//! of 16) and their neighbours, each width in each position; batches of 1 to 40 with a
//! last batch of one sample and of a few; 1 to 4 threads. One epoch of plain SGD must
//! leave the weights the hand-written step computes in `f64`, and the trained model must
//! predict and evaluate as the hand-written forward pass does.
//!
//! The instruction set is chosen once per process, so `on_every_isa` runs this file's
//! tests again in child processes with `SHAPED_ISA` lowered to each variant below this
//! CPU's (checking that the child runs the one it was asked for): a plain `cargo test`
//! covers AVX-512, AVX2 and the portable code on an AVX-512 machine, AVX2 and portable on
//! an AVX2 one.

use shaped::linalg::{Isa, isa};
use shaped::nn::{Dense, Layers, Linear, Relu, Sequential, Softmax, TakesSample, Vector};
use shaped::rand::{RngExt, SeedableRng, rngs::StdRng};
use shaped::train::{
    Backprop, Class, FitOptions, MeanSquaredError, Objective, PairsWith, Sgd, SparseCategoricalCrossentropy,
};

const LEARNING_RATE: f64 = 0.05;

/// Batch sizes, each with the sample counts that leave a last batch of one, of a few,
/// and none: `(batch, samples)`.
fn batches() -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for b in [1usize, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40] {
        v.push((b, b + 1));
        v.push((b, 2 * b + b.div_ceil(3)));
        v.push((b, b));
    }
    v
}

/// What the last layer does, in the hand-written step.
#[derive(Clone, Copy, PartialEq)]
enum Head {
    /// Linear, mean squared error.
    Mse,
    /// Softmax, sparse categorical cross-entropy.
    Softmax,
}

/// The weights of `Dense<I, H, Relu> -> Dense<H, O>` as `get_weights` gives them:
/// `[W1 (I x H), b1, W2 (H x O), b2]`, in `f64`.
#[derive(Clone)]
struct Reference {
    dims: (usize, usize, usize),
    w: Vec<Vec<f64>>,
}

impl Reference {
    fn from_weights(dims: (usize, usize, usize), w: &[Vec<f32>]) -> Self {
        Reference { dims, w: w.iter().map(|v| v.iter().map(|&x| f64::from(x)).collect()).collect() }
    }

    /// The hidden pre-activations and the outputs of one sample.
    fn forward(&self, x: &[f64], head: Head) -> (Vec<f64>, Vec<f64>) {
        let (i, h, o) = self.dims;
        let z1: Vec<f64> =
            (0..h).map(|j| self.w[1][j] + (0..i).map(|p| x[p] * self.w[0][p * h + j]).sum::<f64>()).collect();
        let a1: Vec<f64> = z1.iter().map(|&z| z.max(0.0)).collect();
        let mut y: Vec<f64> = (0..o)
            .map(|j| self.w[3][j] + (0..h).map(|p| a1[p] * self.w[2][p * o + j]).sum::<f64>())
            .collect();
        if head == Head::Softmax {
            let max = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = y.iter().map(|&v| (v - max).exp()).sum();
            y.iter_mut().for_each(|v| *v = (*v - max).exp() / sum);
        }
        (z1, y)
    }

    /// The loss of one sample.
    fn loss(&self, x: &[f64], t: &[f64], head: Head) -> f64 {
        let (_, y) = self.forward(x, head);
        match head {
            Head::Mse => y.iter().zip(t).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / y.len() as f64,
            Head::Softmax => {
                let c = t.iter().position(|&v| v == 1.0).unwrap();
                -y[c].clamp(1e-7, 1.0 - 1e-7).ln()
            }
        }
    }

    /// One step of SGD on a batch: the mean loss's gradient, by hand.
    fn sgd_step(&mut self, xs: &[Vec<f64>], ts: &[Vec<f64>], head: Head) {
        let (i, h, o) = self.dims;
        let mut g: Vec<Vec<f64>> = self.w.iter().map(|v| vec![0.0; v.len()]).collect();
        let scale = 1.0 / xs.len() as f64;
        for (x, t) in xs.iter().zip(ts) {
            let (z1, y) = self.forward(x, head);
            let dz2: Vec<f64> = match head {
                Head::Mse => y.iter().zip(t).map(|(a, b)| 2.0 * (a - b) / o as f64 * scale).collect(),
                Head::Softmax => y.iter().zip(t).map(|(p, t)| (p - t) * scale).collect(),
            };
            let a1: Vec<f64> = z1.iter().map(|&z| z.max(0.0)).collect();
            for p in 0..h {
                for j in 0..o {
                    g[2][p * o + j] += a1[p] * dz2[j];
                }
            }
            for j in 0..o {
                g[3][j] += dz2[j];
            }
            let dz1: Vec<f64> = (0..h)
                .map(|p| if z1[p] > 0.0 { (0..o).map(|j| dz2[j] * self.w[2][p * o + j]).sum() } else { 0.0 })
                .collect();
            for p in 0..i {
                for j in 0..h {
                    g[0][p * h + j] += x[p] * dz1[j];
                }
            }
            for j in 0..h {
                g[1][j] += dz1[j];
            }
        }
        for (w, g) in self.w.iter_mut().zip(&g) {
            w.iter_mut().zip(g).for_each(|(w, g)| *w -= LEARNING_RATE * g);
        }
    }
}

/// The largest difference between the trained weights and the reference's, over the
/// reference's largest weight (at least 1).
fn weight_error(got: &[Vec<f32>], want: &Reference) -> f64 {
    let scale = want.w.iter().flatten().fold(1.0f64, |m, &v| m.max(v.abs()));
    let diff = got
        .iter()
        .zip(&want.w)
        .flat_map(|(g, w)| g.iter().zip(w).map(|(&g, &w)| (f64::from(g) - w).abs()))
        .fold(0.0, f64::max);
    diff / scale
}

/// Samples in `[-1, 1)` with about a third of the inputs zero (the first layer skips
/// inputs that are zero in a whole batch), targets in `[-1, 1)` or classes.
fn data(rng: &mut StdRng, samples: usize, i: usize, o: usize, head: Head) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let x = (0..samples)
        .map(|_| (0..i).map(|p| if p % 3 == 2 { 0.0 } else { rng.random_range(-1.0..1.0) }).collect())
        .collect();
    let t = (0..samples)
        .map(|_| match head {
            Head::Mse => (0..o).map(|_| rng.random_range(-1.0..1.0)).collect(),
            Head::Softmax => {
                let c = rng.random_range(0..o);
                (0..o).map(|j| if j == c { 1.0 } else { 0.0 }).collect()
            }
        })
        .collect();
    (x, t)
}

/// One network type through every batch shape and thread count: `dims` are its
/// widths, `label` makes its labels from the reference's targets.
fn check_network<N, L, Y>(dims: (usize, usize, usize), head: Head, loss: L, label: impl Fn(&[f64]) -> Y)
where
    N: Backprop<f32> + TakesSample<f32, <N as Layers<f32>>::Input>,
    L: PairsWith<N::Last> + Objective<f32, N::Output, Y, N::Last>,
    Y: Sync,
{
    let (i, h, o) = dims;
    assert_eq!((N::Input::LEN, N::Output::LEN), (i, o));
    let mut rng = StdRng::seed_from_u64((i * 10_000 + h * 100 + o) as u64);
    for (batch, samples) in batches() {
        let (x, t) = data(&mut rng, samples, i, o, head);
        let xs: Vec<N::Input> = x
            .iter()
            .map(|r| {
                let mut s = N::Input::zeros();
                s.as_mut_slice().iter_mut().zip(r).for_each(|(s, &v)| *s = v as f32);
                s
            })
            .collect();
        let ys: Vec<Y> = t.iter().map(|t| label(t)).collect();
        // The rounded inputs are the reference's too.
        let x: Vec<Vec<f64>> =
            xs.iter().map(|r| r.as_slice().iter().map(|&v| f64::from(v)).collect()).collect();
        let w0 = Sequential::<N>::new(&mut rng).get_weights();
        let mut want = Reference::from_weights(dims, &w0);
        for (xb, tb) in x.chunks(batch).zip(t.chunks(batch)) {
            want.sgd_step(xb, tb, head);
        }
        let what =
            |threads: usize| format!("{i}-{h}-{o}, batch {batch} of {samples} samples, {threads} threads");
        let sgd = Sgd { learning_rate: LEARNING_RATE, ..Sgd::default() };
        let mut one_thread: Option<Vec<Vec<f32>>> = None;
        // More threads than rows are capped to the rows: those runs would repeat.
        for threads in 1..=4.min(batch) {
            let mut model = Sequential::<N>::zeros();
            model.set_weights(&w0).unwrap();
            let mut m = model.compile(sgd, loss, &[]).unwrap();
            let options = FitOptions::new(1, batch).shuffle(false).verbose(false).threads(threads);
            m.fit_with(&xs, &ys, options).unwrap_or_else(|e| panic!("{}: {e}", what(threads)));
            let got = m.get_weights();
            let error = weight_error(&got, &want);
            assert!(error < 2e-5, "{}: the weights are {error:e} off the hand-written step", what(threads));
            // The threads split each batch and add the same terms: the same weights to
            // rounding (bit for bit unless a share's few rows take another kernel).
            if let Some(w1) = &one_thread {
                let d = weight_error(&got, &Reference::from_weights(dims, w1));
                assert!(d < 1e-5, "{}: {d:e} off one thread's weights", what(threads));
            } else {
                one_thread = Some(got.clone());
            }
            // The trained model predicts and evaluates as the hand-written forward pass.
            let trained = Reference::from_weights(dims, &got);
            for (s, (p, x)) in m.predict_batch(&xs).iter().zip(&x).enumerate() {
                let (_, y) = trained.forward(x, head);
                for (j, (&g, &w)) in p.as_slice().iter().zip(&y).enumerate() {
                    let close = (f64::from(g) - w).abs() < 1e-5 * (1.0 + w.abs());
                    assert!(close, "{}: prediction {s}[{j}] is {g}, by hand {w}", what(threads));
                }
            }
            let loss = m.evaluate(&xs, &ys).unwrap().loss;
            let by_hand =
                x.iter().zip(&t).map(|(x, t)| trained.loss(x, t, head)).sum::<f64>() / x.len() as f64;
            let close = (loss - by_hand).abs() < 1e-5 * (1.0 + by_hand);
            assert!(close, "{}: evaluate's loss {loss}, by hand {by_hand}", what(threads));
        }
    }
}

/// The widths through the edges of the tiles, each once in each position (the triples
/// `(W[i], W[i + 7], W[i + 13])` cyclically), and the issue's own network.
#[test]
fn fit_matches_the_hand_written_step() {
    macro_rules! networks {
        ($($i:literal $h:literal $o:literal),* $(,)?) => {
            $(
                check_network::<(Dense<$i, $h, Relu>, Dense<$h, $o, Linear>), _, _>(
                    ($i, $h, $o),
                    Head::Mse,
                    MeanSquaredError,
                    |t: &[f64]| -> [f32; $o] { core::array::from_fn(|j| t[j] as f32) },
                );
            )*
        };
    }
    // W = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 70]
    networks!(
        1 9 32, 2 15 33, 3 16 63, 4 17 64, 5 31 65, 7 32 70, 8 33 1, 9 63 2, 15 64 3,
        16 65 4, 17 70 5, 31 1 7, 32 2 8, 33 3 9, 63 4 15, 64 5 16, 65 7 17, 70 8 31,
        10 64 1, 13 33 1,
    );
}

/// A softmax head (the fused cross-entropy gradient) on the tile edges.
#[test]
fn fit_with_softmax_matches_the_hand_written_step() {
    fn class<const C: usize>(t: &[f64]) -> Class<C> {
        Class::new(t.iter().position(|&v| v == 1.0).unwrap()).unwrap()
    }
    let loss = SparseCategoricalCrossentropy;
    check_network::<(Dense<9, 32, Relu>, Dense<32, 2, Softmax>), _, _>(
        (9, 32, 2),
        Head::Softmax,
        loss,
        class::<2>,
    );
    check_network::<(Dense<33, 17, Relu>, Dense<17, 10, Softmax>), _, _>(
        (33, 17, 10),
        Head::Softmax,
        loss,
        class::<10>,
    );
    check_network::<(Dense<64, 70, Relu>, Dense<70, 33, Softmax>), _, _>(
        (64, 70, 33),
        Head::Softmax,
        loss,
        class::<33>,
    );
}

/// This file's tests again under each instruction set below this CPU's.
#[test]
fn on_every_isa() {
    if let Ok(name) = std::env::var("SHAPED_ISA") {
        // A child (or a run with the variable set): it runs the variant it names.
        let want = Isa::from_name(Some(&name));
        assert!(isa() <= want, "SHAPED_ISA={name} but the crate runs {:?}", isa());
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for (name, variant) in [("portable", Isa::Portable), ("avx2", Isa::Avx2Fma)] {
        if variant >= isa() {
            eprintln!("{name}: the default run covers it");
            continue;
        }
        let out = std::process::Command::new(&exe)
            .args(["--test-threads=2", "--quiet"])
            .env("SHAPED_ISA", name)
            .output()
            .expect("the test binary runs again");
        assert!(
            out.status.success(),
            "SHAPED_ISA={name}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
