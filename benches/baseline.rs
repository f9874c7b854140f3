//! The baseline the benches measure shaped against: one direct call to matrixmultiply's
//! `sgemm`, written once for all the benches.

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
