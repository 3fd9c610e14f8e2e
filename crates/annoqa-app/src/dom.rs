//! Small DOM helpers shared by components.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{
    Element, EventTarget, FocusOptions, HtmlElement, HtmlImageElement, ScrollBehavior, ScrollIntoViewOptions,
    ScrollLogicalPosition,
};

/// How long the `flash` highlight stays on an element; matches the CSS animation.
const FLASH_MS: u32 = 1600;

/// Replays the `flash` highlight on `element`.
pub fn flash(element: &Element) {
    let classes = element.class_list();
    // Class-list calls only fail for invalid class names; "flash" is valid.
    let _ = classes.remove_1("flash");
    if let Some(html) = element.dyn_ref::<HtmlElement>() {
        // Reading layout restarts the CSS animation when the class is added again.
        let _ = html.offset_width();
    }
    let _ = classes.add_1("flash");
    let element = element.clone();
    Timeout::new(FLASH_MS, move || {
        let _ = element.class_list().remove_1("flash");
    })
    .forget();
}

/// Scrolls `element` to the top of its scroll container and moves keyboard focus to it.
pub fn reveal(element: &Element) {
    let options = ScrollIntoViewOptions::new();
    options.set_behavior(ScrollBehavior::Smooth);
    options.set_block(ScrollLogicalPosition::Start);
    element.scroll_into_view_with_scroll_into_view_options(&options);
    focus(element);
}

/// Moves keyboard focus to `element` without scrolling, so a smooth scroll towards it is not
/// cut short by the jump focusing would cause.
pub fn focus(element: &Element) {
    if let Some(html) = element.dyn_ref::<HtmlElement>() {
        let options = FocusOptions::new();
        options.set_prevent_scroll(true);
        // Focus fails only for elements that cannot take it; then there is nothing to do.
        let _ = html.focus_with_options(&options);
    }
}

pub fn element_by_id(id: &str) -> Option<Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

/// Whether typing into `target` is text entry, where single-key shortcuts must not fire.
pub fn is_text_entry(target: Option<&EventTarget>) -> bool {
    let Some(element) = target.and_then(|t| t.dyn_ref::<Element>()) else {
        return false;
    };
    let tag = element.tag_name().to_ascii_lowercase();
    matches!(tag.as_str(), "input" | "textarea" | "select")
        || element.dyn_ref::<HtmlElement>().is_some_and(|h| h.is_content_editable())
}

/// Whether Enter on `target` already activates it natively (a focused button or link).
pub fn activates_on_enter(target: Option<&EventTarget>) -> bool {
    let Some(element) = target.and_then(|t| t.dyn_ref::<Element>()) else {
        return false;
    };
    matches!(element.tag_name().to_ascii_lowercase().as_str(), "button" | "a" | "summary")
}

/// The load and error handlers of one image.
type ImageHandlers = Option<(Closure<dyn FnMut()>, Closure<dyn FnMut()>)>;

/// Runs `on_settled(true)` when `image` loads, `on_settled(false)` when it fails, and then
/// frees both handlers. (A one-shot handler per event would leak the one that never fires, and
/// with it whatever it holds: for the image editor, the whole scene of the item.)
pub fn on_image_settled(image: &HtmlImageElement, on_settled: impl FnOnce(bool) + 'static) {
    let handlers: Rc<RefCell<ImageHandlers>> = Rc::default();
    let on_settled = Rc::new(RefCell::new(Some(on_settled)));
    let handler = |loaded: bool| {
        let (handlers, on_settled, image) = (handlers.clone(), on_settled.clone(), image.clone());
        Closure::<dyn FnMut()>::new(move || {
            image.set_onload(None);
            image.set_onerror(None);
            let settled = on_settled.borrow_mut().take();
            if let Some(settled) = settled {
                settled(loaded);
            }
            // A closure must not be dropped while it runs: drop both on the next turn.
            let handlers = handlers.clone();
            wasm_bindgen_futures::spawn_local(async move { drop(handlers.borrow_mut().take()) });
        })
    };
    let (load, error) = (handler(true), handler(false));
    image.set_onload(Some(load.as_ref().unchecked_ref()));
    image.set_onerror(Some(error.as_ref().unchecked_ref()));
    *handlers.borrow_mut() = Some((load, error));
}
