//! Guideline sections and their anchors.
//!
//! Guidelines are Markdown. Every heading is a section; its anchor is the explicit
//! `{#anchor}` attribute when present, otherwise a slug of the heading text (GitHub style:
//! lower case, spaces to `-`, punctuation dropped, duplicates numbered `-1`, `-2`, …).
//! Findings, labels and gold explanations name sections by anchor; the app renders the same
//! anchors, so a link from a finding always lands on its section.

use std::collections::HashMap;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Markdown options shared by every consumer of guidelines, so anchors agree everywhere.
pub fn markdown_options() -> Options {
    Options::ENABLE_HEADING_ATTRIBUTES | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

#[derive(Clone, Debug, PartialEq, Eq)]
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
