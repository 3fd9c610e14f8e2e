//! The region list: every region of the draft in an ARIA listbox. Arrows move the selection
//! (which the canvas shows and scrolls to), Delete removes, and the selected region's label can
//! be changed from a menu, so nothing needs a drag. After a gold submission each row says its
//! verdict and, for a matched or low-overlap pair, the IoU.
//!
//! At 50,000 regions only a page of rows around the selection is in the DOM.

use std::collections::HashMap;
use std::rc::Rc;

use annoqa_core::geometry::polygon_iou;
use annoqa_core::{Region, Severity, TaskSpec};
use wasm_bindgen::JsCast;
use web_sys::{HtmlSelectElement, KeyboardEvent};
use yew::{classes, component, html, Callback, Event, Html, MouseEvent, Properties};

use super::scene::region_label;
use super::Agreement;
use crate::components::gold_report::verdict_class;
use crate::image::shape::Shape;
use crate::labels::{color_style, label_color};
use crate::state::{Action, Checked, Session};

/// Rows in the DOM at once.
const PAGE: usize = 100;

#[derive(Properties, PartialEq)]
pub(super) struct RegionListProps {
    pub spec: Rc<TaskSpec>,
    pub session: Session,
    pub revision: u64,
    pub findings: Rc<Checked>,
    pub dispatch: Callback<Action>,
    /// A region was picked here: bring it into view.
    pub on_focus_region: Callback<String>,
    /// A reviewer's overlay: each region's agreement class. Its region ids are
    /// `annotator/region`, so each row also names whose region it is.
    #[prop_or_default]
    pub agreement: Option<Rc<HashMap<String, Agreement>>>,
}

/// How a region of an overlay agrees, in words and the chip's class (`review.css`).
fn agreement_words(agreement: Agreement) -> (&'static str, &'static str) {
    match agreement {
        Agreement::AllAgree => ("all agree", "agree-all"),
        Agreement::Majority => ("majority", "agree-majority"),
        Agreement::Disagree => ("disagree", "agree-none"),
    }
}

fn describe(region: &Region) -> String {
    use annoqa_core::RegionValue as V;
    match &region.value {
        V::BBox { x, y, width, height, rotation, .. } if *rotation != 0.0 => {
            format!("{width:.0}×{height:.0} at {x:.0}, {y:.0}, {rotation:.0}°")
        }
        V::BBox { x, y, width, height, .. } => format!("{width:.0}×{height:.0} at {x:.0}, {y:.0}"),
        V::Polygon { points, .. } => format!("polygon, {} points", points.len()),
        V::Keypoint { x, y, .. } => format!("point at {x:.0}, {y:.0}"),
        _ => region.control.clone(),
    }
}

#[component]
pub(super) fn RegionList(props: &RegionListProps) -> Html {
    let draft = props.session.draft.borrow();
    let regions: Vec<&Region> = draft.regions().iter().filter(|r| region_label(&r.value).is_some()).collect();
    let selected = props.session.selected_region.as_deref();
    let at = selected.and_then(|id| regions.iter().position(|r| r.id == id));
    let start = at.map_or(0, |i| i / PAGE * PAGE);
    let end = (start + PAGE).min(regions.len());
    let verdicts = verdicts(&props.session);

    let on_key = {
        let (dispatch, focus) = (props.dispatch.clone(), props.on_focus_region.clone());
        let shared = props.session.draft.clone();
        Callback::from(move |event: KeyboardEvent| {
            // The ids are read from the draft when a key is pressed, not copied per render.
            let draft = shared.borrow();
            let ids: Vec<&str> =
                draft.regions().iter().filter(|r| region_label(&r.value).is_some()).map(|r| r.id.as_str()).collect();
            let last = ids.len().checked_sub(1);
            let next = match (event.key().as_str(), at, last) {
                (_, _, None) => return,
                ("ArrowDown", Some(i), Some(last)) => Some((i + 1).min(last)),
                ("ArrowUp", Some(i), _) => Some(i.saturating_sub(1)),
                ("ArrowDown" | "ArrowUp" | "Home", None, _) | ("Home", _, _) => Some(0),
                ("End", _, Some(last)) => Some(last),
                ("PageDown", Some(i), Some(last)) => Some((i + PAGE).min(last)),
                ("PageUp", Some(i), _) => Some(i.saturating_sub(PAGE)),
                ("Delete" | "Backspace", Some(i), _) => {
                    let id = ids[i].to_string();
                    drop(draft);
                    dispatch.emit(Action::RemoveRegion(id));
                    event.prevent_default();
                    return;
                }
                _ => None,
            };
            if let Some(next) = next {
                let id = ids[next].to_string();
                drop(draft);
                event.prevent_default();
                dispatch.emit(Action::SelectRegion(Some(id.clone())));
                focus.emit(id);
            }
        })
    };
    let rows = regions[start..end].iter().map(|region| {
        let is_selected = selected == Some(region.id.as_str());
        let label = region_label(&region.value).unwrap_or_default().to_string();
        let severity = props.findings.severity(&region.id);
        let verdict = verdicts.get(&region.id);
        let style = color_style(label_color(&props.spec, &region.control, &label).as_deref());
        let predicted = match (draft.is_predicted(&region.id), draft.is_unchanged_prediction(&region.id)) {
            (true, true) => Some("predicted"),
            (true, false) => Some("predicted, edited"),
            _ => None,
        };
        let pick = {
            let (dispatch, focus, id) = (props.dispatch.clone(), props.on_focus_region.clone(), region.id.clone());
            Callback::from(move |_: MouseEvent| {
                dispatch.emit(Action::SelectRegion(Some(id.clone())));
                focus.emit(id.clone());
            })
        };
        html! {
            <li key={region.id.clone()} id={format!("region-{}", region.id)} role="option"
                aria-selected={is_selected.to_string()} data-region={region.id.clone()}
                class={classes!("region-row", is_selected.then_some("selected"),
                    severity.map(|s| if s == Severity::Error { "flagged-error" } else { "flagged-warning" }),
                    verdict.map(|(class, _, _)| *class))}
                ~style={style} onclick={pick}>
                if let Some((owner, _)) = region.id.split_once('/').filter(|_| props.agreement.is_some()) {
                    <span class="region-owner">{ owner.to_string() }</span>
                }
                <span class="chip">{ label }</span>
                if let Some((words, class)) = props.agreement.as_ref().and_then(|a| a.get(&region.id)).map(|a| agreement_words(*a)) {
                    <span class={classes!("chip", class)}>{ words }</span>
                }
                <span class="region-geometry">{ describe(region) }</span>
                if let Some(predicted) = predicted {
                    <span class="region-origin">{ predicted }</span>
                }
                if let Some(severity) = severity {
                    <span class="region-finding">{ if severity == Severity::Error { "error" } else { "warning" } }</span>
                }
                if let Some((_, words, iou)) = verdict {
                    <span class="region-verdict">
                        { words.to_string() }
                        if let Some(iou) = iou { { format!(" · IoU {iou:.2}") } }
                    </span>
                }
            </li>
        }
    });
    let active = selected.filter(|_| at.is_some()).map(|id| format!("region-{id}"));
    html! {
        <section class="region-panel" aria-label="regions">
            <h2 id="region-list-title">{ format!("Regions ({})", regions.len()) }</h2>
            if regions.is_empty() {
                <p class="hint">{ "No regions yet. Pick a tool (R, P, K) and draw on the image." }</p>
            } else {
                <ul id="region-list" class="region-list" role="listbox" tabindex="0"
                    aria-labelledby="region-list-title" aria-activedescendant={active} onkeydown={on_key}>
                    { for rows }
                </ul>
                if regions.len() > PAGE {
                    <p class="hint">{ format!("Showing {}–{} of {}; PageUp/PageDown move by {PAGE}.", start + 1, end, regions.len()) }</p>
                }
            }
            { selected_detail(props, at.map(|i| regions[i])) }
        </section>
    }
}

/// The selected region's label menu and remove button.
fn selected_detail(props: &RegionListProps, region: Option<&Region>) -> Html {
    let Some(region) = region else {
        return html! {};
    };
    let Some(control) = props.spec.control(&region.control) else {
        return html! {};
    };
    let current = region_label(&region.value).unwrap_or_default().to_string();
    let on_change = {
        let (dispatch, region) = (props.dispatch.clone(), region.clone());
        Callback::from(move |event: Event| {
            let Some(select) = event.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) else { return };
            let mut value = region.value.clone();
            if let Some(label) = crate::state::region_label_mut(&mut value) {
                *label = select.value();
                dispatch.emit(Action::SetRegionValue { id: region.id.clone(), value });
            }
        })
    };
    let remove = props.dispatch.reform({
        let id = region.id.clone();
        move |_: MouseEvent| Action::RemoveRegion(id.clone())
    });
    html! {
        <div class="region-detail">
            <label for="region-label">{ format!("Label of {}", region.id) }</label>
            <select id="region-label" onchange={on_change} disabled={!props.session.editable()}>
                { for control.labels.iter().map(|l| html! {
                    <option value={l.value.clone()} selected={l.value == current}>{ l.value.clone() }</option>
                }) }
            </select>
            <button type="button" class="region-remove" onclick={remove} disabled={!props.session.editable()}>
                { "Remove" }<kbd>{ "Delete" }</kbd>
            </button>
        </div>
    }
}

/// After a gold submission: each annotated region's verdict class, words and IoU with its gold
/// partner.
fn verdicts(session: &Session) -> HashMap<String, (&'static str, &'static str, Option<f64>)> {
    let mut out = HashMap::new();
    let Some(gold) = &session.gold else {
        return out;
    };
    let draft = session.draft.borrow();
    for verdict in &gold.report.verdicts {
        let Some(id) = verdict.region.as_deref() else { continue };
        let Some(region) = draft.get(id) else { continue };
        let partner = verdict.gold_region.as_deref().and_then(|g| gold.answer.iter().find(|r| r.id == g));
        let iou = partner.and_then(|p| match (Shape::from_value(&region.value)?, Shape::from_value(&p.value)?) {
            (Shape::Point { .. }, _) | (_, Shape::Point { .. }) => None,
            (a, b) => Some(polygon_iou(&a.outline(), &b.outline())),
        });
        let words = match &verdict.verdict {
            annoqa_core::Verdict::Matched { .. } => "matched",
            annoqa_core::Verdict::Extra => "not in gold",
            annoqa_core::Verdict::WrongLabel { .. } => "wrong label",
            annoqa_core::Verdict::LowOverlap { .. } => "low overlap",
            _ => "off",
        };
        out.insert(region.id.clone(), (verdict_class(&verdict.verdict), words, iou));
    }
    out
}
