//! The part of YAML that Ultralytics `data.yaml` files use: block mappings and sequences by
//! indentation, flow lists and maps (`[3, 3]`, `{0: a}`), plain and quoted scalars, comments,
//! and block scalars (`download: |`), whose text is kept but not interpreted. Anchors, tags,
//! multi-document streams and keys spanning lines are not YAML a dataset file needs: they are
//! read as plain text or rejected with the line.

/// A parsed value. Scalars stay text: the caller decides what a number is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Yaml {
    Null,
    Scalar(String),
    List(Vec<Yaml>),
    /// Keys in file order.
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    pub(super) fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Yaml::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

/// Flow collections nest at most this deep (`[[[…]]]`), so hostile input cannot exhaust the
/// stack.
const MAX_DEPTH: usize = 32;

/// Parses a document; an error is `(line, message)`, lines counted from 1.
pub(super) fn parse(text: &str) -> Result<Yaml, (usize, String)> {
    let lines: Vec<Line<'_>> = text
        .lines()
        .enumerate()
        .filter_map(|(index, raw)| {
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let indent = raw.len() - raw.trim_start().len();
            let content = strip_comment(raw).trim();
            (!raw.trim().is_empty() && content != "---").then_some(Line { number: index + 1, indent, content, raw })
        })
        .collect();
    let mut parser = Parser { lines: &lines, at: 0 };
    let Some(first) = parser.peek() else { return Ok(Yaml::Map(Vec::new())) };
    let value = parser.block(first.indent, 0)?;
    match parser.peek() {
        Some(line) => Err((line.number, "unexpected indentation".to_owned())),
        None => Ok(value),
    }
}

struct Line<'t> {
    number: usize,
    indent: usize,
    /// Without indentation and comment; empty on a comment line.
    content: &'t str,
    /// As in the file (for block scalars, whose `#` is text).
    raw: &'t str,
}

struct Parser<'l, 't> {
    lines: &'l [Line<'t>],
    at: usize,
}

impl<'l, 't> Parser<'l, 't> {
    /// The next line with content, past comment lines.
    fn peek(&mut self) -> Option<&'l Line<'t>> {
        while self.lines.get(self.at).is_some_and(|l| l.content.is_empty()) {
            self.at += 1;
        }
        self.lines.get(self.at)
    }

    /// A block mapping or sequence whose entries start at `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Result<Yaml, (usize, String)> {
        if depth > MAX_DEPTH {
            return Err((self.peek().map_or(0, |l| l.number), "nested too deeply".to_owned()));
        }
        let Some(first) = self.peek() else { return Ok(Yaml::Null) };
        if is_item(first.content) {
            self.sequence(indent, depth)
        } else {
            self.mapping(indent, depth)
        }
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Result<Yaml, (usize, String)> {
        let mut items = Vec::new();
        while let Some(line) = self.peek().filter(|l| l.indent == indent && is_item(l.content)) {
            let rest = line.content[1..].trim_start();
            let number = line.number;
            self.at += 1;
            if rest.is_empty() {
                items.push(self.nested(indent, depth)?);
            } else if split_key(rest).is_some() {
                return Err((number, "mappings inside sequences are not supported in a dataset file".to_owned()));
            } else {
                items.push(inline(rest, number, depth)?);
            }
        }
        Ok(Yaml::List(items))
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Result<Yaml, (usize, String)> {
        let mut entries = Vec::new();
        while let Some(line) = self.peek().filter(|l| l.indent == indent && !is_item(l.content)) {
            let number = line.number;
            let Some((key, rest)) = split_key(line.content) else {
                return Err((number, format!("expected `key: value`, found `{}`", line.content)));
            };
            let key = scalar(key, number)?;
            self.at += 1;
            let value = if rest.is_empty() {
                // `names:` followed by an indented block, or by `- item` lines at the same indent.
                match self.peek() {
                    Some(next) if next.indent == indent && is_item(next.content) => self.sequence(indent, depth + 1)?,
                    _ => self.nested(indent, depth)?,
                }
            } else if rest.starts_with('|') || rest.starts_with('>') {
                self.block_scalar(indent)
            } else {
                inline(&self.continued(rest, indent), number, depth)?
            };
            entries.push((key, value));
        }
        Ok(Yaml::Map(entries))
    }

    /// The block under an entry, if the next line is indented deeper than `indent`.
    fn nested(&mut self, indent: usize, depth: usize) -> Result<Yaml, (usize, String)> {
        match self.peek() {
            Some(next) if next.indent > indent => self.block(next.indent, depth + 1),
            _ => Ok(Yaml::Null),
        }
    }

    /// The text of a `|` or `>` block: every following line indented deeper.
    fn block_scalar(&mut self, indent: usize) -> Yaml {
        let mut text = Vec::new();
        while let Some(line) = self.lines.get(self.at).filter(|l| l.indent > indent) {
            text.push(line.raw.trim());
            self.at += 1;
        }
        Yaml::Scalar(text.join("\n"))
    }

    /// A flow collection may go on over deeper-indented lines until its brackets close.
    fn continued(&mut self, rest: &str, indent: usize) -> String {
        let mut text = rest.to_owned();
        while !balanced(&text) {
            let Some(line) = self.peek().filter(|l| l.indent > indent) else { break };
            text.push(' ');
            text.push_str(line.content);
            self.at += 1;
        }
        text
    }
}

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// Splits `key: value` at the first `:` followed by a space or the end, outside quotes and
/// brackets.
fn split_key(content: &str) -> Option<(&str, &str)> {
    let mut quote = None;
    let mut depth = 0usize;
    for (at, c) in content.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            (None, ':') if depth == 0 => {
                let rest = &content[at + 1..];
                if rest.is_empty() || rest.starts_with(' ') {
                    return Some((content[..at].trim(), rest.trim()));
                }
            }
            _ => {}
        }
    }
    None
}

/// Everything before a `#` that starts a comment (at the start or after a space, outside
/// quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') if previous == ' ' || previous == '[' || previous == ',' || previous == '{' => {
                quote = Some(c)
            }
            (None, '#') if previous == ' ' || previous == '\t' => return &line[..at],
            _ => {}
        }
        previous = c;
    }
    line
}

fn balanced(text: &str) -> bool {
    let mut depth = 0i64;
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            _ => {}
        }
    }
    depth <= 0
}

/// A value on one line: a flow collection or a scalar.
fn inline(text: &str, line: usize, depth: usize) -> Result<Yaml, (usize, String)> {
    let text = text.trim();
    if text.starts_with('[') || text.starts_with('{') {
        let mut flow = Flow { chars: text.char_indices().peekable(), text, line };
        let value = flow.value(depth)?;
        flow.skip_spaces();
        return match flow.chars.next() {
            None => Ok(value),
            Some((_, c)) => Err((line, format!("unexpected `{c}` after a flow collection"))),
        };
    }
    if text == "~" || text == "null" {
        return Ok(Yaml::Null);
    }
    Ok(Yaml::Scalar(scalar(text, line)?))
}

/// A plain, single-quoted (`''` is a quote) or double-quoted (backslash escapes) scalar.
fn scalar(text: &str, line: usize) -> Result<String, (usize, String)> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'').ok_or((line, "unclosed single quote".to_owned()))?;
        return Ok(inner.replace("''", "'"));
    }
    if let Some(inner) = text.strip_prefix('"') {
        let inner = inner.strip_suffix('"').ok_or((line, "unclosed double quote".to_owned()))?;
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(c @ ('"' | '\\' | '/')) => out.push(c),
                other => return Err((line, format!("unsupported escape `\\{}`", other.unwrap_or(' ')))),
            }
        }
        return Ok(out);
    }
    Ok(text.to_owned())
}

struct Flow<'t> {
    chars: std::iter::Peekable<std::str::CharIndices<'t>>,
    text: &'t str,
    line: usize,
}

impl Flow<'_> {
    fn skip_spaces(&mut self) {
        while self.chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            self.chars.next();
        }
    }

    fn value(&mut self, depth: usize) -> Result<Yaml, (usize, String)> {
        if depth > MAX_DEPTH {
            return Err((self.line, "nested too deeply".to_owned()));
        }
        self.skip_spaces();
        match self.chars.peek().map(|&(_, c)| c) {
            Some('[') => {
                self.chars.next();
                let mut items = Vec::new();
                self.entries(']', depth, |flow, depth| {
                    items.push(flow.value(depth)?);
                    Ok(())
                })?;
                Ok(Yaml::List(items))
            }
            Some('{') => {
                self.chars.next();
                let mut entries = Vec::new();
                self.entries('}', depth, |flow, depth| {
                    let key = flow.scalar_text()?;
                    flow.skip_spaces();
                    if flow.chars.next().map(|(_, c)| c) != Some(':') {
                        return Err((flow.line, format!("expected `:` after `{key}` in a flow map")));
                    }
                    entries.push((key, flow.value(depth)?));
                    Ok(())
                })?;
                Ok(Yaml::Map(entries))
            }
            _ => Ok(Yaml::Scalar(self.scalar_text()?)),
        }
    }

    /// Comma-separated entries up to `close` (a trailing comma allowed).
    fn entries(
        &mut self,
        close: char,
        depth: usize,
        mut entry: impl FnMut(&mut Self, usize) -> Result<(), (usize, String)>,
    ) -> Result<(), (usize, String)> {
        loop {
            self.skip_spaces();
            match self.chars.peek().map(|&(_, c)| c) {
                Some(c) if c == close => {
                    self.chars.next();
                    return Ok(());
                }
                None => return Err((self.line, format!("unclosed flow collection: expected `{close}`"))),
                _ => entry(self, depth + 1)?,
            }
            self.skip_spaces();
            match self.chars.next().map(|(_, c)| c) {
                Some(',') => {}
                Some(c) if c == close => return Ok(()),
                Some(c) => return Err((self.line, format!("expected `,` or `{close}`, found `{c}`"))),
                None => return Err((self.line, format!("unclosed flow collection: expected `{close}`"))),
            }
        }
    }

    /// A scalar inside a flow collection: quoted, or plain up to `,`, `:` + space, or a bracket.
    fn scalar_text(&mut self) -> Result<String, (usize, String)> {
        self.skip_spaces();
        let Some(&(start, first)) = self.chars.peek() else {
            return Err((self.line, "expected a value".to_owned()));
        };
        let mut end = start;
        if first == '\'' || first == '"' {
            self.chars.next();
            let mut closed = false;
            while let Some((at, c)) = self.chars.next() {
                end = at + c.len_utf8();
                if c == first {
                    // `''` inside single quotes is an escaped quote.
                    if first == '\'' && self.chars.peek().is_some_and(|&(_, n)| n == '\'') {
                        self.chars.next();
                        continue;
                    }
                    if first == '"' && self.text[..at].ends_with('\\') {
                        continue;
                    }
                    closed = true;
                    break;
                }
            }
            if !closed {
                return Err((self.line, "unclosed quote".to_owned()));
            }
        } else {
            while let Some(&(at, c)) = self.chars.peek() {
                let key_end = c == ':' && self.text[at + 1..].starts_with([' ', ',', '}', ']']);
                if matches!(c, ',' | ']' | '}') || key_end {
                    break;
                }
                end = at + c.len_utf8();
                self.chars.next();
            }
        }
        scalar(&self.text[start..end], self.line)
    }
}

/// A compact rendering for tests: `{key: value}`, `[a, b]`, `~`.
#[cfg(test)]
pub(super) fn render(value: &Yaml) -> String {
    match value {
        Yaml::Null => "~".to_owned(),
        Yaml::Scalar(s) => s.clone(),
        Yaml::List(items) => format!("[{}]", items.iter().map(render).collect::<Vec<_>>().join(", ")),
        Yaml::Map(entries) => {
            let entries: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {}", render(v))).collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}
