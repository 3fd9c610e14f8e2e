//! Guideline Markdown from a project owner never becomes live HTML in the app: parsed as the
//! server parses it (`guideline_document`), rendered as the app renders it.

use annoqa_app::markdown::render_markdown;
use annoqa_core::guidelines::{guideline_document, sections};
use wasm_bindgen_test::wasm_bindgen_test;
use yew::{html, Callback};

use crate::support::mount;

const HOSTILE: &str = r#"# Rules {#rules}

<script>window.__pwned = true</script>

Inline <img src=x onerror="window.__pwned = true"> and <b onclick="window.__pwned = true">bold</b>.

[click me](javascript:window.__pwned=true) and [also](JavaScript:alert(1)) and [data](data:text/html,<script>x</script>)

<a href="javascript:alert(1)">raw anchor</a>

![tracking pixel](https://evil.example/pixel.png "t") and ![js](javascript:alert(1))

[safe](https://example.org/guide) [mail](mailto:lead@example.org) [section](#rules)

## Rules

| a | b |
|---|---|
| `x` | <iframe src="https://evil.example"></iframe> |
"#;

#[wasm_bindgen_test]
async fn hostile_markdown_renders_as_inert_text() {
    let root =
        mount(html! { <div>{ render_markdown(&guideline_document(HOSTILE).events, &Callback::noop()) }</div> }).await;
    for tag in ["script", "img", "iframe", "b"] {
        assert_eq!(root.query_selector_all(tag).unwrap().length(), 0, "no <{tag}> element");
    }
    let all = root.query_selector_all("*").unwrap();
    for i in 0..all.length() {
        let element: web_sys::Element = wasm_bindgen::JsCast::dyn_into(all.item(i).unwrap()).unwrap();
        for attribute in ["onerror", "onclick", "src"] {
            assert!(!element.has_attribute(attribute), "<{}> has {attribute}", element.tag_name());
        }
    }
    let links = root.query_selector_all("a").unwrap();
    let mut hrefs = Vec::new();
    for i in 0..links.length() {
        let link: web_sys::Element = wasm_bindgen::JsCast::dyn_into(links.item(i).unwrap()).unwrap();
        hrefs.push(link.get_attribute("href").unwrap_or_default());
    }
    assert_eq!(hrefs, ["https://example.org/guide", "mailto:lead@example.org", "#g-rules"]);

    // The markup is still visible, as text.
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("<script>window.__pwned = true</script>"), "{text}");
    assert!(text.contains("click me") && text.contains("tracking pixel"), "{text}");
    assert!(!text.contains("evil.example/pixel.png"), "image URLs are not shown: {text}");
    let pwned = js_sys::Reflect::get(&js_sys::global(), &"__pwned".into()).unwrap();
    assert!(pwned.is_undefined(), "no script ran");
}

#[wasm_bindgen_test]
async fn heading_ids_match_the_sections_core_reports() {
    let markdown = "# Overview {#overview}\n\n## PERSON {#person}\n\n## Span boundaries\n\n## Span boundaries\n\n### `code` *title*\n";
    let root =
        mount(html! { <div>{ render_markdown(&guideline_document(markdown).events, &Callback::noop()) }</div> }).await;
    let headings = root.query_selector_all("h1, h2, h3").unwrap();
    let mut ids = Vec::new();
    for i in 0..headings.length() {
        let heading: web_sys::Element = wasm_bindgen::JsCast::dyn_into(headings.item(i).unwrap()).unwrap();
        ids.push(heading.id());
    }
    let expected: Vec<String> = sections(markdown).iter().map(|s| format!("g-{}", s.anchor)).collect();
    assert_eq!(ids, expected);
    assert_eq!(ids, ["g-overview", "g-person", "g-span-boundaries", "g-span-boundaries-1", "g-code-title"]);
}

#[wasm_bindgen_test]
async fn section_links_report_their_anchor_instead_of_navigating() {
    let followed = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let on_anchor = {
        let followed = followed.clone();
        Callback::from(move |anchor: String| followed.borrow_mut().push(anchor))
    };
    let root = mount(html! { <div>{ render_markdown(&guideline_document("See [edge cases](#edge-cases).").events, &on_anchor) }</div> }).await;
    let hash_before = web_sys::window().unwrap().location().hash().unwrap();
    let link: web_sys::HtmlElement =
        wasm_bindgen::JsCast::dyn_into(root.query_selector("a").unwrap().unwrap()).unwrap();
    link.click();
    assert_eq!(*followed.borrow(), ["edge-cases"]);
    assert_eq!(web_sys::window().unwrap().location().hash().unwrap(), hash_before, "the route is kept");
}
