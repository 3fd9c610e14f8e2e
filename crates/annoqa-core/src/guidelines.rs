//! Guideline sections and their anchors.
//!
//! Guidelines are Markdown. Every heading is a section; its anchor is the explicit
//! `{#anchor}` attribute when present, otherwise a slug of the heading text (GitHub style:
//! lower case, spaces to `-`, punctuation dropped, duplicates numbered `-1`, `-2`, …).
//! Findings, labels and gold explanations name sections by anchor; the app renders the same
//! anchors, so a link from a finding always lands on its section.
//!
//! The browser does not parse Markdown: the server sends a [`GuidelineDocument`] (the parser's
//! events, headings with their anchors, and the sections), which keeps the Markdown parser
//! and its Unicode tables out of the app's download.

use std::collections::HashMap;

use pulldown_cmark::{Alignment, CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

/// Markdown options shared by every consumer of guidelines, so anchors agree everywhere.
pub fn markdown_options() -> Options {
    Options::ENABLE_HEADING_ATTRIBUTES | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub anchor: String,
    pub title: String,
    /// 1 for `#`, 2 for `##`, …
    pub level: u8,
}

/// The sections of a guideline document, in order.
pub fn sections(markdown: &str) -> Vec<Section> {
    let mut anchors = AnchorNamer::default();
    let mut out = Vec::new();
    let mut current: Option<(u8, Option<String>, String)> = None;
    for event in Parser::new_ext(markdown, markdown_options()) {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                current = Some((level as u8, id.map(|s| s.to_string()), String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, title)) = current.as_mut() {
                    title.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, id, title)) = current.take() {
                    let anchor = anchors.name(id.as_deref(), &title);
                    out.push(Section { anchor, title, level });
                }
            }
            _ => {}
        }
    }
    out
}

/// Assigns unique anchors to headings in document order.
#[derive(Default, Debug)]
pub struct AnchorNamer {
    seen: HashMap<String, usize>,
}

impl AnchorNamer {
    /// The anchor of the next heading: `explicit` if given, else a unique slug of `title`.
    pub fn name(&mut self, explicit: Option<&str>, title: &str) -> String {
        if let Some(id) = explicit {
            // An explicit anchor takes its name: a later heading with the same slug gets `-1`.
            let count = self.seen.entry(id.to_string()).or_insert(0);
            *count = (*count).max(1);
            return id.to_string();
        }
        let base = slug(title);
        let count = self.seen.entry(base.clone()).or_insert(0);
        let mut anchor = if *count == 0 { base.clone() } else { format!("{base}-{count}") };
        *count += 1;
        // A numbered slug can itself collide with an explicit anchor (`{#rules-1}`); skip those.
        while self.seen.contains_key(&anchor) && anchor != base {
            let count = self.seen.entry(base.clone()).or_insert(0);
            anchor = format!("{base}-{count}");
            *count += 1;
        }
        self.seen.entry(anchor.clone()).or_insert(1);
        anchor
    }
}

/// GitHub-style heading slug.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            out.push('-');
        }
    }
    out
}

/// Guidelines as the browser renders them: the Markdown parser's events, in order, and the
/// sections. Raw HTML arrives as [`MarkdownEvent::Html`], which the app shows as text.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct GuidelineDocument {
    pub events: Vec<MarkdownEvent>,
    pub sections: Vec<Section>,
}

/// One parser event; every [`MarkdownEvent::Start`] is closed by one [`MarkdownEvent::End`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum MarkdownEvent {
    Start(MarkdownTag),
    End,
    Text(String),
    /// Inline code.
    Code(String),
    /// Raw HTML, block or inline: to be shown as text, never parsed.
    Html(String),
    Math(String),
    FootnoteReference(String),
    SoftBreak,
    HardBreak,
    Rule,
    TaskListMarker(bool),
}

/// What a [`MarkdownEvent::Start`] opens.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum MarkdownTag {
    Paragraph,
    /// `level` 1 for `#`; `anchor` as [`sections`] names it.
    Heading {
        level: u8,
        anchor: String,
    },
    BlockQuote,
    /// `language` of a fenced block, empty when none is given.
    CodeBlock {
        language: String,
    },
    HtmlBlock,
    /// `start`: the first number of an ordered list; `None` for a bulleted one.
    List {
        start: Option<u64>,
    },
    Item,
    FootnoteDefinition {
        name: String,
    },
    DefinitionList,
    DefinitionListTitle,
    DefinitionListDefinition,
    /// Per column: `left`, `center`, `right` or `none`.
    Table {
        alignments: Vec<ColumnAlignment>,
    },
    TableHead,
    TableRow,
    TableCell,
    Emphasis,
    Strong,
    Strikethrough,
    Superscript,
    Subscript,
    /// `href` as written; the app decides which targets it links.
    Link {
        href: String,
        title: String,
    },
    /// Its alt text follows as the events inside.
    Image,
    MetadataBlock,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ColumnAlignment {
    None,
    Left,
    Center,
    Right,
}

/// Parses guideline Markdown into the [`GuidelineDocument`] the browser renders.
pub fn guideline_document(markdown: &str) -> GuidelineDocument {
    let sections = sections(markdown);
    // Headings come in the same order here as in `sections`, with the same parser options.
    let mut anchors = sections.iter().map(|s| s.anchor.clone());
    let events = Parser::new_ext(markdown, markdown_options())
        .map(|event| match event {
            Event::Start(tag) => MarkdownEvent::Start(markdown_tag(tag, &mut anchors)),
            Event::End(_) => MarkdownEvent::End,
            Event::Text(t) => MarkdownEvent::Text(t.into_string()),
            Event::Code(t) => MarkdownEvent::Code(t.into_string()),
            Event::Html(t) | Event::InlineHtml(t) => MarkdownEvent::Html(t.into_string()),
            Event::InlineMath(t) | Event::DisplayMath(t) => MarkdownEvent::Math(t.into_string()),
            Event::FootnoteReference(name) => MarkdownEvent::FootnoteReference(name.into_string()),
            Event::SoftBreak => MarkdownEvent::SoftBreak,
            Event::HardBreak => MarkdownEvent::HardBreak,
            Event::Rule => MarkdownEvent::Rule,
            Event::TaskListMarker(checked) => MarkdownEvent::TaskListMarker(checked),
        })
        .collect();
    GuidelineDocument { events, sections }
}

fn markdown_tag(tag: Tag<'_>, anchors: &mut impl Iterator<Item = String>) -> MarkdownTag {
    match tag {
        Tag::Paragraph => MarkdownTag::Paragraph,
        Tag::Heading { level, .. } => {
            MarkdownTag::Heading { level: level as u8, anchor: anchors.next().unwrap_or_default() }
        }
        Tag::BlockQuote(_) => MarkdownTag::BlockQuote,
        Tag::CodeBlock(CodeBlockKind::Fenced(language)) => MarkdownTag::CodeBlock { language: language.into_string() },
        Tag::CodeBlock(CodeBlockKind::Indented) => MarkdownTag::CodeBlock { language: String::new() },
        Tag::HtmlBlock => MarkdownTag::HtmlBlock,
        Tag::List(start) => MarkdownTag::List { start },
        Tag::Item => MarkdownTag::Item,
        Tag::FootnoteDefinition(name) => MarkdownTag::FootnoteDefinition { name: name.into_string() },
        Tag::DefinitionList => MarkdownTag::DefinitionList,
        Tag::DefinitionListTitle => MarkdownTag::DefinitionListTitle,
        Tag::DefinitionListDefinition => MarkdownTag::DefinitionListDefinition,
        Tag::Table(alignments) => MarkdownTag::Table {
            alignments: alignments
                .into_iter()
                .map(|a| match a {
                    Alignment::None => ColumnAlignment::None,
                    Alignment::Left => ColumnAlignment::Left,
                    Alignment::Center => ColumnAlignment::Center,
                    Alignment::Right => ColumnAlignment::Right,
                })
                .collect(),
        },
        Tag::TableHead => MarkdownTag::TableHead,
        Tag::TableRow => MarkdownTag::TableRow,
        Tag::TableCell => MarkdownTag::TableCell,
        Tag::Emphasis => MarkdownTag::Emphasis,
        Tag::Strong => MarkdownTag::Strong,
        Tag::Strikethrough => MarkdownTag::Strikethrough,
        Tag::Superscript => MarkdownTag::Superscript,
        Tag::Subscript => MarkdownTag::Subscript,
        Tag::Link { dest_url, title, .. } => {
            MarkdownTag::Link { href: dest_url.into_string(), title: title.into_string() }
        }
        Tag::Image { .. } => MarkdownTag::Image,
        Tag::MetadataBlock(_) => MarkdownTag::MetadataBlock,
    }
}
