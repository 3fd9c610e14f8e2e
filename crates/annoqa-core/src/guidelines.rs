//! Guideline sections and their anchors.
//!
//! Guidelines are Markdown. Every heading is a section; its anchor is the explicit
//! `{#anchor}` attribute when present, otherwise a slug of the heading text (GitHub style:
//! lower case, spaces to `-`, punctuation dropped, duplicates numbered `-1`, `-2`, …).
//! Findings, labels and gold explanations name sections by anchor; the app renders the same
//! anchors, so a link from a finding always lands on its section.

use std::collections::HashMap;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::TaskSpec;

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

/// Problems that make a spec unusable with these guidelines: duplicate names, duplicate
/// hotkeys, and references to guideline sections that do not exist.
pub fn check_spec(spec: &TaskSpec, guidelines: &str) -> Vec<String> {
    let anchors: Vec<String> = sections(guidelines).into_iter().map(|s| s.anchor).collect();
    let mut problems = Vec::new();
    let mut check_anchor = |what: String, anchor: &Option<String>| {
        if let Some(a) = anchor {
            if !anchors.iter().any(|x| x == a) {
                problems.push(format!("{what} links to guideline section `{a}`, which does not exist"));
            }
        }
    };
    for control in &spec.controls {
        check_anchor(format!("control `{}`", control.name), &control.guideline);
        for label in &control.labels {
            check_anchor(format!("label `{}` of control `{}`", label.value, control.name), &label.guideline);
        }
    }
    let mut control_names = HashMap::new();
    let mut hotkeys = HashMap::new();
    for control in &spec.controls {
        if control_names.insert(control.name.as_str(), ()).is_some() {
            problems.push(format!("control name `{}` is used twice", control.name));
        }
        let mut labels = HashMap::new();
        for label in &control.labels {
            if labels.insert(label.value.as_str(), ()).is_some() {
                problems.push(format!("label `{}` appears twice in control `{}`", label.value, control.name));
            }
            if let Some(key) = &label.hotkey {
                if let Some(other) = hotkeys.insert(key.clone(), label.value.clone()) {
                    problems.push(format!("hotkey `{key}` is bound to both `{other}` and `{}`", label.value));
                }
            }
        }
    }
    if !(0.0..=1.0).contains(&spec.pass_threshold) {
        problems.push(format!("pass_threshold {} is not between 0 and 1", spec.pass_threshold));
    }
    problems
}
