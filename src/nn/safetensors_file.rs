//! Reading a safetensors file no further than its header allows (the parsing and the
//! checks are in `safetensors.rs` and the reference crate).

use alloc::format;
use alloc::vec::Vec;
use std::path::Path;

use super::SafetensorsError;

/// The bytes of a safetensors file, read no further than its header allows: the 8-byte
/// header length (at most 100 MB, the reference crate's limit), the header, then at most
/// as many data bytes as the largest number the header holds (every data offset is one
/// of them) and one more, so that the reference crate sees a longer file as such. An
/// endless stream (`/dev/zero`) is refused at once. I/O errors name the file.
pub(super) fn read_bounded(path: &Path) -> Result<Vec<u8>, SafetensorsError> {
    use std::io::Read;
    const MAX_HEADER: u64 = 100_000_000;
    let io = |e: std::io::Error| {
        SafetensorsError::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    (&mut file).take(8).read_to_end(&mut bytes).map_err(io)?;
    let Ok(len) = <[u8; 8]>::try_from(&bytes[..]).map(u64::from_le_bytes) else {
        return Err(SafetensorsError::Format(format!(
            "{}: the file ends inside its 8-byte header length",
            path.display()
        )));
    };
    if len == 0 || len > MAX_HEADER {
        return Err(SafetensorsError::Format(format!(
            "{}: a header of {len} bytes (1 to {MAX_HEADER})",
            path.display()
        )));
    }
    (&mut file).take(len).read_to_end(&mut bytes).map_err(io)?;
    let data = largest_number(&bytes[8..]).saturating_add(1);
    (&mut file).take(data).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// The largest unsigned integer written in JSON text outside its strings (0 if none).
fn largest_number(json: &[u8]) -> u64 {
    let (mut largest, mut current, mut in_string, mut escaped) = (0u64, None::<u64>, false, false);
    for &c in json {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c.is_ascii_digit() {
            let digit = u64::from(c - b'0');
            current = Some(current.unwrap_or(0).saturating_mul(10).saturating_add(digit));
            continue;
        }
        largest = largest.max(current.take().unwrap_or(0));
        in_string = c == b'"';
    }
    largest.max(current.unwrap_or(0))
}
