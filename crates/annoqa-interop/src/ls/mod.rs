//! Label Studio: labeling configs (XML) to and from specs, JSON exports to and from records.
//!
//! Reading follows docs/interop.md's "Label Studio" section: percentages become pixels with
//! each result's `original_width/height` (else `--media-size`, else the image's own header),
//! 1-based video frames become 0-based, a disabled keyframe becomes an `outside` keyframe on the
//! next frame, and per-region controls become region attributes. Whatever has no annoqa
//! counterpart (ellipses, masks, relations, HTML spans, …) is reported, never guessed.

mod config;
mod json;
#[cfg(not(target_arch = "wasm32"))]
mod parse;
#[cfg(not(target_arch = "wasm32"))]
mod pool;
mod read;
mod results;
mod spec_xml;
mod split;
mod task;
mod text;
mod value;
mod write;
mod xml;

pub use config::{spec_from_config, ControlRole, ControlTag, LsConfig, LsControl, LsObject, DEFAULT_FRAME_RATE};
pub use read::{for_each_part, for_each_record, read};
pub use spec_xml::config_from_spec;
pub use write::{write, write_with_config};

/// How the reader sees `text` (one JSON object), for tests: printed back as JSON, and for each
/// of `keys` the field's value as JSON with its float and whole-number readings.
#[cfg(test)]
pub(crate) fn json_for_tests(text: &str, keys: &[&str]) -> Result<(String, Vec<JsonField>), String> {
    let json: value::Json<'_> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let fields = keys
        .iter()
        .map(|key| {
            let field = json.get(key);
            JsonField {
                json: field.map(|f| f.to_serde()),
                float: field.and_then(value::Json::as_f64),
                whole: field.and_then(value::Json::as_u64),
            }
        })
        .collect();
    Ok((json.to_string(), fields))
}

/// `text` as the native parser reads it and as serde_json does, each printed with `{:?}` (so
/// floats compare to the bit); the native parser's `None` leaves the text to serde_json.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) fn parsers_for_tests(text: &[u8]) -> (Option<String>, Result<String, String>) {
    let native = parse::parse(text).map(|json| format!("{json:?}"));
    let serde = serde_json::from_slice::<value::Json<'_>>(text).map(|json| format!("{json:?}"));
    (native, serde.map_err(|e| e.to_string()))
}

/// One field as [`json_for_tests`] reads it.
#[cfg(test)]
#[derive(Debug, PartialEq)]
pub(crate) struct JsonField {
    pub(crate) json: Option<serde_json::Value>,
    pub(crate) float: Option<f64>,
    pub(crate) whole: Option<u64>,
}
