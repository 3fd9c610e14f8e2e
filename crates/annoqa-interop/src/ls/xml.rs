//! A labeling config as a small element tree: configs are a few kilobytes, and resolving
//! `toName` references needs the whole document anyway.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::diag::InputError;

/// Deeper nesting than this is refused: tree walks recurse, and no real config nests beyond a
/// handful of `<View>`s.
const MAX_DEPTH: usize = 100;

/// One element: its tag as written, attributes with lower-cased names (Label Studio reads
/// `toName` and `toname` alike), children and the line it starts on.
#[derive(Debug)]
pub(super) struct Element {
    pub(super) tag: String,
    attributes: Vec<(String, String)>,
    pub(super) children: Vec<Element>,
    pub(super) line: usize,
}

impl Element {
    /// Whether the element is `<tag>`, in any letter case (Label Studio's tags are).
    pub(super) fn is(&self, tag: &str) -> bool {
        self.tag.eq_ignore_ascii_case(tag)
    }

    /// The attribute `name` (lower case), when present.
    pub(super) fn attr(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// Whether a boolean attribute is set (`"true"`, any case).
    pub(super) fn flag(&self, name: &str) -> bool {
        self.attr(name).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// `Tag (line N)`, the location of an error about this element.
    pub(super) fn location(&self) -> String {
        match self.attr("name") {
            Some(name) => format!("<{} name=\"{name}\"> (line {})", self.tag, self.line),
            None => format!("<{}> (line {})", self.tag, self.line),
        }
    }
}

/// Parses `xml` into a synthetic root element holding the document's top-level elements.
pub(super) fn parse(xml: &str, file: &str) -> Result<Element, InputError> {
    let lines = LineIndex::new(xml);
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut stack = vec![Element { tag: String::new(), attributes: Vec::new(), children: Vec::new(), line: 1 }];
    loop {
        let event = reader.read_event().map_err(|e| {
            let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
            InputError::new(file, format!("line {}", lines.line(at)), format!("malformed XML: {e}"))
        })?;
        let end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        // The tag's first line: its end less `<`, its content and `>` (and `/` when empty).
        let first_line = |content: usize, marks: usize| lines.line(end.saturating_sub(content + marks));
        match event {
            Event::Start(tag) => {
                let line = first_line(tag.len(), 2);
                if stack.len() > MAX_DEPTH {
                    let location = format!("line {line}");
                    return Err(InputError::new(file, location, format!("elements nest deeper than {MAX_DEPTH}")));
                }
                stack.push(element(&tag, line, file)?);
            }
            Event::Empty(tag) => {
                let child = element(&tag, first_line(tag.len(), 3), file)?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(child);
                }
            }
            // quick-xml has checked that the end tag matches; the synthetic root is never popped
            // because an unmatched end tag is its error.
            Event::End(_) if stack.len() > 1 => {
                if let (Some(done), Some(parent)) = (stack.pop(), stack.last_mut()) {
                    parent.children.push(done);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() > 1 {
        let open = stack.last().map(|e| e.location()).unwrap_or_default();
        return Err(InputError::new(file, open, "element is not closed"));
    }
    stack.pop().ok_or_else(|| InputError::new(file, "", "empty labeling config"))
}

fn element(tag: &BytesStart<'_>, line: usize, file: &str) -> Result<Element, InputError> {
    let name = String::from_utf8_lossy(tag.name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for attribute in tag.attributes() {
        let location = || format!("<{name}> (line {line})");
        let attribute =
            attribute.map_err(|e| InputError::new(file, location(), format!("malformed attribute: {e}")))?;
        let key = String::from_utf8_lossy(attribute.key.as_ref()).to_ascii_lowercase();
        let value = attribute
            .unescape_value()
            .map_err(|e| InputError::new(file, location(), format!("attribute `{key}`: {e}")))?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element { tag: name, attributes, children: Vec::new(), line })
}

/// Byte offsets → 1-based line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        LineIndex { starts }
    }

    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).max(1)
    }
}
