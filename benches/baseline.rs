//! The baseline the benches measure shaped against: one direct call to matrixmultiply's
//! `sgemm`, written once for all the benches.
#![allow(dead_code)] // each bench uses a part

/// `c = a * b + beta * c` through one direct `sgemm` call; `a` is `m x k` and `b` is
/// `k x n`, each given as data and `(row_stride, col_stride)`; `c` is dense row-major.
///
/// # Panics
/// If an operand is too small for its dims and strides (checked without overflow).
pub fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    a: (&[f32], usize, usize),
    b: (&[f32], usize, usize),
    beta: f32,
    c: &mut [f32],
) {
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| {
        (rows.checked_sub(1)?).checked_mul(rs)?.checked_add(cols.checked_sub(1)?.checked_mul(cs)?)
    };
    if m == 0 || n == 0 {
        return;
    }
    assert!(k == 0 || last(m, k, a.1, a.2).is_some_and(|l| l < a.0.len() && l <= isize::MAX as usize));
    assert!(k == 0 || last(k, n, b.1, b.2).is_some_and(|l| l < b.0.len() && l <= isize::MAX as usize));
    assert!(m.checked_mul(n).is_some_and(|len| len <= c.len()));
    // SAFETY: the asserts above keep every element sgemm reads (`a`, `b` with their
    // strides) and writes (`c`, dense m x n) inside the slices; `c` is borrowed mutably,
    // so it aliases neither operand.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.0.as_ptr(),
            a.1 as isize,
            a.2 as isize,
            b.0.as_ptr(),
            b.1 as isize,
            b.2 as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

/// The FMA limit of this machine, measured: twelve independent chains of `f32`
/// multiply-adds, sixteen lanes each, compiled by the crate's dispatch for the best
/// instruction set (AVX-512 here), on one thread and on two at once.
pub struct FmaPeak {
    pub rounds: usize,
}

impl shaped::linalg::Job for FmaPeak {
    type Out = f32;
    #[inline(always)]
    fn run<const FMA: bool>(self) -> f32 {
        let mut acc = [1.0f32; 12 * 16];
        let (a, b) = (std::hint::black_box(0.999_f32), std::hint::black_box(0.001_f32));
        for _ in 0..self.rounds {
            for v in acc.iter_mut() {
                *v = if FMA { v.mul_add(a, b) } else { *v * a + b };
            }
        }
        acc.iter().sum()
    }
}

/// Multiply-adds of one `FmaPeak` run.
pub const PEAK_ROUNDS: usize = 1_000_000;
pub const PEAK_FLOP: u64 = 2 * 12 * 16 * PEAK_ROUNDS as u64;

/// The FMA peak on one thread and on two at once, as a group `limits`.
pub fn bench_fma_peak(c: &mut criterion::Criterion) {
    let mut group = c.benchmark_group("limits");
    group.throughput(criterion::Throughput::Elements(PEAK_FLOP));
    group.bench_function("fma peak, 1 thread (elements = flop)", |b| {
        b.iter(|| shaped::linalg::dispatch(FmaPeak { rounds: PEAK_ROUNDS }))
    });
    group.throughput(criterion::Throughput::Elements(2 * PEAK_FLOP));
    group.bench_function("fma peak, 2 threads (elements = flop)", |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                let other = s.spawn(|| shaped::linalg::dispatch(FmaPeak { rounds: PEAK_ROUNDS }));
                shaped::linalg::dispatch(FmaPeak { rounds: PEAK_ROUNDS }) + other.join().unwrap()
            })
        })
    });
    group.finish();
}
