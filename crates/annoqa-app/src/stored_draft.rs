//! This browser's copy of unsent work: one local-storage entry per project and item, kept from
//! the first edit until the server confirms the submission, so a reload, a crash or a failed
//! submit loses nothing the annotator drew.

use annoqa_core::Region;

/// The storage key of an item's draft; ids are JSON-quoted so no pair of ids shares a key.
fn key(project: &str, item: &str) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!("annoqa.draft:{}:{}", quote(project), quote(item))
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The stored draft of an item, if this browser kept one (an unreadable entry is dropped).
pub fn load(project: &str, item: &str) -> Option<Vec<Region>> {
    let storage = storage()?;
    let key = key(project, item);
    let text = storage.get_item(&key).ok().flatten()?;
    match serde_json::from_str(&text) {
        Ok(regions) => Some(regions),
        Err(_) => {
            let _ = storage.remove_item(&key);
            None
        }
    }
}

/// Keeps `regions` as the item's draft. Fails when storage is off or full; the caller says so.
pub fn save(project: &str, item: &str, regions: &[Region]) -> Result<(), String> {
    let storage = storage().ok_or("this browser keeps no local storage")?;
    let text = serde_json::to_string(regions).map_err(|e| e.to_string())?;
    storage
        .set_item(&key(project, item), &text)
        .map_err(|_| format!("the draft ({} KB) does not fit in this browser's storage", text.len() / 1024))
}

/// Drops the item's draft once the server has stored the submission.
pub fn forget(project: &str, item: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&key(project, item));
    }
}
