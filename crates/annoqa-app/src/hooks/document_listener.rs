use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use web_sys::Event;
use yew::{hook, use_effect_with, use_mut_ref, Callback};

/// Calls `callback` for every `event_type` event that reaches the document.
///
/// The listener is registered once; it always calls the callback of the latest render, so the
/// callback can read the current state without re-registering on every change. It is not
/// passive: a key the page handles calls `prevent_default`, which a passive listener ignores
/// (the `M` that opens the reviewer's note dialog would otherwise be typed into it).
#[hook]
pub fn use_document_listener(event_type: &'static str, callback: Callback<Event>) {
    let latest: Rc<RefCell<Callback<Event>>> = use_mut_ref(|| callback.clone());
    *latest.borrow_mut() = callback;
    use_effect_with(event_type, move |event_type| {
        let listener = web_sys::window().and_then(|w| w.document()).map(|document| {
            EventListener::new_with_options(
                &document,
                *event_type,
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    // Clone first: the callback may re-render, and the render replaces `latest`.
                    let callback = latest.borrow().clone();
                    callback.emit(event.clone());
                },
            )
        });
        move || drop(listener)
    });
}
