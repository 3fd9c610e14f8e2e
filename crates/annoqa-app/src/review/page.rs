//! The reviewer screen (`#/review/PROJECT`): the queue on the left, the entry's item in the
//! middle with up to five annotators' regions drawn together and coloured by agreement, the
//! region groups, verdicts and notes on the right. Keys in `keys.rs`.

use std::cell::RefCell;
use std::rc::Rc;

use annoqa_api::{ErrorCode, ProjectView};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Event, KeyboardEvent};
use yew::{
    component, html, use_effect_with, use_memo, use_mut_ref, use_reducer, use_state, Callback, Html, Properties,
};

use super::actions::{load_item, load_page, send_verdict, Verdict};
use super::keys::{review_command, ReviewCommand};
use super::overlay::{shown_overlay, ShownOverlay};
use super::state::{ItemLoad, Mode, ReviewAction, ReviewState};
use super::view::{self, Screen};
use crate::api_client;
use crate::dom;
use crate::draft::SharedDraft;
use crate::hooks::use_document_listener;
use crate::test_api::TestApi;

#[derive(Properties, PartialEq)]
pub(super) struct ReviewPageProps {
    pub project_id: String,
}

#[derive(Clone, PartialEq)]
enum Setup {
    Loading,
    Ready(Rc<ProjectView>, Rc<Vec<ErrorCode>>),
    Failed(String),
}

/// The overlay of what is shown, when the item and the project are both there.
type Shown = Option<Result<Rc<ShownOverlay>, String>>;

#[component]
pub(super) fn ReviewPage(props: &ReviewPageProps) -> Html {
    let setup = use_state(|| Setup::Loading);
    let state = use_reducer(ReviewState::default);
    let fix_draft: Rc<RefCell<Option<SharedDraft>>> = use_mut_ref(|| None);
    let api = use_memo((), |()| TestApi::install());
    {
        let (setup, project) = (setup.clone(), props.project_id.clone());
        use_effect_with((), move |()| {
            spawn_local(async move {
                let loaded = async {
                    let view = api_client::project(&project).await?;
                    let codes = api_client::taxonomy(&project).await?;
                    Ok::<_, api_client::ClientError>(Setup::Ready(Rc::new(view), Rc::new(codes)))
                };
                setup.set(loaded.await.unwrap_or_else(|e| Setup::Failed(e.message)));
            });
        });
    }
    {
        let (project, dispatch) = (props.project_id.clone(), state.dispatcher());
        let filters = state.filters.clone();
        use_effect_with(state.generation, move |&generation| load_page(project, filters, generation, None, dispatch));
    }
    {
        let (project, dispatch) = (props.project_id.clone(), state.dispatcher());
        use_effect_with(state.entry().map(|e| e.item_id.clone()), move |item| {
            if let Some(item) = item.clone() {
                load_item(project, item, dispatch);
            }
        });
    }
    let shown: Shown = {
        let spec = match &*setup {
            Setup::Ready(view, _) => Some(view.clone()),
            _ => None,
        };
        let ready = match &state.item {
            ItemLoad::Ready(view) => Some(view.clone()),
            _ => None,
        };
        // By address: the overlay data is compared by identity, never field by field.
        let key = (ready.as_ref().map(Rc::as_ptr), state.on.clone(), spec.as_ref().map(Rc::as_ptr));
        (*use_memo(key, move |(_, on, _)| match (ready, spec) {
            (Some(view), Some(project)) => Some(shown_overlay(&project.spec, &view, on).map(Rc::new)),
            _ => None,
        }))
        .clone()
    };
    {
        let json = match (&shown, &state.item) {
            (Some(Ok(shown)), ItemLoad::Ready(view)) => Some(shown.test_json(view).to_string()),
            _ => None,
        };
        api.set_overlay(json);
    }
    let on_key = key_handler(props, &setup, &state, &shown, &fix_draft);
    use_document_listener("keydown", on_key);

    let (project, codes) = match &*setup {
        Setup::Loading => return html! { <p class="loading">{ "Loading the project…" }</p> },
        Setup::Failed(message) => {
            return html! {
                <div class="banner banner-error" role="alert"><p>{ format!("Could not open the review: {message}") }</p></div>
            }
        }
        Setup::Ready(project, codes) => (project.clone(), codes.clone()),
    };
    let on_store_fix = {
        let (project, state, fix_draft) = (props.project_id.clone(), state.clone(), fix_draft.clone());
        Callback::from(move |()| store_fix(&project, &state, &fix_draft))
    };
    let screen = Screen {
        project_id: props.project_id.clone(),
        project,
        codes: codes.clone(),
        state: (*state).clone(),
        dispatch: state.dispatcher(),
        shown: shown.clone(),
        on_fix_draft: Callback::from(move |draft: SharedDraft| *fix_draft.borrow_mut() = Some(draft)),
        on_store_fix,
        command: {
            let (project, state, shown, codes) =
                (props.project_id.clone(), state.clone(), shown.clone(), codes.clone());
            Callback::from(move |command| {
                let shown = shown.as_ref().and_then(|s| s.as_ref().ok()).cloned();
                run(command, &project, &state, shown.as_deref(), &codes);
            })
        },
    };
    view::screen(&screen)
}

/// The page's keys; see `keys.rs`. Keys inside text fields, and everything but the fix's own
/// keys during a fix, are left to the field or the workspace.
fn key_handler(
    props: &ReviewPageProps,
    setup: &Setup,
    state: &yew::UseReducerHandle<ReviewState>,
    shown: &Shown,
    fix_draft: &Rc<RefCell<Option<SharedDraft>>>,
) -> Callback<Event> {
    let codes = match setup {
        Setup::Ready(_, codes) => codes.clone(),
        _ => Rc::new(Vec::new()),
    };
    let (project, state, shown, fix_draft) =
        (props.project_id.clone(), state.clone(), shown.clone(), fix_draft.clone());
    Callback::from(move |event: Event| {
        let Some(key) = event.dyn_ref::<KeyboardEvent>() else { return };
        let dispatch = state.dispatcher();
        if let Mode::Fixing { .. } = state.mode {
            fix_key(key, &project, &state, &fix_draft);
            return;
        }
        if matches!(state.mode, Mode::Noting | Mode::Help) {
            if key.key() == "Escape" {
                dispatch.dispatch(ReviewAction::SetMode(Mode::Browsing));
            }
            return;
        }
        if key.ctrl_key() || key.meta_key() || key.alt_key() || dom::is_text_entry(key.target().as_ref()) {
            return;
        }
        let Some(command) = review_command(&key.key(), state.mode == Mode::Rejecting) else { return };
        key.prevent_default();
        let shown = shown.as_ref().and_then(|s| s.as_ref().ok()).cloned();
        run(command, &project, &state, shown.as_deref(), &codes);
    })
}

/// Ctrl+Enter stores the fix; Escape (when the workspace did not take it) leaves it.
fn fix_key(
    key: &KeyboardEvent,
    project: &str,
    state: &yew::UseReducerHandle<ReviewState>,
    fix_draft: &Rc<RefCell<Option<SharedDraft>>>,
) {
    if key.key() == "Enter" && (key.ctrl_key() || key.meta_key()) {
        key.prevent_default();
        store_fix(project, state, fix_draft);
    } else if key.key() == "Escape" && !key.default_prevented() {
        state.dispatcher().dispatch(ReviewAction::SetMode(Mode::Browsing));
    }
}

/// The fix as the workspace holds it, sent as the verdict.
fn store_fix(project: &str, state: &yew::UseReducerHandle<ReviewState>, fix_draft: &Rc<RefCell<Option<SharedDraft>>>) {
    let (Some(entry), Some(draft)) = (state.entry(), fix_draft.borrow().clone()) else { return };
    let regions = draft.borrow().regions().to_vec();
    send_verdict(project.to_string(), entry.clone(), Verdict::fix(regions), state.dispatcher());
}

fn run(
    command: ReviewCommand,
    project: &str,
    state: &yew::UseReducerHandle<ReviewState>,
    shown: Option<&ShownOverlay>,
    codes: &[ErrorCode],
) {
    let dispatch = state.dispatcher();
    let groups = shown.map_or(0, |s| s.overlay.groups.len());
    match command {
        ReviewCommand::NextEntry => dispatch.dispatch(ReviewAction::Step(1)),
        ReviewCommand::PreviousEntry => dispatch.dispatch(ReviewAction::Step(-1)),
        ReviewCommand::NextGroup => dispatch.dispatch(ReviewAction::StepGroup { by: 1, groups }),
        ReviewCommand::PreviousGroup => dispatch.dispatch(ReviewAction::StepGroup { by: -1, groups }),
        ReviewCommand::Toggle(at) => dispatch.dispatch(ReviewAction::Toggle(at)),
        ReviewCommand::StartReject => dispatch.dispatch(ReviewAction::SetMode(Mode::Rejecting)),
        ReviewCommand::CancelReject => dispatch.dispatch(ReviewAction::SetMode(Mode::Browsing)),
        ReviewCommand::Help => dispatch.dispatch(ReviewAction::SetMode(Mode::Help)),
        ReviewCommand::Note => dispatch.dispatch(ReviewAction::SetMode(Mode::Noting)),
        ReviewCommand::Fix => dispatch.dispatch(ReviewAction::SetMode(Mode::Fixing { from_consensus: false })),
        ReviewCommand::FixFromConsensus => {
            dispatch.dispatch(ReviewAction::SetMode(Mode::Fixing { from_consensus: true }))
        }
        ReviewCommand::LoadMore => {
            if let (Some(cursor), false) = (state.next_cursor.clone(), state.loading_page) {
                load_page(project.to_string(), state.filters.clone(), state.generation, Some(cursor), dispatch);
            }
        }
        ReviewCommand::Accept => {
            if let Some(entry) = state.entry() {
                send_verdict(project.to_string(), entry.clone(), Verdict::accept(), dispatch);
            }
        }
        ReviewCommand::Reject(at) => {
            dispatch.dispatch(ReviewAction::SetMode(Mode::Browsing));
            if let (Some(entry), Some(code)) = (state.entry(), codes.get(at)) {
                let region = shown.and_then(|s| s.member_of(state.group, &entry.annotator)).map(str::to_string);
                send_verdict(project.to_string(), entry.clone(), Verdict::reject(code, region), dispatch);
            }
        }
    }
}
