//! `validate` and `score`: annoqa-core's QA engine, after the spec's size limits.

use annoqa_core::{check_limits, score_gold, Gold, Item, Region, TaskSpec};
use wasm_bindgen::{JsError, JsValue};

use crate::convert::{from_js, invalid, to_js};

/// The spec, item and regions of one check, read from JavaScript and held to the spec's
/// `limits` the way the server holds a submission to them: an annotation past a limit is
/// refused before anything else looks at it, because validation and scoring cost grows with
/// those sizes.
struct Checked {
    spec: TaskSpec,
    item: Item,
    regions: Vec<Region>,
}

fn read(spec: JsValue, item: JsValue, regions: JsValue) -> Result<Checked, JsError> {
    let spec: TaskSpec = from_js("spec", spec)?;
    let item: Item = from_js("item", item)?;
    let regions: Vec<Region> = from_js("regions", regions)?;
    check_limits(&spec, &regions).map_err(|exceeded| invalid("regions", format!("too large: {exceeded}")))?;
    Ok(Checked { spec, item, regions })
}

pub(crate) fn validate(spec: JsValue, item: JsValue, regions: JsValue) -> Result<JsValue, JsError> {
    let checked = read(spec, item, regions)?;
    to_js(&annoqa_core::validate(&checked.spec, &checked.item, &checked.regions))
}

pub(crate) fn score(spec: JsValue, item: JsValue, gold: JsValue, regions: JsValue) -> Result<JsValue, JsError> {
    let checked = read(spec, item, regions)?;
    let gold: Gold = from_js("gold", gold)?;
    check_limits(&checked.spec, &gold.answer)
        .map_err(|exceeded| invalid("gold.answer", format!("too large: {exceeded}")))?;
    to_js(&score_gold(&checked.spec, &checked.item, &gold, &checked.regions))
}
