//! Packing the operands of the packed GEMM into the panels its micro-kernel reads, from
//! views or from parts stacked along the product's depth, whole or at picked rows and
//! steps of the depth.

use super::{MR, NR, Parts};
use crate::linalg::{MatRef, Real};

/// Positions in one dimension of an operand: a run `start..start + len`, or a list of
/// picked positions (the live rows of an `A`, the live steps of a depth).
#[derive(Clone, Copy, Debug)]
pub(super) enum Pick<'s> {
    Run(usize, usize),
    List(&'s [usize]),
}

impl<'s> Pick<'s> {
    pub(super) fn len(self) -> usize {
        match self {
            Pick::Run(_, len) => len,
            Pick::List(l) => l.len(),
        }
    }

    /// Positions `from..from + len` of this pick.
    pub(super) fn sub(self, from: usize, len: usize) -> Pick<'s> {
        match self {
            Pick::Run(start, _) => Pick::Run(start + from, len),
            Pick::List(l) => Pick::List(&l[from..from + len]),
        }
    }

    /// Position `i` of this pick.
    #[inline(always)]
    pub(super) fn at(self, i: usize) -> usize {
        match self {
            Pick::Run(start, _) => start + i,
            Pick::List(l) => l[i],
        }
    }
}

/// Calls `f(view, p0, len, at)` for each part of `parts` that depth `pc..pc + kc` of
/// the stacked operand overlaps: depth `p0..p0 + len` of that part's view is depth `pc +
/// at..` of the operand.
#[inline(always)]
pub(super) fn for_parts<'a, T: Copy>(
    parts: Parts<'_, 'a, T>,
    pc: usize,
    kc: usize,
    mut f: impl FnMut(MatRef<'a, T>, usize, usize, usize),
) {
    let mut d0 = 0;
    for &(view, ks) in parts {
        let (lo, hi) = (pc.max(d0), (pc + kc).min(d0 + ks));
        if lo < hi {
            f(view, lo - d0, hi - lo, lo - pc);
        }
        d0 += ks;
    }
}

/// Packs rows `depth` and columns `jc..jc + nc` of `b` into rows `at..at + depth.len()`
/// of panels of `NR` columns, each `kc x NR` row-major, zero-padded on the right.
#[inline(always)]
pub(super) fn pack_b<T: Real>(
    b: MatRef<'_, T>,
    depth: Pick<'_>,
    jc: usize,
    nc: usize,
    dst: &mut [T],
    (at, kc): (usize, usize),
) {
    let len = depth.len();
    let panels = nc.div_ceil(NR);
    for q in 0..panels {
        let j0 = jc + q * NR;
        let width = NR.min(jc + nc - j0);
        let panel = &mut dst[(q * kc + at) * NR..(q * kc + at + len) * NR];
        for (p, out) in panel.chunks_exact_mut(NR).enumerate() {
            let row = depth.at(p) * b.row_stride;
            if b.col_stride == 1 && width == NR {
                // Known lengths: inlined vector moves, not a `memcpy` call per row.
                let out: &mut [T; NR] = out.try_into().expect("panel rows are NR wide");
                *out = *<&[T; NR]>::try_from(&b.data[row + j0..row + j0 + NR]).expect("NR values");
                continue;
            } else if b.col_stride == 1 {
                out[..width].copy_from_slice(&b.data[row + j0..row + j0 + width]);
            } else {
                for (j, o) in out[..width].iter_mut().enumerate() {
                    *o = b.data[row + (j0 + j) * b.col_stride];
                }
            }
            out[width..].fill(T::zero());
        }
    }
}

/// Packs rows `rows` and columns `cols` of `a` into steps `at..at + cols.len()` of
/// panels of `MR` rows, each stored column by column (`kc x MR`), zero-padded below.
#[inline(always)]
pub(super) fn pack_a<T: Real>(
    a: MatRef<'_, T>,
    rows: Pick<'_>,
    cols: Pick<'_>,
    dst: &mut [T],
    (at, kc): (usize, usize),
) {
    let (mc, len) = (rows.len(), cols.len());
    let panels = mc.div_ceil(MR);
    for q in 0..panels {
        let height = MR.min(mc - q * MR);
        let panel = &mut dst[(q * kc + at) * MR..(q * kc + at + len) * MR];
        // The panel's first row of `a`, when its rows are consecutive (always for a run;
        // mostly for the live inputs of an image, which come in runs).
        let first = match rows {
            Pick::Run(ic, _) => Some(ic + q * MR),
            Pick::List(l) => {
                let r = &l[q * MR..q * MR + height];
                r.windows(2).all(|w| w[1] == w[0].wrapping_add(1)).then(|| r[0])
            }
        };
        match (first, cols) {
            (Some(i0), Pick::Run(p0, _)) if a.row_stride == 1 => {
                // Columns of `a` are contiguous (a transposed row-major matrix).
                let (whole, _) = panel.as_chunks_mut::<MR>();
                for (p, out) in whole.iter_mut().enumerate() {
                    let col = (p0 + p) * a.col_stride;
                    if height == MR {
                        // Known lengths: inlined vector moves, not a `memcpy` call per step.
                        *out = *<&[T; MR]>::try_from(&a.data[col + i0..col + i0 + MR]).expect("MR values");
                    } else {
                        out[..height].copy_from_slice(&a.data[col + i0..col + i0 + height]);
                        out[height..].fill(T::zero());
                    }
                }
            }
            (Some(i0), Pick::Run(p0, _)) => {
                for (p, out) in panel.chunks_exact_mut(MR).enumerate() {
                    let col = (p0 + p) * a.col_stride;
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = if i < height { a.data[(i0 + i) * a.row_stride + col] } else { T::zero() };
                    }
                }
            }
            (Some(i0), Pick::List(cols)) => {
                for (&c, out) in cols.iter().zip(panel.chunks_exact_mut(MR)) {
                    let col = c * a.col_stride;
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = if i < height { a.data[(i0 + i) * a.row_stride + col] } else { T::zero() };
                    }
                }
            }
            (None, _) => {
                for (p, out) in panel.chunks_exact_mut(MR).enumerate() {
                    let col = cols.at(p) * a.col_stride;
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = if i < height {
                            a.data[rows.at(q * MR + i) * a.row_stride + col]
                        } else {
                            T::zero()
                        };
                    }
                }
            }
        }
    }
}
