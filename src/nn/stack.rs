//! Stacks of layers: a pair `(A, B)` runs `B` on `A`'s output, flat tuples of 3 to 12
//! stacks are pairs nested to the right, and `(A,)` is `A`.

use super::layers::{Accepts, LayerInfo, Layers, Stack, TakesSample, Vector};
use crate::element::Scalar;
use rand::Rng;

impl<T: Scalar, A: Stack<T>, B: Stack<T>> Stack<T> for (A, B) {
    type Weights = (A::Weights, B::Weights);
}

/// Two stacks in sequence, the second taking the first's output.
impl<T: Scalar, A: Layers<T>, B: Accepts<T, A::Output>> Layers<T> for (A, B) {
    type Input = A::Input;
    type Output = B::Output;
    type Params = (A::Params, B::Params);
    type Last = B::Last;
    const PARAMS: usize = A::PARAMS + B::PARAMS;
    const DEPTH: usize = A::DEPTH + B::DEPTH;
    const CHECK: () = {
        let () = A::CHECK;
        B::CHECK
    };

    fn init<R: Rng + ?Sized>(params: &mut Self::Params, rng: &mut R) {
        A::init(&mut params.0, rng);
        B::init(&mut params.1, rng);
    }

    #[inline(always)]
    fn forward_inline<const FMA: bool>(params: &Self::Params, x: &Self::Input, out: &mut Self::Output) {
        let mut mid = crate::zeroed::Lines(A::Output::zeros());
        A::forward_inline::<FMA>(&params.0, x, &mut mid.0);
        B::forward_inline::<FMA>(&params.1, B::view(&mid.0), out);
    }

    type Scratch = (A::Output, (A::Scratch, B::Scratch));
    #[inline(always)]
    fn forward_in_inline<const FMA: bool>(
        params: &Self::Params,
        x: &Self::Input,
        out: &mut Self::Output,
        (mid, (a, b)): &mut Self::Scratch,
    ) {
        A::forward_in_inline::<FMA>(&params.0, x, mid, a);
        B::forward_in_inline::<FMA>(&params.1, B::view(mid), out, b);
    }

    #[cfg(feature = "alloc")]
    fn forward_batch_packed(
        params: &Self::Params,
        packs: &mut &[crate::linalg::packed::PackedB<T>],
        x: &[Self::Input],
        out: &mut [Self::Output],
    ) {
        let mut mid = alloc::vec![A::Output::zeros(); x.len()];
        A::forward_batch_packed(&params.0, packs, x, &mut mid);
        B::forward_batch_packed(&params.1, packs, B::view_batch(&mid), out);
    }

    fn describe(f: &mut dyn FnMut(LayerInfo)) {
        A::describe(f);
        B::describe(f);
    }

    #[cfg(feature = "alloc")]
    fn pack_kernels_into(
        params: &Self::Params,
        packs: &mut alloc::vec::Vec<crate::linalg::packed::PackedB<T>>,
    ) {
        A::pack_kernels_into(&params.0, packs);
        B::pack_kernels_into(&params.1, packs);
    }

    fn zip_params(a: &mut Self::Params, b: &Self::Params, f: &mut dyn FnMut(&mut [T], &[T])) {
        A::zip_params(&mut a.0, &b.0, f);
        B::zip_params(&mut a.1, &b.1, f);
    }

    fn visit_params_mut(p: &mut Self::Params, f: &mut dyn FnMut(&mut [T])) {
        A::visit_params_mut(&mut p.0, f);
        B::visit_params_mut(&mut p.1, f);
    }

    fn visit_params<'a>(p: &'a Self::Params, f: &mut dyn FnMut(&'a [T])) {
        A::visit_params(&p.0, f);
        B::visit_params(&p.1, f);
    }
}

impl<T: Scalar, In, A: Accepts<T, In>, B: Accepts<T, A::Output>> Accepts<T, In> for (A, B) {
    #[inline(always)]
    fn view(x: &In) -> &Self::Input {
        A::view(x)
    }
    #[inline(always)]
    fn view_batch(x: &[In]) -> &[Self::Input] {
        A::view_batch(x)
    }
    #[inline(always)]
    fn view_batch_mut(x: &mut [In]) -> &mut [Self::Input] {
        A::view_batch_mut(x)
    }
}

impl<T: Scalar, X, A: TakesSample<T, X>, B: Accepts<T, A::Output>> TakesSample<T, X> for (A, B) {
    #[inline(always)]
    fn view(x: &X) -> &Self::Input {
        A::view(x)
    }
    #[inline(always)]
    fn view_batch(x: &[X]) -> &[Self::Input] {
        A::view_batch(x)
    }
}

/// A one-layer stack `(A,)` is `A` (its weights are `A`'s, not a tuple of them).
impl<T: Scalar, A: Stack<T>> Stack<T> for (A,) {
    type Weights = A::Weights;
}

impl<T: Scalar, A: Layers<T>> Layers<T> for (A,) {
    type Params = A::Params;
    type Input = A::Input;
    type Output = A::Output;
    type Last = A::Last;
    const PARAMS: usize = A::PARAMS;
    const DEPTH: usize = A::DEPTH;
    const CHECK: () = A::CHECK;

    fn init<R: Rng + ?Sized>(params: &mut Self::Params, rng: &mut R) {
        A::init(params, rng)
    }
    #[inline(always)]
    fn forward_inline<const FMA: bool>(params: &Self::Params, x: &Self::Input, out: &mut Self::Output) {
        A::forward_inline::<FMA>(params, x, out)
    }
    type Scratch = A::Scratch;
    #[inline(always)]
    fn forward_in_inline<const FMA: bool>(
        params: &Self::Params,
        x: &Self::Input,
        out: &mut Self::Output,
        scratch: &mut Self::Scratch,
    ) {
        A::forward_in_inline::<FMA>(params, x, out, scratch)
    }
    #[cfg(feature = "alloc")]
    fn forward_batch_packed(
        params: &Self::Params,
        packs: &mut &[crate::linalg::packed::PackedB<T>],
        x: &[Self::Input],
        out: &mut [Self::Output],
    ) {
        A::forward_batch_packed(params, packs, x, out)
    }
    fn describe(f: &mut dyn FnMut(LayerInfo)) {
        A::describe(f)
    }
    #[cfg(feature = "alloc")]
    fn pack_kernels_into(
        params: &Self::Params,
        packs: &mut alloc::vec::Vec<crate::linalg::packed::PackedB<T>>,
    ) {
        A::pack_kernels_into(params, packs)
    }
    fn zip_params(a: &mut Self::Params, b: &Self::Params, f: &mut dyn FnMut(&mut [T], &[T])) {
        A::zip_params(a, b, f)
    }
    fn visit_params_mut(p: &mut Self::Params, f: &mut dyn FnMut(&mut [T])) {
        A::visit_params_mut(p, f)
    }
    fn visit_params<'a>(p: &'a Self::Params, f: &mut dyn FnMut(&'a [T])) {
        A::visit_params(p, f)
    }
}

impl<T: Scalar, In, A: Accepts<T, In>> Accepts<T, In> for (A,) {
    #[inline(always)]
    fn view(x: &In) -> &Self::Input {
        A::view(x)
    }
    #[inline(always)]
    fn view_batch(x: &[In]) -> &[Self::Input] {
        A::view_batch(x)
    }
    #[inline(always)]
    fn view_batch_mut(x: &mut [In]) -> &mut [Self::Input] {
        A::view_batch_mut(x)
    }
}

impl<T: Scalar, X, A: TakesSample<T, X>> TakesSample<T, X> for (A,) {
    #[inline(always)]
    fn view(x: &X) -> &Self::Input {
        A::view(x)
    }
    #[inline(always)]
    fn view_batch(x: &[X]) -> &[Self::Input] {
        A::view_batch(x)
    }
}

/// Flat tuples of 3 to 12 stacks: `(L1, L2, L3)` is `(L1, (L2, L3))`.
macro_rules! flat_tuple {
    ($first:ident $(, $rest:ident)+) => {
        impl<T: Scalar, $first, $($rest),+> Stack<T> for ($first, $($rest),+)
        where
            ($first, ($($rest,)+)): Stack<T>,
        {
            type Weights = <($first, ($($rest,)+)) as Stack<T>>::Weights;
        }

        impl<T: Scalar, $first, $($rest),+> Layers<T> for ($first, $($rest),+)
        where
            ($first, ($($rest,)+)): Layers<T>,
        {
            type Input = <($first, ($($rest,)+)) as Layers<T>>::Input;
            type Output = <($first, ($($rest,)+)) as Layers<T>>::Output;
            type Params = <($first, ($($rest,)+)) as Layers<T>>::Params;
            type Last = <($first, ($($rest,)+)) as Layers<T>>::Last;
            const PARAMS: usize = <($first, ($($rest,)+)) as Layers<T>>::PARAMS;
            const DEPTH: usize = <($first, ($($rest,)+)) as Layers<T>>::DEPTH;
            const CHECK: () = <($first, ($($rest,)+)) as Layers<T>>::CHECK;

            fn init<R: Rng + ?Sized>(params: &mut Self::Params, rng: &mut R) {
                <($first, ($($rest,)+)) as Layers<T>>::init(params, rng)
            }
            #[inline(always)]
            fn forward_inline<const FMA: bool>(params: &Self::Params, x: &Self::Input, out: &mut Self::Output) {
                <($first, ($($rest,)+)) as Layers<T>>::forward_inline::<FMA>(params, x, out)
            }
            type Scratch = <($first, ($($rest,)+)) as Layers<T>>::Scratch;
            #[inline(always)]
            fn forward_in_inline<const FMA: bool>(
                params: &Self::Params,
                x: &Self::Input,
                out: &mut Self::Output,
                scratch: &mut Self::Scratch,
            ) {
                <($first, ($($rest,)+)) as Layers<T>>::forward_in_inline::<FMA>(params, x, out, scratch)
            }
            #[cfg(feature = "alloc")]
            fn forward_batch_packed(
                params: &Self::Params,
                packs: &mut &[crate::linalg::packed::PackedB<T>],
                x: &[Self::Input],
                out: &mut [Self::Output],
            ) {
                <($first, ($($rest,)+)) as Layers<T>>::forward_batch_packed(params, packs, x, out)
            }
            fn describe(f: &mut dyn FnMut(LayerInfo)) {
                <($first, ($($rest,)+)) as Layers<T>>::describe(f)
            }
            #[cfg(feature = "alloc")]
            fn pack_kernels_into(params: &Self::Params, packs: &mut alloc::vec::Vec<crate::linalg::packed::PackedB<T>>) {
                <($first, ($($rest,)+)) as Layers<T>>::pack_kernels_into(params, packs)
            }
            fn zip_params(a: &mut Self::Params, b: &Self::Params, f: &mut dyn FnMut(&mut [T], &[T])) {
                <($first, ($($rest,)+)) as Layers<T>>::zip_params(a, b, f)
            }
            fn visit_params_mut(p: &mut Self::Params, f: &mut dyn FnMut(&mut [T])) {
                <($first, ($($rest,)+)) as Layers<T>>::visit_params_mut(p, f)
            }
            fn visit_params<'a>(p: &'a Self::Params, f: &mut dyn FnMut(&'a [T])) {
                <($first, ($($rest,)+)) as Layers<T>>::visit_params(p, f)
            }
        }

        impl<T: Scalar, In, $first, $($rest),+> Accepts<T, In> for ($first, $($rest),+)
        where
            ($first, ($($rest,)+)): Accepts<T, In>,
        {
            #[inline(always)]
            fn view(x: &In) -> &Self::Input {
                <($first, ($($rest,)+)) as Accepts<T, In>>::view(x)
            }
            #[inline(always)]
            fn view_batch(x: &[In]) -> &[Self::Input] {
                <($first, ($($rest,)+)) as Accepts<T, In>>::view_batch(x)
            }
            #[inline(always)]
            fn view_batch_mut(x: &mut [In]) -> &mut [Self::Input] {
                <($first, ($($rest,)+)) as Accepts<T, In>>::view_batch_mut(x)
            }
        }

        impl<T: Scalar, X, $first, $($rest),+> TakesSample<T, X> for ($first, $($rest),+)
        where
            ($first, ($($rest,)+)): TakesSample<T, X>,
        {
            #[inline(always)]
            fn view(x: &X) -> &Self::Input {
                <($first, ($($rest,)+)) as TakesSample<T, X>>::view(x)
            }
            #[inline(always)]
            fn view_batch(x: &[X]) -> &[Self::Input] {
                <($first, ($($rest,)+)) as TakesSample<T, X>>::view_batch(x)
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
