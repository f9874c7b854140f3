//! The training half of a network: a forward pass that keeps every layer's outputs, and
//! the backward pass. [`fit`](crate::train::Compiled::fit) drives it; the tests check it
//! against finite differences.

use alloc::vec::Vec;

use crate::element::Scalar;
use crate::linalg::{self, MatRef, Packing};
use crate::nn::{Accepts, Activation, Dense, Layers};

pub use super::parts::Parts;
pub(crate) use super::parts::part_operands;

pub(crate) mod masks;

/// Scratch memory of the matrix products of one training thread (packing buffers,
/// about 650 KiB for `f32`): made once, reused by every step.
#[derive(Clone, Debug, Default)]
pub struct Workspace<T: Scalar> {
    packing: Packing<T>,
    /// The inputs of a layer that are live in some part of a batch, and scratch.
    live: Vec<usize>,
    seen: Vec<bool>,
    /// What a dropout layer's masks are drawn from.
    dropout: masks::DropoutRows,
}

impl<T: Scalar> Workspace<T> {
    /// Fresh buffers.
    pub fn new() -> Self {
        Workspace {
            packing: Packing::new(),
            live: Vec::new(),
            seen: Vec::new(),
            dropout: masks::DropoutRows::default(),
        }
    }

    /// The packing buffers.
    pub(crate) fn packing(&mut self) -> &mut Packing<T> {
        &mut self.packing
    }
}

/// Training buffers of a [`Dense`] layer: its outputs and the gradient with respect to
/// them, a row per sample, and which of its inputs the last forward pass saw zero in
/// every row. (Public only as the `Trace` of `Dense`; not re-exported.)
pub struct DenseTrace<T, const OUT: usize> {
    y: Vec<[T; OUT]>,
    g: Vec<[T; OUT]>,
    /// The inputs not zero in every row of the last forward pass, when the products
    /// left the others out (`skipped`); their kernel rows' gradients are zero.
    live: Vec<usize>,
    skipped: bool,
    seen: Vec<bool>,
}

impl<T, const OUT: usize> DenseTrace<T, OUT> {
    /// The inputs of the last forward pass not zero in every row, if the others were
    /// left out.
    fn live(&self) -> Option<&[usize]> {
        self.skipped.then_some(&self.live[..])
    }
}

/// The rows of `k x n` row-major `c` not in `live` (strictly increasing) within `rows`,
/// set to zero: the gradients of the kernel rows of inputs that were zero in every row.
fn zero_dead_rows<T: Scalar>(c: &mut [T], n: usize, rows: core::ops::Range<usize>, live: &[usize]) {
    let mut next = rows.start;
    for &l in live.iter().chain(core::iter::once(&rows.end)) {
        if l >= next {
            let end = l.min(rows.end);
            c[next * n..end * n].fill(T::zero());
            next = end + 1;
        }
        if next >= rows.end {
            break;
        }
    }
}

/// A network that can be trained: implemented for every network of [`Layers`].
///
/// One training step of a batch `x` is: [`forward`](Backprop::forward_train) (keeps each
/// layer's outputs in a [`Trace`](Backprop::Trace)); the loss writes its gradient into
/// [`output_and_grad`](Backprop::output_and_grad)'s second half; then
/// [`backward`](Backprop::backward) gives the gradient of every weight.
pub trait Backprop<T: Scalar>: Layers<T> {
    /// Each layer's outputs and the gradient with respect to them, for up to the number
    /// of samples given to [`Backprop::new_trace`].
    type Trace: Send + Sync;

    /// Training buffers for batches of up to `rows` samples.
    fn new_trace(rows: usize) -> Self::Trace;

    /// The forward pass of training: every layer's outputs for `x` kept in `trace`.
    fn forward_train(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        ws: &mut Workspace<T>,
    );

    /// The last layer's outputs and its gradient buffer (the whole capacity).
    fn output_and_grad(trace: &mut Self::Trace) -> (&[Self::Output], &mut [Self::Output]);

    /// Turns the last layer's gradient with respect to its outputs into the gradient
    /// with respect to its pre-activations, for the first `rows` samples.
    fn activation_backward(trace: &mut Self::Trace, rows: usize);

    /// The backward pass. On entry the output gradient holds the gradient of the loss with
    /// respect to the last layer's pre-activations; on exit `grads` holds the gradient
    /// with respect to every weight (overwritten), and `dx`, if given, the gradient with
    /// respect to the input `x`, which is the batch of the last
    /// [`forward_train`](Backprop::forward_train) (the trace keeps which of its inputs
    /// were zero in every row).
    fn backward(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        grads: &mut Self::Params,
        dx: Option<&mut [Self::Input]>,
        ws: &mut Workspace<T>,
    ) {
        Self::backward_parts(params, x, trace, Some(grads), dx, ws)
    }

    /// [`backward`](Backprop::backward) without the weights' gradients: only what flows
    /// back (each layer's pre-activation gradient, left in `trace`, and `dx` if given).
    /// The first half of a step whose weight gradients are split into shares.
    #[doc(hidden)]
    fn backward_data(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        dx: Option<&mut [Self::Input]>,
        ws: &mut Workspace<T>,
    ) {
        Self::backward_parts(params, x, trace, None, dx, ws)
    }

    /// The backward pass, with the weights' gradients if `grads` is given: what
    /// [`backward`](Backprop::backward) and [`backward_data`](Backprop::backward_data)
    /// run.
    #[doc(hidden)]
    fn backward_parts(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        grads: Option<&mut Self::Params>,
        dx: Option<&mut [Self::Input]>,
        ws: &mut Workspace<T>,
    );

    /// The last layer's outputs (the whole capacity), read only.
    #[doc(hidden)]
    fn output(trace: &Self::Trace) -> &[Self::Output];

    /// The second half: share `share.0` of `share.1` of the weights' gradients
    /// ([`Backprop::share_ranges`]: a block of every kernel's rows and of every bias),
    /// over every part of a batch (each part a thread's rows, with its trace after
    /// [`backward_data`](Backprop::backward_data)), computed as one product as deep as
    /// the batch: the same values, bit for bit, as [`backward`](Backprop::backward) over
    /// the whole batch on one thread. That share of `grads` is overwritten; the rest is
    /// left alone.
    #[doc(hidden)]
    fn weight_grads_share(
        parts: Parts<'_, Self::Input, Self::Trace>,
        grads: &mut Self::Params,
        share: (usize, usize),
        ws: &mut Workspace<T>,
    );

    /// Pushes onto `out`, for each weight array in the order of `Layers::visit_params`,
    /// the elements share `share.0` of `share.1` covers: one contiguous block of each
    /// array, the shares of an array covering it once, in order.
    #[doc(hidden)]
    fn share_ranges(share: (usize, usize), out: &mut Vec<core::ops::Range<usize>>);
}

/// `sum[j] += row[j]` for every row and every `j` in `cols`, rows in order: a bias's
/// gradient.
pub(super) fn add_rows<T: Scalar, const N: usize>(
    sum: &mut [T; N],
    rows: &[[T; N]],
    cols: core::ops::Range<usize>,
) {
    let sum = &mut sum[cols.clone()];
    for row in rows {
        for (s, &d) in sum.iter_mut().zip(&row[cols.clone()]) {
            *s = *s + d;
        }
    }
}

/// The union of the live inputs of `traces` (in `out`), or `None` if a trace left
/// none out (every input live). `seen` is scratch. Allocates nothing once they have
/// grown.
fn union_live<'w, 't, T: Scalar + 't, const IN: usize, const OUT: usize>(
    traces: impl Iterator<Item = &'t DenseTrace<T, OUT>>,
    (out, seen): (&'w mut Vec<usize>, &mut Vec<bool>),
) -> Option<&'w [usize]> {
    seen.clear();
    seen.resize(IN, false);
    for trace in traces {
        for &l in trace.live()? {
            seen[l] = true;
        }
    }
    out.clear();
    out.extend(seen.iter().enumerate().filter(|(_, s)| **s).map(|(j, _)| j));
    Some(&out[..])
}

/// Rows `k` of `size` of a kernel of `rows` rows (a layer's inputs): as even as whole
/// rows allow; a share may be empty when the layer has fewer inputs than shares.
pub(crate) fn row_share(rows: usize, k: usize, size: usize) -> core::ops::Range<usize> {
    let size = size.max(1);
    (rows * k / size).min(rows)..(rows * (k + 1) / size).min(rows)
}

/// Columns `k` of `size` of a bias `width` wide: whole multiples of 16 values (a cache
/// line of `f32`), the last share taking the rest; a share may be empty when the layer
/// is narrow.
pub(crate) fn column_share(width: usize, k: usize, size: usize) -> core::ops::Range<usize> {
    const UNIT: usize = 16;
    let units = width.div_ceil(UNIT);
    let size = size.max(1);
    let at = |k: usize| (units * k / size * UNIT).min(width);
    at(k)..at(k + 1)
}

impl<T: Scalar, const IN: usize, const OUT: usize, A: Activation> Backprop<T> for Dense<IN, OUT, A> {
    type Trace = DenseTrace<T, OUT>;

    fn new_trace(rows: usize) -> Self::Trace {
        DenseTrace {
            y: alloc::vec![[T::zero(); OUT]; rows],
            g: alloc::vec![[T::zero(); OUT]; rows],
            live: Vec::with_capacity(IN),
            skipped: false,
            seen: Vec::with_capacity(IN),
        }
    }

    fn forward_train(params: &Self::Params, x: &[[T; IN]], trace: &mut Self::Trace, ws: &mut Workspace<T>) {
        let () = Self::NOT_EMPTY;
        let y = &mut trace.y[..x.len()];
        y.fill(params.bias);
        // Inputs zero in every row are left out of the product (exactly: the weights
        // are finite while training), and out of the kernel's gradient.
        let scratch = (&mut trace.live, &mut trace.seen);
        trace.skipped =
            linalg::matmul_rows_skipping_zeros(x, &params.kernel, y, true, &mut ws.packing, scratch);
        for row in y {
            A::forward(row);
        }
    }

    fn output_and_grad(trace: &mut Self::Trace) -> (&[[T; OUT]], &mut [[T; OUT]]) {
        (&trace.y, &mut trace.g)
    }

    fn activation_backward(trace: &mut Self::Trace, rows: usize) {
        for (y, g) in trace.y[..rows].iter().zip(&mut trace.g[..rows]) {
            A::backward(y, g);
        }
    }

    fn backward_parts(
        params: &Self::Params,
        x: &[[T; IN]],
        trace: &mut Self::Trace,
        grads: Option<&mut Self::Params>,
        dx: Option<&mut [[T; IN]]>,
        ws: &mut Workspace<T>,
    ) {
        let rows = x.len();
        let dz = &trace.g[..rows];
        if let Some(grads) = grads {
            // dW = x^T . dz
            let (xt, dzv) =
                (MatRef::transposed(x.as_flattened(), IN), MatRef::row_major(dz.as_flattened(), OUT));
            let c = grads.kernel.as_flattened_mut();
            match trace.live() {
                Some(live) if rows > 0 => {
                    // Only the rows of inputs that were not zero in every sample.
                    linalg::packed::gemm_stacked(
                        IN,
                        Some(live),
                        OUT,
                        &[(xt, rows)],
                        &[(dzv, rows)],
                        false,
                        c,
                        OUT,
                        &mut ws.packing,
                    );
                    zero_dead_rows(c, OUT, 0..IN, live);
                }
                _ => linalg::matmul(IN, rows, OUT, xt, dzv, false, c, OUT, Some(&mut ws.packing)),
            }
            // db = sum of dz over the samples
            grads.bias = [T::zero(); OUT];
            add_rows(&mut grads.bias, dz, 0..OUT);
        }
        // dx = dz . W^T
        if let Some(dx) = dx {
            linalg::matmul(
                rows,
                OUT,
                IN,
                MatRef::row_major(dz.as_flattened(), OUT),
                MatRef::transposed(params.kernel.as_flattened(), OUT),
                false,
                dx[..rows].as_flattened_mut(),
                IN,
                Some(&mut ws.packing),
            );
        }
    }

    fn output(trace: &Self::Trace) -> &[[T; OUT]] {
        &trace.y
    }

    fn weight_grads_share(
        parts: Parts<'_, [T; IN], Self::Trace>,
        grads: &mut Self::Params,
        (k, size): (usize, usize),
        ws: &mut Workspace<T>,
    ) {
        // dW[rows] = x[:, rows]^T . dz, the parts stacked in order along the depth (as
        // the rows of one thread's batch would be). Empty parts count as parts of no
        // depth.
        let rows = row_share(IN, k, size);
        if !rows.is_empty() {
            let depth: usize = parts.iter().map(|(x, _)| x.len()).sum();
            // The inputs live in some part (all of them unless every part left some out).
            let live = union_live::<T, IN, OUT>(
                parts.iter().filter(|(x, _)| !x.is_empty()).map(|(_, t)| t),
                (&mut ws.live, &mut ws.seen),
            )
            .filter(|live| linalg::worth_skipping(live.len(), IN, depth));
            // Picked rows are counted from the kernel's first; all rows from the share's.
            let from = if live.is_some() { 0 } else { rows.start };
            let part = |i| {
                let (x, trace) = parts.get(i);
                let x: &[[T; IN]] = x;
                let a = (MatRef::transposed(&x.as_flattened()[from.min(x.len() * IN)..], IN), x.len());
                (a, (MatRef::row_major(trace.g[..x.len()].as_flattened(), OUT), x.len()))
            };
            let c = &mut grads.kernel.as_flattened_mut()[from * OUT..];
            match live {
                Some(live) => {
                    let first = live.partition_point(|&l| l < rows.start);
                    let mine = &live[first..first + live[first..].partition_point(|&l| l < rows.end)];
                    part_operands(parts.len(), part, |a, b| {
                        linalg::packed::gemm_stacked(
                            IN,
                            Some(mine),
                            OUT,
                            a,
                            b,
                            false,
                            c,
                            OUT,
                            &mut ws.packing,
                        )
                    });
                    zero_dead_rows(c, OUT, rows, mine);
                }
                None => part_operands(parts.len(), part, |a, b| {
                    linalg::packed::gemm_stacked(rows.len(), None, OUT, a, b, false, c, OUT, &mut ws.packing)
                }),
            }
        }
        // db[cols] = sum of dz[:, cols] over every row, in order.
        let cols = column_share(OUT, k, size);
        grads.bias[cols.clone()].fill(T::zero());
        for (x, trace) in parts.iter() {
            add_rows(&mut grads.bias, &trace.g[..x.len()], cols.clone());
        }
    }

    fn share_ranges((k, size): (usize, usize), out: &mut Vec<core::ops::Range<usize>>) {
        let rows = row_share(IN, k, size);
        out.push(rows.start * OUT..rows.end * OUT);
        out.push(column_share(OUT, k, size));
    }
}

impl<T: Scalar, A: Backprop<T>, B: Backprop<T> + Accepts<T, A::Output>> Backprop<T> for (A, B) {
    type Trace = (A::Trace, B::Trace);

    fn new_trace(rows: usize) -> Self::Trace {
        (A::new_trace(rows), B::new_trace(rows))
    }

    fn forward_train(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        ws: &mut Workspace<T>,
    ) {
        A::forward_train(&params.0, x, &mut trace.0, ws);
        let (ya, _) = A::output_and_grad(&mut trace.0);
        B::forward_train(&params.1, B::view_batch(&ya[..x.len()]), &mut trace.1, ws);
    }

    fn output_and_grad(trace: &mut Self::Trace) -> (&[Self::Output], &mut [Self::Output]) {
        B::output_and_grad(&mut trace.1)
    }

    fn activation_backward(trace: &mut Self::Trace, rows: usize) {
        B::activation_backward(&mut trace.1, rows);
    }

    fn backward_parts(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        grads: Option<&mut Self::Params>,
        dx: Option<&mut [Self::Input]>,
        ws: &mut Workspace<T>,
    ) {
        let rows = x.len();
        let (grads_a, grads_b) = match grads {
            Some((a, b)) => (Some(a), Some(b)),
            None => (None, None),
        };
        {
            let (ya, ga) = A::output_and_grad(&mut trace.0);
            let ya = B::view_batch(&ya[..rows]);
            let ga = B::view_batch_mut(&mut ga[..rows]);
            B::backward_parts(&params.1, ya, &mut trace.1, grads_b, Some(ga), ws);
        }
        A::activation_backward(&mut trace.0, rows);
        A::backward_parts(&params.0, x, &mut trace.0, grads_a, dx, ws);
    }

    fn output(trace: &Self::Trace) -> &[Self::Output] {
        B::output(&trace.1)
    }

    fn weight_grads_share(
        parts: Parts<'_, Self::Input, Self::Trace>,
        grads: &mut Self::Params,
        share: (usize, usize),
        ws: &mut Workspace<T>,
    ) {
        let first = |i| {
            let (x, t) = parts.get(i);
            (x, &t.0)
        };
        A::weight_grads_share(Parts::new(parts.len(), &first), &mut grads.0, share, ws);
        let later = |i| {
            let (x, t) = parts.get(i);
            (B::view_batch(&A::output(&t.0)[..x.len()]), &t.1)
        };
        B::weight_grads_share(Parts::new(parts.len(), &later), &mut grads.1, share, ws);
    }

    fn share_ranges(share: (usize, usize), out: &mut Vec<core::ops::Range<usize>>) {
        A::share_ranges(share, out);
        B::share_ranges(share, out);
    }
}

/// A one-layer stack trains as its layer.
impl<T: Scalar, A: Backprop<T>> Backprop<T> for (A,) {
    type Trace = A::Trace;
    fn new_trace(rows: usize) -> Self::Trace {
        A::new_trace(rows)
    }
    fn forward_train(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        ws: &mut Workspace<T>,
    ) {
        A::forward_train(params, x, trace, ws)
    }
    fn output_and_grad(trace: &mut Self::Trace) -> (&[Self::Output], &mut [Self::Output]) {
        A::output_and_grad(trace)
    }
    fn activation_backward(trace: &mut Self::Trace, rows: usize) {
        A::activation_backward(trace, rows)
    }
    fn backward_parts(
        params: &Self::Params,
        x: &[Self::Input],
        trace: &mut Self::Trace,
        grads: Option<&mut Self::Params>,
        dx: Option<&mut [Self::Input]>,
        ws: &mut Workspace<T>,
    ) {
        A::backward_parts(params, x, trace, grads, dx, ws)
    }
    fn output(trace: &Self::Trace) -> &[Self::Output] {
        A::output(trace)
    }
    fn weight_grads_share(
        parts: Parts<'_, Self::Input, Self::Trace>,
        grads: &mut Self::Params,
        share: (usize, usize),
        ws: &mut Workspace<T>,
    ) {
        A::weight_grads_share(parts, grads, share, ws)
    }
    fn share_ranges(share: (usize, usize), out: &mut Vec<core::ops::Range<usize>>) {
        A::share_ranges(share, out)
    }
}

/// Flat tuples of 3 to 12 stacks train as the nested pairs they stand for.
macro_rules! flat_tuple {
    ($first:ident $(, $rest:ident)+) => {
        impl<T: Scalar, $first, $($rest),+> Backprop<T> for ($first, $($rest),+)
        where
            ($first, ($($rest,)+)): Backprop<T>,
        {
            type Trace = <($first, ($($rest,)+)) as Backprop<T>>::Trace;
            fn new_trace(rows: usize) -> Self::Trace {
                <($first, ($($rest,)+)) as Backprop<T>>::new_trace(rows)
            }
            fn forward_train(params: &Self::Params, x: &[Self::Input], trace: &mut Self::Trace, ws: &mut Workspace<T>) {
                <($first, ($($rest,)+)) as Backprop<T>>::forward_train(params, x, trace, ws)
            }
            fn output_and_grad(trace: &mut Self::Trace) -> (&[Self::Output], &mut [Self::Output]) {
                <($first, ($($rest,)+)) as Backprop<T>>::output_and_grad(trace)
            }
            fn activation_backward(trace: &mut Self::Trace, rows: usize) {
                <($first, ($($rest,)+)) as Backprop<T>>::activation_backward(trace, rows)
            }
            fn backward_parts(
                params: &Self::Params,
                x: &[Self::Input],
                trace: &mut Self::Trace,
                grads: Option<&mut Self::Params>,
                dx: Option<&mut [Self::Input]>,
                ws: &mut Workspace<T>,
            ) {
                <($first, ($($rest,)+)) as Backprop<T>>::backward_parts(params, x, trace, grads, dx, ws)
            }
            fn output(trace: &Self::Trace) -> &[Self::Output] {
                <($first, ($($rest,)+)) as Backprop<T>>::output(trace)
            }
            fn weight_grads_share(
                parts: Parts<'_, Self::Input, Self::Trace>,
                grads: &mut Self::Params,
                share: (usize, usize),
                ws: &mut Workspace<T>,
            ) {
                <($first, ($($rest,)+)) as Backprop<T>>::weight_grads_share(parts, grads, share, ws)
            }
            fn share_ranges(share: (usize, usize), out: &mut Vec<core::ops::Range<usize>>) {
                <($first, ($($rest,)+)) as Backprop<T>>::share_ranges(share, out)
            }
        }
    };
}

flat_tuple!(L1, L2, L3);
flat_tuple!(L1, L2, L3, L4);
flat_tuple!(L1, L2, L3, L4, L5);
flat_tuple!(L1, L2, L3, L4, L5, L6);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7, L8);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7, L8, L9);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7, L8, L9, L10);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11);
flat_tuple!(L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12);

#[cfg(test)]
mod tests {
    use super::column_share;

    #[test]
    fn column_shares_cover_each_width_in_order() {
        for width in 0..100 {
            for size in 1..20 {
                let mut next = 0;
                for k in 0..size {
                    let r = column_share(width, k, size);
                    assert_eq!(r.start, next, "width {width}, share {k} of {size}");
                    assert!(r.start <= r.end && r.end <= width);
                    assert!(r.start.is_multiple_of(16) || r.start == width);
                    next = r.end;
                }
                assert_eq!(next, width, "width {width}, {size} shares");
            }
        }
        // Wide layers are split evenly in whole lines.
        assert_eq!(column_share(512, 1, 2), 256..512);
        assert_eq!(column_share(10, 0, 2), 0..0);
        assert_eq!(column_share(10, 1, 2), 0..10);
    }
}
