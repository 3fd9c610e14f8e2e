//! Mounting Yew output into the test page and finding text in it.

use std::time::Duration;

use annoqa_app::selection::text_nodes;
use web_sys::{Document, Element, Node, Text};
use yew::{component, Html, Properties};

pub fn document() -> Document {
    web_sys::window().and_then(|w| w.document()).expect("a browser document")
}

/// A fresh, attached `<div>` to render into.
pub fn fresh_root() -> Element {
    let document = document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root
}

#[derive(Properties, PartialEq)]
pub struct StaticHtmlProps {
    pub html: Html,
}

/// Renders a prepared node tree as it is.
#[component]
pub fn StaticHtml(props: &StaticHtmlProps) -> Html {
    props.html.clone()
}

/// Renders `html` into a fresh root and waits until Yew has written it to the DOM.
pub async fn mount(html: Html) -> Element {
    let root = fresh_root();
    yew::Renderer::<StaticHtml>::with_root_and_props(root.clone(), StaticHtmlProps { html }).render();
    // Yew renders from a scheduled task; one timer tick lets it finish.
    yew::platform::time::sleep(Duration::from_millis(0)).await;
    root
}

/// The DOM point of UTF-16 position `utf16` of `container`'s text, found the way JavaScript
/// sees it (`String.length` of each node), independently of the code under test. At a boundary
/// between two text nodes the point is the start of the later node, or with `at_end` the end
/// of the earlier one: browsers produce both.
pub fn locate(container: &Node, utf16: u32, at_end: bool) -> (Text, u32) {
    let nodes = text_nodes(container);
    let mut before = 0;
    for (i, node) in nodes.iter().enumerate() {
        let length = js_sys::JsString::from(node.data()).length();
        let inside = if at_end && utf16 > 0 { utf16 <= before + length } else { utf16 < before + length };
        if inside || (i + 1 == nodes.len() && utf16 == before + length) {
            return (node.clone(), utf16 - before);
        }
        before += length;
    }
    panic!("position {utf16} is past the text")
}

/// UTF-16 offsets of the first occurrence of `needle` in `haystack`, per JavaScript.
pub fn js_find(haystack: &str, needle: &str) -> (u32, u32) {
    let haystack = js_sys::JsString::from(haystack);
    let needle_js = js_sys::JsString::from(needle);
    let start = haystack.index_of(needle, 0);
    assert!(start >= 0, "{needle:?} not in the text");
    (start as u32, start as u32 + needle_js.length())
}

/// Scalar offsets of the first occurrence of `needle` in `haystack`, per Rust.
pub fn scalar_find(haystack: &str, needle: &str) -> (usize, usize) {
    let byte = haystack.find(needle).expect("needle in haystack");
    let start = haystack[..byte].chars().count();
    (start, start + needle.chars().count())
}
