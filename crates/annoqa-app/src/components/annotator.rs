use std::cell::RefCell;
use std::rc::Rc;

use annoqa_api::{ApiErrorCode, ProjectView};
use annoqa_core::{validate, ControlKind, Finding, MediaKind, Severity, TaskSpec};
use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, Event, KeyboardEvent, Node};
use yew::{
    classes, component, html, use_effect_with, use_mut_ref, use_node_ref, use_reducer, use_state, AttrValue, Callback,
    Html, MouseEvent, NodeRef, Properties, UseReducerDispatcher,
};

use super::controls::ChoiceClick;
use super::findings::finding_row;
use super::{
    keep_focus, Controls, FindingsPanel, FlagDialog, GoldReportView, GuidelineFocus, GuidelinesPanel, ItemText,
    ShortcutsHelp, SkipDialog, SpanList,
};
use crate::api_client::{self, ClientError};
use crate::dom;
use crate::hooks::use_document_listener;
use crate::selection::{clear_dom_selection, current_selection, TextSelection};
use crate::spans::SpanMark;
use crate::state::{
    hotkey_target, Action, AnnotatorState, GoldView, HotkeyTarget, Phase, Session, SubmitFailure, SubmitIntent, Work,
};
use crate::submission::{random_key, retry_after, Failure, PendingSubmission, Retry, MAX_ATTEMPTS};

/// How long a notice ("saved") stays on screen.
const NOTICE_MS: u32 = 3000;

/// A project as the page uses it.
#[derive(Clone, PartialEq)]
struct LoadedProject {
    view: Rc<ProjectView>,
    spec: Rc<TaskSpec>,
    guidelines: AttrValue,
}

#[derive(Clone, PartialEq)]
enum ProjectLoad {
    Loading,
    Ready(LoadedProject),
    Failed(String),
}

#[derive(Properties, PartialEq)]
pub struct AnnotatorPageProps {
    pub project_id: String,
    /// The logged-in user, for display; the server takes the assignee from the session.
    pub username: String,
}

/// A dialog over the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialog {
    Skip,
    Flag,
}

/// The annotator page of one project: the task on the left, the guidelines on the right.
#[component]
pub fn AnnotatorPage(props: &AnnotatorPageProps) -> Html {
    let project = use_state(|| ProjectLoad::Loading);
    let state = use_reducer(AnnotatorState::default);
    // Bumped for every next-item request, so a late answer for an old request is dropped.
    let generation = use_mut_ref(|| 0u32);
    // A submission is on its way; a second Enter must not send the answer twice.
    let in_flight = use_mut_ref(|| false);
    let guidelines_open = use_state(|| true);
    let guideline_focus = use_state(|| None::<GuidelineFocus>);
    let help_open = use_state(|| false);
    let dialog = use_state(|| None::<Dialog>);
    // A dialog whose shortcut is down; it opens when the key comes up (see `on_keydown`).
    let armed = use_mut_ref(|| None::<Dialog>);
    let findings_ref = use_node_ref();
    let text_ref = use_node_ref();

    {
        let project = project.clone();
        use_effect_with(props.project_id.clone(), move |id| {
            project.set(ProjectLoad::Loading);
            let id = id.clone();
            spawn_local(async move {
                project.set(match api_client::project(&id).await {
                    Ok(view) => ProjectLoad::Ready(LoadedProject {
                        spec: Rc::new(view.spec.clone()),
                        guidelines: view.guidelines.clone().into(),
                        view: Rc::new(view),
                    }),
                    Err(error) => ProjectLoad::Failed(error.message),
                });
            });
        });
    }

    let loaded = match &*project {
        ProjectLoad::Ready(loaded) => Some(loaded.clone()),
        _ => None,
    };
    let text_task = loaded.as_ref().is_some_and(|p| p.spec.media == MediaKind::Text);

    let load_next = {
        let dispatcher = state.dispatcher();
        let generation = generation.clone();
        let project_id = props.project_id.clone();
        Callback::from(move |()| {
            let ticket = {
                let mut generation = generation.borrow_mut();
                *generation += 1;
                *generation
            };
            dispatcher.dispatch(Action::Loading);
            let (dispatcher, generation) = (dispatcher.clone(), generation.clone());
            let project_id = project_id.clone();
            spawn_local(async move {
                let result = api_client::next_item(&project_id).await;
                if *generation.borrow() != ticket {
                    return;
                }
                dispatcher.dispatch(match result {
                    Ok(next) => Action::Loaded { next, now_ms: js_sys::Date::now() },
                    Err(error) => Action::LoadFailed(error.message),
                });
            });
        })
    };

    {
        let load_next = load_next.clone();
        use_effect_with((props.project_id.clone(), text_task), move |(_, text_task)| {
            if *text_task {
                load_next.emit(());
            }
        });
    }

    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.notice.clone(), move |notice| {
            let timeout = notice.as_ref().map(|notice| {
                let id = notice.id;
                Timeout::new(NOTICE_MS, move || dispatcher.dispatch(Action::HideNotice(id)))
            });
            move || drop(timeout)
        });
    }

    let findings: Vec<Finding> = match (&loaded, state.session()) {
        (Some(project), Some(session)) => validate(&project.spec, session.item(), &session.regions),
        _ => Vec::new(),
    };

    let show_guideline = {
        let guidelines_open = guidelines_open.clone();
        let guideline_focus = guideline_focus.clone();
        Callback::from(move |anchor: String| {
            guidelines_open.set(true);
            let nonce = guideline_focus.as_ref().map_or(1, |f| f.nonce.wrapping_add(1));
            guideline_focus.set(Some(GuidelineFocus { anchor, nonce }));
        })
    };

    let send = make_send(SendContext {
        dispatcher: state.dispatcher(),
        session: state.session().cloned(),
        spec: loaded.as_ref().map(|p| p.spec.clone()),
        project_id: props.project_id.clone(),
        in_flight: in_flight.clone(),
        generation: generation.clone(),
        load_next: load_next.clone(),
    });

    // Enter, the submit button and "submit anyway" all go through here.
    let on_submit = {
        let intent = state.submit_intent(&findings);
        let dispatcher = state.dispatcher();
        let findings_ref = findings_ref.clone();
        let (send, load_next) = (send.clone(), load_next.clone());
        Callback::from(move |anyway: bool| match intent {
            SubmitIntent::Submit => send.emit(()),
            SubmitIntent::ConfirmWarnings if anyway => send.emit(()),
            SubmitIntent::ConfirmWarnings => dispatcher.dispatch(Action::ConfirmWarnings),
            SubmitIntent::FixErrors => {
                if let Some(element) = findings_ref.cast::<Element>() {
                    dom::reveal(&element);
                    dom::flash(&element);
                }
            }
            SubmitIntent::Next => load_next.emit(()),
            SubmitIntent::Wait => {}
        })
    };

    use_document_listener(
        "keydown",
        on_keydown(KeyContext {
            dispatcher: state.dispatcher(),
            spec: loaded.as_ref().map(|p| p.spec.clone()),
            help_open: help_open.clone(),
            dialog: dialog.clone(),
            armed: armed.clone(),
            can_skip: state.session().is_some_and(Session::editable),
            on_submit: on_submit.clone(),
        }),
    );

    // With a `token_boundaries` rule, a selection snaps to whole words before it becomes a span.
    let snap = {
        let snapping = loaded.as_ref().is_some_and(|p| {
            p.spec.rules.iter().any(|r| matches!(r.check, annoqa_core::rule::Check::TokenBoundaries { .. }))
        });
        let text = state.session().and_then(|s| match &s.assigned.item.media {
            annoqa_core::Media::Text { text } => Some(text.clone()),
            _ => None,
        });
        move |selection: TextSelection| match (&text, snapping) {
            (Some(text), true) => {
                let (start, end) = annoqa_core::text::snap_to_tokens(text, selection.start, selection.end);
                TextSelection { start, end }
            }
            _ => selection,
        }
    };

    let take_selection = {
        let dispatcher = state.dispatcher();
        let editable = state.session().is_some_and(Session::editable);
        let snap = snap.clone();
        Callback::from(move |container: Node| {
            if !editable {
                return;
            }
            if let Some(selection) = current_selection(&container) {
                dispatcher.dispatch(Action::Selected(snap(selection)));
                clear_dom_selection();
            }
        })
    };

    // A dialog opens when its shortcut's key comes up, not when it goes down: the dialog moves
    // focus into a text field, and a character event that follows the (cancelled) key-down
    // could otherwise still type the shortcut's letter there.
    use_document_listener("keyup", {
        let (armed, dialog, help_open) = (armed.clone(), dialog.clone(), help_open.clone());
        Callback::from(move |_: Event| {
            if let Some(which) = armed.borrow_mut().take() {
                help_open.set(false);
                dialog.set(Some(which));
            }
        })
    });

    // A selection made with Shift+arrows is taken when Shift is released, not on every arrow,
    // so an active label does not create a span for each step.
    use_document_listener("keyup", {
        let (text_ref, take_selection) = (text_ref.clone(), take_selection.clone());
        Callback::from(move |event: Event| {
            let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            if event.key() == "Shift" && selection_starts_in(&text_ref) {
                if let Some(container) = text_ref.get() {
                    take_selection.emit(container);
                }
            }
        })
    });

    // A drag that starts in the text but ends outside it still selects text.
    use_document_listener("mouseup", {
        let (text_ref, take_selection) = (text_ref.clone(), take_selection.clone());
        Callback::from(move |event: Event| {
            let Some(container) = text_ref.get() else {
                return;
            };
            let target = event.target().and_then(|t| t.dyn_into::<Node>().ok());
            if !container.contains(target.as_ref()) && selection_starts_in(&text_ref) {
                take_selection.emit(container);
            }
        })
    });

    let on_text_mouseup = {
        let snap = snap.clone();
        let dispatcher = state.dispatcher();
        let text_ref = text_ref.clone();
        let editable = state.session().is_some_and(Session::editable);
        Callback::from(move |event: MouseEvent| {
            let Some(container) = text_ref.get() else {
                return;
            };
            if let Some(selection) = current_selection(&container) {
                if editable {
                    dispatcher.dispatch(Action::Selected(snap(selection)));
                    clear_dom_selection();
                }
                return;
            }
            // A plain click: select the clicked span, or clear the span selection.
            let region = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|e| e.closest("mark.span").ok().flatten())
                .and_then(|mark| mark.get_attribute("data-region"));
            dispatcher.dispatch(Action::SelectRegion(region));
        })
    };

    let close_dialog = {
        let dialog = dialog.clone();
        Callback::from(move |()| dialog.set(None))
    };
    let open_dialog = {
        let dialog = dialog.clone();
        Callback::from(move |which: Dialog| dialog.set(Some(which)))
    };
    let dialog_view = match (*dialog, &loaded) {
        (Some(Dialog::Skip), Some(_)) => state.session().filter(|s| s.editable()).map(|session| {
            let (dispatcher, load_next, close) = (state.dispatcher(), load_next.clone(), close_dialog.clone());
            let item = session.item().id.clone();
            let on_skipped = Callback::from(move |()| {
                close.emit(());
                dispatcher.dispatch(Action::ShowNotice(format!("Skipped item {item}.")));
                load_next.emit(());
            });
            html! {
                <SkipDialog project_id={props.project_id.clone()} item_id={session.item().id.clone()}
                    on_close={close_dialog.clone()} {on_skipped} />
            }
        }),
        (Some(Dialog::Flag), Some(project)) => {
            let (dispatcher, close) = (state.dispatcher(), close_dialog.clone());
            let on_sent = Callback::from(move |text: String| {
                close.emit(());
                dispatcher.dispatch(Action::ShowNotice(text));
            });
            Some(html! {
                <FlagDialog project_id={props.project_id.clone()}
                    item_id={state.session().map(|s| s.item().id.clone())}
                    guidelines={project.guidelines.clone()} on_close={close_dialog.clone()} {on_sent} />
            })
        }
        _ => None,
    };

    let help = (*help_open).then(|| {
        let help_open = help_open.clone();
        html! {
            <ShortcutsHelp spec={loaded.as_ref().map(|p| p.spec.clone())}
                on_close={Callback::from(move |()| help_open.set(false))} />
        }
    });

    let task = match &*project {
        ProjectLoad::Loading => html! { <p class="loading">{ "Loading the project…" }</p> },
        ProjectLoad::Failed(message) => html! {
            <div class="banner banner-error" role="alert">
                <p>{ format!("Could not load the project: {message}") }</p>
                <p><a href="#/">{ "Back to all projects" }</a></p>
            </div>
        },
        ProjectLoad::Ready(project) if !text_task => unsupported_media(project),
        ProjectLoad::Ready(project) => {
            let dispatcher = state.dispatcher();
            let view = TaskView {
                project,
                state: &state,
                dispatch: Callback::from(move |action| dispatcher.dispatch(action)),
                findings: &findings,
                findings_ref: &findings_ref,
                text_ref: &text_ref,
                on_text_mouseup,
                on_submit,
                on_guideline: show_guideline.clone(),
                load_next,
                open_dialog,
            };
            view.render(&props.username)
        }
    };

    let guidelines = loaded.as_ref().map(|project| {
        let guidelines_open = guidelines_open.clone();
        html! {
            <GuidelinesPanel markdown={project.guidelines.clone()} open={*guidelines_open}
                focus={(*guideline_focus).clone()}
                on_toggle={Callback::from(move |()| guidelines_open.set(!*guidelines_open))}
                on_anchor={show_guideline.clone()} />
        }
    });

    html! {
        <div class={classes!("workspace", (*guidelines_open).then_some("with-guidelines"))}>
            <section class="task" aria-label="task">{ task }</section>
            { for guidelines }
            { for help }
            { for dialog_view }
        </div>
    }
}

/// Whether the document's selection starts inside the item text.
fn selection_starts_in(text_ref: &NodeRef) -> bool {
    let Some(container) = text_ref.get() else {
        return false;
    };
    let anchor = web_sys::window().and_then(|w| w.get_selection().ok().flatten()).and_then(|s| s.anchor_node());
    anchor.is_some_and(|node| container.contains(Some(&node)))
}

fn unsupported_media(project: &LoadedProject) -> Html {
    let kind = match project.spec.media {
        MediaKind::Text => "text",
        MediaKind::Image => "image",
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    };
    html! {
        <>
            <header class="task-header">
                <h1>{ project.view.title.clone() }</h1>
            </header>
            <div id="unsupported-media" class="panel">
                <h2>{ format!("The {kind} annotator arrives in a later release") }</h2>
                <p>
                    { "This release of annoqa annotates text. The project and its items are safe \
                       on the server; come back after upgrading." }
                </p>
                <p><a href="#/">{ "Back to all projects" }</a></p>
            </div>
        </>
    }
}

struct SendContext {
    dispatcher: UseReducerDispatcher<AnnotatorState>,
    session: Option<Session>,
    spec: Option<Rc<TaskSpec>>,
    project_id: String,
    in_flight: Rc<RefCell<bool>>,
    generation: Rc<RefCell<u32>>,
    load_next: Callback<()>,
}

/// Sends the current annotation. A training item's report is computed and shown at once; the
/// server's report replaces it when it arrives. Attempts that fail in passing (no answer, the
/// first attempt still being stored) go again with the same idempotency key; on a real failure
/// the annotation stays as it was, and submitting it unchanged reuses the key.
fn make_send(cx: SendContext) -> Callback<()> {
    Callback::from(move |()| {
        let (Some(session), Some(spec)) = (cx.session.clone(), cx.spec.clone()) else {
            return;
        };
        if *cx.in_flight.borrow() || !session.editable() {
            return;
        }
        let now_ms = js_sys::Date::now();
        let submission = PendingSubmission::next(
            session.submission.as_ref(),
            &session.item().id,
            &session.regions,
            random_key,
            || session.submit_request(now_ms),
        );
        let Some(mut submission) = submission else {
            cx.dispatcher.dispatch(Action::ShowNotice(
                "This browser offers no secure random numbers (Web Crypto), so the answer cannot be sent safely."
                    .into(),
            ));
            return;
        };
        submission.begin_round();
        *cx.in_flight.borrow_mut() = true;
        let local_gold = session
            .assigned
            .training_gold
            .as_ref()
            .map(|gold| GoldView::local(&spec, session.item(), gold, &session.regions));
        let has_local_gold = local_gold.is_some();
        cx.dispatcher.dispatch(Action::SubmitStarted { local_gold, submission: submission.clone() });

        let ticket = *cx.generation.borrow();
        let (dispatcher, in_flight, generation) = (cx.dispatcher.clone(), cx.in_flight.clone(), cx.generation.clone());
        let (project_id, load_next) = (cx.project_id.clone(), cx.load_next.clone());
        spawn_local(async move {
            let current = || *generation.borrow() == ticket;
            let result = loop {
                submission.record_attempt();
                let result = api_client::submit(&project_id, &submission).await;
                if !current() {
                    break None;
                }
                let error = match result {
                    Ok(response) => break Some(Ok(response)),
                    Err(error) => error,
                };
                let failure = Failure { status: error.status, code: error.code, retry_after_ms: error.retry_after_ms };
                match retry_after(&submission, failure) {
                    Retry::GiveUp => break Some(Err(error)),
                    Retry::After(ms) => {
                        let reason = retry_reason(&error, submission.round_attempts + 1);
                        dispatcher.dispatch(Action::SubmitRetrying { submission: submission.clone(), reason });
                        yew::platform::time::sleep(std::time::Duration::from_millis(u64::from(ms))).await;
                        if !current() {
                            break None;
                        }
                    }
                }
            };
            *in_flight.borrow_mut() = false;
            match result {
                // The page moved on to another item meanwhile.
                None => {}
                Some(Ok(response)) => {
                    let review = has_local_gold || response.gold.is_some();
                    dispatcher.dispatch(Action::SubmitSucceeded(response));
                    if !review {
                        dispatcher.dispatch(Action::ShowNotice(format!("Saved item {}.", submission.item_id)));
                        load_next.emit(());
                    }
                }
                Some(Err(error)) => dispatcher.dispatch(Action::SubmitFailed {
                    failure: SubmitFailure {
                        already_submitted: matches!(
                            error.code,
                            Some(ApiErrorCode::AlreadySubmitted | ApiErrorCode::NotAssigned | ApiErrorCode::LeaseLost)
                        ),
                        unreachable: error.code.is_none() && matches!(error.status, None | Some(502..=504)),
                        message: error.message,
                        findings: error.findings,
                    },
                    submission,
                }),
            }
        });
    })
}

/// What the annotator reads while a submission goes again.
fn retry_reason(error: &ClientError, next_attempt: u32) -> String {
    let why = match (error.code, error.status) {
        (Some(ApiErrorCode::InFlight), _) => "Still being stored; checking again",
        (_, None) => "No answer from the server; retrying",
        (_, Some(_)) => "The server is unavailable; retrying",
    };
    format!("{why} (attempt {next_attempt} of {MAX_ATTEMPTS})…")
}

struct KeyContext {
    dispatcher: UseReducerDispatcher<AnnotatorState>,
    spec: Option<Rc<TaskSpec>>,
    help_open: yew::UseStateHandle<bool>,
    dialog: yew::UseStateHandle<Option<Dialog>>,
    armed: Rc<RefCell<Option<Dialog>>>,
    /// An item is on screen and not submitted yet.
    can_skip: bool,
    on_submit: Callback<bool>,
}

/// The page's keyboard shortcuts. They stay out of the way of text entry, of modified keys
/// (Ctrl+C must copy) and of Enter on a focused button or link, which activates it natively.
fn on_keydown(cx: KeyContext) -> Callback<Event> {
    Callback::from(move |event: Event| {
        let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
            return;
        };
        let target = event.target();
        if event.default_prevented()
            || event.ctrl_key()
            || event.meta_key()
            || event.alt_key()
            || dom::is_text_entry(target.as_ref())
        {
            return;
        }
        // A dialog takes the keyboard; it closes itself on Escape.
        if cx.dialog.is_some() {
            return;
        }
        let key = event.key();
        // Shift+letter, so the task's own single-letter hotkeys stay free (they match either
        // case only without Shift, e.g. under Caps Lock).
        let shifted = |letter: &str| event.shift_key() && key.eq_ignore_ascii_case(letter);
        let handled = match key.as_str() {
            _ if shifted("s") && cx.can_skip => {
                *cx.armed.borrow_mut() = Some(Dialog::Skip);
                true
            }
            _ if shifted("f") => {
                *cx.armed.borrow_mut() = Some(Dialog::Flag);
                true
            }
            "?" => {
                cx.help_open.set(!*cx.help_open);
                true
            }
            "Escape" if *cx.help_open => {
                cx.help_open.set(false);
                true
            }
            "Escape" => {
                clear_dom_selection();
                cx.dispatcher.dispatch(Action::ClearSelection);
                true
            }
            "Enter" if dom::activates_on_enter(target.as_ref()) || event.repeat() => false,
            "Enter" => {
                cx.on_submit.emit(false);
                true
            }
            "Delete" | "Backspace" => {
                cx.dispatcher.dispatch(Action::RemoveSelectedRegion);
                true
            }
            _ => match cx.spec.as_deref().and_then(|spec| hotkey_target(spec, &key)) {
                Some(HotkeyTarget::SpanLabel(label)) => {
                    cx.dispatcher.dispatch(Action::ActivateLabel(label));
                    true
                }
                Some(HotkeyTarget::Choice { control, label, multiple }) => {
                    cx.dispatcher.dispatch(Action::ToggleChoice { control, label, multiple });
                    true
                }
                None => false,
            },
        };
        if handled {
            event.prevent_default();
        }
    })
}

/// Everything the task column needs to render one item.
struct TaskView<'a> {
    project: &'a LoadedProject,
    state: &'a AnnotatorState,
    dispatch: Callback<Action>,
    findings: &'a [Finding],
    findings_ref: &'a NodeRef,
    text_ref: &'a NodeRef,
    on_text_mouseup: Callback<MouseEvent>,
    on_submit: Callback<bool>,
    on_guideline: Callback<String>,
    load_next: Callback<()>,
    open_dialog: Callback<Dialog>,
}

impl TaskView<'_> {
    fn render(self, username: &str) -> Html {
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
        let Some(text) = session.text() else {
            return html! {
                <div id="unsupported-media" class="panel">
                    <h2>{ "This item is not text" }</h2>
                    <p>{ "Its media kind's annotator arrives in a later release." }</p>
                </div>
            };
        };
        let text: AttrValue = text.to_string().into();

        let flagged = |id: &str, severity: Severity| {
            self.findings.iter().any(|f| f.severity == severity && f.regions.iter().any(|r| r == id))
        };
        let mut marks = SpanMark::from_regions(spec, &session.regions);
        for mark in &mut marks {
            let id = mark.region.clone().unwrap_or_default();
            if session.selected_region.as_deref() == Some(id.as_str()) {
                mark.classes.push("selected");
            }
            if flagged(&id, Severity::Error) {
                mark.classes.push("flagged-error");
            } else if flagged(&id, Severity::Warning) {
                mark.classes.push("flagged-warning");
            }
        }
        let mut shown = marks.clone();
        if let Some(TextSelection { start, end }) = session.pending {
            shown.push(SpanMark {
                region: None,
                start,
                end,
                label: String::new(),
                color: None,
                classes: Default::default(),
            });
        }

        let chosen: Vec<(String, Vec<String>)> = spec
            .controls
            .iter()
            .map(|c| (c.name.clone(), session.chosen(&c.name).into_iter().map(str::to_string).collect()))
            .collect();
        let on_label = self.dispatch.reform(Action::ActivateLabel);
        let on_choice = self.dispatch.reform(|c: ChoiceClick| Action::ToggleChoice {
            control: c.control,
            label: c.label,
            multiple: c.multiple,
        });
        let hint = session.pending.map(|_| {
            let keys: Vec<String> = spec
                .controls
                .iter()
                .filter(|c| matches!(c.kind, ControlKind::TextSpans { .. }))
                .flat_map(|c| c.labels.iter().filter_map(|l| l.hotkey.clone()))
                .collect();
            let keys = match (keys.first(), keys.last()) {
                (Some(first), Some(last)) if keys.len() > 1 => format!("{first}–{last}"),
                (Some(only), _) => only.clone(),
                _ => "a label".to_string(),
            };
            html! {
                <p id="selection-hint" class="hint" role="status">
                    { format!("press {keys} to label the selection") }
                </p>
            }
        });

        html! {
            <>
                { for session.failure.as_ref().map(|f| self.failure_banner(f)) }
                <Controls spec={spec.clone()} active_label={self.state.active_label.clone()} chosen={chosen}
                    disabled={!session.editable()} on_label={on_label} on_choice={on_choice}
                    on_guideline={self.on_guideline.clone()} />
                { for hint }
                <div class="text-row">
                    <ItemText text={text.clone()} marks={shown} node_ref={self.text_ref.clone()}
                        onmouseup={self.on_text_mouseup.clone()} />
                    <SpanList text={text.clone()} marks={marks} selected={session.selected_region.clone()}
                        editable={session.editable()}
                        on_select={self.dispatch.reform(|id| Action::SelectRegion(Some(id)))}
                        on_remove={self.dispatch.reform(Action::RemoveRegion)} />
                </div>
                <FindingsPanel findings={self.findings.to_vec()} node_ref={self.findings_ref.clone()}
                    on_guideline={self.on_guideline.clone()} />
                { self.submit_bar(session) }
                if let Some(gold) = &session.gold {
                    <GoldReportView spec={spec.clone()} text={text} regions={session.regions.clone()}
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
        let errors = self.findings.iter().any(|f| f.severity == Severity::Error);
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
                        { for failure.findings.iter().map(|f| finding_row(f, &self.on_guideline)) }
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
