//! Layout: transpose, axis permutations, reshape, flatten, slices along the first axis.
//!
//! `permute_impls.rs` lists every permutation of ranks 3 to 5; it is written by
//! `src/constraint/generate.py`.

use super::Tensor;
use crate::constraint::Message;
use crate::constraint::ShapeCheck;
use crate::element::Element;
use crate::shape::{MAX_RANK, Shape, strides};

/// Copies `src` (of dims `dims`) into `dst` with its axes reordered: output axis `k` is
/// input axis `perm[k]`.
fn permute_into<T: Copy>(src: &[T], dims: &[usize], perm: &[usize], dst: &mut [T]) {
    let rank = dims.len();
    let in_strides = strides(dims);
    let mut out_dims = [0; MAX_RANK];
    let mut step = [0; MAX_RANK];
    for k in 0..rank {
        out_dims[k] = dims[perm[k]];
        step[k] = in_strides[perm[k]];
    }
    let mut index = [0; MAX_RANK];
    let mut offset = 0;
    for d in dst.iter_mut() {
        *d = src[offset];
        for k in (0..rank).rev() {
            index[k] += 1;
            offset += step[k];
            if index[k] < out_dims[k] {
                break;
            }
            offset -= step[k] * out_dims[k];
            index[k] = 0;
        }
    }
}

/// A rank-3 tensor of dims `(D0, D1, D2)` with its axes reordered: output axis `k` is
/// input axis `Pk`.
#[diagnostic::on_unimplemented(
    message = "`<{P0}, {P1}, {P2}>` is not a permutation of the axes of a tensor of shape ({D0}, {D1}, {D2})",
    label = "each of the axes 0, 1, 2 must appear exactly once",
    note = "a rank-3 tensor takes a reordering of `<0, 1, 2>`: `permute3::<2, 0, 1>()` moves the last axis first"
)]
pub trait Permute3<
    const P0: usize,
    const P1: usize,
    const P2: usize,
    const D0: usize,
    const D1: usize,
    const D2: usize,
>
{
    /// The shape with its axes reordered.
    type Output<T: Element>: Shape<Elem = T>;
}

/// A rank-4 tensor of dims `(D0, D1, D2, D3)` with its axes reordered: output axis `k` is
/// input axis `Pk`.
#[diagnostic::on_unimplemented(
    message = "`<{P0}, {P1}, {P2}, {P3}>` is not a permutation of the axes of a tensor of shape ({D0}, {D1}, {D2}, {D3})",
    label = "each of the axes 0 to 3 must appear exactly once",
    note = "a rank-4 tensor takes a reordering of `<0, 1, 2, 3>`: `permute4::<0, 3, 1, 2>()` turns NHWC into NCHW"
)]
pub trait Permute4<
    const P0: usize,
    const P1: usize,
    const P2: usize,
    const P3: usize,
    const D0: usize,
    const D1: usize,
    const D2: usize,
    const D3: usize,
>
{
    /// The shape with its axes reordered.
    type Output<T: Element>: Shape<Elem = T>;
}

/// A rank-5 tensor of dims `(D0, .., D4)` with its axes reordered: output axis `k` is
/// input axis `Pk`.
#[diagnostic::on_unimplemented(
    message = "`<{P0}, {P1}, {P2}, {P3}, {P4}>` is not a permutation of the axes of a tensor of shape ({D0}, {D1}, {D2}, {D3}, {D4})",
    label = "each of the axes 0 to 4 must appear exactly once",
    note = "a rank-5 tensor takes a reordering of `<0, 1, 2, 3, 4>`"
)]
pub trait Permute5<
    const P0: usize,
    const P1: usize,
    const P2: usize,
    const P3: usize,
    const P4: usize,
    const D0: usize,
    const D1: usize,
    const D2: usize,
    const D3: usize,
    const D4: usize,
>
{
    /// The shape with its axes reordered.
    type Output<T: Element>: Shape<Elem = T>;
}

include!("permute_impls.rs");

impl<T: Element, const A: usize, const B: usize> Tensor<[[T; B]; A]> {
    /// The transpose of a matrix.
    ///
    /// ```
    /// # use shaped::Tensor2;
    /// let m = Tensor2::<i32, 2, 3>::from_array([[1, 2, 3], [4, 5, 6]]);
    /// assert_eq!(m.transpose().as_array(), &[[1, 4], [2, 5], [3, 6]]);
    /// ```
    pub fn transpose(&self) -> Tensor<[[T; A]; B]> {
        let mut out = Tensor::<[[T; A]; B]>::zeros();
        let (src, dst) = (self.as_array(), out.as_array_mut());
        for (i, row) in src.iter().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                dst[j][i] = x;
            }
        }
        out
    }
}

impl<T: Element, const A: usize, const B: usize, const C: usize> Tensor<[[[T; C]; B]; A]> {
    /// The axes reordered: output axis `k` is input axis `Pk`.
    ///
    /// ```
    /// # use shaped::Tensor3;
    /// let x = Tensor3::<u8, 2, 3, 4>::zeros();
    /// let y = x.permute3::<2, 0, 1>();
    /// assert_eq!(y.shape(), &[4, 2, 3]);
    /// ```
    pub fn permute3<const P0: usize, const P1: usize, const P2: usize>(
        &self,
    ) -> Tensor<<ShapeCheck as Permute3<P0, P1, P2, A, B, C>>::Output<T>>
    where
        ShapeCheck: Permute3<P0, P1, P2, A, B, C>,
    {
        let mut out = Tensor::zeros();
        permute_into(self.as_slice(), Self::DIMS, &[P0, P1, P2], out.as_mut_slice());
        out
    }
}

impl<T: Element, const A: usize, const B: usize, const C: usize, const D: usize>
    Tensor<[[[[T; D]; C]; B]; A]>
{
    /// The axes reordered: output axis `k` is input axis `Pk`.
    #[allow(clippy::type_complexity)] // the output type is the point
    pub fn permute4<const P0: usize, const P1: usize, const P2: usize, const P3: usize>(
        &self,
    ) -> Tensor<<ShapeCheck as Permute4<P0, P1, P2, P3, A, B, C, D>>::Output<T>>
    where
        ShapeCheck: Permute4<P0, P1, P2, P3, A, B, C, D>,
    {
        let mut out = Tensor::zeros();
        permute_into(self.as_slice(), Self::DIMS, &[P0, P1, P2, P3], out.as_mut_slice());
        out
    }
}

impl<T: Element, const A: usize, const B: usize, const C: usize, const D: usize, const E: usize>
    Tensor<[[[[[T; E]; D]; C]; B]; A]>
{
    /// The axes reordered: output axis `k` is input axis `Pk`.
    #[allow(clippy::type_complexity)] // the output type is the point
    pub fn permute5<const P0: usize, const P1: usize, const P2: usize, const P3: usize, const P4: usize>(
        &self,
    ) -> Tensor<<ShapeCheck as Permute5<P0, P1, P2, P3, P4, A, B, C, D, E>>::Output<T>>
    where
        ShapeCheck: Permute5<P0, P1, P2, P3, P4, A, B, C, D, E>,
    {
        let mut out = Tensor::zeros();
        permute_into(self.as_slice(), Self::DIMS, &[P0, P1, P2, P3, P4], out.as_mut_slice());
        out
    }
}

impl<S: Shape> Tensor<S> {
    /// The same elements, in row-major order, in shape `S2`.
    ///
    /// The element counts must agree; Rust's stable type system cannot multiply dims, so
    /// this is checked when the call is compiled (`cargo build`, not `cargo check`).
    ///
    /// ```
    /// # use shaped::{Tensor, Tensor2};
    /// let x = Tensor2::<i32, 3, 2>::from_array([[0, 1], [2, 3], [4, 5]]);
    /// let y: Tensor<[[i32; 3]; 2]> = x.reshape();
    /// assert_eq!(y.as_array(), &[[0, 1, 2], [3, 4, 5]]);
    /// ```
    pub fn reshape<S2: Shape<Elem = S::Elem>>(&self) -> Tensor<S2> {
        const {
            if S::NUMEL != S2::NUMEL {
                let m = Message::new().str("cannot reshape a tensor of shape ").shape(S::DIMS).str(" (");
                let m = m.num(S::NUMEL).str(" elements) to shape ").shape(S2::DIMS).str(" (").num(S2::NUMEL);
                panic!("{}", m.str(" elements): a reshape keeps every element").as_str());
            }
        };
        let mut out = Tensor::<S2>::zeros();
        out.as_mut_slice().copy_from_slice(self.as_slice());
        out
    }

    /// The elements as a vector of `N`, which must be the element count (checked when
    /// the call is compiled).
    ///
    /// ```
    /// # use shaped::Tensor3;
    /// let x = Tensor3::<f32, 2, 2, 2>::ones();
    /// assert_eq!(x.flatten::<8>().shape(), &[8]);
    /// ```
    pub fn flatten<const N: usize>(&self) -> Tensor<[S::Elem; N]> {
        const {
            if S::NUMEL != N {
                let m = Message::new().str("cannot flatten a tensor of shape ").shape(S::DIMS).str(" (");
                let m = m.num(S::NUMEL).str(" elements) to a vector of ").num(N);
                panic!("{}", m.str(": write `flatten::<").num(S::NUMEL).str(">()`").as_str());
            }
        };
        let mut out = Tensor::<[S::Elem; N]>::zeros();
        out.as_mut_slice().copy_from_slice(self.as_slice());
        out
    }
}

/// The bounds of `slice::<START, LEN>` on an axis of `N` entries.
struct SliceCheck<const N: usize, const START: usize, const LEN: usize>;

impl<const N: usize, const START: usize, const LEN: usize> SliceCheck<N, START, LEN> {
    const IN_BOUNDS: () = if START > N || LEN > N - START {
        let m = Message::new()
            .str("`slice::<")
            .num(START)
            .str(", ")
            .num(LEN)
            .str(">()` takes entries ")
            .num(START);
        let m = m.str(" to ").num(START.saturating_add(LEN)).str(" of the first axis, which has ").num(N);
        panic!("{}", m.as_str());
    };
}

// `slice` for each rank (a shape names its rank, so there is no impl for `[E; N]` with any
// shape `E`).
macro_rules! slice_impl {
    ($($inner:ty; $($d:ident),*);* $(;)?) => {$(
        impl<T: Element, const N: usize $(, const $d: usize)*> Tensor<[$inner; N]> {
            /// Entries `START .. START + LEN` along the first axis (numpy's
            /// `x[START:START+LEN]`), bounds checked when the call is compiled.
            ///
            /// ```
            /// # use shaped::Tensor2;
            /// let x = Tensor2::<usize, 5, 2>::from_fn(|i| i[0]);
            /// let y = x.slice::<1, 3>();
            /// assert_eq!(y.as_array(), &[[1, 1], [2, 2], [3, 3]]);
            /// ```
            pub fn slice<const START: usize, const LEN: usize>(&self) -> Tensor<[$inner; LEN]> {
                let () = SliceCheck::<N, START, LEN>::IN_BOUNDS;
                let mut out = Tensor::<[$inner; LEN]>::zeros();
                out.as_array_mut().copy_from_slice(&self.as_array()[START..START + LEN]);
                out
            }
        }
    )*};
}
slice_impl! {
    T;;
    [T; D1]; D1;
    [[T; D2]; D1]; D1, D2;
    [[[T; D3]; D2]; D1]; D1, D2, D3;
    [[[[T; D4]; D3]; D2]; D1]; D1, D2, D3, D4;
}

#[cfg(test)]
mod tests {
    use crate::{Tensor, Tensor2, Tensor3, Tensor4, Tensor5};

    #[test]
    fn permutations_match_index_reordering() {
        let x = Tensor3::<usize, 2, 3, 4>::from_fn(|i| 100 * i[0] + 10 * i[1] + i[2]);
        let y = x.permute3::<2, 0, 1>();
        assert_eq!(y.shape(), &[4, 2, 3]);
        for a in 0..2 {
            for b in 0..3 {
                for c in 0..4 {
                    assert_eq!(y[[c, a, b]], x[[a, b, c]]);
                }
            }
        }
        assert_eq!(x.permute3::<0, 1, 2>(), x);
        let t4 = Tensor4::<usize, 2, 3, 4, 5>::from_fn(|i| i[0] * 1000 + i[1] * 100 + i[2] * 10 + i[3]);
        let p4 = t4.permute4::<3, 1, 0, 2>();
        assert_eq!(p4.shape(), &[5, 3, 2, 4]);
        assert_eq!(p4[[4, 2, 1, 3]], t4[[1, 2, 3, 4]]);
        let t5 = Tensor5::<usize, 1, 2, 3, 4, 5>::from_fn(|i| i.iter().fold(0, |a, &d| a * 10 + d));
        let p5 = t5.permute5::<4, 3, 2, 1, 0>();
        assert_eq!(p5.shape(), &[5, 4, 3, 2, 1]);
        assert_eq!(p5[[4, 3, 2, 1, 0]], t5[[0, 1, 2, 3, 4]]);
    }

    #[test]
    fn transpose_twice_is_identity() {
        let m = Tensor2::<f32, 3, 5>::from_fn(|i| (i[0] * 5 + i[1]) as f32);
        let t = m.transpose();
        assert_eq!(t[[4, 2]], m[[2, 4]]);
        assert_eq!(t.transpose(), m);
    }

    #[test]
    fn reshape_flatten_slice() {
        let x = Tensor3::<u8, 2, 3, 4>::from_fn(|i| (i[0] * 12 + i[1] * 4 + i[2]) as u8);
        let y: Tensor<[[u8; 6]; 4]> = x.reshape();
        assert_eq!(y[[3, 5]], 23);
        assert_eq!(y[[1, 0]], 6);
        let f = x.flatten::<24>();
        assert_eq!(f.as_slice(), x.as_slice());
        let s = x.slice::<1, 1>();
        assert_eq!(s.as_array()[0], x.as_array()[1]);
        let empty = x.slice::<2, 0>();
        assert!(empty.is_empty());
    }
}
