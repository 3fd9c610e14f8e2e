//! A task's bytes parsed straight into [`Json`], natively.
//!
//! serde_json's parser, driven through the visitor that builds a [`Json`], was about a fifth
//! of converting a large export. This parser accepts only what serde_json accepts and builds
//! the same value: strings borrowed unless they have escapes, numbers by serde_json's own
//! arithmetic (the digits as a `u64` significand, then one multiplication or division by a
//! power of ten, which is not always the nearest float, so a nearest-float parser would
//! differ), integers as serde_json tells them apart. Whatever it is not sure of — any error, a
//! number beyond a `u64` significand or 10^±308, a lone surrogate, deep nesting — it leaves to
//! serde_json (`None`), which then parses the bytes and names the fault as before.
//!
//! The WebAssembly module keeps serde_json alone: there a second parser costs download size.

use std::borrow::Cow;
use std::sync::OnceLock;

use super::value::{Json, Number, Object};

/// Nesting deeper than this is left to serde_json (which stops at 128 levels).
const MAX_DEPTH: usize = 100;

/// `bytes` as one JSON value, or `None` when serde_json should judge them.
pub(super) fn parse(bytes: &[u8]) -> Option<Json<'_>> {
    // Checked once as a whole, so each string is a slice of text already known to be UTF-8
    // (serde_json refuses invalid UTF-8 anywhere: in strings, and outside them as a syntax error).
    let text = std::str::from_utf8(bytes).ok()?;
    let mut parser = Parser { text, bytes, at: 0, depth: 0, fields: Vec::new(), items: Vec::new() };
    let value = parser.value()?;
    parser.skip_space();
    (parser.at == bytes.len()).then_some(value)
}

struct Parser<'a> {
    text: &'a str,
    /// `text`'s bytes.
    bytes: &'a [u8],
    at: usize,
    depth: usize,
    /// Fields and items of the objects and lists being read, innermost last: each object or
    /// list gets a `Vec` of its exact size when it closes, instead of growing one.
    fields: Vec<(Cow<'a, str>, Json<'a>)>,
    items: Vec<Json<'a>>,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Skips white space, then expects `byte`.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_space();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn value(&mut self) -> Option<Json<'a>> {
        self.skip_space();
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.list(),
            b'"' => {
                self.at += 1;
                self.string().map(Json::String)
            }
            b't' => self.word(b"true", Json::Bool(true)),
            b'f' => self.word(b"false", Json::Bool(false)),
            b'n' => self.word(b"null", Json::Null),
            b'-' | b'0'..=b'9' => self.number().map(Json::Number),
            _ => None,
        }
    }

    fn word(&mut self, word: &[u8], value: Json<'a>) -> Option<Json<'a>> {
        self.bytes[self.at..].starts_with(word).then(|| {
            self.at += word.len();
            value
        })
    }

    /// Past an opening bracket, one level deeper.
    fn enter(&mut self) -> Option<()> {
        self.at += 1;
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn object(&mut self) -> Option<Json<'a>> {
        self.enter()?;
        let first = self.fields.len();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                self.expect(b'"')?;
                let key = self.string()?;
                self.expect(b':')?;
                let value = self.value()?;
                self.fields.push((key, value));
                self.skip_space();
                match self.peek()? {
                    b',' => self.at += 1,
                    b'}' => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(Json::Object(Object::from_fields(self.fields.drain(first..).collect())))
    }

    fn list(&mut self) -> Option<Json<'a>> {
        self.enter()?;
        let first = self.items.len();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
        } else {
            loop {
                let value = self.value()?;
                self.items.push(value);
                self.skip_space();
                match self.peek()? {
                    b',' => self.at += 1,
                    b']' => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(Json::Array(self.items.drain(first..).collect()))
    }

    /// A string's text, from after its opening quote to past its closing one.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.at;
        self.at += self.bytes[start..].iter().position(|&b| STRING_STOPS[usize::from(b)])?;
        match self.bytes[self.at] {
            b'"' => {
                let text = self.text.get(start..self.at)?;
                self.at += 1;
                Some(Cow::Borrowed(text))
            }
            b'\\' => self.escaped_string(start),
            // serde_json refuses control characters in strings.
            _ => None,
        }
    }

    /// The rest of a string with escapes, its text so far being `bytes[start..at]`.
    fn escaped_string(&mut self, start: usize) -> Option<Cow<'a, str>> {
        let mut text = self.bytes[start..self.at].to_vec();
        loop {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let escaped = *self.bytes.get(self.at)?;
                    self.at += 1;
                    let byte = match escaped {
                        b'"' | b'\\' | b'/' => escaped,
                        b'b' => 0x08,
                        b'f' => 0x0C,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let c = self.unicode_escape()?;
                            text.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                            continue;
                        }
                        _ => return None,
                    };
                    text.push(byte);
                }
                0..=0x1F => return None,
                _ => text.push(byte),
            }
        }
        String::from_utf8(text).ok().map(Cow::Owned)
    }

    /// The character of a `\u` escape and its four hex digits (read from past the `u`), or of a
    /// surrogate pair such as `\uD83D\uDE00`.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.at..self.at + 2)? != b"\\u" {
                    return None;
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return None;
                }
                char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
            }
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(first),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.at..self.at + 4)?;
        let mut n = 0;
        for &digit in digits {
            n = n * 16 + char::from(digit).to_digit(16)?;
        }
        self.at += 4;
        Some(n)
    }

    /// A number as serde_json reads it: an integer without fraction or exponent is a `u64`,
    /// or an `i64` when negative (`-0` is the float −0); anything else the significand's
    /// float multiplied or divided by a power of ten.
    fn number(&mut self) -> Option<Number> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let mut significand = 0u64;
        // Digits taken into the significand: up to 19 it cannot overflow.
        let mut taken = 0;
        match self.peek()? {
            b'0' => {
                self.at += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return None;
                }
            }
            b'1'..=b'9' => {
                self.digits(&mut significand, &mut taken)?;
            }
            _ => return None,
        }
        let mut exponent = 0i32;
        let mut whole = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            whole = false;
            let digits = self.digits(&mut significand, &mut taken)?;
            if digits == 0 {
                return None;
            }
            exponent = -i32::try_from(digits).ok()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            whole = false;
            let negative_exponent = self.peek() == Some(b'-');
            if let Some(b'-' | b'+') = self.peek() {
                self.at += 1;
            }
            let mut power = 0u64;
            let digits = self.digits(&mut power, &mut 0)?;
            let power = i32::try_from(power).ok().filter(|_| digits > 0)?;
            exponent = if negative_exponent { exponent.checked_sub(power)? } else { exponent.checked_add(power)? };
        }
        if whole {
            if !negative {
                return Some(Number::PosInt(significand));
            }
            // As serde_json: `-0` and what `i64` cannot hold become floats.
            let negated = (significand as i64).wrapping_neg();
            return Some(if negated >= 0 { Number::Float(-(significand as f64)) } else { Number::NegInt(negated) });
        }
        let power = *powers_of_ten().get(exponent.unsigned_abs() as usize)?;
        let mut float = significand as f64;
        if exponent >= 0 {
            float *= power;
            if float.is_infinite() {
                return None;
            }
        } else {
            float /= power;
        }
        Some(Number::Float(if negative { -float } else { float }))
    }

    /// Decimal digits into `value`, `taken` of which were taken into it before (`None` when
    /// it would pass `u64::MAX`); how many.
    fn digits(&mut self, value: &mut u64, taken: &mut usize) -> Option<usize> {
        let rest = &self.bytes[self.at..];
        let count = rest.iter().position(|b| !b.is_ascii_digit()).unwrap_or(rest.len());
        let digits = rest[..count].iter().map(|&digit| u64::from(digit - b'0'));
        if *taken + count <= 19 {
            // Below 10^19: no overflow to check for.
            *value = digits.fold(*value, |value, digit| value * 10 + digit);
        } else {
            for digit in digits {
                *value = value.checked_mul(10)?.checked_add(digit)?;
            }
        }
        *taken += count;
        self.at += count;
        Some(count)
    }
}

/// The bytes that end a run of a string's plain text: its closing quote, an escape, and the
/// control characters serde_json refuses there.
const STRING_STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        stops[byte] = true;
        byte += 1;
    }
    stops[b'"' as usize] = true;
    stops[b'\\' as usize] = true;
    stops
};

/// 10^0 … 10^308, each the float nearest to it (as the literals `1e0` … `1e308` are).
fn powers_of_ten() -> &'static [f64] {
    static POWERS: OnceLock<Vec<f64>> = OnceLock::new();
    POWERS.get_or_init(|| (0..=308).map(|k| format!("1e{k}").parse().unwrap_or(f64::INFINITY)).collect())
}
