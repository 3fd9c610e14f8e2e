use annoqa_api::{FlagReason, FlagRequest};
use annoqa_core::guidelines::GuidelineDocument;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Event, HtmlSelectElement, HtmlTextAreaElement, KeyboardEvent};
use yew::{
    component, html, use_effect_with, use_node_ref, use_state, Callback, Html, InputEvent, MouseEvent, Properties,
    SubmitEvent, TargetCast,
};

use super::skip_dialog::escape_closes;
use crate::api_client;
use crate::dom;

const REASONS: [(FlagReason, &str); 3] = [
    (FlagReason::Unclear, "Unclear"),
    (FlagReason::WrongGold, "Wrong gold answer"),
    (FlagReason::BadMedia, "Bad media"),
];

/// What a flag is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Item,
    Guideline,
}

#[derive(Properties, PartialEq)]
pub struct FlagDialogProps {
    pub project_id: String,
    /// The item on screen; without one only a guideline section can be flagged.
    pub item_id: Option<String>,
    /// The project's guidelines, for their sections.
    pub guidelines: std::rc::Rc<GuidelineDocument>,
    pub on_close: Callback<()>,
    /// The flag was stored; the argument is a confirmation for the annotator.
    pub on_sent: Callback<String>,
}

/// Flags the item or a guideline section as unclear, wrong gold or bad media (`Shift+F`).
#[component]
pub fn FlagDialog(props: &FlagDialogProps) -> Html {
    let sections = &props.guidelines.sections;
    let target = use_state(|| if props.item_id.is_some() { Target::Item } else { Target::Guideline });
    let section = use_state(|| sections.first().map(|s| s.anchor.clone()));
    let reason = use_state(|| FlagReason::Unclear);
    let text = use_state(String::new);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let first_ref = use_node_ref();
    let text_ref = use_node_ref();
    {
        let first_ref = first_ref.clone();
        use_effect_with((), move |_| {
            if let Some(first) = first_ref.cast::<web_sys::Element>() {
                dom::focus(&first);
            }
        });
    }

    let submit = {
        let (target, section, reason, text) = (target.clone(), section.clone(), reason.clone(), text.clone());
        let (error, busy, text_ref) = (error.clone(), busy.clone(), text_ref.clone());
        let (project_id, item_id, on_sent) = (props.project_id.clone(), props.item_id.clone(), props.on_sent.clone());
        Callback::from(move |()| {
            if *busy {
                return;
            }
            let body = text.trim().to_string();
            if body.is_empty() {
                error.set(Some("Describe the problem, so the coordinators can fix it.".into()));
                if let Some(area) = text_ref.cast::<web_sys::Element>() {
                    dom::focus(&area);
                }
                return;
            }
            let (item, guideline) = match *target {
                Target::Item => (item_id.clone(), None),
                Target::Guideline => (None, (*section).clone()),
            };
            if item.is_none() && guideline.is_none() {
                error.set(Some("Choose the item or a guideline section.".into()));
                return;
            }
            let what = match (&item, &guideline) {
                (Some(item), _) => format!("item {item}"),
                (None, Some(anchor)) => format!("guideline section {anchor}"),
                (None, None) => String::new(),
            };
            let request = FlagRequest { item_id: item, guideline, reason: *reason, text: body };
            busy.set(true);
            let (error, busy, on_sent, project_id) = (error.clone(), busy.clone(), on_sent.clone(), project_id.clone());
            spawn_local(async move {
                match api_client::flag(&project_id, &request).await {
                    Ok(_) => on_sent.emit(format!("Flag on {what} sent to the coordinators.")),
                    Err(failure) => {
                        error.set(Some(format!("Not sent: {}", failure.message)));
                        busy.set(false);
                    }
                }
            });
        })
    };
    let onsubmit = submit.reform(|event: SubmitEvent| event.prevent_default());
    // Enter makes a new line in the description; Ctrl+Enter sends, as in most editors.
    let on_text_keydown = {
        let submit = submit.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" && (event.ctrl_key() || event.meta_key()) {
                event.prevent_default();
                submit.emit(());
            }
        })
    };
    let on_text = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| text.set(event.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let on_section = {
        let section = section.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            section.set((!value.is_empty()).then_some(value));
        })
    };
    let target_radio = |value: Target, label: String, id: &'static str, first: bool| {
        let target_handle = target.clone();
        html! {
            <label class="radio" for={id}>
                <input type="radio" name="flag-target" id={id} checked={*target == value}
                    ref={if first { first_ref.clone() } else { Default::default() }}
                    onchange={Callback::from(move |_: Event| target_handle.set(value))} />
                { label }
            </label>
        }
    };
    let item_choice = props
        .item_id
        .as_ref()
        .map(|item| target_radio(Target::Item, format!("This item ({item})"), "flag-target-item", true));
    let guideline_choice = (!sections.is_empty()).then(|| {
        target_radio(
            Target::Guideline,
            "A guideline section".to_string(),
            "flag-target-guideline",
            item_choice.is_none(),
        )
    });
    let close = props.on_close.reform(|_: MouseEvent| ());
    let selected_section = (*section).clone().unwrap_or_default();

    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="flag-title"
            onkeydown={escape_closes(&props.on_close)}>
            <form class="overlay-card dialog" id="flag-dialog" {onsubmit} novalidate=true>
                <h2 id="flag-title">{ "Flag a problem" }</h2>
                <fieldset>
                    <legend>{ "About" }</legend>
                    { for item_choice }
                    { for guideline_choice }
                    if *target == Target::Guideline {
                        <select id="flag-section" aria-label="guideline section" onchange={on_section}>
                            { for sections.iter().map(|s| html! {
                                <option value={s.anchor.clone()} selected={s.anchor == selected_section}>
                                    { format!("{}{}", "· ".repeat(usize::from(s.level.saturating_sub(1))), s.title) }
                                </option>
                            }) }
                        </select>
                    }
                </fieldset>
                <fieldset>
                    <legend>{ "Problem" }</legend>
                    { for REASONS.iter().map(|&(value, label)| {
                        let reason_handle = reason.clone();
                        let id = format!("flag-reason-{}", value.as_str());
                        html! {
                            <label class="radio" for={id.clone()}>
                                <input type="radio" name="flag-reason" id={id} value={value.as_str()}
                                    checked={*reason == value}
                                    onchange={Callback::from(move |_: Event| reason_handle.set(value))} />
                                { label }
                            </label>
                        }
                    }) }
                </fieldset>
                <label for="flag-text">{ "What is wrong" }</label>
                <textarea id="flag-text" ref={text_ref} rows="4" value={(*text).clone()} oninput={on_text}
                    onkeydown={on_text_keydown} aria-invalid={error.is_some().to_string()}
                    aria-describedby="flag-error" />
                <p id="flag-error" class="form-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
                <div class="dialog-actions">
                    <button type="submit" class="primary" disabled={*busy} aria-busy={busy.to_string()}>
                        { if *busy { "Sending…" } else { "Send flag" } }
                    </button>
                    <button type="button" onclick={close}>{ "Cancel" }</button>
                </div>
            </form>
        </div>
    }
}
