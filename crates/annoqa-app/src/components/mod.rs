//! The app's components, one file each. [`App`] is the root.

mod annotator;
mod app;
pub(crate) mod controls;
pub(crate) mod findings;
mod flag_dialog;
pub(crate) mod gold_report;
mod guidelines;
mod image_editor;
mod inbox;
mod item_text;
mod login;
mod page_keys;
mod project_list;
mod shortcuts;
mod skip_dialog;
mod span_list;

pub use annotator::{AnnotatorPage, TextFix};
pub use app::{App, AppProps, Auth, AuthAction, ReviewScreens};
pub use controls::Controls;
pub use findings::FindingsPanel;
pub use flag_dialog::FlagDialog;
pub use gold_report::GoldReportView;
pub use guidelines::{GuidelineFocus, GuidelinesPanel};
#[cfg(feature = "bench")]
pub use image_editor::bench as image_bench;
pub use image_editor::{Agreement, ImageView, ImageViewProps};
pub use inbox::InboxPage;
pub use item_text::ItemText;
pub use login::{login_error_message, LoginPage};
pub use page_keys::use_page_keys;
pub use project_list::ProjectList;
pub use shortcuts::{KeysDialog, ShortcutsHelp};
pub use skip_dialog::SkipDialog;
pub use span_list::SpanList;

use yew::{html, Callback, Html, MouseEvent};

/// A link-styled button that opens guideline section `anchor`.
pub(crate) fn guideline_link(anchor: &str, on_guideline: &Callback<String>, text: &str) -> Html {
    let on_guideline = on_guideline.clone();
    let target = anchor.to_string();
    html! {
        <button type="button" class="guideline-link" data-guideline={anchor.to_string()}
            onmousedown={keep_focus()}
            onclick={Callback::from(move |_: MouseEvent| on_guideline.emit(target.clone()))}>
            { text.to_string() }
        </button>
    }
}

/// For `onmousedown` on task buttons: a mouse click does not move keyboard focus, so Enter
/// and the hotkeys keep working for the task instead of re-activating the clicked button.
pub(crate) fn keep_focus() -> Callback<MouseEvent> {
    Callback::from(|event: MouseEvent| event.prevent_default())
}
