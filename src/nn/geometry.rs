//! The output size of a convolution or a pooling window, as `const fn`s: the formulas
//! that the layer types' checks and the [`network!`](crate::network) macro share.
//!
//! Stable Rust cannot compute `(H - K) / S + 1` inside a type, so a layer type carries
//! its output dims as const parameters too; these functions compute them (the macro
//! writes `{ shaped::nn::conv_out(28, 3, 1, false) }` where a Keras user writes
//! nothing), and a layer checks its own against them.
//!
//! ```
//! use shaped::nn::{conv_out, pad_before};
//! assert_eq!(conv_out(28, 3, 1, false), 26); // padding="valid"
//! assert_eq!(conv_out(28, 3, 2, true), 14); // padding="same": ceil(28 / 2)
//! assert_eq!(pad_before(28, 3, 2, true), 0); // TensorFlow pads the end first
//! assert_eq!(pad_before(28, 3, 1, true), 1);
//! ```

use crate::constraint::Message;

/// Zero padding of a convolution or pooling window: Keras's `padding=` argument.
pub trait Padding: Copy + Default + core::fmt::Debug + Send + Sync + 'static {
    /// Keras's name (`"valid"`, `"same"`).
    const NAME: &'static str;
    /// Whether the input is padded so that the output is `ceil(input / stride)`.
    const SAME: bool;
}

/// `padding="valid"`: no padding; windows lie wholly inside the input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Valid;

/// `padding="same"`: zeros around the input so that the output is `ceil(input /
/// stride)` long, split as TensorFlow does (the smaller half before).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Same;

impl Padding for Valid {
    const NAME: &'static str = "valid";
    const SAME: bool = false;
}

impl Padding for Same {
    const NAME: &'static str = "same";
    const SAME: bool = true;
}

/// The output length of a window of `kernel` moved by `stride` over `input` values:
/// `(input - kernel) / stride + 1` (valid), or `ceil(input / stride)` (same).
///
/// # Panics
/// At compile time where it sizes a type: a kernel longer than its input with valid
/// padding, or a zero input, kernel or stride. The message names the numbers.
pub const fn conv_out(input: usize, kernel: usize, stride: usize, same: bool) -> usize {
    if input == 0 || kernel == 0 || stride == 0 {
        let m = Message::new().str("a window of ").num(kernel).str(" with stride ").num(stride);
        let m = m.str(" over ").num(input).str(" values: input, kernel and stride must all be at least 1");
        panic!("{}", m.as_str());
    }
    if same {
        input.div_ceil(stride)
    } else if kernel > input {
        let m =
            Message::new().str("a window of ").num(kernel).str(" is larger than its input of ").num(input);
        let m = m.str(" (padding \"valid\"): use a smaller kernel or pool, or padding \"same\"");
        panic!("{}", m.as_str())
    } else {
        (input - kernel) / stride + 1
    }
}

/// The zeros before the input (above, or left of, an image) with padding "same": half
/// of the total, rounded down, as TensorFlow and Keras pad. 0 for valid padding.
pub const fn pad_before(input: usize, kernel: usize, stride: usize, same: bool) -> usize {
    if !same || stride == 0 {
        return 0;
    }
    let out = input.div_ceil(stride);
    let needed = (out.saturating_sub(1)) * stride + kernel;
    needed.saturating_sub(input) / 2
}

/// The geometry of a 2-D window over an image (a convolution's kernel or a pooling
/// window), for kernels sized at run time: the layer types pass their const dims in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    /// Input height, width and channels.
    pub h: usize,
    pub w: usize,
    pub c: usize,
    /// Window height and width.
    pub kh: usize,
    pub kw: usize,
    /// Strides.
    pub sh: usize,
    pub sw: usize,
    /// Output height and width.
    pub oh: usize,
    pub ow: usize,
    /// Zeros above and left of the input.
    pub top: usize,
    pub left: usize,
}

impl Window {
    pub(crate) const fn new(
        (h, w, c): (usize, usize, usize),
        (kh, kw): (usize, usize),
        (sh, sw): (usize, usize),
        (oh, ow): (usize, usize),
        same: bool,
    ) -> Window {
        let (top, left) = (pad_before(h, kh, sh, same), pad_before(w, kw, sw, same));
        Window { h, w, c, kh, kw, sh, sw, oh, ow, top, left }
    }

    /// Values in one window of every channel: a row of the patch matrix.
    #[cfg(feature = "alloc")]
    pub(crate) const fn patch(&self) -> usize {
        self.kh * self.kw * self.c
    }

    /// The input row of output row `o` and window row `k`, if inside the image.
    #[inline(always)]
    pub(crate) fn row(&self, o: usize, k: usize) -> Option<usize> {
        (o * self.sh + k).checked_sub(self.top).filter(|&y| y < self.h)
    }

    /// The input column of output column `o` and window column `k`, if inside.
    #[inline(always)]
    pub(crate) fn col(&self, o: usize, k: usize) -> Option<usize> {
        (o * self.sw + k).checked_sub(self.left).filter(|&x| x < self.w)
    }

    /// Whether the window of output column `o` lies wholly inside the image's columns.
    #[cfg(feature = "alloc")]
    #[inline(always)]
    fn cols_inside(&self, o: usize) -> Option<usize> {
        let start = (o * self.sw).checked_sub(self.left)?;
        (start + self.kw <= self.w).then_some(start)
    }

    /// The checks a layer type makes of its own dims, with a message naming them:
    /// `what` is the layer's name, `same` its padding.
    pub(crate) const fn check(&self, what: &str, same: bool) {
        let m = Message::new().str("`").str(what).str("` on inputs (");
        let m = m.num(self.h).str(", ").num(self.w).str(", ").num(self.c).str(") with a (");
        let m = m.num(self.kh).str(", ").num(self.kw).str(") window, strides (").num(self.sh).str(", ");
        let m = m.num(self.sw).str(") and padding \"").str(if same { "same" } else { "valid" }).str("\"");
        if self.h == 0
            || self.w == 0
            || self.c == 0
            || self.kh == 0
            || self.kw == 0
            || self.sh == 0
            || self.sw == 0
        {
            panic!("{}", m.str(": every dim, window size and stride must be at least 1").as_str());
        }
        if !same && (self.kh > self.h || self.kw > self.w) {
            panic!(
                "{}",
                m.str(": the window is larger than its input; use a smaller one, or padding \"same\"")
                    .as_str()
            );
        }
        let (oh, ow) = (conv_out(self.h, self.kh, self.sh, same), conv_out(self.w, self.kw, self.sw, same));
        if oh != self.oh || ow != self.ow {
            let m = m.str(" outputs (").num(oh).str(", ").num(ow).str(", ..), but the type says (");
            panic!(
                "{}",
                m.num(self.oh)
                    .str(", ")
                    .num(self.ow)
                    .str(", ..): write the dims `conv_out` computes, or use `network!`")
                    .as_str()
            );
        }
    }

    /// The patch matrix of one image `x` (`h * w * c` values, channels last): a row of
    /// [`patch`](Window::patch) values per output pixel, zeros where the window
    /// overhangs the image. `out` holds `oh * ow * patch` values.
    #[cfg(feature = "alloc")]
    pub(crate) fn im2col<T: Copy + Default>(&self, x: &[T], out: &mut [T]) {
        let (c, row_len) = (self.c, self.kw * self.c);
        let zero = T::default();
        for (p, patch) in out.chunks_exact_mut(self.patch()).take(self.oh * self.ow).enumerate() {
            let (oy, ox) = (p / self.ow, p % self.ow);
            for (ky, dst) in patch.chunks_exact_mut(row_len).enumerate() {
                let Some(y) = self.row(oy, ky) else {
                    dst.fill(zero);
                    continue;
                };
                let line = &x[y * self.w * c..(y + 1) * self.w * c];
                match self.cols_inside(ox) {
                    Some(x0) => dst.copy_from_slice(&line[x0 * c..x0 * c + row_len]),
                    None => {
                        for (kx, d) in dst.chunks_exact_mut(c).enumerate() {
                            match self.col(ox, kx) {
                                Some(xx) => d.copy_from_slice(&line[xx * c..xx * c + c]),
                                None => d.fill(zero),
                            }
                        }
                    }
                }
            }
        }
    }

    /// The gradient of one image from the gradient of its patch matrix: each patch
    /// value added back to the pixel it was copied from (`im2col`'s adjoint). `dx` is
    /// overwritten.
    #[cfg(feature = "alloc")]
    pub(crate) fn col2im<T: Copy + Default + core::ops::Add<Output = T>>(&self, dp: &[T], dx: &mut [T]) {
        let (c, row_len) = (self.c, self.kw * self.c);
        dx[..self.h * self.w * c].fill(T::default());
        for (p, patch) in dp.chunks_exact(self.patch()).take(self.oh * self.ow).enumerate() {
            let (oy, ox) = (p / self.ow, p % self.ow);
            for (ky, src) in patch.chunks_exact(row_len).enumerate() {
                let Some(y) = self.row(oy, ky) else { continue };
                let line = &mut dx[y * self.w * c..(y + 1) * self.w * c];
                match self.cols_inside(ox) {
                    Some(x0) => {
                        for (d, &s) in line[x0 * c..x0 * c + row_len].iter_mut().zip(src) {
                            *d = *d + s;
                        }
                    }
                    None => {
                        for (kx, s) in src.chunks_exact(c).enumerate() {
                            if let Some(xx) = self.col(ox, kx) {
                                for (d, &v) in line[xx * c..xx * c + c].iter_mut().zip(s) {
                                    *d = *d + v;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::{vec, vec::Vec};

    #[test]
    fn output_lengths_follow_keras() {
        // tf.keras.layers.Conv2D(1, k, strides=s, padding=p)(tf.zeros((1, n, n, 1))).shape
        assert_eq!(conv_out(28, 3, 1, false), 26);
        assert_eq!(conv_out(13, 3, 1, false), 11);
        assert_eq!(conv_out(26, 2, 2, false), 13);
        assert_eq!(conv_out(11, 2, 2, false), 5);
        assert_eq!(conv_out(5, 5, 1, false), 1);
        assert_eq!(conv_out(28, 3, 1, true), 28);
        assert_eq!(conv_out(28, 5, 3, true), 10);
        assert_eq!(conv_out(49, 10, 2, true), 25);
        assert_eq!(pad_before(49, 10, 2, true), 4); // total 9: 4 before, 5 after
        assert_eq!(pad_before(10, 4, 2, true), 1); // total 2
        assert_eq!(pad_before(5, 1, 1, true), 0);
        assert_eq!(pad_before(28, 3, 1, false), 0);
    }

    /// The patch matrix against its definition, on geometries with and without padding,
    /// and `col2im` against the adjoint identity `<im2col(x), p> == <x, col2im(p)>`.
    #[test]
    fn im2col_and_col2im_match_their_definitions() {
        for &(h, w, c, kh, kw, sh, sw, same) in &[
            (5, 4, 2, 3, 2, 1, 1, false),
            (5, 4, 2, 3, 2, 2, 1, true),
            (7, 7, 1, 3, 3, 2, 2, true),
            (6, 5, 3, 1, 1, 1, 1, false),
            (4, 9, 2, 4, 3, 3, 2, true),
            (3, 3, 1, 3, 3, 1, 1, false),
        ] {
            let oh = conv_out(h, kh, sh, same);
            let ow = conv_out(w, kw, sw, same);
            let g = Window::new((h, w, c), (kh, kw), (sh, sw), (oh, ow), same);
            g.check("test", same);
            let x: Vec<f64> = (0..h * w * c).map(|i| (i as f64 * 0.37).sin()).collect();
            let mut p = vec![f64::NAN; oh * ow * g.patch()];
            g.im2col(&x, &mut p);
            for oy in 0..oh {
                for ox in 0..ow {
                    for ky in 0..kh {
                        for kx in 0..kw {
                            for ch in 0..c {
                                let y = (oy * sh + ky) as isize - g.top as isize;
                                let xx = (ox * sw + kx) as isize - g.left as isize;
                                let inside = (0..h as isize).contains(&y) && (0..w as isize).contains(&xx);
                                let want =
                                    if inside { x[(y as usize * w + xx as usize) * c + ch] } else { 0.0 };
                                let at = (oy * ow + ox) * g.patch() + (ky * kw + kx) * c + ch;
                                assert_eq!(p[at], want, "{h}x{w}x{c} k{kh}x{kw} s{sh}x{sw} same {same}");
                            }
                        }
                    }
                }
            }
            let q: Vec<f64> = (0..p.len()).map(|i| (i as f64 * 0.71).cos()).collect();
            let mut dx = vec![f64::NAN; x.len()];
            g.col2im(&q, &mut dx);
            let left: f64 = p.iter().zip(&q).map(|(a, b)| a * b).sum();
            let right: f64 = x.iter().zip(&dx).map(|(a, b)| a * b).sum();
            assert!((left - right).abs() < 1e-9, "adjoint: {left} vs {right}");
        }
    }
}
