//! Text offsets.
//!
//! annoqa counts text offsets in **Unicode scalar values** (Rust `char`s, Python `str` indices):
//! an emoji is one unit, a base letter plus a combining mark is two. Browsers count in UTF-16
//! code units (an emoji outside the BMP is two), so the app converts every DOM offset with
//! [`scalar_from_utf16`] before it reaches the model, and back with [`utf16_from_scalar`].
//! Offsets are logical (memory order), so right-to-left text needs no special casing.

/// Number of scalar values in `text`.
pub fn scalar_len(text: &str) -> usize {
    text.chars().count()
}

/// Byte offset of scalar offset `scalar`, or `None` past the end.
pub fn byte_from_scalar(text: &str, scalar: usize) -> Option<usize> {
    if scalar == 0 {
        return Some(0);
    }
    let mut chars = text.char_indices();
    match chars.nth(scalar) {
        Some((byte, _)) => Some(byte),
        None if scalar_len(text) == scalar => Some(text.len()),
        None => None,
    }
}

/// The text between two scalar offsets, or `None` if the range is reversed or out of bounds.
pub fn slice(text: &str, start: usize, end: usize) -> Option<&str> {
    if start > end {
        return None;
    }
    let from = byte_from_scalar(text, start)?;
    let to = byte_from_scalar(text, end)?;
    text.get(from..to)
}

/// UTF-16 offset of scalar offset `scalar`, or `None` past the end.
pub fn utf16_from_scalar(text: &str, scalar: usize) -> Option<usize> {
    let mut units = 0;
    for (i, c) in text.chars().enumerate() {
        if i == scalar {
            return Some(units);
        }
        units += c.len_utf16();
    }
    (scalar == scalar_len(text)).then_some(units)
}

/// Scalar offset of UTF-16 offset `utf16`. An offset that falls between the two halves of a
/// surrogate pair (a browser selection can do that) is moved to the start of the character.
/// `None` past the end.
pub fn scalar_from_utf16(text: &str, utf16: usize) -> Option<usize> {
    let mut units = 0;
    for (i, c) in text.chars().enumerate() {
        let next = units + c.len_utf16();
        if utf16 < next {
            return Some(i);
        }
        units = next;
    }
    (utf16 == units).then(|| scalar_len(text))
}

/// Whether the character is white space that must not sit at a span's edge.
pub fn is_edge_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
}

/// Whether `c` is part of a word for token boundaries: a letter or digit, or a combining mark
/// (which belongs to the letter before it, so "Zoe\u{308}" is one word).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// `[start, end)` (scalar offsets) widened so that neither end cuts a word: the start moves
/// left and the end right while they sit inside a run of word characters. Out-of-range or
/// reversed ranges come back unchanged.
pub fn snap_to_tokens(text: &str, start: usize, end: usize) -> (usize, usize) {
    let chars: Vec<char> = text.chars().collect();
    if start >= end || end > chars.len() {
        return (start, end);
    }
    let (mut s, mut e) = (start, end);
    while s > 0 && is_word_char(chars[s - 1]) && is_word_char(chars[s]) {
        s -= 1;
    }
    while e < chars.len() && is_word_char(chars[e - 1]) && is_word_char(chars[e]) {
        e += 1;
    }
    (s, e)
}
