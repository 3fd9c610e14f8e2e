//! The workspace frame around every media editor: item header, notices, failure banner,
//! editor, findings, submit bar and gold report.

use std::rc::Rc;

use annoqa_core::Media;
use yew::{html, AttrValue, Callback, Html, MouseEvent, NodeRef};

use super::text_editor::TextEditor;
use super::{Dialog, LoadedProject};
use crate::components::findings::finding_row;
use crate::components::image_editor::ImageEditor;
use crate::components::{keep_focus, FindingsPanel, GoldReportView};
use crate::state::{Action, AnnotatorState, Checked, Phase, Session, SubmitFailure, Work};
use crate::test_api::TestApi;

/// Everything the task column needs to render one item.
pub(super) struct TaskView<'a> {
    pub(super) project: &'a LoadedProject,
    pub(super) state: &'a AnnotatorState,
    pub(super) dispatch: Callback<Action>,
    pub(super) findings: Rc<Checked>,
    pub(super) findings_ref: &'a NodeRef,
    pub(super) api: TestApi,
    /// No dialog or help is open.
    pub(super) keys: bool,
    pub(super) on_submit: Callback<bool>,
    pub(super) on_guideline: Callback<String>,
    pub(super) load_next: Callback<()>,
    pub(super) open_dialog: Callback<Dialog>,
}

impl TaskView<'_> {
    pub(super) fn render(self, username: &str) -> Html {
        let state = self.state;
        let progress = match (&state.progress, &state.work) {
            (Some(p), Work::Annotating(_)) => {
                format!("item {} of {}", (p.done + 1).min(p.total.max(1)), p.total)
            }
            (Some(p), Work::Finished) => format!("{} of {} done", p.done, p.total),
            (Some(p), _) => format!("{} of {} done", p.done, p.total),
            (None, _) => "…".to_string(),
        };
        let notice = state.notice.as_ref().map(|n| {
            html! { <p id="notice" class="notice" role="status">{ n.text.clone() }</p> }
        });
        let body = match &state.work {
            Work::Loading => html! { <p class="loading">{ "Loading the next item…" }</p> },
            Work::LoadFailed(message) => {
                let load_next = self.load_next.clone();
                html! {
                    <div class="banner banner-error" role="alert">
                        <p>{ format!("Could not load the next item: {message}") }</p>
                        <button type="button" onclick={load_next.reform(|_: MouseEvent| ())}>
                            { "Try again" }
                        </button>
                    </div>
                }
            }
            Work::Finished => {
                let total = state.progress.as_ref().map_or(0, |p| p.total);
                html! {
                    <div id="finished" class="panel finished">
                        <h2>{ format!("You have finished all {total} items") }</h2>
                        <p>{ "Thank you! Every item of this project has your answer." }</p>
                        <p><a href="#/">{ "Back to all projects" }</a></p>
                    </div>
                }
            }
            Work::Annotating(session) => self.session(session),
        };
        html! {
            <>
                <header class="task-header">
                    <h1>{ self.project.view.title.clone() }</h1>
                    <p id="progress" class="progress">{ progress }</p>
                    <p class="annotator-name">{ "annotating as " }<strong>{ username.to_string() }</strong></p>
                    <p class="help-hint">{ "Press " }<kbd>{ "?" }</kbd>{ " for shortcuts" }</p>
                </header>
                { for notice }
                { body }
            </>
        }
    }

    fn session(&self, session: &Session) -> Html {
        let spec = &self.project.spec;
        let editor = match &session.item().media {
            Media::Text { text } => html! {
                <TextEditor spec={spec.clone()} session={session.clone()} text={AttrValue::from(text.clone())}
                    revision={session.draft.revision()} findings={self.findings.clone()}
                    active_label={self.state.active_label.clone()} dispatch={self.dispatch.clone()}
                    on_guideline={self.on_guideline.clone()} />
            },
            Media::Image { .. } => html! {
                <ImageEditor key={session.item().id.clone()} project_id={self.project.view.id.clone()} keys={self.keys} spec={spec.clone()} session={session.clone()}
                    revision={session.draft.revision()} findings={self.findings.clone()}
                    active_label={self.state.active_label.clone()} dispatch={self.dispatch.clone()}
                    api={self.api.clone()} />
            },
            other => html! {
                <div id="unsupported-media" class="panel">
                    <h2>{ format!("The {} annotator arrives in a later release", media_name(other)) }</h2>
                    <p>{ "The item is safe on the server; skip it (Shift+S) or come back after upgrading." }</p>
                </div>
            },
        };
        let text: AttrValue = session.text().unwrap_or_default().to_string().into();
        html! {
            <>
                if session.restored {
                    <p id="draft-restored" class="notice" role="status">
                        { "Your unsent work on this item was restored from this browser." }
                    </p>
                }
                { for session.failure.as_ref().map(|f| self.failure_banner(f)) }
                { editor }
                <FindingsPanel findings={self.findings.findings.clone()} node_ref={self.findings_ref.clone()}
                    on_guideline={self.on_guideline.clone()}
                    on_region={self.dispatch.reform(Action::ShowRegion)} />
                { self.submit_bar(session) }
                if let Some(gold) = &session.gold {
                    <GoldReportView spec={spec.clone()} text={text} regions={session.draft.to_regions()}
                        gold={gold.clone()} stored={session.phase == Phase::Reviewing}
                        on_guideline={self.on_guideline.clone()} on_next={self.load_next.clone()} />
                }
            </>
        }
    }

    fn submit_bar(&self, session: &Session) -> Html {
        let submit = self.on_submit.reform(|_: MouseEvent| false);
        let anyway = self.on_submit.reform(|_: MouseEvent| true);
        let sending = session.phase == Phase::Submitting;
        let errors = self.findings.has_errors();
        let skip = self.open_dialog.reform(|_: MouseEvent| Dialog::Skip);
        let flag = self.open_dialog.reform(|_: MouseEvent| Dialog::Flag);
        html! {
            <div class="submit-bar">
                <button id="submit" type="button" class="primary" disabled={!session.editable()}
                    aria-busy={sending.to_string()} onmousedown={keep_focus()} onclick={submit}>
                    { if sending { "Submitting…" } else { "Submit" } }<kbd>{ "Enter" }</kbd>
                </button>
                <button id="skip" type="button" disabled={!session.editable()} onclick={skip}
                    title="Give this item back with a reason">
                    { "Skip" }<kbd>{ "Shift+S" }</kbd>
                </button>
                <button id="flag" type="button" onclick={flag}
                    title="Report an unclear item or guideline, a wrong gold answer or bad media">
                    { "Flag" }<kbd>{ "Shift+F" }</kbd>
                </button>
                if let (true, Some(reason)) = (sending, &session.retrying) {
                    <p id="submit-retrying" class="retrying" role="status">{ reason.clone() }</p>
                }
                if session.phase == Phase::ConfirmingWarnings {
                    <p id="confirm-warnings" class="confirm" role="alert">
                        { "The annotation has warnings. Press Enter again or " }
                        <button id="submit-anyway" type="button" onmousedown={keep_focus()} onclick={anyway}>
                            { "submit anyway" }
                        </button>
                    </p>
                } else if errors && session.editable() {
                    <p class="blocked">{ "Fix the errors under Checks to submit." }</p>
                }
            </div>
        }
    }

    fn failure_banner(&self, failure: &SubmitFailure) -> Html {
        let dismiss = self.dispatch.reform(|_: MouseEvent| Action::DismissFailure);
        let next = self.load_next.reform(|_: MouseEvent| ());
        html! {
            <div id="error-banner" class="banner banner-error" role="alert">
                <p>
                    <strong>{ "Not submitted: " }</strong>{ failure.message.clone() }
                    if failure.unreachable {
                        { ". Your annotation is kept; trying again sends the same submission, so it cannot be \
                           stored twice." }
                    } else if !failure.already_submitted {
                        { ". Your annotation is kept; fix it or try again." }
                    }
                </p>
                if !failure.findings.is_empty() {
                    <ul class="finding-list">
                        { for failure.findings.iter().map(|f| finding_row(f, &self.on_guideline, None)) }
                    </ul>
                }
                <div class="banner-actions">
                    if failure.unreachable {
                        <button id="retry-submit" type="button" class="primary"
                            onclick={self.on_submit.reform(|_: MouseEvent| true)}>{ "Try again" }</button>
                    }
                    if failure.already_submitted {
                        <button type="button" class="primary" onclick={next}>{ "Load the next item" }</button>
                    }
                    <button type="button" onclick={dismiss}>{ "Dismiss" }</button>
                </div>
            </div>
        }
    }
}

fn media_name(media: &Media) -> &'static str {
    match media {
        Media::Text { .. } => "text",
        Media::Image { .. } => "image",
        Media::Audio { .. } => "audio",
        Media::Video { .. } => "video",
    }
}
