use std::rc::Rc;

use annoqa_core::{ControlKind, TaskSpec};
use yew::{component, html, use_effect_with, use_node_ref, Callback, Html, MouseEvent, Properties};

use crate::dom;

#[derive(Properties, PartialEq)]
pub struct ShortcutsHelpProps {
    pub spec: Option<Rc<TaskSpec>>,
    pub on_close: Callback<()>,
}

/// The keyboard shortcuts, toggled with `?`.
#[component]
pub fn ShortcutsHelp(props: &ShortcutsHelpProps) -> Html {
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(spec) = &props.spec {
        for control in &spec.controls {
            let spans = match control.kind {
                ControlKind::TextSpans { .. } => true,
                ControlKind::Choice { .. } => false,
                _ => continue,
            };
            for label in &control.labels {
                let Some(key) = &label.hotkey else { continue };
                let what = if spans {
                    format!("Label {}: the selection, or every selection after it", label.value)
                } else {
                    format!("Choose {}", label.value)
                };
                rows.push((key.clone(), what));
            }
        }
    }
    let general = [
        ("Enter", "Submit; after feedback, next item"),
        ("Escape", "Clear the selection and the active label"),
        ("Delete / Backspace", "Remove the selected span"),
        ("Shift+S", "Skip the item, with a reason"),
        ("Shift+F", "Flag the item or a guideline section (unclear, wrong gold, bad media)"),
        ("?", "Show or hide this help"),
    ];
    rows.extend(general.iter().map(|(k, v)| (k.to_string(), v.to_string())));

    // Keyboard focus moves into the dialog when it opens.
    let close_ref = use_node_ref();
    {
        let close_ref = close_ref.clone();
        use_effect_with((), move |_| {
            if let Some(button) = close_ref.cast::<web_sys::Element>() {
                dom::focus(&button);
            }
        });
    }
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title">
            <div class="overlay-card" id="shortcuts-help">
                <h2 id="shortcuts-title">{ "Keyboard shortcuts" }</h2>
                <table class="shortcuts">
                    <tbody>
                        { for rows.into_iter().map(|(key, what)| html! {
                            <tr><td><kbd>{ key }</kbd></td><td>{ what }</td></tr>
                        }) }
                    </tbody>
                </table>
                <button type="button" class="primary" ref={close_ref} onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}
