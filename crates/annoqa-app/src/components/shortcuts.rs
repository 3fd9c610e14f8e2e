use std::rc::Rc;

use annoqa_core::{ControlKind, TaskSpec};
use yew::{component, html, Callback, Html, MouseEvent, Properties};

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
            let verb = match control.kind {
                ControlKind::TextSpans { .. } => "Label the selection (or make it the active label):",
                ControlKind::Choice { .. } => "Choose",
                _ => continue,
            };
            for label in &control.labels {
                if let Some(key) = &label.hotkey {
                    rows.push((key.clone(), format!("{verb} {}", label.value)));
                }
            }
        }
    }
    let general = [
        ("Enter", "Submit; after feedback, next item"),
        ("Escape", "Clear the selection and the active label"),
        ("Delete / Backspace", "Remove the selected span"),
        ("?", "Show or hide this help"),
    ];
    rows.extend(general.iter().map(|(k, v)| (k.to_string(), v.to_string())));

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
                <button type="button" class="primary" onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}
