//! Guideline Markdown to Yew nodes.
//!
//! The parser's events are walked into virtual DOM nodes; nothing is ever parsed as HTML by the
//! browser. Guidelines are written by project owners, not by us, so:
//! raw HTML shows as literal text, links keep only `http:`, `https:`, `mailto:` and `#…`
//! targets (anything else becomes plain text), and images show their alt text.
//! Headings get `id="g-ANCHOR"` with anchors from `annoqa_core::guidelines::AnchorNamer`, the
//! same anchors `annoqa_core::guidelines::sections` reports, so findings link to real sections.

use annoqa_core::guidelines::{markdown_options, AnchorNamer};
use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Parser, Tag};
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
    pub markdown: yew::AttrValue,
    /// Called with the anchor when an in-document link (`#anchor`) is followed.
    #[prop_or_default]
    pub on_anchor: Callback<String>,
}

/// Renders guideline Markdown.
#[component]
pub fn MarkdownView(props: &MarkdownViewProps) -> Html {
    let rendered = yew::use_memo((props.markdown.clone(), props.on_anchor.clone()), |(markdown, on_anchor)| {
        render_markdown(markdown, on_anchor)
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
        level: HeadingLevel,
        explicit_id: Option<String>,
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

fn heading_name(level: HeadingLevel) -> &'static str {
    match level {
        HeadingLevel::H1 => "h1",
        HeadingLevel::H2 => "h2",
        HeadingLevel::H3 => "h3",
        HeadingLevel::H4 => "h4",
        HeadingLevel::H5 => "h5",
        HeadingLevel::H6 => "h6",
    }
}

fn alignment_style(alignment: Option<&Alignment>) -> Vec<(&'static str, String)> {
    let align = match alignment {
        Some(Alignment::Left) => "left",
        Some(Alignment::Center) => "center",
        Some(Alignment::Right) => "right",
        Some(Alignment::None) | None => return Vec::new(),
    };
    vec![("style", format!("text-align: {align}"))]
}

/// Walks Markdown events into nodes.
struct Renderer<'a> {
    stack: Vec<Frame>,
    anchors: AnchorNamer,
    /// Text of the open heading, for its anchor (the same text `sections` uses).
    heading_title: Option<String>,
    table_alignments: Vec<Alignment>,
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

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.open_element("p", Vec::new()),
            Tag::Heading { level, id, .. } => {
                self.heading_title = Some(String::new());
                self.open(FrameKind::Heading { level, explicit_id: id.map(|id| id.to_string()) });
            }
            Tag::BlockQuote(_) => self.open_element("blockquote", Vec::new()),
            Tag::CodeBlock(kind) => {
                let class = match kind {
                    CodeBlockKind::Fenced(lang) if !lang.is_empty() => {
                        vec![("class", format!("language-{lang}"))]
                    }
                    _ => Vec::new(),
                };
                // `<pre><code>`: the code frame is closed together with the `pre` in `end`.
                self.open_element("pre", Vec::new());
                self.open_element("code", class);
            }
            Tag::HtmlBlock => self.open_element("div", vec![("class", "md-raw-html".to_string())]),
            Tag::List(Some(start)) => self.open_element("ol", vec![("start", start.to_string())]),
            Tag::List(None) => self.open_element("ul", Vec::new()),
            Tag::Item => self.open_element("li", Vec::new()),
            Tag::FootnoteDefinition(name) => self
                .open_element("div", vec![("class", "md-footnote".to_string()), ("data-footnote", name.to_string())]),
            Tag::DefinitionList => self.open_element("dl", Vec::new()),
            Tag::DefinitionListTitle => self.open_element("dt", Vec::new()),
            Tag::DefinitionListDefinition => self.open_element("dd", Vec::new()),
            Tag::Table(alignments) => {
                self.table_alignments = alignments;
                self.open(FrameKind::Table);
            }
            Tag::TableHead => {
                self.in_table_head = true;
                self.table_cell = 0;
                self.open_element("thead", Vec::new());
                self.open_element("tr", Vec::new());
            }
            Tag::TableRow => {
                self.table_cell = 0;
                self.open_element("tr", Vec::new());
            }
            Tag::TableCell => {
                let name = if self.in_table_head { "th" } else { "td" };
                let style = alignment_style(self.table_alignments.get(self.table_cell));
                self.table_cell += 1;
                self.open_element(name, style);
            }
            Tag::Emphasis => self.open_element("em", Vec::new()),
            Tag::Strong => self.open_element("strong", Vec::new()),
            Tag::Strikethrough => self.open_element("del", Vec::new()),
            Tag::Superscript => self.open_element("sup", Vec::new()),
            Tag::Subscript => self.open_element("sub", Vec::new()),
            Tag::Link { dest_url, title, .. } => {
                let href = safe_href(&dest_url).map(str::to_string);
                self.open(FrameKind::Link { href, title: title.to_string() });
            }
            Tag::Image { .. } => self.open(FrameKind::Image),
            Tag::MetadataBlock(_) => self.open(FrameKind::Hidden),
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
            FrameKind::Heading { level, explicit_id } => {
                let title = self.heading_title.take().unwrap_or_default();
                let anchor = self.anchors.name(explicit_id.as_deref(), &title);
                element(
                    heading_name(level),
                    vec![
                        ("id", section_id(&anchor)),
                        ("class", "guideline-section".to_string()),
                        ("tabindex", "-1".to_string()),
                    ],
                    frame.children,
                )
            }
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

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(_) => self.end(),
            Event::Text(t) => {
                if let Some(title) = self.heading_title.as_mut() {
                    title.push_str(&t);
                }
                self.push(text(&t));
            }
            Event::Code(t) => {
                if let Some(title) = self.heading_title.as_mut() {
                    title.push_str(&t);
                }
                self.push(element("code", Vec::new(), vec![text(&t)]));
            }
            // Escaped by construction: a text node shows the markup, the browser never parses it.
            Event::Html(t) | Event::InlineHtml(t) => self.push(text(&t)),
            Event::InlineMath(t) | Event::DisplayMath(t) => {
                self.push(element("code", vec![("class", "md-math".to_string())], vec![text(&t)]))
            }
            Event::FootnoteReference(name) => self.push(element("sup", Vec::new(), vec![text(&format!("[{name}]"))])),
            Event::SoftBreak => self.push(text("\n")),
            Event::HardBreak => self.push(element("br", Vec::new(), Vec::new())),
            Event::Rule => self.push(element("hr", Vec::new(), Vec::new())),
            Event::TaskListMarker(checked) => {
                self.push(text(if checked { "☑ " } else { "☐ " }));
            }
        }
    }
}

/// Renders `markdown` as nodes; `on_anchor` receives the anchor of a followed `#anchor` link.
pub fn render_markdown(markdown: &str, on_anchor: &Callback<String>) -> Html {
    let mut renderer = Renderer {
        stack: vec![Frame { kind: FrameKind::Root, children: Vec::new() }],
        anchors: AnchorNamer::default(),
        heading_title: None,
        table_alignments: Vec::new(),
        table_cell: 0,
        in_table_head: false,
        on_anchor,
    };
    for event in Parser::new_ext(markdown, markdown_options()) {
        renderer.event(event);
    }
    // Close anything the parser left open (it does not, but the output must not depend on it).
    while renderer.stack.len() > 1 {
        renderer.end();
    }
    renderer.stack.pop().map(|root| root.children.into_iter().collect()).unwrap_or_default()
}
