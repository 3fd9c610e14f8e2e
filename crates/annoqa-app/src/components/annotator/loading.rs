//! Loading for the page: the project, the next item (late answers to old requests dropped),
//! notices that hide themselves, and validation once per draft revision.

use std::cell::RefCell;
use std::rc::Rc;

use annoqa_core::{TaskSpec, Validator};
use gloo::timers::callback::Timeout;
use wasm_bindgen_futures::spawn_local;
use yew::{hook, use_effect_with, use_memo, use_mut_ref, use_state, Callback, UseReducerDispatcher, UseStateHandle};

use super::{LoadedProject, ProjectLoad, NOTICE_MS};
use crate::api_client;
use crate::draft::SharedDraft;
use crate::state::{Action, AnnotatorState, Checked, Notice, Session};
use crate::stored_draft;

/// The project, loaded again when the id changes.
#[hook]
pub(super) fn use_project(project_id: &str) -> UseStateHandle<ProjectLoad> {
    let project = use_state(|| ProjectLoad::Loading);
    {
        let project = project.clone();
        use_effect_with(project_id.to_string(), move |id| {
            project.set(ProjectLoad::Loading);
            let id = id.clone();
            spawn_local(async move {
                project.set(match api_client::project(&id).await {
                    Ok(view) => ProjectLoad::Ready(LoadedProject {
                        spec: Rc::new(view.spec.clone()),
                        guidelines: Rc::new(view.guideline_document.clone()),
                        view: Rc::new(view),
                    }),
                    Err(error) => ProjectLoad::Failed(error.message),
                });
            });
        });
    }

    project
}

/// Asks the server for the next item. Each request bumps `generation`, so the answer to an
/// older request (the annotator moved on meanwhile) is dropped. An item this browser kept an
/// unsent draft of starts from that draft.
pub(super) fn next_item_loader(
    project_id: &str,
    dispatcher: UseReducerDispatcher<AnnotatorState>,
    generation: Rc<RefCell<u32>>,
) -> Callback<()> {
    let project_id = project_id.to_string();
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
                Ok(next) => {
                    let restored = next.item.as_ref().and_then(|a| stored_draft::load(&project_id, &a.item.id));
                    Action::Loaded { next, now_ms: js_sys::Date::now(), restored }
                }
                Err(error) => Action::LoadFailed(error.message),
            });
        });
    })
}

/// Hides a notice after a few seconds (a later notice stays).
#[hook]
pub(super) fn use_notice_timeout(notice: Option<Notice>, dispatcher: UseReducerDispatcher<AnnotatorState>) {
    use_effect_with(notice, move |notice| {
        let timeout = notice.as_ref().map(|notice| {
            let id = notice.id;
            Timeout::new(NOTICE_MS, move || dispatcher.dispatch(Action::HideNotice(id)))
        });
        move || drop(timeout)
    });
}

/// The findings of the session's draft, computed once per draft revision, not per render, by
/// one [`Validator`] per page: an edit re-checks only the regions it changed.
#[hook]
pub(super) fn use_checked(spec: Option<Rc<TaskSpec>>, session: Option<&Session>) -> Rc<Checked> {
    let validator = use_mut_ref(Validator::new);
    let draft = session.map(|s| s.draft.clone());
    let revision = draft.as_ref().map(SharedDraft::revision);
    let item = session.map(|s| s.assigned.clone());
    let has_spec = spec.is_some();
    use_memo((draft, revision, has_spec), move |(draft, _, _)| match (spec, item, draft) {
        (Some(spec), Some(assigned), Some(draft)) => {
            Checked::new(validator.borrow_mut().validate(&spec, &assigned.item, draft.borrow().regions()))
        }
        _ => Checked::default(),
    })
}
