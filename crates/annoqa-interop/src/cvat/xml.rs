//! A small element tree over quick-xml's events, each element knowing its path
//! (`annotations/image[3]/box[2]`), so every error can name where it is.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::diag::InputError;

/// One XML element: its attributes (unescaped), child elements and text (unescaped, untrimmed).
#[derive(Debug)]
pub(super) struct Element {
    pub(super) name: String,
    /// XPath-like, 1-based among same-named siblings: `annotations/image[3]/box[2]`.
    pub(super) path: String,
    attrs: Vec<(String, String)>,
    pub(super) children: Vec<Element>,
    pub(super) text: String,
}

impl Element {
    pub(super) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub(super) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(super) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of child `name`, trimmed; `None` when the child is absent.
    pub(super) fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }
}

/// Deeper nesting than this is refused: CVAT files nest six levels, and a deeper tree would
/// cost memory (each element's path holds its ancestors') and stack (the tree is dropped
/// recursively) without end.
const MAX_DEPTH: usize = 100;

/// Reads `bytes` (UTF-8, an optional byte order mark) into its root element. Linear in the
/// input: line numbers are counted only for an error, sibling positions kept per open element.
pub(super) fn parse(bytes: &[u8], file: &str) -> Result<Element, InputError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|e| InputError::new(file, "", format!("not utf-8 text (byte {})", e.valid_up_to())))?;
    let mut reader = Reader::from_str(text);
    let mut tree = Tree { open: Vec::new(), siblings: vec![HashMap::new()], root: None };
    loop {
        let event = reader.read_event().map_err(|e| {
            let line = line_of(text, reader.error_position());
            InputError::new(file, tree.at(), format!("malformed xml at line {line}: {e}"))
        })?;
        let source = Source { file, text, reader: &reader };
        match event {
            Event::Start(start) => {
                let element = tree.start(&start, &source)?;
                tree.open.push(element);
                tree.siblings.push(HashMap::new());
            }
            Event::Empty(start) => {
                let element = tree.start(&start, &source)?;
                tree.close(element);
            }
            Event::End(_) => {
                // quick-xml checks that end names match their start.
                if let Some(element) = tree.open.pop() {
                    tree.siblings.pop();
                    tree.close(element);
                }
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| {
                    let line = line_of(text, reader.buffer_position());
                    InputError::new(file, tree.at(), format!("bad text at line {line}: {e}"))
                })?;
                if let Some(top) = tree.open.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(top) = tree.open.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(unclosed) = tree.open.last() {
        return Err(InputError::new(file, unclosed.path.clone(), "element not closed before the end of the file"));
    }
    tree.root.ok_or_else(|| InputError::new(file, "", "no xml element in the file"))
}

/// Where an element comes from, for its error messages.
struct Source<'s> {
    file: &'s str,
    text: &'s str,
    reader: &'s Reader<&'s [u8]>,
}

impl Source<'_> {
    fn line(&self) -> usize {
        line_of(self.text, self.reader.buffer_position())
    }
}

/// The elements being read: the open ones (innermost last), how many children of each name
/// each open element has so far (the root level first), and the root once closed.
struct Tree {
    open: Vec<Element>,
    siblings: Vec<HashMap<String, usize>>,
    root: Option<Element>,
}

impl Tree {
    /// The path of the innermost open element, for errors.
    fn at(&self) -> String {
        self.open.last().map(|e| e.path.clone()).unwrap_or_default()
    }

    /// A new element inside the innermost open one (or the root).
    fn start(&mut self, start: &BytesStart<'_>, source: &Source<'_>) -> Result<Element, InputError> {
        let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
        let path = match self.open.last() {
            Some(parent) => {
                if self.open.len() >= MAX_DEPTH {
                    let message = format!("elements nested deeper than {MAX_DEPTH} at line {}", source.line());
                    return Err(InputError::new(source.file, parent.path.clone(), message));
                }
                let count = match self.siblings.last_mut() {
                    Some(counts) => {
                        let count = counts.entry(name.clone()).or_insert(0);
                        *count += 1;
                        *count
                    }
                    None => 1,
                };
                format!("{}/{name}[{count}]", parent.path)
            }
            None if self.root.is_some() => {
                let message = format!("a second root element at line {}", source.line());
                return Err(InputError::new(source.file, name, message));
            }
            None => name.clone(),
        };
        let mut attrs = Vec::new();
        for attr in start.attributes() {
            let attr = attr.map_err(|e| {
                InputError::new(source.file, path.clone(), format!("bad attribute at line {}: {e}", source.line()))
            })?;
            let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
            let value = attr.unescape_value().map_err(|e| {
                let message = format!("bad value at line {}: {e}", source.line());
                InputError::new(source.file, format!("{path}@{key}"), message)
            })?;
            attrs.push((key, value.into_owned()));
        }
        Ok(Element { name, path, attrs, children: Vec::new(), text: String::new() })
    }

    /// Appends a finished element to its parent, or makes it the root.
    fn close(&mut self, element: Element) {
        match self.open.last_mut() {
            Some(parent) => parent.children.push(element),
            None => self.root = Some(element),
        }
    }
}

/// The 1-based line holding byte `position` of `text`.
fn line_of(text: &str, position: u64) -> usize {
    let end = usize::try_from(position).unwrap_or(usize::MAX).min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Builds indented XML text.
pub(super) struct XmlOut {
    buf: String,
    depth: usize,
}

impl XmlOut {
    pub(super) fn new() -> Self {
        XmlOut { buf: String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"), depth: 0 }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.buf.push_str("  ");
        }
    }

    fn start_tag(&mut self, name: &str, attrs: &[(&str, String)]) {
        self.indent();
        self.buf.push('<');
        self.buf.push_str(name);
        for (key, value) in attrs {
            self.buf.push(' ');
            self.buf.push_str(key);
            self.buf.push_str("=\"");
            escape_into(&mut self.buf, value, true);
            self.buf.push('"');
        }
    }

    pub(super) fn open(&mut self, name: &str, attrs: &[(&str, String)]) {
        self.start_tag(name, attrs);
        self.buf.push_str(">\n");
        self.depth += 1;
    }

    pub(super) fn empty(&mut self, name: &str, attrs: &[(&str, String)]) {
        self.start_tag(name, attrs);
        self.buf.push_str("/>\n");
    }

    /// `<name attrs>text</name>` on one line.
    pub(super) fn leaf(&mut self, name: &str, attrs: &[(&str, String)], text: &str) {
        self.start_tag(name, attrs);
        self.buf.push('>');
        escape_into(&mut self.buf, text, false);
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push_str(">\n");
    }

    pub(super) fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push_str(">\n");
    }

    pub(super) fn finish(self) -> Vec<u8> {
        self.buf.into_bytes()
    }
}

/// XML-escapes `s`. In attribute values, tabs and line breaks become character references,
/// which a parser keeps (a literal one would be normalised to a space); in text, only `\r`
/// does, which a parser would otherwise fold into `\n`.
fn escape_into(buf: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => buf.push_str("&amp;"),
            '<' => buf.push_str("&lt;"),
            '>' => buf.push_str("&gt;"),
            '"' if attribute => buf.push_str("&quot;"),
            '\n' if attribute => buf.push_str("&#10;"),
            '\t' if attribute => buf.push_str("&#9;"),
            '\r' => buf.push_str("&#13;"),
            c => buf.push(c),
        }
    }
}
