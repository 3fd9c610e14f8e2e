use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use web_sys::Event;
use yew::{hook, use_effect_with, use_mut_ref, Callback};

use super::use_document_listener;
use crate::draft::SharedDraft;
use crate::state::{Phase, Session};
use crate::stored_draft;

/// How long after the last edit the draft is written to local storage. Writing serialises the
/// whole draft, so it is not done per keystroke; leaving the page writes at once.
const SAVE_AFTER_MS: u32 = 600;

/// A draft waiting to be written: project, item, draft.
type Pending = Rc<RefCell<Option<(String, String, SharedDraft)>>>;

fn flush(pending: &Pending) {
    if let Some((project, item, draft)) = pending.borrow_mut().take() {
        if let Err(error) = stored_draft::save(&project, &item, draft.borrow().regions()) {
            web_sys::console::warn_1(&format!("annoqa: the draft is not kept locally: {error}").into());
        }
    }
}

/// Keeps the session's draft in this browser's local storage until the server has stored the
/// submission: written shortly after each edit and whenever the page is hidden or left, dropped
/// once the answer is stored.
#[hook]
pub fn use_kept_draft(project_id: &str, session: Option<&Session>) {
    let pending: Pending = use_mut_ref(|| None);
    let revision = session.map(|s| s.draft.revision());
    let phase = session.map(|s| s.phase.clone());
    {
        let pending = pending.clone();
        let project = project_id.to_string();
        let current = session.map(|s| (s.item().id.clone(), s.draft.clone()));
        use_effect_with((revision, phase), move |(revision, phase)| {
            let mut timer = None;
            match (current, phase) {
                (Some((item, _)), Some(Phase::Reviewing)) => {
                    pending.borrow_mut().take();
                    stored_draft::forget(&project, &item);
                }
                (Some((item, draft)), _) if revision.is_some_and(|r| r > 0) => {
                    *pending.borrow_mut() = Some((project, item, draft));
                    let pending = pending.clone();
                    timer = Some(Timeout::new(SAVE_AFTER_MS, move || flush(&pending)));
                }
                _ => {}
            }
            move || drop(timer)
        });
    }
    use_document_listener("visibilitychange", {
        let pending = pending.clone();
        Callback::from(move |_: Event| flush(&pending))
    });
    use_effect_with((), move |()| {
        let listener = web_sys::window().map(|w| EventListener::new(&w, "pagehide", move |_| flush(&pending)));
        move || drop(listener)
    });
}
