//! Decimal numbers read from text (a label such as `"2.5"`, an XML attribute, a region's
//! `score` attribute), as `str::parse::<f64>` reads them.
//!
//! Why not `str::parse` everywhere: in WebAssembly its correctly rounded algorithm brings the
//! standard library's tables of powers of five, about 10 KB of the npm module (gzip) that barely
//! compress, while serde_json's own number reader is in the module anyway. So in WebAssembly
//! [`parse_finite`] checks the text against `str::parse`'s grammar, rewrites it in JSON's (no
//! `+`, no leading zeros, no bare `.`) and lets serde_json read it; natively it is `str::parse`.
//! The two accept and refuse the same texts, and agree to the last bit on every number of at
//! most 15 significant digits whose decimal exponent (after moving the point behind the last
//! digit) lies within ±22: there serde_json's one multiplication or division of exact operands
//! is correctly rounded. Beyond that serde_json may be one unit in the last place off (a quarter
//! of random 1–20 digit numbers with exponents up to ±350 were; `1e-50` with its zeros written
//! out is one), and a number within such a unit of `f64::MAX` may overflow and be refused.
//! Natively nothing changes, and the npm module's callers write labels, frame rates and scores.

use std::borrow::Cow;

/// The finite number `text` spells as `str::parse::<f64>` reads it (an optional sign, digits
/// with an optional point, an optional exponent; no spaces), or `None` if it spells none, or an
/// infinite one (`inf`, `NaN`, `1e999`).
pub fn parse_finite(text: &str) -> Option<f64> {
    #[cfg(target_arch = "wasm32")]
    return parse_through_json(text);
    #[cfg(not(target_arch = "wasm32"))]
    return text.parse::<f64>().ok().filter(|v| v.is_finite());
}

/// [`parse_finite`] through serde_json's number reader.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn parse_through_json(text: &str) -> Option<f64> {
    // The sign is applied here, so that `-0` is negative zero as `str::parse` reads it
    // (serde_json reads `-0` as the integer 0).
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let json = as_json_number(unsigned)?;
    // Out of range (`1e999`) is an error here, and an infinity for `str::parse`: `None` either way.
    let value: f64 = serde_json::from_str(&json).ok()?;
    Some(if negative { -value } else { value })
}

/// `text` (without its sign) in JSON's number grammar, if it is a decimal number of
/// `str::parse::<f64>`'s: digits, a point and digits (either side may be empty, not both), then
/// `e` or `E`, an optional sign and at least one digit. Most numbers are JSON already and are
/// not copied (labels are read one per row of a table).
fn as_json_number(text: &str) -> Option<Cow<'_, str>> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (whole, fraction, point) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, fraction, true),
        None => (mantissa, "", false),
    };
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let exponent_digits = exponent.map(|e| e.strip_prefix(['+', '-']).unwrap_or(e));
    if !digits(whole)
        || !digits(fraction)
        || whole.len() + fraction.len() == 0
        || exponent_digits.is_some_and(|e| e.is_empty() || !digits(e))
    {
        return None;
    }
    let trimmed = whole.trim_start_matches('0');
    if !whole.is_empty() && (whole == "0" || trimmed.len() == whole.len()) && (!point || !fraction.is_empty()) {
        return Some(Cow::Borrowed(text));
    }
    let mut json = String::with_capacity(text.len() + 1);
    json.push_str(if trimmed.is_empty() { "0" } else { trimmed });
    if !fraction.is_empty() {
        json.push('.');
        json.push_str(fraction);
    }
    if let Some(exponent) = exponent {
        json.push('e');
        json.push_str(exponent);
    }
    Some(Cow::Owned(json))
}

#[cfg(test)]
mod tests {
    use super::parse_through_json;

    /// What `str::parse` makes of `text`, finite numbers only.
    fn std_parse(text: &str) -> Option<f64> {
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    #[test]
    fn accepts_and_refuses_what_str_parse_does() {
        // Separated by white space; then the texts that are or hold white space.
        let texts = "0 -0 +0 -0.0 1 +1 -1 2.5 007 007.50 .5 5. -.5 +5. 0.5 00 1e3 1E3 1e+3 1e-3 1.5e2 .5e1 5.e1 05e1
            0e999999999999999999 1e-999 1e308 1.7976931348623157e308 4.9e-324 0.1 0.2 29.97 29.97002997
            18446744073709551615 18446744073709551616 123456789012 -123.456 - + . e e5 1e 1e+ 1e- .e1 1.2.3 1e2e3
            --1 +-1 -+1 1,5 0x10 1_000 inf -inf infinity NaN nan 1e999 -1e999 1e99999999999999999999 ٣ 1\u{0}";
        for text in texts.split_whitespace().chain(["", " 1", "1 ", "1\n"]) {
            let ours = parse_through_json(text);
            let std = std_parse(text);
            assert_eq!(ours.map(f64::to_bits), std.map(f64::to_bits), "{text:?}: {ours:?} against {std:?}");
        }
    }

    #[test]
    fn short_numbers_agree_to_the_bit() {
        // A sample of the numbers of up to six significant digits, at every exponent within ±22,
        // and of up to twelve with six decimals.
        for mantissa in (0..1_000_000u32).step_by(7919) {
            for exponent in -22..=22 {
                for text in [format!("{mantissa}e{exponent}"), format!("-{mantissa}.{mantissa}")] {
                    let ours = parse_through_json(&text).map(f64::to_bits);
                    assert_eq!(ours, std_parse(&text).map(f64::to_bits), "{text}");
                }
            }
        }
    }
}
