use web_sys::Storage;
use yew::{hook, use_state, Callback};

fn storage() -> Option<Storage> {
    // Storage is unavailable in some private modes; the value then lasts for the page only.
    web_sys::window()?.local_storage().ok()?
}

/// A string remembered in `localStorage` under `key`: the stored value (or `default`) and a
/// setter that stores a new one.
#[hook]
pub fn use_local_storage(key: &'static str, default: &'static str) -> (String, Callback<String>) {
    let value =
        use_state(|| storage().and_then(|s| s.get_item(key).ok().flatten()).unwrap_or_else(|| default.to_string()));
    let set = {
        let value = value.clone();
        Callback::from(move |next: String| {
            if let Some(storage) = storage() {
                // A full or blocked storage only costs remembering the value across reloads.
                let _ = storage.set_item(key, &next);
            }
            value.set(next);
        })
    };
    ((*value).clone(), set)
}
