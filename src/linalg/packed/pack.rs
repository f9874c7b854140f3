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
    if let (Pick::Run(ic, mc), Pick::Run(p0, len)) = (rows, cols) {
        return pack_a_runs(a, ic, mc, (p0, len), dst, (at, kc));
    }
    let len = cols.len();
    for q in 0..rows.len().div_ceil(MR) {
        let height = MR.min(rows.len() - q * MR);
        let mine = rows.sub(q * MR, height);
        // The panel's first row, when its rows are consecutive (mostly, for the live
        // inputs of an image, which come in runs).
        let first = match mine {
            Pick::Run(i0, _) => Some(i0),
            Pick::List(r) => r.windows(2).all(|w| w[1] == w[0].wrapping_add(1)).then(|| r[0]),
        };
        match (first, cols) {
            (Some(i0), Pick::Run(p0, _)) => {
                pack_a_runs(a, i0, height, (p0, len), &mut dst[q * kc * MR..], (at, kc))
            }
            (Some(i0), Pick::List(cols)) => {
                let panel = &mut dst[(q * kc + at) * MR..(q * kc + at + len) * MR];
                for (&c, out) in cols.iter().zip(panel.chunks_exact_mut(MR)) {
                    let col = c * a.col_stride;
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = if i < height { a.data[(i0 + i) * a.row_stride + col] } else { T::zero() };
                    }
                }
            }
            (None, _) => {
                let panel = &mut dst[(q * kc + at) * MR..(q * kc + at + len) * MR];
                for (p, out) in panel.chunks_exact_mut(MR).enumerate() {
                    let col = cols.at(p) * a.col_stride;
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = if i < height { a.data[mine.at(i) * a.row_stride + col] } else { T::zero() };
                    }
                }
            }
        }
    }
}

/// Packs rows `ic..ic + mc` and columns `p0..p0 + len` of `a` into steps `at..at + len`
/// of panels of `MR` rows, each stored column by column (`kc x MR`), zero-padded below.
#[inline(always)]
fn pack_a_runs<T: Real>(
    a: MatRef<'_, T>,
    ic: usize,
    mc: usize,
    (p0, len): (usize, usize),
    dst: &mut [T],
    (at, kc): (usize, usize),
) {
    let panels = mc.div_ceil(MR);
    for q in 0..panels {
        let i0 = ic + q * MR;
        let height = MR.min(ic + mc - i0);
        let panel = &mut dst[(q * kc + at) * MR..(q * kc + at + len) * MR];
        if a.row_stride == 1 {
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
        } else {
            for (p, out) in panel.chunks_exact_mut(MR).enumerate() {
                let col = (p0 + p) * a.col_stride;
                for (i, o) in out.iter_mut().enumerate() {
                    *o = if i < height { a.data[(i0 + i) * a.row_stride + col] } else { T::zero() };
                }
            }
        }
    }
}
