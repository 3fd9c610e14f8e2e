use yew::{component, html, AttrValue, Callback, Html, MouseEvent, NodeRef, Properties};

use crate::spans::{render_span_text, SpanMark};

#[derive(Properties, PartialEq)]
pub struct ItemTextProps {
    pub text: AttrValue,
    /// The spans to mark, plus the pending selection (a mark without region).
    pub marks: Vec<SpanMark>,
    pub node_ref: NodeRef,
    pub onmouseup: Callback<MouseEvent>,
}

/// The item text, `#item-text`. Its only text nodes are the text itself, so selection offsets
/// inside it are text offsets (see `crate::selection`).
#[component]
pub fn ItemText(props: &ItemTextProps) -> Html {
    html! {
        <div id="item-text" ref={props.node_ref.clone()} dir="auto" tabindex="0"
            aria-label="item text: select words to label them"
            onmouseup={props.onmouseup.clone()}>
            { render_span_text(&props.text, &props.marks) }
        </div>
    }
}
