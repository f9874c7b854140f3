//! `Display` (numpy-like) and `Debug` for tensors.

use core::fmt::{self, Write};

use super::Tensor;
use crate::element::Element;
use crate::shape::Shape;

/// Tensors with more elements than this are summarized, as numpy does.
const SUMMARY_THRESHOLD: usize = 1000;
/// Entries shown at each end of a summarized axis.
const EDGE_ITEMS: usize = 3;

#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// numpy: space-separated, one row per line, right-aligned columns.
    Display,
    /// One line, comma-separated, elements in `Debug` form.
    Debug,
}

struct Ctx {
    style: Style,
    summarize: bool,
    precision: Option<usize>,
    width: usize,
}

struct Counter(usize);
impl Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.chars().count();
        Ok(())
    }
}

fn write_elem<T: Element, W: Write>(w: &mut W, x: T, ctx: &Ctx) -> fmt::Result {
    match (ctx.style, ctx.precision) {
        (Style::Display, Some(p)) => write!(w, "{x:.p$}"),
        (Style::Display, None) => write!(w, "{x}"),
        (Style::Debug, Some(p)) => write!(w, "{x:.p$?}"),
        (Style::Debug, None) => write!(w, "{x:?}"),
    }
}

/// The indices of an axis of length `n` that are shown, `None` standing for `...`.
fn shown(n: usize, summarize: bool) -> impl Iterator<Item = Option<usize>> {
    let cut = summarize && n > 2 * EDGE_ITEMS;
    let head = if cut { EDGE_ITEMS } else { n };
    let tail = if cut { n - EDGE_ITEMS } else { n };
    (0..head).map(Some).chain(cut.then_some(None)).chain((tail..n).map(Some))
}

/// Visits the shown elements in order, giving each element's padding-free form to `elem`.
fn walk<T: Element, W: Write>(
    w: &mut W,
    data: &[T],
    dims: &[usize],
    depth: usize,
    ctx: &Ctx,
    elem: &mut dyn FnMut(&mut W, T) -> fmt::Result,
) -> fmt::Result {
    let Some((&n, rest)) = dims.split_first() else {
        return elem(w, data[0]);
    };
    let inner: usize = rest.iter().product();
    w.write_char('[')?;
    for (k, i) in shown(n, ctx.summarize).enumerate() {
        if k > 0 {
            match ctx.style {
                Style::Debug => w.write_str(", ")?,
                Style::Display if rest.is_empty() => w.write_char(' ')?,
                Style::Display => {
                    for _ in 0..rest.len() {
                        w.write_char('\n')?;
                    }
                    for _ in 0..=depth {
                        w.write_char(' ')?;
                    }
                }
            }
        }
        match i {
            Some(i) => walk(w, &data[i * inner..(i + 1) * inner], rest, depth + 1, ctx, elem)?,
            None => w.write_str("...")?,
        }
    }
    w.write_char(']')
}

fn write_tensor<T: Element>(
    f: &mut fmt::Formatter<'_>,
    data: &[T],
    dims: &[usize],
    style: Style,
) -> fmt::Result {
    let mut ctx =
        Ctx { style, summarize: data.len() > SUMMARY_THRESHOLD, precision: f.precision(), width: 0 };
    if style == Style::Display {
        // First pass: the widest shown element, so columns line up.
        let mut widest = 0;
        walk(&mut Counter(0), data, dims, 0, &ctx, &mut |_, x| {
            let mut c = Counter(0);
            write_elem(&mut c, x, &ctx)?;
            widest = widest.max(c.0);
            Ok(())
        })?;
        ctx.width = widest;
    }
    walk(f, data, dims, 0, &ctx, &mut |w, x| {
        let mut c = Counter(0);
        write_elem(&mut c, x, &ctx)?;
        for _ in c.0..ctx.width {
            w.write_char(' ')?;
        }
        write_elem(w, x, &ctx)
    })
}

impl<S: Shape> fmt::Display for Tensor<S> {
    /// numpy's layout: rows on their own lines, columns aligned, `...` in tensors of more
    /// than 1000 elements. A precision (`{:.3}`) applies to every element.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_tensor(f, self.as_slice(), S::DIMS, Style::Display)
    }
}

impl<S: Shape> fmt::Debug for Tensor<S> {
    /// `Tensor<float32, (2, 3)> [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]`, summarized past 1000
    /// elements.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor<{}, {}> ", S::Elem::DTYPE, crate::shape::ShapeDisplay(S::DIMS))?;
        write_tensor(f, self.as_slice(), S::DIMS, Style::Debug)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Tensor, Tensor1, Tensor2, Tensor3};
    use alloc::format;

    #[test]
    fn display_like_numpy() {
        let m = Tensor2::<f32, 2, 3>::from_array([[1.0, -2.5, 3.0], [4.0, 5.0, 60.0]]);
        assert_eq!(format!("{m}"), "[[   1 -2.5    3]\n [   4    5   60]]");
        assert_eq!(format!("{m:.1}"), "[[ 1.0 -2.5  3.0]\n [ 4.0  5.0 60.0]]");
        let t = Tensor3::<u8, 2, 2, 2>::from_fn(|i| (4 * i[0] + 2 * i[1] + i[2]) as u8);
        assert_eq!(format!("{t}"), "[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]");
        assert_eq!(format!("{}", Tensor::<f64>::from_array(2.5)), "2.5");
        assert_eq!(format!("{}", Tensor2::<f32, 2, 0>::zeros()), "[[]\n []]");
    }

    #[test]
    fn display_summarizes_large_tensors() {
        let v = Tensor1::<u32, 1001>::from_fn(|i| i[0] as u32);
        assert_eq!(format!("{v}"), "[   0    1    2 ...  998  999 1000]");
        let small = Tensor1::<u32, 8>::from_fn(|i| i[0] as u32);
        assert_eq!(format!("{small}"), "[0 1 2 3 4 5 6 7]");
    }

    #[test]
    fn debug_names_dtype_and_shape() {
        let m = Tensor2::<f32, 2, 2>::from_array([[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(format!("{m:?}"), "Tensor<float32, (2, 2)> [[1.0, 2.0], [3.0, 4.0]]");
    }
}
