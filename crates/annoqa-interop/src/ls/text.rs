//! Text offsets in code points (Unicode scalar values), as Label Studio stores them since its
//! fix (SOURCES.md ambiguity 4), sliced in O(1) per span.

/// A text with the byte offset of each code point.
pub(super) struct CodePoints<'t> {
    text: &'t str,
    starts: Vec<usize>,
    /// The text in UTF-16 units, made on the first mismatching span only.
    utf16: std::cell::OnceCell<Vec<u16>>,
}

impl<'t> CodePoints<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        let mut starts: Vec<usize> = text.char_indices().map(|(at, _)| at).collect();
        starts.push(text.len());
        CodePoints { text, starts, utf16: std::cell::OnceCell::new() }
    }

    /// Code points `start..end`, when inside the text.
    pub(super) fn slice(&self, start: usize, end: usize) -> Option<&'t str> {
        self.text.get(*self.starts.get(start)?..*self.starts.get(end)?)
    }

    /// UTF-16 units `start..end`, when inside the text and on code point boundaries (the
    /// offsets of exports from before Label Studio's fix).
    pub(super) fn slice_utf16(&self, start: usize, end: usize) -> Option<String> {
        let units = self.utf16.get_or_init(|| self.text.encode_utf16().collect());
        String::from_utf16(units.get(start..end)?).ok()
    }
}
