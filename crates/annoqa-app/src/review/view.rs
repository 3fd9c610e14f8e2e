//! How the reviewer screen looks: the queue, the overlay of the entry's item, the region
//! groups and the verdict bar. Pure rendering from the page's state.

use std::rc::Rc;

use annoqa_api::{ErrorCode, OverlayView, ProjectView, ReviewQueueEntry, SubmissionStatus};
use annoqa_core::{Media, Region};
use yew::{classes, html, Callback, Html, MouseEvent, TargetCast, UseReducerDispatcher};

use super::keys::{ReviewCommand, REVIEW_KEYS};
use super::note::NoteDialog;
use super::overlay::{class_words, combined_id, ShownOverlay};
use super::queue::QueueFilters;
use super::state::{ItemLoad, Mode, ReviewAction, ReviewState};
use crate::components::{ImageView, TextFix};
use crate::draft::SharedDraft;
use crate::spans::{render_span_text, SpanMark};

/// Everything the screen draws from.
pub(super) struct Screen {
    pub project_id: String,
    pub project: Rc<ProjectView>,
    pub codes: Rc<Vec<ErrorCode>>,
    pub state: ReviewState,
    pub dispatch: UseReducerDispatcher<ReviewState>,
    pub shown: Option<Result<Rc<ShownOverlay>, String>>,
    pub on_fix_draft: Callback<SharedDraft>,
    pub on_store_fix: Callback<()>,
    /// What the keys do, for the buttons.
    pub command: Callback<ReviewCommand>,
}

impl Screen {
    fn act(&self, action: ReviewAction) -> Callback<MouseEvent> {
        let dispatch = self.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(action.clone()))
    }

    fn run(&self, command: ReviewCommand) -> Callback<MouseEvent> {
        self.command.reform(move |_: MouseEvent| command)
    }

    fn shown(&self) -> Option<&ShownOverlay> {
        self.shown.as_ref().and_then(|s| s.as_ref().ok()).map(Rc::as_ref)
    }
}

pub(super) fn screen(s: &Screen) -> Html {
    let st = &s.state;
    let percent = if st.total == 0 { 0.0 } else { st.reviewed as f64 * 100.0 / st.total as f64 };
    html! {
        <section class="review" aria-label="review">
            <header class="review-header">
                <h1>{ format!("Review · {}", s.project.title) }</h1>
                <div class="review-progress">
                    <progress id="review-progress" max={st.total.max(1).to_string()} value={st.reviewed.to_string()}
                        aria-label="reviewed"></progress>
                    <span>{ format!("{} of {} reviewed ({percent:.0} %)", st.reviewed, st.total) }</span>
                </div>
                <button type="button" class="help-button" onclick={s.run(ReviewCommand::Help)}>
                    <kbd>{ "?" }</kbd>{ " Keys" }
                </button>
            </header>
            if let Some(notice) = &st.notice {
                <p id="review-notice" class={if notice.error { "form-error" } else { "review-ok" }}
                    role={if notice.error { "alert" } else { "status" }}>{ notice.text.clone() }</p>
            }
            { filters(s) }
            <div class="review-body">
                { queue(s) }
                <div class="review-item">{ item(s) }</div>
            </div>
            if st.mode == Mode::Help {
                { help(s) }
            }
            if st.mode == Mode::Noting {
                { note(s) }
            }
        </section>
    }
}

fn select(s: &Screen, name: &'static str, label: &str, value: &str, options: Vec<(String, String)>) -> Html {
    let (dispatch, filters) = (s.dispatch.clone(), s.state.filters.clone());
    let onchange = Callback::from(move |e: yew::Event| {
        if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            dispatch.dispatch(ReviewAction::SetFilters(filters.with(name, select.value())));
        }
    });
    let id = format!("filter-{name}");
    html! {
        <label for={id.clone()}>
            { label.to_string() }
            <select id={id} name={name} {onchange}>
                { for options.into_iter().map(|(v, text)| html! {
                    <option value={v.clone()} selected={v == value}>{ text }</option>
                }) }
            </select>
        </label>
    }
}

fn filters(s: &Screen) -> Html {
    let f: &QueueFilters = &s.state.filters;
    let any = |names: Option<&Vec<String>>| {
        let mut options = vec![(String::new(), "any".to_string())];
        options.extend(names.into_iter().flatten().map(|n| (n.clone(), n.clone())));
        options
    };
    let facets = s.state.facets.as_ref();
    let pairs = |list: &[(&str, &str)]| list.iter().map(|(v, t)| (v.to_string(), t.to_string())).collect();
    html! {
        <form class="review-filters" aria-label="queue filters" onsubmit={Callback::from(|e: yew::SubmitEvent| e.prevent_default())}>
            { select(s, "strategy", "Sample", &f.strategy, pairs(&[("", "random"), ("stratified", "stratified"), ("risk", "risk-weighted")])) }
            { select(s, "status", "Status", &f.status, pairs(&[("", "awaiting review"), ("reviewed", "reviewed"), ("all", "all")])) }
            { select(s, "annotator", "Annotator", &f.annotator, any(facets.map(|f| &f.annotators))) }
            { select(s, "vendor", "Vendor", &f.vendor, any(facets.map(|f| &f.vendors))) }
            { select(s, "label", "Label", &f.label, any(facets.map(|f| &f.labels))) }
            { select(s, "gold", "Gold", &f.gold, pairs(&[("", "any"), ("gold", "gold only"), ("plain", "not gold")])) }
        </form>
    }
}

fn status_words(status: SubmissionStatus) -> &'static str {
    match status {
        SubmissionStatus::Submitted => "awaiting",
        SubmissionStatus::Accepted => "accepted",
        SubmissionStatus::Rejected => "rejected",
        SubmissionStatus::Fixed => "fixed",
    }
}

fn queue_entry(s: &Screen, at: usize, e: &ReviewQueueEntry) -> Html {
    let current = at == s.state.at;
    html! {
        <li key={e.submission_id.to_string()}>
            <button type="button" id={format!("entry-{}", e.submission_id)}
                class={classes!("queue-entry", current.then_some("current"))}
                aria-current={current.then_some("true")} onclick={s.act(ReviewAction::Select(at))}>
                <span class="queue-item">{ e.item_id.clone() }</span>
                <span class="queue-meta">
                    { e.annotator.clone() }
                    if e.gold { { " · gold" } }
                </span>
                <span class={classes!("queue-status", status_words(e.status))}>{ status_words(e.status) }</span>
            </button>
        </li>
    }
}

fn queue(s: &Screen) -> Html {
    let st = &s.state;
    let more = st.next_cursor.clone().map(|cursor| {
        let (dispatch, project, filters, generation) =
            (s.dispatch.clone(), s.project_id.clone(), st.filters.clone(), st.generation);
        Callback::from(move |_: MouseEvent| {
            super::actions::load_page(
                project.clone(),
                filters.clone(),
                generation,
                Some(cursor.clone()),
                dispatch.clone(),
            )
        })
    });
    html! {
        <nav class="review-queue" aria-label="review queue">
            <h2>{ format!("Queue · {} shown", st.entries.len()) }</h2>
            if let Some(message) = &st.queue_error {
                <p class="form-error" role="alert">{ format!("Could not load the queue: {message}") }</p>
            }
            if st.entries.is_empty() && !st.loading_page {
                <p class="empty">{ "Nothing to review under these filters." }</p>
            }
            <ol class="queue-list">
                { for st.entries.iter().enumerate().map(|(at, e)| queue_entry(s, at, e)) }
            </ol>
            if st.loading_page {
                <p class="loading">{ "Loading…" }</p>
            } else if let Some(onclick) = more {
                <button type="button" id="queue-more" {onclick}>{ "Load more " }<kbd>{ "L" }</kbd></button>
            }
        </nav>
    }
}

fn item(s: &Screen) -> Html {
    let st = &s.state;
    let Some(entry) = st.entry() else {
        return html! { <p class="empty">{ "Pick a submission from the queue." }</p> };
    };
    let view = match &st.item {
        ItemLoad::Ready(view) => view.clone(),
        ItemLoad::Failed(message) => {
            return html! { <p class="form-error" role="alert">{ format!("Could not load the item: {message}") }</p> }
        }
        _ => return html! { <p class="loading">{ "Loading the item…" }</p> },
    };
    let shown = match &s.shown {
        Some(Ok(shown)) => shown.clone(),
        Some(Err(message)) => {
            return html! { <p class="form-error" role="alert">{ format!("Could not match the annotators: {message}") }</p> }
        }
        None => return html! { <p class="loading">{ "Matching…" }</p> },
    };
    html! {
        <>
            <div class="review-item-head">
                <h2>{ format!("Item {} · {}'s submission", entry.item_id, entry.annotator) }</h2>
                { toggles(s, &view) }
                <p id="item-agreement" class="agreement">
                    { "Agreement (mean pairwise F1): " }
                    <strong>{ shown.overlay.agreement.map_or("—".to_string(), |a| format!("{a:.2}")) }</strong>
                </p>
            </div>
            <div class="review-columns">
                <div class="review-workspace">{ workspace(s, entry, &view, &shown) }</div>
                <aside class="review-side" aria-label="verdict">
                    { verdicts(s) }
                    { groups(s, &shown) }
                </aside>
            </div>
        </>
    }
}

fn toggles(s: &Screen, view: &OverlayView) -> Html {
    html! {
        <div class="annotator-toggles" role="group" aria-label="annotators shown">
            { for view.annotations.iter().enumerate().map(|(at, a)| {
                let on = s.state.on.get(at).copied().unwrap_or(true);
                html! {
                    <button type="button" class={classes!("toggle", on.then_some("on"))} aria-pressed={on.to_string()}
                        id={format!("toggle-{at}")} onclick={s.run(ReviewCommand::Toggle(at))}>
                        <kbd>{ at + 1 }</kbd>{ format!(" {}", a.annotator.username) }
                    </button>
                }
            }) }
        </div>
    }
}

/// The regions a fix starts from: the submission's, or the consensus proposal.
fn fix_start(entry: &ReviewQueueEntry, view: &OverlayView, shown: &ShownOverlay, from_consensus: bool) -> Vec<Region> {
    if from_consensus {
        return shown.proposal();
    }
    view.annotations
        .iter()
        .find(|a| a.submission_id == entry.submission_id)
        .map(|a| a.regions.clone())
        .unwrap_or_default()
}

fn workspace(s: &Screen, entry: &ReviewQueueEntry, view: &OverlayView, shown: &ShownOverlay) -> Html {
    let spec = Rc::new(s.project.spec.clone());
    if let Mode::Fixing { from_consensus } = s.state.mode {
        let regions = fix_start(entry, view, shown, from_consensus);
        let key = format!("fix-{}-{from_consensus}", entry.submission_id);
        return match &view.item.media {
            Media::Text { .. } => html! {
                <TextFix {key} spec={spec} item={view.item.clone()} regions={regions} on_draft={s.on_fix_draft.clone()} />
            },
            _ => html! {
                <ImageView {key} project_id={s.project_id.clone()} spec={spec} item={view.item.clone()}
                    regions={regions} on_draft={Some(s.on_fix_draft.clone())} />
            },
        };
    }
    match &view.item.media {
        Media::Text { text } => text_overlay(s, text, shown),
        _ => {
            // Keyed by what is shown, so switching an annotator redraws from the new regions.
            let key = format!("{}-{:?}", entry.submission_id, shown.shown);
            html! {
                <ImageView {key} project_id={s.project_id.clone()} spec={spec} item={view.item.clone()}
                    regions={shown.regions.clone()} agreement={Some(shown.agreement.clone())} keys={false} />
            }
        }
    }
}

fn text_overlay(s: &Screen, text: &str, shown: &ShownOverlay) -> Html {
    html! {
        <div class="text-overlay">
            { for shown.overlay.annotators.iter().map(|name| {
                let prefix = combined_id(name, "");
                let own: Vec<Region> = shown.regions.iter().filter(|r| r.id.starts_with(&prefix)).cloned().collect();
                let marks: Vec<SpanMark> = SpanMark::from_regions(&s.project.spec, &own)
                    .into_iter()
                    .map(|mut m| {
                        let class = m.region.as_ref().and_then(|id| shown.agreement.get(id));
                        m.classes.push(match class {
                            Some(crate::components::Agreement::AllAgree) => "agree-all",
                            Some(crate::components::Agreement::Majority) => "agree-majority",
                            _ => "agree-none",
                        });
                        m
                    })
                    .collect();
                let choices: Vec<String> = own
                    .iter()
                    .filter_map(|r| match &r.value {
                        annoqa_core::RegionValue::Choice { labels } => Some(format!("{}: {}", r.control, labels.join(", "))),
                        _ => None,
                    })
                    .collect();
                html! {
                    <div class="text-overlay-row">
                        <span class="text-overlay-who">{ name.clone() }</span>
                        <div>
                            <div class="text-overlay-text" dir="auto">{ render_span_text(text, &marks) }</div>
                            if !choices.is_empty() {
                                <p class="text-overlay-choices">{ choices.join(" · ") }</p>
                            }
                        </div>
                    </div>
                }
            }) }
        </div>
    }
}

fn verdicts(s: &Screen) -> Html {
    let st = &s.state;
    if let Mode::Fixing { .. } = st.mode {
        let store = s.on_store_fix.reform(|_: MouseEvent| ());
        return html! {
            <div class="verdicts" role="group" aria-label="fix">
                <p class="hint">{ "Edit the regions, then store the corrected version." }</p>
                <button type="button" class="primary" id="store-fix" onclick={store}>
                    { "Accept corrected version " }<kbd>{ "Ctrl+Enter" }</kbd>
                </button>
                <button type="button" onclick={s.act(ReviewAction::SetMode(Mode::Browsing))}>{ "Cancel " }<kbd>{ "Esc" }</kbd></button>
            </div>
        };
    }
    let rejecting = st.mode == Mode::Rejecting;
    html! {
        <div class="verdicts" role="group" aria-label="verdict">
            <button type="button" class="primary" id="accept" onclick={s.run(ReviewCommand::Accept)}>
                { "Accept " }<kbd>{ "A" }</kbd></button>
            <button type="button" id="reject" aria-expanded={rejecting.to_string()}
                onclick={s.run(if rejecting { ReviewCommand::CancelReject } else { ReviewCommand::StartReject })}>
                { "Reject " }<kbd>{ "X" }</kbd>
            </button>
            <button type="button" id="fix" onclick={s.run(ReviewCommand::Fix)}>{ "Fix " }<kbd>{ "F" }</kbd></button>
            <button type="button" id="fix-consensus" onclick={s.run(ReviewCommand::FixFromConsensus)}>
                { "Fix from consensus " }<kbd>{ "C" }</kbd></button>
            <button type="button" id="note" onclick={s.run(ReviewCommand::Note)}>
                { "Note to annotator " }<kbd>{ "M" }</kbd></button>
            if rejecting {
                <ol class="reject-codes" aria-label="error code: press its digit">
                    { for s.codes.iter().take(9).enumerate().map(|(at, c)| html! {
                        <li><button type="button" class="code-button" data-code={c.code.clone()}
                            onclick={s.run(ReviewCommand::Reject(at))}>
                            <kbd>{ at + 1 }</kbd>{ format!(" {}", c.title) }
                        </button></li>
                    }) }
                </ol>
            }
        </div>
    }
}

fn groups(s: &Screen, shown: &ShownOverlay) -> Html {
    let names = &shown.overlay.annotators;
    html! {
        <div class="groups">
            <h3>{ format!("Matched regions · {}", shown.overlay.groups.len()) }</h3>
            <ol class="group-list" aria-label="matched regions: arrow keys move">
                { for shown.overlay.groups.iter().enumerate().map(|(at, g)| {
                    let focused = at == s.state.group;
                    let class = match g.class {
                        annoqa_stats::overlay::AgreementClass::AllAgree => "agree-all",
                        annoqa_stats::overlay::AgreementClass::Majority => "agree-majority",
                        annoqa_stats::overlay::AgreementClass::Disagree => "agree-none",
                    };
                    let members: Vec<String> =
                        g.members.iter().map(|m| format!("{}: {}", names[m.annotator], m.id)).collect();
                    html! {
                        <li class={classes!("group", focused.then_some("focused"))} aria-current={focused.then_some("true")}
                            data-group={at.to_string()} data-class={class}>
                            <span class={classes!("chip", class)}>{ class_words(g.class) }</span>
                            <span class="group-label">{ format!("{} · {}", g.control, g.label.clone().unwrap_or_else(|| "(tie)".into())) }</span>
                            <span class="group-members">{ members.join(" · ") }</span>
                        </li>
                    }
                }) }
            </ol>
        </div>
    }
}

fn help(s: &Screen) -> Html {
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="review-help-title">
            <div class="dialog">
                <h2 id="review-help-title">{ "Reviewer keys" }</h2>
                <dl class="shortcut-list">
                    { for REVIEW_KEYS.iter().map(|(k, what)| html! { <><dt><kbd>{ *k }</kbd></dt><dd>{ *what }</dd></> }) }
                </dl>
                <button type="button" onclick={s.act(ReviewAction::SetMode(Mode::Browsing))} autofocus=true>{ "Close " }<kbd>{ "Esc" }</kbd></button>
            </div>
        </div>
    }
}

fn note(s: &Screen) -> Html {
    let Some(entry) = s.state.entry().cloned() else { return html! {} };
    let region = s.shown().and_then(|shown| shown.member_of(s.state.group, &entry.annotator)).map(str::to_string);
    html! {
        <NoteDialog project_id={s.project_id.clone()} entry={entry} region={region}
            codes={s.codes.clone()} sections={s.project.guideline_document.sections.clone()}
            dispatch={s.dispatch.clone()} />
    }
}
