//! The keys of a page without a reducer of its own for them (the inbox, the quality page, a
//! note on its item): `?` shows them in a dialog and Escape closes it; any other key pressed
//! outside a text field, without Ctrl, Alt or Meta, goes to the page while the dialog is closed.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Event, KeyboardEvent};
use yew::{hook, html, use_state, Callback, Html};

use super::KeysDialog;
use crate::dom;
use crate::hooks::use_document_listener;

/// Listens for the page's keys; returns the help dialog to render (nothing while closed).
#[hook]
pub fn use_page_keys(
    title: &'static str,
    keys: &'static [(&'static str, &'static str)],
    on_key: Callback<KeyboardEvent>,
) -> Html {
    let help = use_state(|| false);
    let listener = {
        let help = help.clone();
        Callback::from(move |event: Event| {
            let Some(key) = event.dyn_ref::<KeyboardEvent>() else { return };
            if key.ctrl_key() || key.meta_key() || key.alt_key() || dom::is_text_entry(key.target().as_ref()) {
                return;
            }
            match key.key().as_str() {
                "?" => {
                    key.prevent_default();
                    help.set(!*help);
                }
                "Escape" if *help => {
                    key.prevent_default();
                    help.set(false);
                }
                // The dialog is modal: the page's keys wait until it closes.
                _ if *help => {}
                _ => on_key.emit(key.clone()),
            }
        })
    };
    use_document_listener("keydown", listener);
    if !*help {
        return html! {};
    }
    let rows = Rc::new(keys.iter().map(|(k, what)| (k.to_string(), what.to_string())).collect::<Vec<_>>());
    let close = Callback::from(move |()| help.set(false));
    html! { <KeysDialog title={title} rows={rows} on_close={close} /> }
}
