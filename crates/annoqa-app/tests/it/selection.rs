//! DOM selections inside the rendered item text map to the right scalar offsets, whatever
//! the script, and however the browser expresses the selection's boundary points.

use annoqa_app::selection::{selection_offsets, text_nodes, TextSelection};
use annoqa_app::spans::{render_span_text, SpanMark};
use annoqa_core::text::scalar_len;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Element, Node, Selection};
use yew::html;

use crate::support::{document, js_find, locate, mount, scalar_find};

/// An emoji ZWJ sequence, a combining accent, Arabic and Hebrew, and an emoji outside the BMP.
const TEXT: &str = "Zoë 👩🏽‍🔬 met Jose\u{301} in القاهرة and תל אביב 😀!";

fn mark(region: &str, label: &str, needle: &str) -> SpanMark {
    let (start, end) = scalar_find(TEXT, needle);
    SpanMark { region: Some(region.into()), start, end, label: label.into(), color: None, classes: Default::default() }
}

/// The item text as the app renders it, with spans that cut it into many text nodes,
/// including two overlapping ones.
async fn item_text() -> Element {
    let marks = vec![
        mark("r1", "PERSON", "Zoë"),
        mark("r2", "ORG", "Jose\u{301} in القاهرة"),
        mark("r3", "PLACE", "القاهرة and תל"),
        mark("r4", "EMOJI", "😀"),
    ];
    let root = mount(html! { <div class="item-text-under-test">{ render_span_text(TEXT, &marks) }</div> }).await;
    root.first_element_child().expect("the rendered container")
}

fn select(container: &Node, (start, end): (u32, u32), at_end: bool) -> Selection {
    let (start_node, start_offset) = locate(container, start, at_end);
    let (end_node, end_offset) = locate(container, end, at_end);
    let range = document().create_range().unwrap();
    range.set_start(&start_node, start_offset).unwrap();
    range.set_end(&end_node, end_offset).unwrap();
    select_range(&range)
}

fn select_range(range: &web_sys::Range) -> Selection {
    let selection = web_sys::window().unwrap().get_selection().unwrap().unwrap();
    selection.remove_all_ranges().unwrap();
    selection.add_range(range).unwrap();
    selection
}

fn expect(needle: &str) -> Option<TextSelection> {
    let (start, end) = scalar_find(TEXT, needle);
    Some(TextSelection { start, end })
}

#[wasm_bindgen_test]
async fn rendering_keeps_the_text_as_the_only_text_nodes_and_nests_overlaps() {
    let container = item_text().await;
    let texts: String = text_nodes(&container).iter().map(|t| t.data()).collect();
    assert_eq!(texts, TEXT);
    assert!(text_nodes(&container).len() > 5, "the spans cut the text into several nodes");
    let nested = container.query_selector("mark.span[data-label=ORG] mark.span[data-label=PLACE]").unwrap();
    assert!(nested.is_some(), "the overlap is drawn as nested marks");
    // Each span shows one label chip: only its last piece carries `span-end`.
    assert_eq!(container.query_selector_all("mark.span-end[data-region=r3]").unwrap().length(), 1);
}

#[wasm_bindgen_test]
async fn selections_map_to_scalar_offsets_in_every_script() {
    let container = item_text().await;
    for needle in ["القاهرة", "תל אביב", "Jose\u{301}", "👩🏽‍🔬", "😀", "Zoë", "met Jose\u{301} in القاهرة and"]
    {
        for at_end in [false, true] {
            let selection = select(&container, js_find(TEXT, needle), at_end);
            assert_eq!(selection_offsets(&container, &selection), expect(needle), "{needle:?}, at_end={at_end}");
        }
    }
}

#[wasm_bindgen_test]
async fn selections_are_trimmed_and_widened_to_whole_characters() {
    let container = item_text().await;
    // A double-click selects the word and the space after it.
    let selection = select(&container, js_find(TEXT, "תל אביב "), false);
    assert_eq!(selection_offsets(&container, &selection), expect("תל אביב"));
    let selection = select(&container, js_find(TEXT, " met "), false);
    assert_eq!(selection_offsets(&container, &selection), expect("met"));
    // Half of a surrogate pair selects the whole emoji.
    let (start, _) = js_find(TEXT, "😀");
    let selection = select(&container, (start, start + 1), false);
    assert_eq!(selection_offsets(&container, &selection), expect("😀"));
    // Only white space, or nothing at all: no span.
    let selection = select(&container, js_find(TEXT, " "), false);
    assert_eq!(selection_offsets(&container, &selection), None);
    let selection = select(&container, (5, 5), false);
    assert_eq!(selection_offsets(&container, &selection), None);
}

#[wasm_bindgen_test]
async fn element_boundaries_and_selections_reaching_outside_are_handled() {
    let container = item_text().await;
    let range = document().create_range().unwrap();
    range.set_start(&container, 0).unwrap();
    range.set_end(&container, container.child_nodes().length()).unwrap();
    let selection = select_range(&range);
    assert_eq!(selection_offsets(&container, &selection), Some(TextSelection { start: 0, end: scalar_len(TEXT) }));

    // From a paragraph before the item text into the middle of it: cut at the text's start.
    let before = document().create_element("p").unwrap();
    before.set_text_content(Some("outside"));
    container.parent_node().unwrap().insert_before(&before, Some(&container)).unwrap();
    let (end_node, end_offset) = locate(&container, js_find(TEXT, "Zoë").1, true);
    let range = document().create_range().unwrap();
    range.set_start(&before.first_child().unwrap(), 2).unwrap();
    range.set_end(&end_node, end_offset).unwrap();
    let selection = select_range(&range);
    assert_eq!(selection_offsets(&container, &selection), expect("Zoë"));

    // Entirely outside the item text: nothing.
    let range = document().create_range().unwrap();
    range.select_node_contents(&before).unwrap();
    let selection = select_range(&range);
    assert_eq!(selection_offsets(&container, &selection), None);
}
