//! Keras's `model.summary()` table, formatted without the heap.

use core::fmt;
use core::marker::PhantomData;

use super::layers::{LayerInfo, Layers};
use crate::element::Scalar;

/// The table printed by `model.summary()`, as Keras prints it.
///
/// ```
/// use shaped::nn::{Dense, Layers, Relu, Softmax, Summary};
/// type Chapter2 = (Dense<784, 512, Relu>, Dense<512, 10, Softmax>);
/// const PARAMS: usize = <Chapter2 as Layers<f32>>::PARAMS;
/// assert_eq!(PARAMS, 407_050);
/// let table = Summary::<Chapter2>::new().to_string();
/// assert!(table.contains("dense_1 (Dense, softmax)"));
/// assert!(table.contains("Total params: 407,050 (1.55 MB)"));
/// ```
pub struct Summary<N, T = f32>(PhantomData<(N, T)>);

impl<N: Layers<T>, T: Scalar> Summary<N, T> {
    /// The summary of network `N`.
    pub fn new() -> Self {
        Summary(PhantomData)
    }
}

impl<N: Layers<T>, T: Scalar> Default for Summary<N, T> {
    fn default() -> Self {
        Self::new()
    }
}

/// `1234567` as `1,234,567`.
pub(crate) struct Grouped(pub(crate) usize);

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // At most 20 digits and 6 separators.
        let mut buf = [0u8; 27];
        let mut i = buf.len();
        let mut n = self.0;
        let mut digits = 0;
        loop {
            if digits > 0 && digits % 3 == 0 {
                i -= 1;
                buf[i] = b',';
            }
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            digits += 1;
            if n == 0 {
                break;
            }
        }
        let s = core::str::from_utf8(&buf[i..]).map_err(|_| fmt::Error)?;
        f.pad(s)
    }
}

/// `bytes` the way Keras prints sizes (`1.55 MB`).
struct Bytes(usize);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0 as f64;
        if b < 1024.0 {
            write!(f, "{} B", self.0)
        } else if b < 1024.0 * 1024.0 {
            write!(f, "{:.2} KB", b / 1024.0)
        } else {
            write!(f, "{:.2} MB", b / (1024.0 * 1024.0))
        }
    }
}

/// A cell of at most 64 bytes, formatted without the heap.
struct TableCell {
    buf: [u8; 64],
    len: usize,
}

impl fmt::Write for TableCell {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl TableCell {
    fn format(args: fmt::Arguments<'_>) -> Result<TableCell, fmt::Error> {
        let mut c = TableCell { buf: [0; 64], len: 0 };
        fmt::write(&mut c, args)?;
        Ok(c)
    }
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}

impl<N: Layers<T>, T: Scalar> fmt::Display for Summary<N, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const RULE: &str = "_________________________________________________________________";
        const DOUBLE: &str = "=================================================================";
        writeln!(f, "Model: \"sequential\"")?;
        writeln!(f, "{RULE}")?;
        writeln!(f, " {:<27} {:<25} {:<10}", "Layer (type)", "Output Shape", "Param #")?;
        writeln!(f, "{DOUBLE}")?;
        let mut result = Ok(());
        let mut index = 0;
        // Keras numbers layers per kind: `conv2d`, `conv2d_1`, ..., `dense`, `dense_1`.
        let mut kinds: [(&str, usize); 16] = [("", 0); 16];
        N::describe(&mut |info: LayerInfo| {
            if result.is_err() {
                return;
            }
            let seen = match kinds.iter_mut().find(|(k, _)| *k == info.name || k.is_empty()) {
                Some(slot) => {
                    slot.0 = info.name;
                    slot.1 += 1;
                    slot.1 - 1
                }
                None => index,
            };
            result = (|| {
                let name = match (seen, info.weights.is_empty()) {
                    (0, false) => {
                        TableCell::format(format_args!("{} ({}, {})", info.name, info.kind, info.activation))?
                    }
                    (0, true) => TableCell::format(format_args!("{} ({})", info.name, info.kind))?,
                    (k, false) => TableCell::format(format_args!(
                        "{}_{k} ({}, {})",
                        info.name, info.kind, info.activation
                    ))?,
                    (k, true) => TableCell::format(format_args!("{}_{k} ({})", info.name, info.kind))?,
                };
                let mut shape = TableCell::format(format_args!("(None"))?;
                for d in info.output_shape {
                    fmt::write(&mut shape, format_args!(", {d}"))?;
                }
                fmt::write(&mut shape, format_args!(")"))?;
                if index > 0 {
                    writeln!(f)?;
                }
                writeln!(f, " {:<27} {:<25} {:<10}", name.as_str(), shape.as_str(), Grouped(info.params))
            })();
            index += 1;
        });
        result?;
        let bytes = N::PARAMS * core::mem::size_of::<T>();
        writeln!(f, "{DOUBLE}")?;
        writeln!(f, "Total params: {} ({})", Grouped(N::PARAMS), Bytes(bytes))?;
        writeln!(f, "Trainable params: {} ({})", Grouped(N::PARAMS), Bytes(bytes))?;
        writeln!(f, "Non-trainable params: 0 (0 B)")?;
        write!(f, "{RULE}")
    }
}
