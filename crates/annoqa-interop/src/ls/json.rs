//! Reading parsed JSON with the path of every value at hand, so that an error names it
//! (`$[0].annotations[0].result[2].value.x: expected a number`). A path is a chain of stack
//! frames, rendered only when an error is made.

use super::value::{Json, Object};

use crate::diag::InputError;

/// Where a value sits in the file: `$`, then keys and indices.
#[derive(Clone, Copy)]
pub(super) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Step<'a>,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    pub(super) const ROOT: Path<'static> = Path { parent: None, step: Step::Root };

    pub(super) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), step: Step::Key(key) }
    }

    pub(super) fn index(&'a self, index: usize) -> Path<'a> {
        Path { parent: Some(self), step: Step::Index(index) }
    }

    pub(super) fn render(&self) -> String {
        let mut steps = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            steps.push(path.step);
            at = path.parent;
        }
        let mut out = String::new();
        for step in steps.iter().rev() {
            match step {
                Step::Root => out.push('$'),
                Step::Key(key) => {
                    out.push('.');
                    out.push_str(key);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

/// One JSON value and where it is.
#[derive(Clone, Copy)]
pub(super) struct At<'v, 'p> {
    pub(super) value: &'v Json<'v>,
    pub(super) path: &'p Path<'p>,
    pub(super) file: &'p str,
}

impl<'v, 'p> At<'v, 'p> {
    pub(super) fn new(value: &'v Json<'v>, path: &'p Path<'p>, file: &'p str) -> Self {
        At { value, path, file }
    }

    pub(super) fn error(&self, message: impl Into<String>) -> InputError {
        InputError::new(self.file, self.path.render(), message)
    }

    fn expected(&self, what: &str) -> InputError {
        self.error(format!("expected {what}, found {}", kind(self.value)))
    }

    pub(super) fn object(&self) -> Result<Obj<'v, 'p>, InputError> {
        match self.value.as_object() {
            Some(map) => Ok(Obj { map, path: self.path, file: self.file }),
            None => Err(self.expected("an object")),
        }
    }

    pub(super) fn array(&self) -> Result<&'v [Json<'v>], InputError> {
        self.value.as_array().ok_or_else(|| self.expected("a list"))
    }

    pub(super) fn number(&self) -> Result<f64, InputError> {
        match self.value.as_f64() {
            Some(n) if n.is_finite() => Ok(n),
            _ => Err(self.expected("a number")),
        }
    }

    /// A whole number ≥ 0 (text offsets, frames), written as an integer or a float without
    /// fraction.
    pub(super) fn count(&self) -> Result<u64, InputError> {
        if let Some(n) = self.value.as_u64() {
            return Ok(n);
        }
        match self.value.as_f64() {
            // Exact: the float has no fraction and is below 2^53.
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n < 9_007_199_254_740_992.0 => Ok(n as u64),
            _ => Err(self.expected("a whole number ≥ 0")),
        }
    }

    pub(super) fn string(&self) -> Result<&'v str, InputError> {
        self.value.as_str().ok_or_else(|| self.expected("a string"))
    }

    pub(super) fn boolean(&self) -> Result<bool, InputError> {
        self.value.as_bool().ok_or_else(|| self.expected("true or false"))
    }

    /// The first of [`At::strings`] and how many there are, each checked to be a string.
    pub(super) fn first_string(&self) -> Result<(Option<&'v str>, usize), InputError> {
        if let Some(one) = self.value.as_str() {
            return Ok((Some(one), 1));
        }
        let list = self.array()?;
        for (i, item) in list.iter().enumerate() {
            if !item.is_string() {
                let path = self.path.index(i);
                return Err(At::new(item, &path, self.file).expected("a string"));
            }
        }
        Ok((list.first().and_then(Json::as_str), list.len()))
    }

    /// A list of strings, or one string as a list of one.
    pub(super) fn strings(&self) -> Result<Vec<String>, InputError> {
        if let Some(one) = self.value.as_str() {
            return Ok(vec![one.to_owned()]);
        }
        let mut out = Vec::new();
        for (i, item) in self.array()?.iter().enumerate() {
            let path = self.path.index(i);
            out.push(At::new(item, &path, self.file).string()?.to_owned());
        }
        Ok(out)
    }
}

/// A JSON object and where it is; absent and `null` fields read alike.
#[derive(Clone, Copy)]
pub(super) struct Obj<'v, 'p> {
    pub(super) map: &'v Object<'v>,
    pub(super) path: &'p Path<'p>,
    pub(super) file: &'p str,
}

impl<'v, 'p> Obj<'v, 'p> {
    pub(super) fn get(&self, key: &str) -> Option<&'v Json<'v>> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(super) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub(super) fn error(&self, message: impl Into<String>) -> InputError {
        InputError::new(self.file, self.path.render(), message)
    }

    /// Runs `read` on the field `key` with its path; `None` when absent.
    pub(super) fn field<T>(
        &self,
        key: &str,
        read: impl FnOnce(At<'v, '_>) -> Result<T, InputError>,
    ) -> Result<Option<T>, InputError> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => {
                let path = self.path.key(key);
                read(At { value, path: &path, file: self.file }).map(Some)
            }
        }
    }

    /// Runs `read` on the field `key`, which must be present.
    pub(super) fn required<T>(
        &self,
        key: &str,
        read: impl FnOnce(At<'v, '_>) -> Result<T, InputError>,
    ) -> Result<T, InputError> {
        self.field(key, read)?.ok_or_else(|| self.error(format!("missing field `{key}`")))
    }

    pub(super) fn number(&self, key: &str) -> Result<f64, InputError> {
        self.required(key, |at| at.number())
    }

    pub(super) fn opt_number(&self, key: &str) -> Result<Option<f64>, InputError> {
        self.field(key, |at| at.number())
    }

    pub(super) fn opt_str(&self, key: &str) -> Result<Option<&'v str>, InputError> {
        self.field(key, |at| at.string())
    }

    pub(super) fn opt_bool(&self, key: &str) -> Result<Option<bool>, InputError> {
        self.field(key, |at| at.boolean())
    }
}

/// A name for the kind of a JSON value, for messages.
pub(super) fn kind(value: &Json<'_>) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// [`id_text`], borrowed from the value when it is a string.
pub(super) fn id_cow<'v>(value: &'v Json<'v>) -> Option<std::borrow::Cow<'v, str>> {
    match value {
        Json::String(s) => Some(std::borrow::Cow::Borrowed(s.as_ref())),
        Json::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// An id as Label Studio writes them: a string, or a number (task and user ids).
pub(super) fn id_text(value: &Json<'_>) -> Option<String> {
    match value {
        Json::String(s) => Some(s.as_ref().to_owned()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
