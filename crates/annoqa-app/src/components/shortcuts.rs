use std::rc::Rc;

use annoqa_core::{ControlKind, MediaKind, TaskSpec};
use yew::{component, html, use_effect_with, use_node_ref, Callback, Html, MouseEvent, Properties};

use crate::dom;

#[derive(Properties, PartialEq)]
pub struct ShortcutsHelpProps {
    pub spec: Option<Rc<TaskSpec>>,
    pub on_close: Callback<()>,
}

/// The image workspace's keys (core's `IMAGE_WORKSPACE_KEYS` keeps label hotkeys off them).
const IMAGE_KEYS: [(&str, &str); 15] = [
    ("V", "Select and move tool (drag a region or a handle; drag empty space to pan)"),
    ("R", "Rectangle tool: drag, or click two opposite corners"),
    ("P", "Polygon tool: click points; Enter or double-click closes; Backspace drops the last point"),
    ("K", "Keypoint tool: click"),
    ("Insert", "Add a shape of the active tool in the middle of the view (then arrows, Alt+arrows)"),
    ("Escape", "Cancel the shape being drawn"),
    ("Arrows", "Move the selected region 1 px (Shift: 10 px); with nothing selected, pan"),
    ("Alt+Arrows", "Resize the selected region"),
    ("[ / ]", "Rotate the selected box 1° (Shift: 15°)"),
    ("+ / -", "Zoom in / out about the pointer (the wheel too)"),
    ("Home", "Fit the image"),
    ("End", "100 %: one image pixel per screen pixel"),
    ("Space+drag", "Pan (the middle button too)"),
    ("Up / Down in the region list", "Select the previous / next region"),
    ("Tab", "Move focus (tool bar, canvas, region list)"),
];

/// The keyboard shortcuts, toggled with `?`.
#[component]
pub fn ShortcutsHelp(props: &ShortcutsHelpProps) -> Html {
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(spec) = &props.spec {
        for control in &spec.controls {
            for label in &control.labels {
                let Some(key) = &label.hotkey else { continue };
                let what = match control.kind {
                    ControlKind::TextSpans { .. } => {
                        format!("Label {}: the selection, or every selection after it", label.value)
                    }
                    ControlKind::Choice { .. } => format!("Choose {}", label.value),
                    ControlKind::BBox | ControlKind::Polygon | ControlKind::Keypoint => {
                        format!("Label {}: the selected region, and every shape drawn after it", label.value)
                    }
                    _ => continue,
                };
                rows.push((key.clone(), what));
            }
        }
    }
    if props.spec.as_ref().is_some_and(|s| s.media == MediaKind::Image) {
        rows.extend(IMAGE_KEYS.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    }
    let general = [
        ("Enter", "Submit; after feedback, next item"),
        ("Escape", "Clear the selection and the active label"),
        ("Delete / Backspace", "Remove the selected region"),
        ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo (Ctrl+Y redoes too)"),
        ("Shift+S", "Skip the item, with a reason"),
        ("Shift+F", "Flag the item or a guideline section (unclear, wrong gold, bad media)"),
        ("?", "Show or hide this help"),
    ];
    rows.extend(general.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    html! { <KeysDialog title="Keyboard shortcuts" rows={Rc::new(rows)} on_close={props.on_close.clone()} /> }
}

#[derive(Properties, PartialEq)]
pub struct KeysDialogProps {
    pub title: &'static str,
    /// Key, what it does.
    pub rows: Rc<Vec<(String, String)>>,
    pub on_close: Callback<()>,
}

/// A screen's keys in a modal dialog; focus moves to its Close button when it opens.
#[component]
pub fn KeysDialog(props: &KeysDialogProps) -> Html {
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
                <h2 id="shortcuts-title">{ props.title }</h2>
                <table class="shortcuts">
                    <tbody>
                        { for props.rows.iter().map(|(key, what)| html! {
                            <tr><td><kbd>{ key.clone() }</kbd></td><td>{ what.clone() }</td></tr>
                        }) }
                    </tbody>
                </table>
                <button type="button" class="primary" ref={close_ref} onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}
