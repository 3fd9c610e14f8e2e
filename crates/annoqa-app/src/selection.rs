//! From a browser text selection to a span in annoqa's offsets.
//!
//! The DOM counts in UTF-16 code units per text node; annoqa counts Unicode scalar values over
//! the whole item text (see `annoqa_core::text`). The item text is rendered so that the only
//! text nodes inside its container are the text itself (label chips are CSS, not text), so the
//! offset of a point is the summed length of the text nodes before it, plus the offset within
//! its own node.

use annoqa_core::text::{is_edge_space, scalar_from_utf16, utf16_from_scalar};
use wasm_bindgen::JsCast;
use web_sys::{Node, Range, Selection, Text};

/// A non-empty span of the item text in scalar offsets, half-open `[start, end)`, with no white
/// space at either edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextSelection {
    pub start: usize,
    pub end: usize,
}

/// The part of `container`'s text that `selection` covers, or `None` when the selection is
/// collapsed, lies outside the container or covers only white space. A selection reaching
/// beyond the container is cut at its edges.
pub fn selection_offsets(container: &Node, selection: &Selection) -> Option<TextSelection> {
    if selection.range_count() == 0 || selection.is_collapsed() {
        return None;
    }
    let range = selection.get_range_at(0).ok()?;
    range_offsets(container, &range)
}

/// Like [`selection_offsets`] for one DOM range.
pub fn range_offsets(container: &Node, range: &Range) -> Option<TextSelection> {
    let texts = text_nodes(container);
    let text: String = texts.iter().map(|t| t.data()).collect();
    let start = boundary_utf16(container, &texts, &range.start_container().ok()?, range.start_offset().ok()?)?;
    let end = boundary_utf16(container, &texts, &range.end_container().ok()?, range.end_offset().ok()?)?;
    selection_from_utf16(&text, start, end)
}

/// The trimmed scalar span of the UTF-16 range `[start16, end16)` of `text`.
///
/// An end that splits a surrogate pair is moved past the character, a start that splits one is
/// moved before it, so a half-selected emoji is included rather than dropped. White space at
/// either edge is trimmed: browsers select the space after a double-clicked word.
pub fn selection_from_utf16(text: &str, start16: usize, end16: usize) -> Option<TextSelection> {
    let (start16, end16) = (start16.min(end16), start16.max(end16));
    let mut start = scalar_from_utf16(text, start16)?;
    let mut end = scalar_from_utf16(text, end16)?;
    if utf16_from_scalar(text, end) != Some(end16) {
        end += 1;
    }
    let chars: Vec<char> = text.chars().collect();
    while start < end && chars.get(start).is_some_and(|c| is_edge_space(*c)) {
        start += 1;
    }
    while end > start && chars.get(end - 1).is_some_and(|c| is_edge_space(*c)) {
        end -= 1;
    }
    (start < end).then_some(TextSelection { start, end })
}

/// The text nodes under `root`, in document order.
pub fn text_nodes(root: &Node) -> Vec<Text> {
    fn walk(node: &Node, out: &mut Vec<Text>) {
        let children = node.child_nodes();
        for i in 0..children.length() {
            let Some(child) = children.item(i) else {
                continue;
            };
            if child.node_type() == Node::TEXT_NODE {
                if let Ok(text) = child.dyn_into::<Text>() {
                    out.push(text);
                }
            } else {
                walk(&child, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out
}

/// UTF-16 offset within `container`'s text of the DOM boundary point `(node, offset)`.
fn boundary_utf16(container: &Node, texts: &[Text], node: &Node, offset: u32) -> Option<usize> {
    let total: usize = texts.iter().map(|t| t.length() as usize).sum();
    let point = container.owner_document()?.create_range().ok()?;
    point.set_start(node, offset).ok()?;
    point.collapse_with_to_start(true);

    if !container.contains(Some(node)) {
        // Outside the container: the point is before all of its text or after all of it.
        // `compare_point` is 1 when the container's start comes after the point.
        return Some(if point.compare_point(container, 0).ok()? > 0 { 0 } else { total });
    }
    let mut before = 0;
    for text in texts {
        let text_node: &Node = text;
        if text_node == node {
            return Some(before + offset as usize);
        }
        let length = text.length();
        // A text node that ends at or before the point lies wholly before it; the first one
        // that does not is after the point (the point is not inside it, or it would be `node`).
        match point.compare_point(text_node, length) {
            Ok(position) if position <= 0 => before += length as usize,
            _ => break,
        }
    }
    Some(before)
}

/// Removes the browser's selection highlight (after the selection became a span).
pub fn clear_dom_selection() {
    if let Some(selection) = web_sys::window().and_then(|w| w.get_selection().ok().flatten()) {
        // Failing to clear only leaves a stale highlight; nothing to recover.
        let _ = selection.remove_all_ranges();
    }
}

/// The current selection's span within `container`, if it touches the container at all.
pub fn current_selection(container: &Node) -> Option<TextSelection> {
    let selection = web_sys::window()?.get_selection().ok()??;
    selection_offsets(container, &selection)
}
