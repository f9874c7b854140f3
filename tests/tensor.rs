//! Tensors and their operations against plain reference implementations.

mod common;
use common::reference::matmul_dense;
use rand::{SeedableRng, rngs::StdRng};
use shaped::{LengthError, Shape, Tensor, Tensor0, Tensor1, Tensor2, Tensor3, Tensor4, Tensor5};

fn random<S: Shape<Elem = f64>>(rng: &mut StdRng) -> Tensor<S> {
    Tensor::random_uniform(rng, -1.0, 1.0)
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "element {i}: {x} vs {y}");
    }
}

#[test]
fn big_tensor_lives_on_a_64k_stack() {
    // 784 x 512 f32 = 1.6 MB: creating, cloning, comparing and dropping it must not touch
    // the stack with its data.
    let handle = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(|| {
            let mut w = Tensor2::<f32, 784, 512>::zeros();
            w[[783, 511]] = 2.0;
            let c = w.clone();
            assert_eq!(c[[783, 511]], 2.0);
            assert!(c == w);
            let f = Tensor2::<f32, 784, 512>::filled(1.0);
            let mut rng = StdRng::seed_from_u64(1);
            let r = Tensor2::<f32, 784, 512>::random_uniform(&mut rng, -0.1, 0.1);
            let sum = &f + &r;
            assert!(sum.iter().all(|&x| (0.9..1.1).contains(&x)));
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn constructors() {
    assert!(Tensor3::<f32, 2, 3, 4>::zeros().iter().all(|&x| x == 0.0));
    assert!(Tensor3::<f64, 2, 3, 4>::ones().iter().all(|&x| x == 1.0));
    assert!(Tensor1::<i32, 5>::filled(-3).iter().all(|&x| x == -3));
    let t = Tensor2::<f32, 2, 2>::from_flat(&[1.0, 2.0, 3.0, 4.0]).unwrap();
    assert_eq!(t.as_array(), &[[1.0, 2.0], [3.0, 4.0]]);
    assert_eq!(
        Tensor2::<f32, 2, 2>::from_flat(&[1.0; 3]),
        Err(LengthError { dims: &[2, 2], expected: 4, found: 3 })
    );
    let e: Box<dyn std::error::Error> = Box::new(Tensor1::<u8, 2>::from_flat(&[1, 2, 3]).unwrap_err());
    assert_eq!(e.to_string(), "expected 2 elements for shape (2,), found 3");
    let s = Tensor0::<f64>::from_array(4.5);
    assert_eq!((s.ndim(), s.shape(), s.value()), (0, &[][..], 4.5));
    assert_eq!(Tensor5::<u8, 1, 2, 3, 4, 5>::DIMS, &[1, 2, 3, 4, 5]);
    assert_eq!(Tensor5::<u8, 1, 2, 3, 4, 5>::RANK, 5);
    assert_eq!(Tensor4::<u8, 2, 3, 4, 5>::NUMEL, 120);
    let t4 = Tensor4::<f32, 2, 3, 4, 5>::from_fn(|i| (i[0] + i[1] + i[2] + i[3]) as f32);
    assert_eq!(t4[[1, 2, 3, 4]], 10.0);
    assert_eq!(t4.get([1, 2, 3, 5]), None);
    assert_eq!(Tensor1::<f64, 3>::zeros().dtype(), "float64");
}

#[test]
#[should_panic(expected = "index [2, 0] is out of range for shape (2, 3)")]
fn index_out_of_range_panics_with_shape() {
    let t = Tensor2::<f32, 2, 3>::zeros();
    let _ = t[[2, 0]];
}

#[test]
fn random_is_seeded_and_distributed() {
    let a = Tensor2::<f32, 50, 40>::random_normal(&mut StdRng::seed_from_u64(3), 1.0, 2.0);
    let b = Tensor2::<f32, 50, 40>::random_normal(&mut StdRng::seed_from_u64(3), 1.0, 2.0);
    let c = Tensor2::<f32, 50, 40>::random_normal(&mut StdRng::seed_from_u64(4), 1.0, 2.0);
    assert_eq!(a, b);
    assert_ne!(a, c);
    let mean = a.mean();
    let var = (&a - mean).square().mean();
    assert!((mean - 1.0).abs() < 0.15, "mean {mean}");
    assert!((var - 4.0).abs() < 0.4, "variance {var}");
    let u = Tensor1::<f64, 10000>::random_uniform(&mut StdRng::seed_from_u64(5), 2.0, 3.0);
    assert!(u.iter().all(|&x| (2.0..3.0).contains(&x)));
    assert!((u.mean() - 2.5).abs() < 0.01);
}

/// Reference: numpy-style reduction of axis `axis` with explicit index loops.
fn reference_sum_axis(data: &[f64], dims: &[usize], axis: usize) -> Vec<f64> {
    let out_dims: Vec<usize> = dims.iter().enumerate().filter(|&(i, _)| i != axis).map(|(_, &d)| d).collect();
    let mut out = vec![0.0; out_dims.iter().product()];
    for (flat, &value) in data.iter().enumerate() {
        // Unravel `flat`, drop `axis`, ravel again.
        let mut rem = flat;
        let mut idx = vec![0; dims.len()];
        for a in (0..dims.len()).rev() {
            idx[a] = rem % dims[a];
            rem /= dims[a];
        }
        let mut o = 0;
        for (a, &i) in idx.iter().enumerate() {
            if a != axis {
                o = o * dims[a] + i;
            }
        }
        out[o] += value;
    }
    out
}

#[test]
fn reductions_match_reference() {
    let mut rng = StdRng::seed_from_u64(11);
    let x: Tensor3<f64, 3, 9, 17> = random(&mut rng);
    let d = x.shape();
    close(x.sum_axis::<0>().as_slice(), &reference_sum_axis(x.as_slice(), d, 0), 1e-12);
    close(x.sum_axis::<1>().as_slice(), &reference_sum_axis(x.as_slice(), d, 1), 1e-12);
    close(x.sum_axis::<2>().as_slice(), &reference_sum_axis(x.as_slice(), d, 2), 1e-12);
    let m = x.mean_axis::<1>();
    close(
        m.as_slice(),
        &reference_sum_axis(x.as_slice(), d, 1).iter().map(|s| s / 9.0).collect::<Vec<_>>(),
        1e-12,
    );
    let y: Tensor5<f64, 2, 3, 1, 5, 3> = random(&mut rng);
    close(y.sum_axis::<3>().as_slice(), &reference_sum_axis(y.as_slice(), y.shape(), 3), 1e-12);
    let v: Tensor1<f64, 13> = random(&mut rng);
    assert!((v.sum_axis::<0>().value() - v.iter().sum::<f64>()).abs() < 1e-12);

    // max / argmax against a scan of each row.
    let z: Tensor2<f64, 7, 11> = random(&mut rng);
    let (mx, am) = (z.max_axis::<1>(), z.argmax_axis::<1>());
    let mn = z.min_axis::<0>();
    for i in 0..7 {
        let row = &z.as_array()[i];
        let best = row.iter().cloned().fold(f64::MIN, f64::max);
        assert_eq!(mx[[i]], best);
        assert_eq!(row[am[[i]]], best);
    }
    for j in 0..11 {
        assert_eq!(mn[[j]], (0..7).map(|i| z[[i, j]]).fold(f64::MAX, f64::min));
    }
    let ties = Tensor2::<f32, 2, 3>::from_array([[1.0, 3.0, 3.0], [f32::NAN, 0.0, -1.0]]);
    assert_eq!(ties.argmax_axis::<1>().as_array(), &[1, 1]);
    assert_eq!(ties.argmax_axis::<0>().as_array(), &[0, 0, 0]);
    assert_eq!(z.argmax(), z.iter().position(|&x| x == z.max()));
    assert!((z.sum() - z.iter().sum::<f64>()).abs() < 1e-12);
}

fn check_matmul<const M: usize, const K: usize, const N: usize>(rng: &mut StdRng) {
    let a: Tensor2<f64, M, K> = random(rng);
    let b: Tensor2<f64, K, N> = random(rng);
    let c = a.dot(&b);
    close(c.as_slice(), &matmul_dense(M, K, N, a.as_slice(), b.as_slice()), 1e-12);
    // f32 through the same dispatch.
    let a32 = Tensor2::<f32, M, K>::from_fn(|i| a[[i[0], i[1]]] as f32);
    let b32 = Tensor2::<f32, K, N>::from_fn(|i| b[[i[0], i[1]]] as f32);
    let c32: Vec<f64> = a32.dot(&b32).iter().map(|&x| x as f64).collect();
    close(&c32, c.as_slice(), 1e-4 * K as f64);
    // matrix . vector and vector . matrix are the same products with one side of width 1.
    let v: Tensor1<f64, K> = random(rng);
    let mv = a.dot(&v);
    close(mv.as_slice(), &matmul_dense(M, K, 1, a.as_slice(), v.as_slice()), 1e-12);
    let w: Tensor1<f64, M> = random(rng);
    let vm = w.dot(&a);
    close(vm.as_slice(), &matmul_dense(1, M, K, w.as_slice(), a.as_slice()), 1e-12);
    let dd = v.dot(&v).value();
    assert!((dd - v.iter().map(|x| x * x).sum::<f64>()).abs() < 1e-12);
}

#[test]
fn dot_matches_reference() {
    let mut rng = StdRng::seed_from_u64(12);
    check_matmul::<1, 1, 1>(&mut rng);
    check_matmul::<2, 3, 4>(&mut rng);
    check_matmul::<4, 4, 4>(&mut rng);
    check_matmul::<7, 9, 13>(&mut rng);
    check_matmul::<16, 16, 16>(&mut rng);
    check_matmul::<33, 17, 65>(&mut rng);
    // Large enough for the matrixmultiply path.
    check_matmul::<70, 65, 71>(&mut rng);
    check_matmul::<3, 0, 5>(&mut rng);
}

#[test]
fn layout_ops_match_reference() {
    let mut rng = StdRng::seed_from_u64(13);
    let x: Tensor2<f64, 9, 13> = random(&mut rng);
    let t = x.transpose();
    for i in 0..9 {
        for j in 0..13 {
            assert_eq!(t[[j, i]], x[[i, j]]);
        }
    }
    let r: Tensor3<f64, 3, 3, 13> = x.reshape();
    assert_eq!(r.as_slice(), x.as_slice());
    let f = r.flatten::<117>();
    assert_eq!(f.as_slice(), x.as_slice());
    let s = x.slice::<2, 5>();
    assert_eq!(s.as_array()[..], x.as_array()[2..7]);
}

#[test]
fn elementwise_matches_reference() {
    let mut rng = StdRng::seed_from_u64(14);
    let a: Tensor3<f64, 3, 5, 7> = random(&mut rng);
    let b: Tensor3<f64, 3, 5, 7> = random(&mut rng);
    let c: Tensor1<f64, 7> = random(&mut rng);
    let sum = &a + &b;
    let prod = &a * &c;
    for i in 0..3 {
        for j in 0..5 {
            for k in 0..7 {
                assert_eq!(sum[[i, j, k]], a[[i, j, k]] + b[[i, j, k]]);
                assert_eq!(prod[[i, j, k]], a[[i, j, k]] * c[[k]]);
            }
        }
    }
    let q = (&a / 2.0 - &b).map(|x| x.max(0.0));
    for (i, x) in q.iter().enumerate() {
        assert_eq!(*x, (a.as_slice()[i] / 2.0 - b.as_slice()[i]).max(0.0));
    }
}

#[test]
fn negative_axes_count_from_the_end() {
    let mut rng = StdRng::seed_from_u64(15);
    let x: Tensor3<f64, 3, 4, 5> = random(&mut rng);
    assert_eq!(x.sum_axis::<-1>().as_slice(), x.sum_axis::<2>().as_slice());
    assert_eq!(x.sum_axis::<-2>().as_slice(), x.sum_axis::<1>().as_slice());
    assert_eq!(x.max_axis::<-3>().as_slice(), x.max_axis::<0>().as_slice());
    assert_eq!(x.argmax_axis::<-1>().as_slice(), x.argmax_axis::<2>().as_slice());
    assert_eq!(x.mean_axis::<-2>().shape(), &[3, 5]);
    let v: Tensor1<f64, 6> = random(&mut rng);
    assert_eq!(v.min_axis::<-1>().value(), v.min());
    let y: Tensor5<f64, 2, 1, 3, 2, 2> = random(&mut rng);
    close(y.sum_axis::<-3>().as_slice(), &reference_sum_axis(y.as_slice(), y.shape(), 2), 1e-12);
}

#[test]
fn every_rank_pair_broadcasts_by_trailing_dims() {
    let mut rng = StdRng::seed_from_u64(16);
    let a: Tensor4<f64, 2, 3, 4, 5> = random(&mut rng);
    let s = Tensor::<f64>::from_array(2.5);
    let v: Tensor1<f64, 5> = random(&mut rng);
    let m: Tensor2<f64, 4, 5> = random(&mut rng);
    let t: Tensor3<f64, 3, 4, 5> = random(&mut rng);
    let (by_s, by_v, by_m, by_t) = (&a - &s, &a * &v, &a + &m, &a / &t);
    for i in 0..2 {
        for j in 0..3 {
            for k in 0..4 {
                for l in 0..5 {
                    let x = a[[i, j, k, l]];
                    assert_eq!(by_s[[i, j, k, l]], x - 2.5);
                    assert_eq!(by_v[[i, j, k, l]], x * v[[l]]);
                    assert_eq!(by_m[[i, j, k, l]], x + m[[k, l]]);
                    assert_eq!(by_t[[i, j, k, l]], x / t[[j, k, l]]);
                }
            }
        }
    }
    // Generic code over any shape combines two tensors of that shape with no extra bound.
    fn twice<S: Shape<Elem = f64>>(x: &Tensor<S>) -> Tensor<S> {
        x + x
    }
    assert_eq!(twice(&m).as_slice(), m.map(|x| 2.0 * x).as_slice());
}

#[test]
fn products_with_empty_dims_are_zero_or_empty() {
    let a = Tensor2::<f32, 3, 0>::zeros();
    let x = Tensor1::<f32, 0>::zeros();
    assert_eq!(a.dot(&x).as_array(), &[0.0; 3]);
    let b = Tensor2::<f32, 0, 4>::zeros();
    assert_eq!(x.dot(&b).as_array(), &[0.0; 4]);
    let c = Tensor2::<f32, 3, 0>::zeros();
    let d = Tensor2::<f32, 0, 0>::zeros();
    assert_eq!(c.dot(&d).shape(), &[3, 0]);
    let e = Tensor1::<f32, 2>::from_array([1.0, 2.0]);
    assert_eq!(e.dot(&Tensor2::<f32, 2, 0>::zeros()).shape(), &[0]);
}
