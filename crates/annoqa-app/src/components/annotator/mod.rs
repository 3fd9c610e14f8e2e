//! The annotator page of one project: loads the project and the next item, keeps the page
//! state (the draft, the submit flow), validates once per draft revision, keeps the draft in
//! this browser until it is stored, and puts the media kind's editor in the workspace frame.

mod frame;
mod keys;
mod loading;
mod submit_flow;
mod text_editor;

pub use text_editor::TextFix;

use std::rc::Rc;

use annoqa_api::ProjectView;
use annoqa_core::guidelines::GuidelineDocument;
use annoqa_core::{MediaKind, TaskSpec};
use web_sys::{Element, Event};
use yew::{
    classes, component, html, use_effect_with, use_memo, use_mut_ref, use_node_ref, use_reducer, use_state, Callback,
    Html, Properties,
};

use self::frame::TaskView;
use self::keys::{on_keydown, KeyContext};
use self::loading::{next_item_loader, use_checked, use_notice_timeout, use_project};
use self::submit_flow::{make_send, SendContext};
use super::{FlagDialog, GuidelineFocus, GuidelinesPanel, ShortcutsHelp, SkipDialog};
use crate::dom;
use crate::hooks::{use_document_listener, use_kept_draft};
use crate::state::{Action, AnnotatorState, Session, SubmitIntent};
use crate::test_api::TestApi;

/// How long a notice ("saved") stays on screen.
pub(super) const NOTICE_MS: u32 = 3000;

/// A project as the page uses it.
#[derive(Clone, PartialEq)]
pub(super) struct LoadedProject {
    pub(super) view: Rc<ProjectView>,
    pub(super) spec: Rc<TaskSpec>,
    pub(super) guidelines: Rc<GuidelineDocument>,
}

#[derive(Clone, PartialEq)]
pub(super) enum ProjectLoad {
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
pub(super) enum Dialog {
    Skip,
    Flag,
}

/// The annotator page of one project: the task on the left, the guidelines on the right.
#[component]
pub fn AnnotatorPage(props: &AnnotatorPageProps) -> Html {
    let project = use_project(&props.project_id);
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
    let test_api = use_memo((), |()| TestApi::install());
    let test_api = (*test_api).clone();

    let loaded = match &*project {
        ProjectLoad::Ready(loaded) => Some(loaded.clone()),
        _ => None,
    };
    let supported = loaded.as_ref().is_some_and(|p| matches!(p.spec.media, MediaKind::Text | MediaKind::Image));
    let load_next = next_item_loader(&props.project_id, state.dispatcher(), generation.clone());

    {
        let load_next = load_next.clone();
        use_effect_with((props.project_id.clone(), supported), move |(_, supported)| {
            if *supported {
                load_next.emit(());
            }
        });
    }

    use_notice_timeout(state.notice.clone(), state.dispatcher());
    let findings = use_checked(loaded.as_ref().map(|p| p.spec.clone()), state.session());
    // Until the server confirms it, the draft is kept in this browser, so a reload or a failed
    // submit loses nothing.
    use_kept_draft(&props.project_id, state.session());
    test_api.update(state.session(), findings.clone());

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
        let intent = state.submit_intent(&findings.findings);
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
        ProjectLoad::Ready(project) if !supported => unsupported_media(project),
        ProjectLoad::Ready(project) => {
            let dispatcher = state.dispatcher();
            let view = TaskView {
                project,
                state: &state,
                dispatch: Callback::from(move |action| dispatcher.dispatch(action)),
                findings: findings.clone(),
                findings_ref: &findings_ref,
                api: test_api.clone(),
                keys: !*help_open && dialog.is_none(),
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
            <GuidelinesPanel document={project.guidelines.clone()} open={*guidelines_open}
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
