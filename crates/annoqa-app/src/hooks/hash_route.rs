use gloo::events::EventListener;
use yew::{hook, use_effect_with, use_state};

use crate::route::{parse_hash, Route};

fn current_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// The page the URL hash names, following `hashchange`. A hash that is no route (an in-page
/// anchor) keeps the current page.
#[hook]
pub fn use_hash_route() -> Route {
    let route = use_state(|| parse_hash(&current_hash()).unwrap_or(Route::Projects));
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "hashchange", move |_| {
                    if let Some(next) = parse_hash(&current_hash()) {
                        route.set(next);
                    }
                })
            });
            move || drop(listener)
        });
    }
    (*route).clone()
}

/// Shows `route` (the `hashchange` listener picks it up).
pub fn navigate(route: &Route) {
    if let Some(window) = web_sys::window() {
        // Setting the hash only fails on a detached window, where there is nothing to show.
        let _ = window.location().set_hash(&route.hash());
    }
}
