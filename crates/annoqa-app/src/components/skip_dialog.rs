use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, KeyboardEvent};
use yew::{
    component, html, use_effect_with, use_node_ref, use_state, Callback, Html, InputEvent, MouseEvent, Properties,
    SubmitEvent, TargetCast,
};

use crate::api_client;
use crate::dom;

/// Longest reason the server accepts.
const MAX_REASON_CHARS: usize = 2000;

#[derive(Properties, PartialEq)]
pub struct SkipDialogProps {
    pub project_id: String,
    pub item_id: String,
    pub on_close: Callback<()>,
    /// The server took the item back.
    pub on_skipped: Callback<()>,
}

/// Gives the current item back with a reason (`Shift+S`).
#[component]
pub fn SkipDialog(props: &SkipDialogProps) -> Html {
    let reason = use_state(String::new);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let input_ref = use_node_ref();
    {
        let input_ref = input_ref.clone();
        use_effect_with((), move |_| {
            if let Some(input) = input_ref.cast::<web_sys::Element>() {
                dom::focus(&input);
            }
        });
    }

    let oninput = {
        let reason = reason.clone();
        Callback::from(move |event: InputEvent| reason.set(event.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let onsubmit = {
        let (reason, error, busy, input_ref) = (reason.clone(), error.clone(), busy.clone(), input_ref.clone());
        let (project_id, item_id, on_skipped) =
            (props.project_id.clone(), props.item_id.clone(), props.on_skipped.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy {
                return;
            }
            let text = reason.trim().to_string();
            if text.is_empty() {
                error.set(Some("Say why you skip this item, so the coordinators can act on it.".into()));
                if let Some(input) = input_ref.cast::<web_sys::Element>() {
                    dom::focus(&input);
                }
                return;
            }
            busy.set(true);
            let (error, busy, on_skipped) = (error.clone(), busy.clone(), on_skipped.clone());
            let (project_id, item_id) = (project_id.clone(), item_id.clone());
            spawn_local(async move {
                match api_client::skip(&project_id, &item_id, &text).await {
                    Ok(()) => on_skipped.emit(()),
                    Err(failure) => {
                        error.set(Some(format!("Not skipped: {}", failure.message)));
                        busy.set(false);
                    }
                }
            });
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let onkeydown = escape_closes(&props.on_close);
    let invalid = error.is_some();

    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="skip-title" {onkeydown}>
            <form class="overlay-card dialog" id="skip-dialog" {onsubmit} novalidate=true>
                <h2 id="skip-title">{ format!("Skip item {}", props.item_id) }</h2>
                <p>{ "The item goes back to the pool for someone else. Your reason reaches the coordinators." }</p>
                <label for="skip-reason">{ "Reason" }</label>
                <input id="skip-reason" type="text" ref={input_ref} value={(*reason).clone()} {oninput}
                    maxlength={MAX_REASON_CHARS.to_string()} autocomplete="off"
                    aria-invalid={invalid.to_string()} aria-describedby="skip-error" />
                <p id="skip-error" class="form-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
                <div class="dialog-actions">
                    <button type="submit" class="primary" disabled={*busy} aria-busy={busy.to_string()}>
                        { if *busy { "Skipping…" } else { "Skip item" } }
                    </button>
                    <button type="button" onclick={close}>{ "Cancel" }</button>
                </div>
            </form>
        </div>
    }
}

/// For a dialog's `onkeydown`: Escape closes it, wherever focus is inside.
pub(crate) fn escape_closes(on_close: &Callback<()>) -> Callback<KeyboardEvent> {
    let on_close = on_close.clone();
    Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Escape" {
            event.prevent_default();
            on_close.emit(());
        }
    })
}
