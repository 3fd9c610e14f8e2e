//! A Label Studio export's top-level list cut into its elements' bytes without parsing them.
//!
//! Why: serde_json builds a `Value` from a slice about 2.5 times faster than from a reader (it
//! borrows strings and skips per-byte reads), and once an element is bytes of its own it can be
//! parsed on another thread than the one converting the element before it. The cut only tracks
//! brackets, strings and escapes; the element's own parser judges everything else.
//!
//! Positions follow serde_json's (1-based lines; a column counts the bytes before the place on
//! its line), so an error names the same line and column as parsing the whole file would.

use std::io::{self, Read};

/// Bytes asked of the input per read.
const BLOCK: usize = 1 << 20;

/// A place in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Position {
    pub(super) line: usize,
    pub(super) column: usize,
}

/// Why the list could not be cut: serde_json's message for the same fault, and where.
#[derive(Debug)]
pub(super) enum SplitError {
    Io(io::Error),
    Syntax { message: &'static str, at: Position, index: Option<usize> },
}

/// One element: its bytes in a [`Batch`], its index in the list and where it starts.
#[derive(Clone, Debug)]
pub(super) struct Element {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) index: usize,
    pub(super) at: Position,
}

/// Consecutive elements and the bytes they are cut from; a batch owns its bytes, so it can
/// move to another thread.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub(super) bytes: Vec<u8>,
    pub(super) elements: Vec<Element>,
}

/// What the first byte that is not white space says.
pub(super) enum Shape {
    /// `[`: a list, cut by [`Splitter::next_batch`].
    List,
    /// Anything else (one task, a webhook payload, or not JSON): the bytes read so far, for
    /// the caller to parse together with the rest of the input.
    Other(Vec<u8>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first element or `]`.
    Open,
    /// After an element: `,` or `]` next.
    AfterElement,
    /// After a `,`: an element next.
    AfterComma,
    /// After the closing `]`: only white space may follow.
    Closed,
    Done,
}

/// Cuts the top-level list of a reader into batches of elements.
pub(super) struct Splitter<R> {
    reader: R,
    /// Unconsumed input is `buf[pos..]`.
    buf: Vec<u8>,
    /// What one read fills, before it is appended to `buf`.
    block: Vec<u8>,
    pos: usize,
    eof: bool,
    /// Until the shape is known, nothing read is dropped: another parser may need it all.
    keep_read: bool,
    /// Line of `buf[pos]`, and the bytes before it on that line.
    line: usize,
    column: usize,
    state: State,
    index: usize,
    /// A fault found after the elements of the last batch, reported on the next call.
    failed: Option<SplitError>,
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\t' | b'\r')
}

impl<R: Read> Splitter<R> {
    /// Reads up to the first byte that is not white space.
    pub(super) fn open(reader: R) -> Result<(Self, Shape), SplitError> {
        let mut splitter = Splitter {
            reader,
            buf: Vec::new(),
            block: vec![0; BLOCK],
            pos: 0,
            eof: false,
            keep_read: true,
            line: 1,
            column: 0,
            state: State::Open,
            index: 0,
            failed: None,
        };
        let first = splitter.skip_space()?;
        splitter.keep_read = false;
        match first {
            Some(b'[') => {
                splitter.advance(1);
                Ok((splitter, Shape::List))
            }
            _ => {
                let read = std::mem::take(&mut splitter.buf);
                Ok((splitter, Shape::Other(read)))
            }
        }
    }

    /// The input after [`Shape::Other`]'s bytes.
    pub(super) fn into_reader(self) -> R {
        self.reader
    }

    /// The next elements, about `target` bytes of them (at least one while any is left);
    /// `None` after the closing `]` and the white space after it.
    pub(super) fn next_batch(&mut self, target: usize) -> Result<Option<Batch>, SplitError> {
        if let Some(error) = self.failed.take() {
            return Err(error);
        }
        let mut batch = Batch::default();
        while self.state != State::Done && batch.bytes.len() < target {
            match self.next_element(&mut batch.bytes) {
                Ok(Some(element)) => batch.elements.push(element),
                Ok(None) => break,
                // The elements before the fault come first: one of them may be cut short by
                // it, and its parser names the fault as reading the whole file would.
                Err(error) if !batch.elements.is_empty() => {
                    self.failed = Some(error);
                    break;
                }
                Err(error) => return Err(error),
            }
        }
        Ok((!batch.elements.is_empty()).then_some(batch))
    }

    /// The next element, its bytes appended to `out`; `None` at the end of the list.
    fn next_element(&mut self, out: &mut Vec<u8>) -> Result<Option<Element>, SplitError> {
        loop {
            let byte = self.skip_space()?;
            match (self.state, byte) {
                (State::Done, _) => return Ok(None),
                (State::Closed, None) => {
                    self.state = State::Done;
                    return Ok(None);
                }
                (State::Closed, Some(_)) => return Err(self.syntax("trailing characters", 1)),
                (State::Open | State::AfterElement, Some(b']')) => {
                    self.advance(1);
                    self.state = State::Closed;
                }
                (State::AfterElement, Some(b',')) => {
                    self.advance(1);
                    self.state = State::AfterComma;
                }
                (State::AfterComma, Some(b']')) => return Err(self.syntax("trailing comma", 1)),
                (State::AfterElement, Some(_)) => return Err(self.syntax("expected `,` or `]`", 1)),
                (_, None) => return Err(self.syntax("EOF while parsing a list", 0)),
                (State::Open | State::AfterComma, Some(_)) => {
                    let element = self.element(out)?;
                    self.state = State::AfterElement;
                    return Ok(Some(element));
                }
            }
        }
    }

    /// One element from `buf[pos]`: an object or list to its matching bracket, a string to
    /// its closing quote, anything else to the next delimiter (its parser then says what is
    /// wrong with it).
    fn element(&mut self, out: &mut Vec<u8>) -> Result<Element, SplitError> {
        let at = Position { line: self.line, column: self.column };
        let index = self.index;
        self.index += 1;
        let mut scan = Scan::default();
        // Bytes of the element scanned so far, counted from `pos` (which `fill` may move).
        let mut scanned = 0;
        loop {
            let (used, done) = scan.feed(&self.buf[self.pos + scanned..]);
            scanned += used;
            // At the end of the input the element is cut short; its parser reports where.
            if done || !self.fill()? {
                break;
            }
        }
        let start = out.len();
        out.extend_from_slice(&self.buf[self.pos..self.pos + scanned]);
        self.advance(scanned);
        Ok(Element { start, end: out.len(), index, at })
    }

    /// Skips white space; the byte after it, `None` at the end of the input.
    fn skip_space(&mut self) -> Result<Option<u8>, SplitError> {
        loop {
            while let Some(&byte) = self.buf.get(self.pos) {
                if !is_space(byte) {
                    return Ok(Some(byte));
                }
                self.advance(1);
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Moves past `n` bytes of `buf`, keeping the line and column.
    fn advance(&mut self, n: usize) {
        let passed = &self.buf[self.pos..self.pos + n];
        match memchr::memrchr(b'\n', passed) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', passed).count();
                self.column = n - last - 1;
            }
            None => self.column += n,
        }
        self.pos += n;
    }

    /// Reads more input after what `buf` holds, dropping consumed bytes first; false at the
    /// end of the input.
    fn fill(&mut self) -> Result<bool, SplitError> {
        if self.eof {
            return Ok(false);
        }
        if !self.keep_read {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let read = loop {
            match self.reader.read(&mut self.block) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(SplitError::Io(e)),
            }
        };
        self.buf.extend_from_slice(&self.block[..read]);
        self.eof = read == 0;
        Ok(read > 0)
    }

    /// serde_json's message at the byte at `pos` (`past` = 1: after reading it, as serde_json
    /// counts; 0: at the end of the input), in the element that would come next while the
    /// list is open.
    fn syntax(&self, message: &'static str, past: usize) -> SplitError {
        let index = (self.state != State::Closed).then_some(self.index);
        SplitError::Syntax { message, at: Position { line: self.line, column: self.column + past }, index }
    }
}

/// Where an element ends, fed the input a block at a time.
#[derive(Default)]
struct Scan {
    kind: Kind,
    depth: usize,
    in_string: bool,
    /// The block ended on a backslash inside a string: the next byte is escaped.
    escaped: bool,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Kind {
    #[default]
    Unknown,
    /// An object or a list: up to its matching bracket.
    Nested,
    /// A string: up to its closing quote.
    Text,
    /// A number, a literal or garbage: up to white space, `,` or `]`.
    Scalar,
}

impl Scan {
    /// How many bytes of `bytes` belong to the element, and whether it ends there.
    fn feed(&mut self, bytes: &[u8]) -> (usize, bool) {
        let mut i = 0;
        if self.kind == Kind::Unknown {
            let Some(&first) = bytes.first() else { return (0, false) };
            self.kind = match first {
                b'{' | b'[' => Kind::Nested,
                b'"' => Kind::Text,
                _ => Kind::Scalar,
            };
            if self.kind == Kind::Text {
                self.in_string = true;
                i = 1;
            }
        }
        if self.kind == Kind::Scalar {
            return match bytes.iter().position(|&b| is_space(b) || b == b',' || b == b']') {
                Some(end) => (end, true),
                None => (bytes.len(), false),
            };
        }
        if self.escaped && i < bytes.len() {
            self.escaped = false;
            i += 1;
        }
        while i < bytes.len() {
            if self.in_string {
                let Some(found) = memchr::memchr2(b'"', b'\\', &bytes[i..]) else { return (bytes.len(), false) };
                i += found;
                if bytes[i] == b'\\' {
                    if i + 1 == bytes.len() {
                        self.escaped = true;
                        return (bytes.len(), false);
                    }
                    i += 2;
                    continue;
                }
                self.in_string = false;
                i += 1;
                if self.kind == Kind::Text {
                    return (i, true);
                }
                continue;
            }
            match bytes[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return (i + 1, true);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        (bytes.len(), false)
    }
}
