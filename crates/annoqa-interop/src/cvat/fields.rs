//! Typed values of CVAT XML attributes and meta fields, with errors naming the element path
//! and attribute (`annotations/image[3]/box[2]@xtl`).

use super::xml::Element;
use crate::diag::InputError;

/// The input file's name, for errors.
#[derive(Clone, Copy)]
pub(super) struct Fields<'a> {
    pub(super) file: &'a str,
}

impl Fields<'_> {
    pub(super) fn error(&self, element: &Element, attr: Option<&str>, message: impl Into<String>) -> InputError {
        let location = match attr {
            Some(a) => format!("{}@{a}", element.path),
            None => element.path.clone(),
        };
        InputError::new(self.file, location, message)
    }

    pub(super) fn required<'e>(&self, element: &'e Element, attr: &str) -> Result<&'e str, InputError> {
        element.attr(attr).ok_or_else(|| self.error(element, Some(attr), "missing attribute"))
    }

    /// A finite number.
    pub(super) fn number(&self, element: &Element, attr: &str) -> Result<f64, InputError> {
        let raw = self.required(element, attr)?;
        parse_number(raw)
            .ok_or_else(|| self.error(element, Some(attr), format!("expected a finite number, got `{raw}`")))
    }

    pub(super) fn optional_number(&self, element: &Element, attr: &str) -> Result<Option<f64>, InputError> {
        match element.attr(attr) {
            None => Ok(None),
            Some(_) => self.number(element, attr).map(Some),
        }
    }

    /// A frame number (0 or more).
    pub(super) fn frame(&self, element: &Element, attr: &str) -> Result<u32, InputError> {
        let raw = self.required(element, attr)?;
        raw.trim()
            .parse()
            .map_err(|_| self.error(element, Some(attr), format!("expected a frame number (0 or more), got `{raw}`")))
    }

    /// `0`/`1` (or `false`/`true`); absent is `default`.
    pub(super) fn flag(&self, element: &Element, attr: &str, default: bool) -> Result<bool, InputError> {
        match element.attr(attr).map(str::trim) {
            None => Ok(default),
            Some("1") => Ok(true),
            Some("0") => Ok(false),
            Some(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Some(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            Some(other) => Err(self.error(element, Some(attr), format!("expected 0 or 1, got `{other}`"))),
        }
    }

    /// An integer (z_order); absent is 0.
    pub(super) fn integer(&self, element: &Element, attr: &str) -> Result<i64, InputError> {
        match element.attr(attr) {
            None => Ok(0),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| self.error(element, Some(attr), format!("expected an integer, got `{raw}`"))),
        }
    }

    /// `points="x0,y0;x1,y1;…"`; an empty string is no point.
    pub(super) fn points(&self, element: &Element) -> Result<Vec<[f64; 2]>, InputError> {
        let raw = self.required(element, "points")?;
        if raw.trim().is_empty() {
            return Ok(Vec::new());
        }
        raw.split(';')
            .map(|pair| {
                let mut xy = pair.split(',').map(parse_number);
                match (xy.next(), xy.next(), xy.next()) {
                    (Some(Some(x)), Some(Some(y)), None) => Ok([x, y]),
                    _ => Err(self.error(
                        element,
                        Some("points"),
                        format!("expected `x,y` pairs separated by `;`, got `{pair}`"),
                    )),
                }
            })
            .collect()
    }

    /// The number in meta field `name` of `parent` (e.g. `<start_frame>10</start_frame>`);
    /// `None` when absent or empty.
    pub(super) fn meta_u32(&self, parent: &Element, name: &str) -> Result<Option<u32>, InputError> {
        let Some(child) = parent.child(name) else { return Ok(None) };
        let raw = child.text.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse().map(Some).map_err(|_| self.error(child, None, format!("expected a whole number, got `{raw}`")))
    }
}

fn parse_number(raw: &str) -> Option<f64> {
    raw.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A number as CVAT XML text: Rust's shortest representation that reads back to the same
/// `f64` (`4`, `2.5`, `0.1`), never `-0`.
pub(super) fn format_number(v: f64) -> String {
    if v == 0.0 {
        "0".to_owned()
    } else {
        format!("{v}")
    }
}
