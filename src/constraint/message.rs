//! Messages for the rules checked when a call is compiled (`const { assert!(..) }`).
//!
//! A const panic can print a `&str` but cannot format numbers, so [`Message`] writes
//! them into a fixed buffer in a `const fn`: the error then names the shapes and counts,
//! as the trait-bound rules do.

/// A message written at compile time into a fixed buffer (longer text is cut).
pub(crate) struct Message {
    buf: [u8; 480],
    len: usize,
}

impl Message {
    pub(crate) const fn new() -> Self {
        Self { buf: [0; 480], len: 0 }
    }

    /// Appends `s`.
    pub(crate) const fn str(mut self, s: &str) -> Self {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < self.buf.len() {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// Appends `n` in decimal.
    pub(crate) const fn num(mut self, mut n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut k = 0;
        loop {
            digits[k] = b'0' + (n % 10) as u8;
            k += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while k > 0 && self.len < self.buf.len() {
            k -= 1;
            self.buf[self.len] = digits[k];
            self.len += 1;
        }
        self
    }

    /// Appends a shape as users write it: `(3, 4)`, `(10,)`, `()`.
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))] // tensors need `alloc`
    pub(crate) const fn shape(mut self, dims: &[usize]) -> Self {
        self = self.str("(");
        let mut i = 0;
        while i < dims.len() {
            if i > 0 {
                self = self.str(", ");
            }
            self = self.num(dims[i]);
            i += 1;
        }
        if dims.len() == 1 {
            self = self.str(",");
        }
        self.str(")")
    }

    /// The text so far. The buffer only ever holds whole UTF-8 strings and ASCII digits,
    /// unless a cut fell inside a character: then the text ends before it.
    pub(crate) const fn as_str(&self) -> &str {
        let mut len = self.len;
        loop {
            let (head, _) = self.buf.split_at(len);
            match core::str::from_utf8(head) {
                Ok(s) => return s,
                Err(e) => len = e.valid_up_to(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Message;

    #[test]
    fn writes_numbers_and_shapes() {
        const M: Message =
            Message::new().str("n = ").num(0).str(", ").num(1234567890).str(" ").shape(&[3, 4]);
        assert_eq!(M.as_str(), "n = 0, 1234567890 (3, 4)");
        assert_eq!(Message::new().shape(&[]).as_str(), "()");
        assert_eq!(Message::new().shape(&[10]).as_str(), "(10,)");
        assert_eq!(Message::new().num(usize::MAX).as_str(), std::format!("{}", usize::MAX));
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let mut m = Message::new();
        for _ in 0..100 {
            m = m.str("é");
        }
        assert_eq!(m.as_str(), "é".repeat(100));
        let m = Message::new().str(&"x".repeat(479)).str("é");
        assert_eq!(m.as_str().len(), 479);
    }
}
