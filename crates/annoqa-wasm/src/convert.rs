//! JavaScript values in and out, through their JSON text, and errors as JavaScript `Error`s
//! whose message names the argument and the field (`spec.controls[0].labels[1]: missing field
//! `value``).
//!
//! Why JSON rather than serde-wasm-bindgen's (de)serializer: its deserializer reads only the
//! fields a struct declares, so `deny_unknown_fields` would never see a misspelt option, and
//! the JSON route holds JavaScript callers to exactly the JSON that spec files and the server's
//! API take; serde_json is in the module anyway (annoqa-core uses it), so both directions cost
//! no second serializer. `JSON.parse` gives plain objects, maps as objects and `None` as `null`.
//! Paths come from the error's position in the JSON text ([`path_at`]) rather than from
//! serde_path_to_error, whose wrapper of every visitor made the module 18 KB (gzip) larger.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsError, JsValue};

/// `value` as a `T`; `argument` names it in errors (`spec`, `options`).
pub(crate) fn from_js<T: DeserializeOwned>(argument: &str, value: JsValue) -> Result<T, JsError> {
    let json = js_sys::JSON::stringify(&value)
        .map_err(|err| invalid(argument, format!("cannot be read as JSON: {}", js_error_message(&err))))?;
    let Some(json) = json.as_string() else {
        return Err(invalid(argument, "missing: got undefined (or a function)"));
    };
    from_json(argument, &json).map_err(|message| JsError::new(&message))
}

/// `value` as an optional `T`: `undefined` and `null` give `T::default()`.
pub(crate) fn options_from_js<T: DeserializeOwned + Default>(argument: &str, value: JsValue) -> Result<T, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    from_js(argument, value)
}

/// `value` as a plain JavaScript object.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    let json = serde_json::to_string(value)
        .map_err(|err| JsError::new(&format!("cannot convert the result to JavaScript: {err}")))?;
    js_sys::JSON::parse(&json)
        .map_err(|err| JsError::new(&format!("cannot convert the result to JavaScript: {}", js_error_message(&err))))
}

/// An error about one argument, or a field of it.
pub(crate) fn invalid(argument: &str, message: impl std::fmt::Display) -> JsError {
    JsError::new(&format!("{argument}: {message}"))
}

/// The message of a thrown JavaScript value.
fn js_error_message(err: &JsValue) -> String {
    match err.dyn_ref::<js_sys::Error>() {
        Some(error) => String::from(error.message()),
        None => format!("{err:?}"),
    }
}

/// `json` (one line, as `JSON.stringify` writes it) as a `T`, or what is wrong with it, named
/// by `argument` and the path of the value at fault.
pub(crate) fn from_json<T: DeserializeOwned>(argument: &str, json: &str) -> Result<T, String> {
    serde_json::from_str(json).map_err(|err| {
        let message = err.to_string();
        let message = without_position(&message);
        // Columns are 1-based and count bytes; 0 means the error has no position.
        let offset = err.column().saturating_sub(1);
        let path = path_at(json, offset);
        format!("{argument}{path}: {message}")
    })
}

/// serde_json's messages end in ` at line 1 column 345`, which means nothing to the caller of a
/// function: the path says where.
fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => &message[..at],
        _ => message,
    }
}

/// One open object or array while [`path_at`] walks the text.
enum Frame {
    /// The last key read, and whether the next string is a key.
    Object {
        key: Option<String>,
        expecting_key: bool,
    },
    Array {
        index: usize,
    },
}

/// The path (`.controls[0].labels[1]`) of the value at byte `offset` of the valid JSON text
/// `json`, the byte serde_json's error position names. That is the last byte of a value it
/// rejected (a wrong type, an unknown variant) or of a key (an unknown field), so the path
/// ends in that key; or, for an error about a whole object (a missing field, or a value serde
/// buffered and judged at the end, such as a region's kind), the object's `}`, where the last
/// key read is not at fault and is left out. An internally tagged enum (an item's media) is
/// judged after it is read whole: errors inside it name the enum's field, or the object that
/// holds it when it is that object's last field.
fn path_at(json: &str, offset: usize) -> String {
    let bytes = json.as_bytes();
    let end = offset.min(bytes.len());
    let mut frames: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'"' => {
                let close = string_end(bytes, i);
                if let Some(Frame::Object { key, expecting_key: expecting @ true }) = frames.last_mut() {
                    *key = json.get(i..=close).and_then(|quoted| serde_json::from_str(quoted).ok());
                    *expecting = false;
                }
                i = close;
            }
            b'{' => frames.push(Frame::Object { key: None, expecting_key: true }),
            b'[' => frames.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { expecting_key, .. }) => *expecting_key = true,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    if bytes.get(end) == Some(&b'}') {
        if let Some(Frame::Object { key, .. }) = frames.last_mut() {
            *key = None;
        }
    }
    frames.iter().map(render).collect()
}

/// The index of the quote that closes the string opening at `open`, or the last byte.
fn string_end(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len().saturating_sub(1)
}

fn render(frame: &Frame) -> String {
    match frame {
        Frame::Array { index } => format!("[{index}]"),
        Frame::Object { key: None, .. } => String::new(),
        Frame::Object { key: Some(key), .. } => {
            let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if plain {
                format!(".{key}")
            } else {
                // A string never fails to serialize; `to_string` is the writer `to_js` uses already.
                format!("[{}]", serde_json::to_string(key).unwrap_or_default())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use annoqa_core::{Gold, Item, Region, TaskSpec};
    use serde::Deserialize;

    use super::from_json;

    fn error<T: serde::de::DeserializeOwned + std::fmt::Debug>(argument: &str, json: &str) -> String {
        from_json::<T>(argument, json).unwrap_err()
    }

    #[test]
    fn errors_name_the_value_at_fault() {
        let label =
            r#"{"media":"text","controls":[{"name":"x","type":"choice","labels":[{"value":"a"},{"valu":"b"}]}]}"#;
        assert_eq!(error::<TaskSpec>("spec", label), "spec.controls[0].labels[1]: missing field `value`");
        let kind = r#"{"media":"text","controls":[{"name":"x","type":"boxes"}]}"#;
        assert!(
            error::<TaskSpec>("spec", kind).starts_with("spec.controls[0]: unknown variant `boxes`, expected one of")
        );
        let media = r#"{"media":"txt","controls":[]}"#;
        assert!(error::<TaskSpec>("spec", media).starts_with("spec.media: unknown variant `txt`"));
        let unknown = r#"{"media":"text","controls":[],"colour":1}"#;
        assert!(error::<TaskSpec>("spec", unknown).starts_with("spec.colour: unknown field `colour`, expected one of"));
        let limit = r#"{"media":"text","controls":[],"limits":{"regions":-1}}"#;
        assert_eq!(
            error::<TaskSpec>("spec", limit),
            "spec.limits.regions: invalid value: integer `-1`, expected usize"
        );
        assert_eq!(error::<TaskSpec>("spec", "42"), "spec: invalid type: integer `42`, expected struct TaskSpec");
        assert_eq!(error::<TaskSpec>("spec", "{}"), "spec: missing field `media`");
    }

    #[test]
    fn errors_in_regions_name_the_region() {
        let start = r#"[{"id":"r0","control":"c","type":"choice","labels":[]},{"id":"r1","control":"c","type":"text_span","start":"zero","end":1,"label":"x"}]"#;
        assert_eq!(error::<Vec<Region>>("regions", start), "regions[1]: invalid type: string \"zero\", expected usize");
        let end = r#"[{"id":"r1","control":"c","type":"text_span","start":0,"label":"x"}]"#;
        assert_eq!(error::<Vec<Region>>("regions", end), "regions[0]: missing field `end`");
        let id = r#"[{"control":"c","type":"choice","labels":[]}]"#;
        assert_eq!(error::<Vec<Region>>("regions", id), "regions[0]: missing field `id`");
        let points = r#"[{"id":"p","control":"c","type":"polygon","points":[[0,0],[1]],"label":"x"}]"#;
        assert!(error::<Vec<Region>>("regions", points).starts_with("regions[0]: invalid length 1"));
        let gold = r#"{"mode":"training","answer":[{"id":"g","control":"c","type":"choice","labels":"x"}]}"#;
        assert!(error::<Gold>("gold", gold).starts_with("gold.answer[0]: invalid type: string \"x\""));
    }

    #[test]
    fn keys_that_are_not_names_are_quoted() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Tolerances(std::collections::BTreeMap<String, u32>);
        let odd = r#"{"a b":1,"c\"d":"x"}"#;
        assert_eq!(error::<Tolerances>("t", odd), r#"t["c\"d"]: invalid type: string "x", expected u32"#);
        // An item's media is an internally tagged enum, judged after it is read whole.
        let media = r#"{"id":"i","media":{"type":"image","src":"a.png","width":"wide","height":1},"candidates":[]}"#;
        assert_eq!(error::<Item>("item", media), "item.media: invalid type: string \"wide\", expected u32");
        let last = r#"{"id":"i","media":{"type":"text"}}"#;
        assert_eq!(error::<Item>("item", last), "item: missing field `text`");
    }
}
