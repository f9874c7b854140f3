//! Where each layer's weights sit in a safetensors file of either convention: the
//! tensors' shapes in the file, and the order of their values against ours.
//!
//! Keras's layouts are ours (`Dense` kernels `(IN, OUT)`, `Conv2D` kernels `(KH, KW,
//! C_IN, C_OUT)`). PyTorch's differ three ways: `Linear.weight` is `(OUT, IN)`,
//! `Conv2d.weight` is `(C_OUT, C_IN, KH, KW)`, and its activations are channels-first, so
//! the `Linear` after a `Flatten` of images `(C, H, W)` numbers its inputs
//! `c * H * W + h * W + w` where ours (channels last) are `(h * W + w) * C + c`: that
//! kernel's columns are permuted on load and save. Missing the last is the classic silent bug of porting
//! a convnet: the shapes agree and the predictions are wrong.

use alloc::string::String;
use alloc::vec::Vec;

use super::layers::LayerInfo;
use super::safetensors::{Convention, SafetensorsError};

/// A layer with weights, as a file of some convention holds it.
pub(super) struct FileLayer {
    /// Keras's name of the layer's kind (`"dense"`, `"conv2d"`).
    pub(super) kind: &'static str,
    /// Which of its kind it is (0 for the first): Keras names it `conv2d`, `conv2d_1`, ...
    pub(super) kind_index: usize,
    /// Its index in `nn.Sequential`, where activations and layers without weights take
    /// indices too (a `Dense` or `Conv2D` takes two: itself and its activation).
    pub(super) torch_index: usize,
    /// The kernel's shape in the file.
    pub(super) kernel: Vec<usize>,
    /// The bias's length.
    pub(super) bias: usize,
    /// `ours[i] = file[from[i]]` for the kernel, when the layouts differ.
    pub(super) from: Option<Vec<usize>>,
}

/// The layers with weights of a network described by `infos`, in order, as a file of
/// `convention` lays them out.
pub(super) fn file_layers(
    infos: &[LayerInfo],
    convention: Convention,
) -> Result<Vec<FileLayer>, SafetensorsError> {
    let mut out: Vec<FileLayer> = Vec::new();
    let mut torch_index = 0;
    // The images a `Flatten` turned into the next layer's inputs.
    let mut flattened: Option<&[usize]> = None;
    let mut previous: Option<&[usize]> = None;
    for l in infos {
        let input_images = match l.kind {
            "Flatten" => {
                flattened = previous.filter(|s| s.len() == 3);
                previous = Some(l.output_shape);
                torch_index += 1;
                continue;
            }
            // The identity at inference, one module (`nn.Dropout`) in PyTorch: the next
            // layer takes what a `Flatten` before it gave.
            "Dropout" => {
                torch_index += 1;
                continue;
            }
            _ => flattened.take(),
        };
        previous = Some(l.output_shape);
        if l.weights.is_empty() {
            torch_index += 1;
            continue;
        }
        let kind_index = out.iter().filter(|f| f.kind == l.name).count();
        let (kernel, from) = match (l.kind, l.weights, convention) {
            ("Dense" | "Conv2D", _, Convention::Keras) => (l.weights[0].to_vec(), None),
            ("Dense", _, Convention::PyTorch) => {
                let (n, m) = (l.inputs, l.outputs);
                // Our input `i` is the file's column `torch_column(i)`.
                let column = |i: usize| match input_images {
                    Some(&[h, w, c]) => {
                        let (p, ch) = (i / c, i % c);
                        ch * h * w + p
                    }
                    _ => i,
                };
                let from = (0..n * m).map(|k| (k % m) * n + column(k / m)).collect();
                (alloc::vec![m, n], Some(from))
            }
            ("Conv2D", &[kernel, _], Convention::PyTorch) if kernel.len() == 4 => {
                let (kh, kw, c, f) = (kernel[0], kernel[1], kernel[2], kernel[3]);
                let from = (0..kh * kw * c * f)
                    .map(|k| {
                        let (rest, fo) = (k / f, k % f);
                        let (rest, ci) = (rest / c, rest % c);
                        let (ky, kx) = (rest / kw, rest % kw);
                        ((fo * c + ci) * kh + ky) * kw + kx
                    })
                    .collect();
                (alloc::vec![f, c, kh, kw], Some(from))
            }
            _ => {
                return Err(SafetensorsError::Format(alloc::format!(
                    "layer {} (`{}`) has weights that safetensors files do not lay out yet",
                    out.len(),
                    l.kind
                )));
            }
        };
        let bias = l.weights.get(1).map_or(0, |b| b.iter().product());
        out.push(FileLayer { kind: l.name, kind_index, torch_index, kernel, bias, from });
        torch_index += 2;
    }
    Ok(out)
}

/// A Keras layer's name without its number: `conv2d` of `sequential/conv2d_3`. Only
/// one-kind networks, and PyTorch's indices, order layers across names.
pub(super) fn base_name(key: &str) -> &str {
    let last = key.rsplit(['/', '.']).next().unwrap_or(key);
    match last.rsplit_once('_') {
        Some((b, n)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => b,
        _ => last,
    }
}

/// The file's layers (from `layers_of`) that the network's layers with weights take,
/// in order. PyTorch's indices and a network of one kind of layer keep the file's order;
/// Keras numbers each kind on its own (`conv2d`, `conv2d_1`, ..., `dense`, `dense_1`), so a
/// network of several kinds takes each layer from its kind's names, in their order.
pub(super) fn match_kinds(
    file: Vec<(String, String, String, u64)>,
    ours: &[FileLayer],
    convention: Convention,
) -> Vec<(String, String, String, u64)> {
    let one_kind = ours.windows(2).all(|p| p[0].kind == p[1].kind);
    if convention == Convention::PyTorch || one_kind {
        return file;
    }
    let mut out = Vec::new();
    for l in ours {
        match file.iter().filter(|f| base_name(&f.0) == l.kind).nth(l.kind_index) {
            Some(f) => out.push(f.clone()),
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(
        kind: &'static str,
        name: &'static str,
        inputs: usize,
        outputs: usize,
        out: &'static [usize],
        weights: &'static [&'static [usize]],
    ) -> LayerInfo {
        LayerInfo { kind, name, activation: "relu", inputs, outputs, output_shape: out, weights, params: 0 }
    }

    /// The permutations against the layouts written out: PyTorch's `Conv2d.weight[f][c][ky][kx]`
    /// and the `Linear` after a channels-first `Flatten`.
    #[test]
    fn torch_layouts_map_to_ours() {
        let infos = [
            info("Conv2D", "conv2d", 48, 24, &[2, 4, 3], &[&[3, 2, 2, 3], &[3]]),
            info("Flatten", "flatten", 24, 24, &[24], &[]),
            info("Dense", "dense", 24, 5, &[5], &[&[24, 5], &[5]]),
        ];
        let layers = file_layers(&infos, Convention::PyTorch).unwrap();
        assert_eq!(layers[0].kernel, [3, 2, 3, 2]);
        assert_eq!((layers[0].torch_index, layers[1].torch_index), (0, 3));
        let conv = layers[0].from.as_ref().unwrap();
        for ky in 0..3 {
            for kx in 0..2 {
                for c in 0..2 {
                    for f in 0..3 {
                        let ours = ((ky * 2 + kx) * 2 + c) * 3 + f;
                        assert_eq!(conv[ours], ((f * 2 + c) * 3 + ky) * 2 + kx);
                    }
                }
            }
        }
        let dense = layers[1].from.as_ref().unwrap();
        assert_eq!(layers[1].kernel, [5, 24]);
        for h in 0..2 {
            for w in 0..4 {
                for c in 0..3 {
                    for o in 0..5 {
                        let ours = ((h * 4 + w) * 3 + c) * 5 + o;
                        assert_eq!(dense[ours], o * 24 + c * 8 + h * 4 + w);
                    }
                }
            }
        }
        // Keras's layouts are ours.
        let keras = file_layers(&infos, Convention::Keras).unwrap();
        assert!(keras.iter().all(|l| l.from.is_none()));
        assert_eq!(keras[0].kernel, [3, 2, 2, 3]);
        assert_eq!((keras[1].kind, keras[1].kind_index), ("dense", 0));
    }
}
