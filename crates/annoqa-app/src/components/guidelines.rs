use std::rc::Rc;

use annoqa_core::guidelines::GuidelineDocument;
use yew::{classes, component, html, use_effect_with, Callback, Html, MouseEvent, Properties};

use super::keep_focus;
use crate::dom;
use crate::markdown::{section_id, MarkdownView};

/// A request to show guideline section `anchor`. `nonce` changes on every request, so asking
/// for the same section twice scrolls and flashes it twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuidelineFocus {
    pub anchor: String,
    pub nonce: u32,
}

#[derive(Properties, PartialEq)]
pub struct GuidelinesPanelProps {
    pub document: Rc<GuidelineDocument>,
    pub open: bool,
    pub focus: Option<GuidelineFocus>,
    pub on_toggle: Callback<()>,
    /// An in-document link was followed.
    pub on_anchor: Callback<String>,
}

/// The project's guidelines beside the task, collapsible.
#[component]
pub fn GuidelinesPanel(props: &GuidelinesPanelProps) -> Html {
    use_effect_with(props.focus.clone(), |focus| {
        if let Some(element) = focus.as_ref().and_then(|f| dom::element_by_id(&section_id(&f.anchor))) {
            dom::reveal(&element);
            dom::flash(&element);
        }
    });
    let on_toggle = props.on_toggle.clone();
    html! {
        <aside id="guidelines" class={classes!("guidelines-panel", props.open.then_some("open"))}
            aria-label="guidelines">
            <header class="guidelines-header">
                <h2>{ "Guidelines" }</h2>
                <button type="button" class="guidelines-toggle" aria-expanded={props.open.to_string()}
                    aria-controls="guidelines-body" onmousedown={keep_focus()}
                    onclick={Callback::from(move |_: MouseEvent| on_toggle.emit(()))}>
                    { if props.open { "Hide" } else { "Show" } }
                </button>
            </header>
            <div id="guidelines-body" class="guidelines-body" hidden={!props.open}>
                <MarkdownView document={props.document.clone()} on_anchor={props.on_anchor.clone()} />
            </div>
        </aside>
    }
}
