//! A packed matrix product whose packing buffers belong to the caller, so that a training
//! step allocates nothing (matrixmultiply allocates its buffers on every call).
//!
//! The loops are those of BLIS: `B` is packed in panels of [`NR`] columns, `A` in panels
//! of [`MR`] rows, and a micro-kernel multiplies one `A` panel by one `B` panel into an
//! `MR x NR` tile held in registers. The `f32` micro-kernels for AVX-512 and AVX2 live in
//! `x86.rs`; elsewhere, and for `f64`, the portable kernel below of the same shape runs.

use alloc::vec;
use alloc::vec::Vec;

use super::{Product, Real};

mod pack;
use pack::{Pick, for_parts, pack_a, pack_b};

/// Rows of the micro-kernel's tile.
pub const MR: usize = 8;
/// Columns of the micro-kernel's tile.
pub const NR: usize = 32;
/// Most depth of one packed block (the `k` extent kept in cache); blocks are balanced.
const KC: usize = 512;
/// Rows of `A` packed at a time (a multiple of `MR`).
const MC: usize = 128;
/// Columns of `B` packed at a time (a multiple of `NR`).
const NC: usize = 512;

/// A micro-kernel: `out = a_panel * b_panel` over `kc` steps. `a_panel` is `kc x MR`,
/// packed; `b_panel` holds `kc` rows of `NR` values, `ldb` apart: `NR` for a packed
/// panel, the matrix's row stride for a panel read in place.
pub type MicroKernel<T> = fn(usize, &[T], &[T], usize, &mut [[T; NR]; MR]);

/// A micro-kernel reading `B` in place at picked rows: `out = a_panel * b_rows` over
/// `rows.len()` steps, step `p` reading the `NR` values at `b[rows[p] * ldb..]`. The
/// same arithmetic in the same order as [`MicroKernel`] on those rows copied into a
/// panel.
pub type PickedKernel<T> = fn(&[T], &[T], usize, &[usize], &mut [[T; NR]; MR]);

/// A micro-kernel and its variant reading `B` at picked rows.
pub(crate) type Kernels<T> = (MicroKernel<T>, PickedKernel<T>);

/// Packing buffers for the packed GEMM: allocated once, reused by every product.
#[derive(Clone, Debug)]
pub struct Packing<T> {
    a: Vec<T>,
    b: Vec<T>,
}

impl<T: Real> Packing<T> {
    /// Buffers for products of any size (about 650 KiB for `f32`).
    pub fn new() -> Self {
        Packing { a: vec![T::zero(); MC * KC], b: vec![T::zero(); KC * NC] }
    }
}

impl<T: Real> Packing<T> {
    /// The buffer for `A` alone, for products of `m` rows and depth `k` with a
    /// [`PackedB`] (at most 256 KiB for `f32`).
    pub fn for_inputs(m: usize, k: usize) -> Self {
        let mut p = Packing::empty();
        p.reserve_inputs(m, k);
        p
    }

    /// No buffers yet.
    pub(crate) fn empty() -> Self {
        Packing { a: Vec::new(), b: Vec::new() }
    }

    /// Grows the buffer for `A` to what products of `m` rows and depth `k` need.
    pub(crate) fn reserve_inputs(&mut self, m: usize, k: usize) {
        let kc_max = depth_block(k);
        let len = m.min(MC).div_ceil(MR) * MR * kc_max;
        if self.a.len() < len {
            self.a.resize(len, T::zero());
        }
    }
}

impl<T: Real> Default for Packing<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// `c = a * b`, or `c += a * b` when `accumulate`, for a checked product, with this
/// CPU's micro-kernel. Allocates nothing.
///
/// # Panics
/// If `c` is shorter than the product needs.
pub fn gemm<T: Real>(p: &Product<'_, T>, accumulate: bool, c: &mut [T], packing: &mut Packing<T>) {
    gemm_with(kernels::<T>(), p, None, accumulate, c, packing);
}

/// This CPU's micro-kernels, the portable ones where it has no faster.
fn kernels<T: Real>() -> Kernels<T> {
    (T::micro_kernel().unwrap_or(portable_kernel::<T>), T::picked_kernel().unwrap_or(portable_picked::<T>))
}

/// [`gemm`] with the given kernels, over the steps `live` of the depth only if given
/// (see [`gemm_live_depth`]).
pub(crate) fn gemm_with<T: Real>(
    kernel: Kernels<T>,
    p: &Product<'_, T>,
    live: Option<&[usize]>,
    accumulate: bool,
    c: &mut [T],
    packing: &mut Packing<T>,
) {
    let Product { m, k, n, a, b, ldc, c_len } = *p;
    assert!(c.len() >= c_len, "gemm: `c` holds {} elements, the product needs {c_len}", c.len());
    assert!(
        live.is_none_or(|l| l.windows(2).all(|w| w[0] < w[1]) && l.last().is_none_or(|&s| s < k)),
        "gemm_live_depth: the live steps are not strictly increasing below {k}"
    );
    let Packing { a: pa, b: pb } = packing;
    let pick = Picks { rows: None, depth: live };
    run(kernel, (m, k, n), &[(a, k)], pick, Panels::Pack(&[(b, k)], pb), accumulate, c, ldc, pa);
}

/// `c = a * b`, or `c += a * b` when `accumulate`, over the steps `live` of the depth
/// only: the terms of every other step are left out. When `a` is zero at those steps
/// and `b` is finite there, that is the product itself, bit for bit: the depth is cut
/// into the same blocks as the whole product's, each block's live terms are added in
/// the same order, and a left-out term would have added a zero to a sum that cannot be
/// `-0`. (A block with no live step leaves its rows of `c` as they are where the whole
/// product would have added `+0`: only a `-0` in `c` could tell.) Allocates nothing.
///
/// # Panics
/// If `live` is not strictly increasing below `k`, or as [`gemm`].
pub(crate) fn gemm_live_depth<T: Real>(
    p: &Product<'_, T>,
    live: &[usize],
    accumulate: bool,
    c: &mut [T],
    packing: &mut Packing<T>,
) {
    gemm_with(kernels::<T>(), p, Some(live), accumulate, c, packing);
}

/// `c = a * b`, or `c += a * b` when `accumulate`, for an `a` of `m` rows given as parts
/// side by side and a `b` of `n` columns given as parts one above the other, part `s`
/// of `a` and of `b` being `k_s` deep: the product of depth `sum k_s`, with the same
/// arithmetic in the same order as if the parts had been copied into two matrices (the
/// rows of a batch held by several threads, multiplied as one batch). Allocates nothing.
///
/// With `rows`, only those rows of `a` (each below `m`) are multiplied, into the same
/// rows of `c`; the other rows of `c` are left alone.
///
/// # Panics
/// If the parts of `a` and `b` differ in number or depth, a part does not hold its
/// `m x k_s` (`a`) or `k_s x n` (`b`) with its strides, `ldc < n`, `c` is too short, or
/// a row of `rows` is not below `m`.
#[allow(clippy::too_many_arguments)] // the BLAS signature, with parts
pub(crate) fn gemm_stacked<T: Real>(
    m: usize,
    rows: Option<&[usize]>,
    n: usize,
    a: &[(super::MatRef<'_, T>, usize)],
    b: &[(super::MatRef<'_, T>, usize)],
    accumulate: bool,
    c: &mut [T],
    ldc: usize,
    packing: &mut Packing<T>,
) {
    assert_eq!(a.len(), b.len(), "gemm_stacked: {} parts of `a` but {} of `b`", a.len(), b.len());
    let mut k = 0usize;
    for (s, (&(pa, ka), &(pb, kb))) in a.iter().zip(b).enumerate() {
        assert_eq!(ka, kb, "gemm_stacked: part {s} is {ka} deep in `a` but {kb} in `b`");
        let p = super::Product::new(m, ka, n, pa, pb, ldc)
            .unwrap_or_else(|e| panic!("gemm_stacked: part {s} ({m}x{ka} times {ka}x{n}): {e:?}"));
        assert!(
            c.len() >= p.c_len,
            "gemm_stacked: `c` holds {} elements, the product needs {}",
            c.len(),
            p.c_len
        );
        k = k.checked_add(ka).expect("gemm_stacked: the depth overflows");
    }
    if a.is_empty() {
        // Depth 0: `c` is zero (or left as it is).
        let len = super::output_len::<T>(m, n, ldc).expect("gemm_stacked: `c` cannot hold the product");
        assert!(c.len() >= len, "gemm_stacked: `c` holds {} elements, the product needs {len}", c.len());
    }
    assert!(rows.is_none_or(|r| r.iter().all(|&i| i < m)), "gemm_stacked: a picked row is not below {m}");
    let kernel = kernels::<T>();
    let Packing { a: pa, b: pb } = packing;
    let m = rows.map_or(m, <[usize]>::len);
    run(kernel, (m, k, n), a, Picks { rows, depth: None }, Panels::Pack(b, pb), accumulate, c, ldc, pa);
}

/// A `k x n` matrix (a layer's weights) packed once in the panels the GEMM reads, so that
/// products with it skip packing `B`: a model keeps one for its batch predictions.
#[derive(Clone, Debug, PartialEq)]
pub struct PackedB<T> {
    k: usize,
    n: usize,
    data: Vec<T>,
}

impl<T: Real> PackedB<T> {
    /// `b`, a `k x n` view, packed.
    ///
    /// # Panics
    /// If `b` does not hold a `k x n` matrix with its strides.
    pub fn new(k: usize, n: usize, b: super::MatRef<'_, T>) -> Self {
        assert!(b.fits(k, n), "PackedB: the view is smaller than {k}x{n}");
        // Blocks of `NC` columns (each padded to whole panels), each in blocks of depth:
        // block `(jc, pc)` starts at `k * jc + pc * padded(nc)` (every block before the
        // last block of columns is `NC` wide, a whole number of panels).
        let padded = |nc: usize| nc.div_ceil(NR) * NR;
        let len: usize = (0..n).step_by(NC).map(|jc| k * padded(NC.min(n - jc))).sum();
        let mut data = vec![T::zero(); len];
        if k > 0 {
            let kc_max = depth_block(k);
            for jc in (0..n).step_by(NC) {
                let nc = NC.min(n - jc);
                for pc in (0..k).step_by(kc_max) {
                    let kc = kc_max.min(k - pc);
                    let at = k * jc + pc * padded(nc);
                    pack_b(b, Pick::Run(pc, kc), jc, nc, &mut data[at..at + kc * padded(nc)], (0, kc));
                }
            }
        }
        PackedB { k, n, data }
    }

    /// Rows (the product's depth).
    pub fn k(&self) -> usize {
        self.k
    }

    /// Columns.
    pub fn n(&self) -> usize {
        self.n
    }
}

/// `c = a * b`, or `c += a * b` when `accumulate`, for an `m x k` view `a` and a packed
/// `b` into `c`, rows `ldc` apart, with this CPU's micro-kernel. Only `packing`'s buffer
/// for `A` is used.
///
/// # Panics
/// If `a` does not hold `m x b.k()`, `ldc < b.n()`, or `c` is too short.
pub fn gemm_packed<T: Real>(
    m: usize,
    a: super::MatRef<'_, T>,
    b: &PackedB<T>,
    accumulate: bool,
    c: &mut [T],
    ldc: usize,
    packing: &mut Packing<T>,
) {
    let (k, n) = (b.k, b.n);
    assert!(a.fits(m, k), "gemm_packed: `a` is smaller than {m}x{k} with its strides");
    let fits = super::output_len::<T>(m, n, ldc).is_some_and(|len| c.len() >= len);
    assert!(fits, "gemm_packed: `c` cannot hold {m}x{n} with row stride {ldc}");
    let kernel = kernels::<T>();
    let pick = Picks { rows: None, depth: None };
    run(kernel, (m, k, n), &[(a, k)], pick, Panels::Packed(b), accumulate, c, ldc, &mut packing.a);
}

/// The depth of the blocks a product of depth `k` is cut into: equal blocks of at most
/// [`KC`] (784 is 2 x 392, not 512 + 272: a last block that shallow would spend more on
/// loading and storing its tiles than on products). 0 for `k = 0`.
fn depth_block(k: usize) -> usize {
    if k == 0 { 0 } else { k.div_ceil(k.div_ceil(KC)) }
}

/// An operand given as parts along the product's depth: each part a view and its depth
/// (the columns of an `A`, the rows of a `B`).
type Parts<'s, 'a, T> = &'s [(super::MatRef<'a, T>, usize)];

/// Which rows of `A` (and of `C`) a product runs over, and which steps of its depth:
/// all when `None`. Picked steps of the depth come with one part of `A` and of `B`.
#[derive(Clone, Copy)]
struct Picks<'s> {
    rows: Option<&'s [usize]>,
    depth: Option<&'s [usize]>,
}

/// Where the panels of `B` come from.
enum Panels<'s, 'a, 'b, T> {
    /// Packed from these parts into this buffer, block by block.
    Pack(Parts<'s, 'a, T>, &'b mut [T]),
    /// Packed already.
    Packed(&'a PackedB<T>),
}

/// The loops of the product, on checked operands, compiled for this CPU's instruction
/// set (the packing copies and the tiles' stores run as wide moves; the micro-kernel is
/// `kernel`'s).
#[allow(clippy::too_many_arguments)] // the loops' operands
fn run<T: Real>(
    kernel: Kernels<T>,
    dims: (usize, usize, usize),
    a: Parts<'_, '_, T>,
    pick: Picks<'_>,
    panels: Panels<'_, '_, '_, T>,
    accumulate: bool,
    c: &mut [T],
    ldc: usize,
    pa: &mut [T],
) {
    struct Loops<'p, 's, 'a, 'b, T> {
        kernel: Kernels<T>,
        dims: (usize, usize, usize),
        a: Parts<'s, 'a, T>,
        pick: Picks<'s>,
        panels: Panels<'s, 'a, 'b, T>,
        accumulate: bool,
        c: &'p mut [T],
        ldc: usize,
        pa: &'p mut [T],
    }
    impl<T: Real> super::simd::Job for Loops<'_, '_, '_, '_, T> {
        type Out = ();
        #[inline(always)]
        fn run<const FMA: bool>(self) {
            let Loops { kernel, dims, a, pick, panels, accumulate, c, ldc, pa } = self;
            loops(kernel, dims, a, pick, panels, accumulate, c, ldc, pa);
        }
    }
    super::simd::dispatch(Loops { kernel, dims, a, pick, panels, accumulate, c, ldc, pa });
}

/// [`run`]'s loops, inlined into each instruction set's variant. `m` counts the rows
/// computed (the picked ones, if any); `k` is the whole depth, cut into the same blocks
/// whether or not steps are picked.
#[inline(always)]
#[allow(clippy::too_many_arguments)] // the loops' operands
fn loops<T: Real>(
    (kernel, picked): Kernels<T>,
    (m, k, n): (usize, usize, usize),
    a: Parts<'_, '_, T>,
    Picks { rows, depth }: Picks<'_>,
    mut panels: Panels<'_, '_, '_, T>,
    accumulate: bool,
    c: &mut [T],
    ldc: usize,
    pa: &mut [T],
) {
    if m == 0 || n == 0 {
        return;
    }
    let all_rows = match rows {
        Some(r) => Pick::List(r),
        None => Pick::Run(0, m),
    };
    let kc_max = depth_block(k);
    // Every kernel call overwrites the whole tile.
    let mut tile = [[T::zero(); NR]; MR];
    // When one block of rows of `A` uses each panel of `B` (`m <= MC`), full panels of a
    // `B` of one part with contiguous rows are read in place (each row of a panel is as
    // contiguous as a packed one's, the rows `ldb` apart; at picked steps, through the
    // picked kernel): no copy of `B`. Edge panels, a `B` read down its columns or in
    // parts, and panels that several blocks of `A` reuse are packed. So is a `B` whose
    // rows are closer than a panel's width: the micro-kernels read rows `ldb >= NR`
    // apart. Such a `B` is one row (the transpose of a one-wide layer's kernel, `1 x IN`
    // with both strides 1, issue #29) or rows that overlap; packing it is one short copy.
    let direct = match &panels {
        Panels::Pack([(b, _)], _) if b.col_stride == 1 && b.row_stride >= NR && m <= MC => Some(*b),
        _ => None,
    };
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        // Whether a block of depth wrote these columns of `c` yet.
        let mut written = false;
        for pc in (0..k).step_by(kc_max.max(1)) {
            let kc = kc_max.min(k - pc);
            // The steps of this block that run, and how many.
            let live = depth.map(|d| {
                let from = d.partition_point(|&p| p < pc);
                &d[from..from + d[from..].partition_point(|&p| p < pc + kc)]
            });
            let steps = live.map_or(kc, <[usize]>::len);
            if steps == 0 {
                continue;
            }
            let in_place = direct.is_some();
            let block: &[T] = match &mut panels {
                Panels::Pack(b, buffer) => {
                    if in_place {
                        let last = (nc / NR) * NR;
                        match (live, &b[..]) {
                            _ if last == nc => {}
                            (Some(live), [(b, _)]) => {
                                pack_b(*b, Pick::List(live), jc + last, nc - last, buffer, (0, steps))
                            }
                            _ => for_parts(b, pc, kc, |b, p0, len, at| {
                                pack_b(b, Pick::Run(p0, len), jc + last, nc - last, buffer, (at, kc))
                            }),
                        }
                    } else if let (Some(live), [(b, _)]) = (live, &b[..]) {
                        pack_b(*b, Pick::List(live), jc, nc, buffer, (0, steps));
                    } else {
                        for_parts(b, pc, kc, |b, p0, len, at| {
                            pack_b(b, Pick::Run(p0, len), jc, nc, buffer, (at, kc))
                        });
                    }
                    buffer
                }
                Panels::Packed(packed) => &packed.data[k * jc + pc * nc.div_ceil(NR) * NR..],
            };
            let add = accumulate || written;
            written = true;
            for ic in (0..m).step_by(MC) {
                let mc = MC.min(m - ic);
                let rows = all_rows.sub(ic, mc);
                match (live, a) {
                    (Some(live), [(a, _)]) => pack_a(*a, rows, Pick::List(live), pa, (0, steps)),
                    _ => for_parts(a, pc, kc, |a, p0, len, at| {
                        pack_a(a, rows, Pick::Run(p0, len), pa, (at, kc))
                    }),
                }
                for jr in (0..nc).step_by(NR) {
                    let nr = NR.min(nc - jr);
                    let (bp, ldb) = match direct {
                        Some(b) if nr == NR => {
                            let rs = b.row_stride;
                            match live {
                                Some(_) => (&b.data[jc + jr..], rs),
                                None => (&b.data[pc * rs + jc + jr..][..(kc - 1) * rs + NR], rs),
                            }
                        }
                        // The packed edge panel of an in-place `B` is the buffer's first.
                        Some(_) => (&block[..steps * NR], NR),
                        None => (&block[(jr / NR) * steps * NR..][..steps * NR], NR),
                    };
                    let picked_in_place = direct.is_some() && nr == NR;
                    for ir in (0..mc).step_by(MR) {
                        let mr = MR.min(mc - ir);
                        let ap = &pa[(ir / MR) * steps * MR..][..steps * MR];
                        match live {
                            Some(live) if picked_in_place => picked(ap, bp, ldb, live, &mut tile),
                            _ => kernel(steps, ap, bp, ldb, &mut tile),
                        }
                        for (i, t) in tile.iter().enumerate().take(mr) {
                            let start = rows.at(ir + i) * ldc + jc + jr;
                            let row = &mut c[start..start + nr];
                            if add {
                                for (r, &v) in row.iter_mut().zip(t) {
                                    *r = *r + v;
                                }
                            } else if let Ok(row) = <&mut [T; NR]>::try_from(&mut *row) {
                                // A whole tile row: a copy of known length, inlined (a
                                // `memcpy` call per row otherwise).
                                *row = *t;
                            } else {
                                row.copy_from_slice(&t[..nr]);
                            }
                        }
                    }
                }
            }
        }
        if !written && !accumulate {
            // No step ran (depth 0, or none picked): `c = 0`.
            for i in 0..m {
                let start = all_rows.at(i) * ldc + jc;
                c[start..start + nc].fill(T::zero());
            }
        }
    }
}

/// The micro-kernel in plain Rust, for `f64` and for CPUs without AVX2.
pub(crate) fn portable_kernel<T: Real>(kc: usize, a: &[T], b: &[T], ldb: usize, out: &mut [[T; NR]; MR]) {
    portable_body(kc, a, b_rows(kc, b, ldb), out)
}

/// The portable kernel reading `B` at picked rows ([`PickedKernel`]).
pub(crate) fn portable_picked<T: Real>(
    a: &[T],
    b: &[T],
    ldb: usize,
    rows: &[usize],
    out: &mut [[T; NR]; MR],
) {
    portable_body(rows.len(), a, picked_rows(b, ldb, rows), out)
}

#[inline(always)]
fn portable_body<'b, T: Real>(
    kc: usize,
    a: &[T],
    rows: impl Iterator<Item = &'b [T; NR]>,
    out: &mut [[T; NR]; MR],
) {
    let (ap, _) = a[..kc * MR].as_chunks::<MR>();
    let mut acc = [[T::zero(); NR]; MR];
    for (x, w) in ap.iter().zip(rows) {
        for (row, &xi) in acc.iter_mut().zip(x) {
            for (c, &wj) in row.iter_mut().zip(w) {
                *c = xi * wj + *c;
            }
        }
    }
    *out = acc;
}

/// The `kc` rows of `NR` values of a `B` panel, `ldb` apart.
///
/// # Panics
/// If `b` is shorter than `(kc - 1) * ldb + NR` (or `ldb < NR`).
#[inline(always)]
pub(crate) fn b_rows<T>(kc: usize, b: &[T], ldb: usize) -> impl Iterator<Item = &[T; NR]> {
    assert!(ldb >= NR && (kc == 0 || b.len() >= (kc - 1) * ldb + NR), "a B panel of {kc} rows {ldb} apart");
    (0..kc).map(move |p| b[p * ldb..p * ldb + NR].try_into().expect("NR values"))
}

/// The rows of `NR` values of a `B` panel at picked positions: row `p` is at
/// `b[rows[p] * ldb..]`.
///
/// # Panics
/// If a picked row runs past `b` (checked row by row).
#[inline(always)]
pub(crate) fn picked_rows<'b, T>(
    b: &'b [T],
    ldb: usize,
    rows: &'b [usize],
) -> impl Iterator<Item = &'b [T; NR]> {
    rows.iter().map(move |&r| {
        let at = r.checked_mul(ldb).expect("a picked row of B past its end");
        b.get(at..at + NR).and_then(|row| row.try_into().ok()).expect("a picked row of B past its end")
    })
}

#[cfg(test)]
mod shape_tests;
#[cfg(test)]
mod tests;
