//! The page's keyboard shortcuts.

use std::cell::RefCell;
use std::rc::Rc;

use annoqa_core::TaskSpec;
use wasm_bindgen::JsCast;
use web_sys::{Event, KeyboardEvent};
use yew::{Callback, UseReducerDispatcher};

use super::Dialog;
use crate::dom;
use crate::selection::clear_dom_selection;
use crate::state::{hotkey_target, Action, AnnotatorState, HotkeyTarget};

pub(super) struct KeyContext {
    pub(super) dispatcher: UseReducerDispatcher<AnnotatorState>,
    pub(super) spec: Option<Rc<TaskSpec>>,
    pub(super) help_open: yew::UseStateHandle<bool>,
    pub(super) dialog: yew::UseStateHandle<Option<Dialog>>,
    pub(super) armed: Rc<RefCell<Option<Dialog>>>,
    /// An item is on screen and not submitted yet.
    pub(super) can_skip: bool,
    pub(super) on_submit: Callback<bool>,
}

/// The page's keyboard shortcuts. They stay out of the way of text entry, of modified keys
/// (Ctrl+C must copy) and of Enter on a focused button or link, which activates it natively.
pub(super) fn on_keydown(cx: KeyContext) -> Callback<Event> {
    Callback::from(move |event: Event| {
        let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
            return;
        };
        let target = event.target();
        // Undo and redo, except where the browser's own text undo belongs.
        let undo_key = (event.ctrl_key() || event.meta_key()) && !event.alt_key();
        if undo_key && cx.dialog.is_none() && !dom::is_text_entry(target.as_ref()) {
            let key = event.key().to_ascii_lowercase();
            let action = match key.as_str() {
                "z" if event.shift_key() => Some(Action::Redo),
                "z" => Some(Action::Undo),
                "y" => Some(Action::Redo),
                _ => None,
            };
            if let Some(action) = action {
                event.prevent_default();
                cx.dispatcher.dispatch(action);
                return;
            }
        }
        if event.default_prevented()
            || event.ctrl_key()
            || event.meta_key()
            || event.alt_key()
            || dom::is_text_entry(target.as_ref())
        {
            return;
        }
        // A dialog takes the keyboard; it closes itself on Escape.
        if cx.dialog.is_some() {
            return;
        }
        let key = event.key();
        // Shift+letter, so the task's own single-letter hotkeys stay free (they match either
        // case only without Shift, e.g. under Caps Lock).
        let shifted = |letter: &str| event.shift_key() && key.eq_ignore_ascii_case(letter);
        let handled = match key.as_str() {
            _ if shifted("s") && cx.can_skip => {
                *cx.armed.borrow_mut() = Some(Dialog::Skip);
                true
            }
            _ if shifted("f") => {
                *cx.armed.borrow_mut() = Some(Dialog::Flag);
                true
            }
            "?" => {
                cx.help_open.set(!*cx.help_open);
                true
            }
            "Escape" if *cx.help_open => {
                cx.help_open.set(false);
                true
            }
            "Escape" => {
                clear_dom_selection();
                cx.dispatcher.dispatch(Action::ClearSelection);
                true
            }
            "Enter" if dom::activates_on_enter(target.as_ref()) || event.repeat() => false,
            "Enter" => {
                cx.on_submit.emit(false);
                true
            }
            "Delete" | "Backspace" => {
                cx.dispatcher.dispatch(Action::RemoveSelectedRegion);
                true
            }
            _ => match cx.spec.as_deref().and_then(|spec| hotkey_target(spec, &key)) {
                Some(HotkeyTarget::SpanLabel(label)) => {
                    cx.dispatcher.dispatch(Action::ActivateLabel(label));
                    true
                }
                Some(HotkeyTarget::Choice { control, label, multiple }) => {
                    cx.dispatcher.dispatch(Action::ToggleChoice { control, label, multiple });
                    true
                }
                None => false,
            },
        };
        if handled {
            event.prevent_default();
        }
    })
}
