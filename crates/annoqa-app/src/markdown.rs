//! Guideline Markdown to Yew nodes.
//!
//! The server parses the Markdown (`annoqa_core::guidelines::guideline_document`) and sends its
//! events; they are walked here into virtual DOM nodes, and nothing is ever parsed as HTML by
//! the browser. Guidelines are written by project owners, not by us, so:
//! raw HTML shows as literal text, links keep only `http:`, `https:`, `mailto:` and `#…`
//! targets (anything else becomes plain text), and images show their alt text.
//! Headings get `id="g-ANCHOR"` with the anchors the server put on them, the same anchors
//! `annoqa_core::guidelines::sections` reports, so findings link to real sections.

use std::rc::Rc;

use annoqa_core::guidelines::{ColumnAlignment, GuidelineDocument, MarkdownEvent, MarkdownTag};
use web_sys::MouseEvent;
use yew::virtual_dom::{VTag, VText};
use yew::{component, html, Callback, Html, Properties};

/// The DOM id of the heading of guideline section `anchor`.
pub fn section_id(anchor: &str) -> String {
    format!("g-{anchor}")
}

/// `href` if it is a link target guidelines may use, else `None`.
pub fn safe_href(href: &str) -> Option<&str> {
    let href = href.trim();
    let lower = href.to_ascii_lowercase();
    let allowed = ["http:", "https:", "mailto:", "#"].iter().any(|scheme| lower.starts_with(scheme));
    allowed.then_some(href)
}

#[derive(Properties, PartialEq)]
pub struct MarkdownViewProps {
    pub document: Rc<GuidelineDocument>,
    /// Called with the anchor when an in-document link (`#anchor`) is followed.
    #[prop_or_default]
    pub on_anchor: Callback<String>,
}

/// Renders guideline Markdown.
#[component]
pub fn MarkdownView(props: &MarkdownViewProps) -> Html {
    let rendered = yew::use_memo((props.document.clone(), props.on_anchor.clone()), |(document, on_anchor)| {
        render_markdown(&document.events, on_anchor)
    });
    html! { <div class="markdown">{ (*rendered).clone() }</div> }
}

/// An element being built: what it becomes and the children collected so far.
struct Frame {
    kind: FrameKind,
    children: Vec<Html>,
}

enum FrameKind {
    Root,
    Element {
        name: &'static str,
        attributes: Vec<(&'static str, String)>,
    },
    Heading {
        level: u8,
        anchor: String,
    },
    Table,
    Link {
        href: Option<String>,
        title: String,
    },
    Image,
    /// Content that is not shown (metadata blocks).
    Hidden,
}

fn element(name: &'static str, attributes: Vec<(&'static str, String)>, children: Vec<Html>) -> Html {
    let mut tag = VTag::new(name);
    for (key, value) in attributes {
        // The CSP allows no `style` attributes; the style property (CSSOM) is allowed.
        if key == "style" {
            tag.add_property(key, value);
        } else {
            tag.add_attribute(key, value);
        }
    }
    tag.add_children(children);
    tag.into()
}

fn text(s: &str) -> Html {
    VText::new(s.to_string()).into()
}

fn heading_name(level: u8) -> &'static str {
    match level {
        0 | 1 => "h1",
        2 => "h2",
        3 => "h3",
        4 => "h4",
        5 => "h5",
        _ => "h6",
    }
}

fn alignment_style(alignment: Option<&ColumnAlignment>) -> Vec<(&'static str, String)> {
    let align = match alignment {
        Some(ColumnAlignment::Left) => "left",
        Some(ColumnAlignment::Center) => "center",
        Some(ColumnAlignment::Right) => "right",
        Some(ColumnAlignment::None) | None => return Vec::new(),
    };
    vec![("style", format!("text-align: {align}"))]
}

/// Walks Markdown events into nodes.
struct Renderer<'a> {
    stack: Vec<Frame>,
    table_alignments: Vec<ColumnAlignment>,
    table_cell: usize,
    in_table_head: bool,
    on_anchor: &'a Callback<String>,
}

impl Renderer<'_> {
    fn push(&mut self, node: Html) {
        if let Some(top) = self.stack.last_mut() {
            top.children.push(node);
        }
    }

    fn open(&mut self, kind: FrameKind) {
        self.stack.push(Frame { kind, children: Vec::new() });
    }

    fn open_element(&mut self, name: &'static str, attributes: Vec<(&'static str, String)>) {
        self.open(FrameKind::Element { name, attributes });
    }

    fn start(&mut self, tag: &MarkdownTag) {
        match tag {
            MarkdownTag::Paragraph => self.open_element("p", Vec::new()),
            MarkdownTag::Heading { level, anchor } => {
                self.open(FrameKind::Heading { level: *level, anchor: anchor.clone() });
            }
            MarkdownTag::BlockQuote => self.open_element("blockquote", Vec::new()),
            MarkdownTag::CodeBlock { language } => {
                let class =
                    if language.is_empty() { Vec::new() } else { vec![("class", format!("language-{language}"))] };
                // `<pre><code>`: the code frame is closed together with the `pre` in `end`.
                self.open_element("pre", Vec::new());
                self.open_element("code", class);
            }
            MarkdownTag::HtmlBlock => self.open_element("div", vec![("class", "md-raw-html".to_string())]),
            MarkdownTag::List { start: Some(start) } => self.open_element("ol", vec![("start", start.to_string())]),
            MarkdownTag::List { start: None } => self.open_element("ul", Vec::new()),
            MarkdownTag::Item => self.open_element("li", Vec::new()),
            MarkdownTag::FootnoteDefinition { name } => self
                .open_element("div", vec![("class", "md-footnote".to_string()), ("data-footnote", name.to_string())]),
            MarkdownTag::DefinitionList => self.open_element("dl", Vec::new()),
            MarkdownTag::DefinitionListTitle => self.open_element("dt", Vec::new()),
            MarkdownTag::DefinitionListDefinition => self.open_element("dd", Vec::new()),
            MarkdownTag::Table { alignments } => {
                self.table_alignments = alignments.clone();
                self.open(FrameKind::Table);
            }
            MarkdownTag::TableHead => {
                self.in_table_head = true;
                self.table_cell = 0;
                self.open_element("thead", Vec::new());
                self.open_element("tr", Vec::new());
            }
            MarkdownTag::TableRow => {
                self.table_cell = 0;
                self.open_element("tr", Vec::new());
            }
            MarkdownTag::TableCell => {
                let name = if self.in_table_head { "th" } else { "td" };
                let style = alignment_style(self.table_alignments.get(self.table_cell));
                self.table_cell += 1;
                self.open_element(name, style);
            }
            MarkdownTag::Emphasis => self.open_element("em", Vec::new()),
            MarkdownTag::Strong => self.open_element("strong", Vec::new()),
            MarkdownTag::Strikethrough => self.open_element("del", Vec::new()),
            MarkdownTag::Superscript => self.open_element("sup", Vec::new()),
            MarkdownTag::Subscript => self.open_element("sub", Vec::new()),
            MarkdownTag::Link { href, title } => {
                let href = safe_href(href).map(str::to_string);
                self.open(FrameKind::Link { href, title: title.to_string() });
            }
            MarkdownTag::Image => self.open(FrameKind::Image),
            MarkdownTag::MetadataBlock => self.open(FrameKind::Hidden),
        }
    }

    fn end(&mut self) {
        // The root frame is never closed by an event; an unbalanced `End` is ignored.
        if self.stack.len() <= 1 {
            return;
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let node = match frame.kind {
            FrameKind::Root => return,
            FrameKind::Element { name, attributes } => {
                let node = element(name, attributes, frame.children);
                match name {
                    // `<pre><code>` and `<thead><tr>` were opened as pairs; close the outer one too.
                    "code"
                        if matches!(
                            self.stack.last(),
                            Some(Frame { kind: FrameKind::Element { name: "pre", .. }, .. })
                        ) =>
                    {
                        self.push(node);
                        return self.end();
                    }
                    "tr" if self.in_table_head => {
                        self.in_table_head = false;
                        self.push(node);
                        return self.end();
                    }
                    _ => node,
                }
            }
            FrameKind::Heading { level, anchor } => element(
                heading_name(level),
                vec![
                    ("id", section_id(&anchor)),
                    ("class", "guideline-section".to_string()),
                    ("tabindex", "-1".to_string()),
                ],
                frame.children,
            ),
            FrameKind::Table => {
                let mut children = frame.children.into_iter();
                let head = children.next();
                let body = element("tbody", Vec::new(), children.collect());
                element("table", Vec::new(), head.into_iter().chain([body]).collect())
            }
            FrameKind::Link { href, title } => self.link(href, title, frame.children),
            FrameKind::Image => element("span", vec![("class", "md-image-alt".to_string())], frame.children),
            FrameKind::Hidden => return,
        };
        self.push(node);
    }

    fn link(&self, href: Option<String>, title: String, children: Vec<Html>) -> Html {
        let title = (!title.is_empty()).then_some(title);
        match href {
            None => element("span", vec![("class", "md-unsafe-link".to_string())], children),
            Some(href) if href.starts_with('#') => {
                let anchor = href.trim_start_matches('#').to_string();
                let on_anchor = self.on_anchor.clone();
                let target = anchor.clone();
                // The page's own route lives in the URL hash, so following the link natively
                // would navigate away; scroll to the section instead.
                let onclick = Callback::from(move |event: MouseEvent| {
                    event.prevent_default();
                    on_anchor.emit(target.clone());
                });
                html! {
                    <a class="md-section-link" href={format!("#{}", section_id(&anchor))} title={title} {onclick}>
                        { for children }
                    </a>
                }
            }
            Some(href) => html! {
                <a href={href} title={title} target="_blank" rel="noopener noreferrer">{ for children }</a>
            },
        }
    }

    fn event(&mut self, event: &MarkdownEvent) {
        match event {
            MarkdownEvent::Start(tag) => self.start(tag),
            MarkdownEvent::End => self.end(),
            MarkdownEvent::Text(t) => self.push(text(t)),
            MarkdownEvent::Code(t) => self.push(element("code", Vec::new(), vec![text(t)])),
            // Escaped by construction: a text node shows the markup, the browser never parses it.
            MarkdownEvent::Html(t) => self.push(text(t)),
            MarkdownEvent::Math(t) => self.push(element("code", vec![("class", "md-math".to_string())], vec![text(t)])),
            MarkdownEvent::FootnoteReference(name) => {
                self.push(element("sup", Vec::new(), vec![text(&format!("[{name}]"))]))
            }
            MarkdownEvent::SoftBreak => self.push(text("\n")),
            MarkdownEvent::HardBreak => self.push(element("br", Vec::new(), Vec::new())),
            MarkdownEvent::Rule => self.push(element("hr", Vec::new(), Vec::new())),
            MarkdownEvent::TaskListMarker(checked) => {
                self.push(text(if *checked { "☑ " } else { "☐ " }));
            }
        }
    }
}

/// Renders parsed guideline Markdown as nodes; `on_anchor` receives the anchor of a followed
/// `#anchor` link.
pub fn render_markdown(events: &[MarkdownEvent], on_anchor: &Callback<String>) -> Html {
    let mut renderer = Renderer {
        stack: vec![Frame { kind: FrameKind::Root, children: Vec::new() }],
        table_alignments: Vec::new(),
        table_cell: 0,
        in_table_head: false,
        on_anchor,
    };
    for event in events {
        renderer.event(event);
    }
    // Close anything the events left open (the parser's never do, but the server's answer is
    // input like any other).
    while renderer.stack.len() > 1 {
        renderer.end();
    }
    renderer.stack.pop().map(|root| root.children.into_iter().collect()).unwrap_or_default()
}
