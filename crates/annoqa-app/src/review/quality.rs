//! The coordinator's quality page (`#/quality/PROJECT`): annotator scorecards computed here by
//! annoqa-stats (accuracy whiskers drawn as SVG), the bad-gold list with its evidence and the
//! keep / retire decision, and the error taxonomy editor.

use annoqa_api::{BadGoldDecision, BadGoldEntry, ErrorCode, ProjectView, ScorecardsData};
use annoqa_stats::trust::{QualificationDecision, Scorecard};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement, KeyboardEvent};
use yew::{
    component, html, use_effect_with, use_state, Callback, Html, MouseEvent, Properties, TargetCast, UseStateHandle,
};

use super::scorecards::scorecards;
use crate::components::use_page_keys;
use crate::{api_client, dom};

#[derive(Properties, PartialEq)]
pub struct QualityPageProps {
    pub project_id: String,
}

#[derive(Clone, PartialEq)]
enum Load<T> {
    Loading,
    Ready(T),
    Failed(String),
}

fn to_load<T>(result: Result<T, api_client::ClientError>) -> Load<T> {
    result.map_or_else(|e| Load::Failed(e.message), Load::Ready)
}

fn loaded<T: Clone + PartialEq>(load: &Load<T>, what: &str, body: impl FnOnce(&T) -> Html) -> Html {
    match load {
        Load::Loading => html! { <p class="loading">{ format!("Loading {what}…") }</p> },
        Load::Failed(message) => {
            html! { <p class="form-error" role="alert">{ format!("Could not load {what}: {message}") }</p> }
        }
        Load::Ready(value) => body(value),
    }
}

#[component]
pub fn QualityPage(props: &QualityPageProps) -> Html {
    let project = use_state(|| Load::<ProjectView>::Loading);
    let cards = use_state(|| Load::<ScorecardsData>::Loading);
    let bad = use_state(|| Load::<Vec<BadGoldEntry>>::Loading);
    let codes = use_state(|| Load::<Vec<ErrorCode>>::Loading);
    {
        let (id, project, cards, bad, codes) =
            (props.project_id.clone(), project.clone(), cards.clone(), bad.clone(), codes.clone());
        use_effect_with((), move |()| {
            spawn_local(async move {
                project.set(to_load(api_client::project(&id).await));
                codes.set(to_load(api_client::taxonomy(&id).await));
                cards.set(to_load(api_client::scorecards(&id).await));
                bad.set(to_load(api_client::bad_gold(&id).await));
            });
        });
    }
    let title = match &*project {
        Load::Ready(p) => p.title.clone(),
        _ => props.project_id.clone(),
    };
    let sections = match &*project {
        Load::Ready(p) => p.guideline_document.sections.iter().map(|s| (s.anchor.clone(), s.title.clone())).collect(),
        _ => Vec::new(),
    };
    let help = use_page_keys("Quality keys", &QUALITY_KEYS, quality_keys(&props.project_id, &bad, &cards));
    html! {
        <section class="quality" aria-label="quality">
            { help }
            <h1>{ format!("Quality · {title}") }</h1>
            <p class="page-keys"><kbd>{ "?" }</kbd>{ " keys: J / K next / previous gold item, G keep, R retire" }</p>
            <h2>{ "Annotator scorecards" }</h2>
            { loaded(&cards, "the scorecards", scorecard_table) }
            <h2>{ "Gold under suspicion" }</h2>
            { loaded(&bad, "the bad-gold list", |entries| bad_gold_list(&props.project_id, entries, &bad, &cards)) }
            <h2>{ "Error taxonomy" }</h2>
            { loaded(&codes, "the taxonomy", |list| html! {
                <TaxonomyEditor project_id={props.project_id.clone()} codes={list.clone()} sections={sections.clone()} />
            }) }
        </section>
    }
}

/// A Wilson interval as a whisker on a 0–100 % axis, the estimate as a dot.
fn whisker(card: &Scorecard) -> Html {
    let Some(a) = card.accuracy else { return html! { <span class="muted">{ "no gold yet" }</span> } };
    let x = |v: f64| format!("{:.1}", 4.0 + v * 112.0);
    html! {
        <span class="whisker">
            <svg width="120" height="16" viewBox="0 0 120 16" role="img"
                aria-label={format!("accuracy {:.0} %, {:.0} % interval {:.0}–{:.0} %", a.estimate * 100.0, a.confidence * 100.0, a.low * 100.0, a.high * 100.0)}>
                <line x1="4" x2="116" y1="8" y2="8" stroke="#d5d8de" />
                <line x1={x(a.low)} x2={x(a.high)} y1="8" y2="8" stroke="#1f5fbf" stroke-width="2" />
                <line x1={x(a.low)} x2={x(a.low)} y1="3" y2="13" stroke="#1f5fbf" />
                <line x1={x(a.high)} x2={x(a.high)} y1="3" y2="13" stroke="#1f5fbf" />
                <circle cx={x(a.estimate)} cy="8" r="3" fill="#1d1f23" />
            </svg>
            { format!(" {:.0} % ({:.0}–{:.0})", a.estimate * 100.0, a.low * 100.0, a.high * 100.0) }
        </span>
    }
}

fn qualification(card: &Scorecard) -> String {
    let q = &card.qualification;
    match q.decision {
        QualificationDecision::Pass => "pass".into(),
        QualificationDecision::Fail => "fail".into(),
        QualificationDecision::KeepTesting => match q.expected_further_items {
            Some(n) => format!("keep testing (~{n:.0} more)"),
            None => "keep testing".into(),
        },
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or("—".into(), |v| format!("{:.0} %", v * 100.0))
}

fn scorecard_row(data: &ScorecardsData, at: usize, card: &Result<Scorecard, String>) -> Html {
    let row = &data.annotators[at];
    let card = match card {
        Ok(card) => card,
        Err(message) => {
            return html! { <tr><th scope="row">{ row.annotator.clone() }</th><td colspan="8" class="form-error">{ message.clone() }</td></tr> }
        }
    };
    let peers: Vec<String> = card.peer_agreement.iter().map(|p| format!("{} κ {:.2}", p.control, p.value)).collect();
    let codes: Vec<String> = card.error_codes.iter().take(3).map(|c| format!("{} ×{}", c.code, c.count)).collect();
    html! {
        <tr data-annotator={row.annotator.clone()}>
            <th scope="row">{ row.annotator.clone() }</th>
            <td class="num">{ row.submissions }</td>
            <td class="num" data-field="gold">{ format!("{}/{}", card.gold.passed, card.gold.counted) }
                if card.gold.pending > 0 { <span class="muted">{ format!(" ({} pending)", card.gold.pending) }</span> }
            </td>
            <td>{ whisker(card) }</td>
            <td data-field="qualification">{ qualification(card) }</td>
            <td class="num" data-field="acceptance">{ percent(card.review_acceptance) }</td>
            <td>{ if peers.is_empty() { "—".to_string() } else { peers.join(", ") } }</td>
            <td>{ if codes.is_empty() { "—".to_string() } else { codes.join(", ") } }</td>
            <td class="num" data-field="lead">{ card.median_lead_time_ms.map_or("—".into(), |ms| format!("{:.1} s", ms / 1000.0)) }</td>
            <td class="num" data-field="edit-rate">{ percent(card.pre_annotation_edit_rate) }</td>
        </tr>
    }
}

fn scorecard_table(data: &ScorecardsData) -> Html {
    if data.annotators.is_empty() {
        return html! { <p class="empty">{ "No submissions yet." }</p> };
    }
    let cards = scorecards(data);
    html! {
        <div class="table-scroll">
            <table class="scorecards" id="scorecards">
                <thead><tr>
                    <th scope="col">{ "Annotator" }</th><th scope="col">{ "Submissions" }</th>
                    <th scope="col">{ "Gold passed" }</th><th scope="col">{ "Gold accuracy (interval)" }</th>
                    <th scope="col">{ "Qualification" }</th><th scope="col">{ "Review acceptance" }</th>
                    <th scope="col">{ "Agreement with peers" }</th><th scope="col">{ "Top error codes" }</th>
                    <th scope="col">{ "Median lead time" }</th><th scope="col">{ "Pre-annotation edit rate" }</th>
                </tr></thead>
                <tbody>{ for cards.iter().enumerate().map(|(at, card)| scorecard_row(data, at, card)) }</tbody>
            </table>
        </div>
    }
}

fn decide(
    project: &str,
    item: &str,
    decision: BadGoldDecision,
    bad: &UseStateHandle<Load<Vec<BadGoldEntry>>>,
    cards: &UseStateHandle<Load<ScorecardsData>>,
) -> Callback<MouseEvent> {
    let (project, item, bad, cards) = (project.to_string(), item.to_string(), bad.clone(), cards.clone());
    Callback::from(move |_: MouseEvent| decide_now(&project, &item, decision, &bad, &cards))
}

/// Stores the decision on `item`, then shows it and the scorecards it changes.
fn decide_now(
    project: &str,
    item: &str,
    decision: BadGoldDecision,
    bad: &UseStateHandle<Load<Vec<BadGoldEntry>>>,
    cards: &UseStateHandle<Load<ScorecardsData>>,
) {
    {
        let (project, item, bad, cards) = (project.to_string(), item.to_string(), bad.clone(), cards.clone());
        spawn_local(async move {
            match api_client::decide_bad_gold(&project, &item, decision).await {
                Ok(stored) => {
                    if let Load::Ready(list) = &*bad {
                        bad.set(Load::Ready(
                            list.iter().map(|e| if e.item_id == item { stored.clone() } else { e.clone() }).collect(),
                        ));
                    }
                    // The decision changes who counts what: the scorecards are asked again.
                    if let Ok(data) = api_client::scorecards(&project).await {
                        cards.set(Load::Ready(data));
                    }
                }
                Err(e) => bad.set(Load::Failed(e.message)),
            }
        });
    }
}

/// The quality page's keys, for the `?` help.
const QUALITY_KEYS: [(&str, &str); 6] = [
    ("J / K", "Focus the next / previous gold item under suspicion"),
    ("G", "The focused item's gold is right: keep it (it counts again)"),
    ("R", "The focused item's gold is wrong: retire it (it counts against nobody)"),
    ("Tab", "Move focus (gold items and their buttons, the taxonomy's fields)"),
    ("?", "Show or hide this help"),
    ("Escape", "Close this help"),
];

fn gold_entry_id(at: usize) -> String {
    format!("gold-entry-{at}")
}

/// The bad-gold entry that has the focus, or holds it.
fn focused_gold() -> Option<usize> {
    let active = web_sys::window()?.document()?.active_element()?;
    let entry = active.closest("#bad-gold > li").ok()??;
    entry.id().strip_prefix("gold-entry-")?.parse().ok()
}

/// J/K move between the bad-gold entries; G keeps and R retires the focused one's gold.
fn quality_keys(
    project: &str,
    bad: &UseStateHandle<Load<Vec<BadGoldEntry>>>,
    cards: &UseStateHandle<Load<ScorecardsData>>,
) -> Callback<KeyboardEvent> {
    let (project, bad, cards) = (project.to_string(), bad.clone(), cards.clone());
    Callback::from(move |key: KeyboardEvent| {
        let Load::Ready(entries) = &*bad else { return };
        let (at, last) = (focused_gold(), entries.len().checked_sub(1));
        let decision = match key.key().as_str() {
            "g" | "G" => BadGoldDecision::Keep,
            "r" | "R" => BadGoldDecision::Retire,
            "j" | "J" | "k" | "K" => {
                let Some(last) = last else { return };
                let down = matches!(key.key().as_str(), "j" | "J");
                let next = match at {
                    Some(i) if down => (i + 1).min(last),
                    Some(i) => i.saturating_sub(1),
                    None => 0,
                };
                if let Some(element) = dom::element_by_id(&gold_entry_id(next)) {
                    key.prevent_default();
                    dom::focus(&element);
                    element.scroll_into_view();
                }
                return;
            }
            _ => return,
        };
        if let Some(entry) = at.and_then(|i| entries.get(i)) {
            key.prevent_default();
            decide_now(&project, &entry.item_id, decision, &bad, &cards);
        }
    })
}

fn bad_gold_list(
    project: &str,
    entries: &[BadGoldEntry],
    bad: &UseStateHandle<Load<Vec<BadGoldEntry>>>,
    cards: &UseStateHandle<Load<ScorecardsData>>,
) -> Html {
    if entries.is_empty() {
        return html! { <p class="empty">{ "No gold item is suspect or flagged." }</p> };
    }
    html! {
        <ul class="bad-gold" id="bad-gold">
            { for entries.iter().enumerate().map(|(at, e)| html! {
                <li id={gold_entry_id(at)} data-item={e.item_id.clone()} tabindex="-1">
                    <p><strong>{ format!("Item {}", e.item_id) }</strong>
                        { match e.decision {
                            Some(d) => html! { <span class="decided">{ format!(" · decided: {}{}", d.as_str(), e.decided_by.as_ref().map(|u| format!(" by {u}")).unwrap_or_default()) }</span> },
                            None => html! { <span class="pending">{ " · pending: counts against nobody until you decide" }</span> },
                        } }
                    </p>
                    if let Some(d) = &e.detected {
                        <p>{ format!("{} of {} annotators passed it. Reliable annotators answered instead: {}", d.passed, d.attempts, d.answer) }</p>
                        <ul>{ for d.witnesses.iter().map(|w| html! {
                            <li>{ format!("{} answered {} (passes {} of {} other gold items)", w.annotator, w.answer, w.other_passed, w.other_items) }</li>
                        }) }</ul>
                        if !d.other_failures.is_empty() {
                            <p class="muted">{ format!("Other failing answers: {}", d.other_failures.iter().map(|o| format!("{} ×{}", o.answer, o.count)).collect::<Vec<_>>().join(", ")) }</p>
                        }
                    }
                    { for e.flags.iter().map(|f| html! { <p class="flag">{ format!("Flagged by {}: {}", f.annotator, f.text) }</p> }) }
                    <div class="dialog-actions">
                        <button type="button" class="keep" onclick={decide(project, &e.item_id, BadGoldDecision::Keep, bad, cards)}>{ "Gold is right: keep " }<kbd>{ "G" }</kbd></button>
                        <button type="button" class="retire" onclick={decide(project, &e.item_id, BadGoldDecision::Retire, bad, cards)}>{ "Gold is wrong: retire " }<kbd>{ "R" }</kbd></button>
                    </div>
                </li>
            }) }
        </ul>
    }
}

#[derive(Properties, PartialEq)]
struct TaxonomyEditorProps {
    project_id: String,
    codes: Vec<ErrorCode>,
    /// Guideline sections: anchor, title.
    sections: Vec<(String, String)>,
}

/// The taxonomy as a table of fields; Save replaces the stored one (the server checks it and
/// refuses it whole, saying why).
#[component]
fn TaxonomyEditor(props: &TaxonomyEditorProps) -> Html {
    let codes = use_state(|| props.codes.clone());
    let message = use_state(|| None::<(bool, String)>);
    let edit = |at: usize, field: &'static str| {
        let codes = codes.clone();
        Callback::from(move |e: yew::Event| {
            let value = e
                .target_dyn_into::<HtmlInputElement>()
                .map(|i| i.value())
                .or_else(|| e.target_dyn_into::<HtmlSelectElement>().map(|s| s.value()))
                .unwrap_or_default();
            let mut next = (*codes).clone();
            if let Some(code) = next.get_mut(at) {
                match field {
                    "code" => code.code = value,
                    "title" => code.title = value,
                    "description" => code.description = value,
                    _ => code.guideline = (!value.is_empty()).then_some(value),
                }
            }
            codes.set(next);
        })
    };
    let add = {
        let codes = codes.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*codes).clone();
            next.push(ErrorCode {
                code: String::new(),
                title: String::new(),
                description: String::new(),
                guideline: None,
            });
            codes.set(next);
        })
    };
    let save = {
        let (codes, message, project) = (codes.clone(), message.clone(), props.project_id.clone());
        Callback::from(move |_: MouseEvent| {
            let (codes, message, project) = (codes.clone(), message.clone(), project.clone());
            spawn_local(async move {
                match api_client::set_taxonomy(&project, &codes).await {
                    Ok(stored) => {
                        codes.set(stored);
                        message.set(Some((false, "Saved.".into())));
                    }
                    Err(e) => message.set(Some((true, format!("Not saved: {}", e.message)))),
                }
            });
        })
    };
    html! {
        <div class="taxonomy" id="taxonomy">
            <table>
                <thead><tr><th scope="col">{ "Key" }</th><th scope="col">{ "Code" }</th><th scope="col">{ "Title" }</th>
                    <th scope="col">{ "Description" }</th><th scope="col">{ "Guideline section" }</th><th scope="col">{ "Remove" }</th></tr></thead>
                <tbody>{ for codes.iter().enumerate().map(|(at, c)| {
                    let remove = {
                        let codes = codes.clone();
                        Callback::from(move |_: MouseEvent| {
                            let mut next = (*codes).clone();
                            next.remove(at);
                            codes.set(next);
                        })
                    };
                    html! {
                        <tr>
                            <td class="num">{ if at < 9 { (at + 1).to_string() } else { "—".into() } }</td>
                            <td><input aria-label={format!("code {}", at + 1)} value={c.code.clone()} onchange={edit(at, "code")} /></td>
                            <td><input aria-label={format!("title {}", at + 1)} value={c.title.clone()} onchange={edit(at, "title")} /></td>
                            <td><input aria-label={format!("description {}", at + 1)} value={c.description.clone()} onchange={edit(at, "description")} /></td>
                            <td><select aria-label={format!("guideline section {}", at + 1)} onchange={edit(at, "guideline")}>
                                <option value="" selected={c.guideline.is_none()}>{ "none" }</option>
                                { for props.sections.iter().map(|(anchor, title)| html! {
                                    <option value={anchor.clone()} selected={c.guideline.as_deref() == Some(anchor)}>{ title.clone() }</option>
                                }) }
                            </select></td>
                            <td><button type="button" aria-label={format!("remove code {}", at + 1)} onclick={remove}>{ "×" }</button></td>
                        </tr>
                    }
                }) }</tbody>
            </table>
            <p class="hint">{ "The first nine codes are the reviewer's X-then-digit keys, in this order." }</p>
            <div class="dialog-actions">
                <button type="button" onclick={add}>{ "Add a code" }</button>
                <button type="button" class="primary" id="taxonomy-save" onclick={save}>{ "Save the taxonomy" }</button>
                if let Some((error, text)) = &*message {
                    <span class={if *error { "form-error" } else { "review-ok" }} role={if *error { "alert" } else { "status" }}>{ text.clone() }</span>
                }
            </div>
        </div>
    }
}
