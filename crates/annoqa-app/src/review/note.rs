//! The reviewer's note to an annotator: text, an error code, the region it is about (the
//! focused group's region of the submission) and a guideline section. It reaches the
//! annotator's inbox. Ctrl+Enter sends, Escape closes.

use std::rc::Rc;

use annoqa_api::{ErrorCode, ReviewQueueEntry};
use annoqa_core::guidelines::Section;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::{
    component, html, use_effect_with, use_node_ref, use_state, Callback, Event, Html, InputEvent, KeyboardEvent,
    MouseEvent, Properties, SubmitEvent, TargetCast, UseReducerDispatcher,
};

use super::actions::{send_note, Note};
use super::state::{Mode, ReviewAction, ReviewState};

#[derive(Properties, PartialEq)]
pub(super) struct NoteDialogProps {
    pub project_id: String,
    pub entry: ReviewQueueEntry,
    /// The submission's region in the focused group, if it has one.
    pub region: Option<String>,
    pub codes: Rc<Vec<ErrorCode>>,
    pub sections: Vec<Section>,
    pub dispatch: UseReducerDispatcher<ReviewState>,
}

fn on_select(handle: &yew::UseStateHandle<String>) -> Callback<Event> {
    let handle = handle.clone();
    Callback::from(move |e: Event| handle.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
}

#[component]
pub(super) fn NoteDialog(props: &NoteDialogProps) -> Html {
    let text = use_state(String::new);
    let code = use_state(String::new);
    let section = use_state(String::new);
    let error = use_state(|| None::<String>);
    let text_ref = use_node_ref();
    {
        let text_ref = text_ref.clone();
        use_effect_with((), move |()| {
            if let Some(area) = text_ref.cast::<HtmlTextAreaElement>() {
                let _ = area.focus();
            }
        });
    }
    let send = {
        let (text, code, section, error) = (text.clone(), code.clone(), section.clone(), error.clone());
        let (project, entry, region, dispatch) =
            (props.project_id.clone(), props.entry.clone(), props.region.clone(), props.dispatch.clone());
        Callback::from(move |()| {
            if text.trim().is_empty() {
                error.set(Some("Write what the annotator should know.".into()));
                return;
            }
            let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
            let note = Note {
                text: text.trim().to_string(),
                code: some(&code),
                region: region.clone(),
                guideline: some(&section),
            };
            send_note(project.clone(), entry.clone(), note, dispatch.clone());
        })
    };
    let close = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(ReviewAction::SetMode(Mode::Browsing)))
    };
    let on_keydown = {
        let send = send.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                send.emit(());
            }
        })
    };
    let on_text = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let about = match &props.region {
        Some(region) => {
            format!("About region {region} of {}'s submission of item {}.", props.entry.annotator, props.entry.item_id)
        }
        None => format!("About {}'s whole submission of item {}.", props.entry.annotator, props.entry.item_id),
    };
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="note-title">
            <form class="overlay-card dialog" id="note-dialog" onsubmit={send.reform(|e: SubmitEvent| e.prevent_default())} novalidate=true>
                <h2 id="note-title">{ format!("Note to {}", props.entry.annotator) }</h2>
                <p class="hint">{ about }</p>
                <label for="note-text">{ "What to do differently" }</label>
                <textarea id="note-text" ref={text_ref} rows="4" value={(*text).clone()} oninput={on_text}
                    onkeydown={on_keydown} aria-describedby="note-error" />
                <label for="note-code">{ "Error code" }</label>
                <select id="note-code" onchange={on_select(&code)}>
                    <option value="" selected={code.is_empty()}>{ "none" }</option>
                    { for props.codes.iter().map(|c| html! {
                        <option value={c.code.clone()} selected={*code == c.code}>{ c.title.clone() }</option>
                    }) }
                </select>
                <label for="note-section">{ "Guideline section" }</label>
                <select id="note-section" onchange={on_select(&section)}>
                    <option value="" selected={section.is_empty()}>{ "none" }</option>
                    { for props.sections.iter().map(|s| html! {
                        <option value={s.anchor.clone()} selected={*section == s.anchor}>{ s.title.clone() }</option>
                    }) }
                </select>
                <p id="note-error" class="form-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
                <div class="dialog-actions">
                    <button type="submit" class="primary" id="note-send">{ "Send " }<kbd>{ "Ctrl+Enter" }</kbd></button>
                    <button type="button" onclick={close}>{ "Cancel " }<kbd>{ "Esc" }</kbd></button>
                </div>
            </form>
        </div>
    }
}
