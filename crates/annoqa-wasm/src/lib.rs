//! annoqa as an npm module: JavaScript bindings over the QA engine (`annoqa-core`), the
//! statistics (`annoqa-stats`), waveform peaks (`annoqa-media`) and the Label Studio conversion
//! (`annoqa-interop`).
//!
//! Every export takes plain JavaScript objects, turns them into the crates' types through their
//! JSON text (`convert.rs`), calls the crates and hands the result back as plain objects. Bad
//! input is a thrown `Error` whose message names the argument and the field
//! (``spec.controls[0]: unknown variant `boxes` ``), never a panic.
//!
//! Code map: `qa` (validate, score), `stats` (agreement, aggregate over a long table),
//! `media` (peaks), `ls` (Label Studio). The TypeScript declarations of every export, its
//! inputs and its outputs are written by hand in `src/annoqa.d.ts`; the package's JavaScript
//! entries (`js/`), its tests (`js-tests/`) and the example page (`example/`) are described in
//! README.md, the build in `xtask/src/npm.rs`.
//!
//! **Architecture Invariant:** no QA logic lives here. What this crate adds is the mapping of
//! names to the dense indices annoqa-stats works on (as `annoqa agreement` does for CSV files)
//! and the shape of its answers.

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
#![warn(unreachable_pub)]

mod convert;
mod ls;
mod media;
mod qa;
mod stats;

use wasm_bindgen::prelude::*;

// The declarations of every export, written by hand so that inputs and outputs have precise
// types; each `#[wasm_bindgen]` function below skips the generated (untyped) declaration.
#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &str = include_str!("annoqa.d.ts");

/// The findings of `regions` as an answer to `item` under `spec` (annoqa-core's `validate`).
#[wasm_bindgen(skip_typescript)]
pub fn validate(spec: JsValue, item: JsValue, regions: JsValue) -> Result<JsValue, JsError> {
    qa::validate(spec, item, regions)
}

/// The gold report of `regions` against `gold` (annoqa-core's `score_gold`).
#[wasm_bindgen(skip_typescript)]
pub fn score(spec: JsValue, item: JsValue, gold: JsValue, regions: JsValue) -> Result<JsValue, JsError> {
    qa::score(spec, item, gold, regions)
}

/// An agreement coefficient over a long table of `{item, annotator, label}` rows.
#[wasm_bindgen(skip_typescript)]
pub fn agreement(table: JsValue, options: JsValue) -> Result<JsValue, JsError> {
    stats::agreement(table, options)
}

/// The consensus label of every item of a long table (majority vote or Dawid–Skene).
#[wasm_bindgen(skip_typescript)]
pub fn aggregate(table: JsValue, options: JsValue) -> Result<JsValue, JsError> {
    stats::aggregate(table, options)
}

/// Waveform peaks of a WAV file, as audiowaveform's JSON format (an object).
#[wasm_bindgen(skip_typescript)]
pub fn peaks(wav: JsValue, options: JsValue) -> Result<JsValue, JsError> {
    media::peaks(&wav, options)
}

/// Waveform peaks of a WAV file, as audiowaveform's binary `.dat` format.
#[wasm_bindgen(skip_typescript, js_name = peaksDat)]
pub fn peaks_dat(wav: JsValue, options: JsValue) -> Result<Vec<u8>, JsError> {
    media::peaks_dat(&wav, options)
}

/// annoqa records (and the spec) of Label Studio JSON: one task, a task list or a webhook
/// payload, read with the labeling config `config` (XML text) when given.
#[wasm_bindgen(skip_typescript, js_name = fromLabelStudio)]
pub fn from_label_studio(config: Option<String>, task: JsValue, options: JsValue) -> Result<JsValue, JsError> {
    ls::from_label_studio(config, task, options)
}

/// Label Studio tasks holding `records`, for an annoqa spec, a Label Studio config or `null`.
#[wasm_bindgen(skip_typescript, js_name = toLabelStudio)]
pub fn to_label_studio(spec: JsValue, records: JsValue) -> Result<JsValue, JsError> {
    ls::to_label_studio(spec, records)
}
