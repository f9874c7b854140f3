//! Version-3 weight files at compile time (networks with layers other than `Dense`): the
//! header's layer entries (type, activation, weight shapes) walked, compared with a
//! [`Layout`] and written into messages.

use super::{Layout, MAX_LAYERS, ascii, read_u32, same};
use crate::constraint::Message;
use crate::nn::layers::LayerInfo;

/// Whether the file is version 3 (layers other than `Dense`).
pub(super) const fn is_v3(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && same(bytes.split_at(8).0, b"SHAPEDW3")
}

/// Where a version-3 header ends (the first weight), if it is whole.
pub(super) const fn header_end_v3(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < 16 {
        return None;
    }
    let depth = read_u32(bytes, 12);
    let mut at = 16;
    let mut layer = 0;
    while layer < depth {
        at = match entry_end_v3(bytes, at) {
            Some(end) => end,
            None => return None,
        };
        layer += 1;
    }
    Some(at)
}

/// The end of the version-3 layer entry at `at`, if the entry lies inside the file: its
/// type's name and its activation's (a length byte and the bytes each), its number of
/// arrays, and each array's rank and dims (`u32` each).
pub(super) const fn entry_end_v3(bytes: &[u8], mut at: usize) -> Option<usize> {
    let mut name = 0;
    while name < 2 {
        if at >= bytes.len() {
            return None;
        }
        at += 1 + bytes[at] as usize;
        name += 1;
    }
    if at >= bytes.len() {
        return None;
    }
    let arrays = bytes[at] as usize;
    at += 1;
    let mut array = 0;
    while array < arrays {
        if at >= bytes.len() {
            return None;
        }
        at += 1 + 4 * bytes[at] as usize;
        array += 1;
    }
    if at > bytes.len() { None } else { Some(at) }
}

/// Whether the whole version-3 entry at `at` is layer `l`: its type, activation and the
/// shape of every weight array.
pub(super) const fn entry_fits_v3(bytes: &[u8], mut at: usize, l: &LayerInfo) -> bool {
    let len = bytes[at] as usize;
    if !same(bytes.split_at(at + 1).1.split_at(len).0, l.kind.as_bytes()) {
        return false;
    }
    at += 1 + len;
    let len = bytes[at] as usize;
    if !same(bytes.split_at(at + 1).1.split_at(len).0, l.activation.as_bytes()) {
        return false;
    }
    at += 1 + len;
    if bytes[at] as usize != l.weights.len() {
        return false;
    }
    at += 1;
    let mut array = 0;
    while array < l.weights.len() {
        let dims = l.weights[array];
        if bytes[at] as usize != dims.len() {
            return false;
        }
        let mut d = 0;
        while d < dims.len() {
            if read_u32(bytes, at + 1 + 4 * d) != dims[d] {
                return false;
            }
            d += 1;
        }
        at += 1 + 4 * dims.len();
        array += 1;
    }
    true
}

/// Checks a whole version-3 header's layers against `layout`: on a mismatch, one message
/// naming the first layer that differs, as the file has it and as the type does.
pub(super) const fn check_layers_v3(bytes: &[u8], depth: usize, layout: &Layout) {
    let mut at = 16;
    let mut i = 0;
    while i < depth || i < layout.len {
        let in_file = i < depth;
        let in_type = i < layout.len && i < MAX_LAYERS;
        if in_file && in_type && entry_fits_v3(bytes, at, &layout.layers[i]) {
            at = match entry_end_v3(bytes, at) {
                Some(end) => end,
                None => return,
            };
            i += 1;
            continue;
        }
        if !in_type && i >= MAX_LAYERS && depth == layout.len {
            return; // beyond what a layout lists, only the count is compared
        }
        let m = Message::new()
            .str("the weight file does not fit the network type: layer ")
            .num(i + 1)
            .str(" is ");
        let m = if in_file { write_entry_v3(bytes, at, m) } else { m.str("missing") };
        let m = m.str(" in the file (of ").num(depth).str(" layers) but ");
        let m = if in_type { write_info(&layout.layers[i], m) } else { m.str("missing") };
        panic!("{}", m.str(" in the network type (of ").num(layout.len).str(" layers)").as_str());
    }
}

/// Appends a layer as version 3 lists it: `Conv2D<(3, 3, 1, 32), relu>` (its first
/// weight array's shape and its activation), or `MaxPooling2D` for one without weights.
pub(super) const fn write_info(l: &LayerInfo, m: Message) -> Message {
    let m = m.str(l.kind);
    match l.weights.first() {
        Some(dims) => m.str("<").shape(dims).str(", ").str(l.activation).str(">"),
        None => m,
    }
}

/// Appends the whole version-3 entry at `at` as [`write_info`] writes a layer.
pub(super) const fn write_entry_v3(bytes: &[u8], mut at: usize, mut m: Message) -> Message {
    let len = bytes[at] as usize;
    m = m.str(ascii(bytes.split_at(at + 1).1.split_at(len).0));
    at += 1 + len;
    let len = bytes[at] as usize;
    let activation = ascii(bytes.split_at(at + 1).1.split_at(len).0);
    at += 1 + len;
    if bytes[at] == 0 {
        return m;
    }
    let rank = bytes[at + 1] as usize;
    m = m.str("<(");
    let mut d = 0;
    while d < rank {
        if d > 0 {
            m = m.str(", ");
        }
        m = m.num(read_u32(bytes, at + 2 + 4 * d));
        d += 1;
    }
    m.str(if rank == 1 { ",), " } else { "), " }).str(activation).str(">")
}

/// Appends every layer of a whole version-3 header, as [`Layout::write_v3`] does.
pub(super) const fn file_layout_v3(bytes: &[u8], depth: usize, mut m: Message) -> Message {
    let mut at = 16;
    let mut i = 0;
    while i < depth {
        if i > 0 {
            m = m.str(" -> ");
        }
        m = write_entry_v3(bytes, at, m);
        at = match entry_end_v3(bytes, at) {
            Some(end) => end,
            None => return m,
        };
        i += 1;
    }
    m
}
