//! A Label Studio export's top-level list cut into its elements' bytes without parsing them.
//!
//! Why: serde_json builds a `Value` from a slice about 2.5 times faster than from a reader (it
//! borrows strings and skips per-byte reads), and once an element is bytes of its own it can be
//! parsed on another thread than the one converting the element before it. The cut only tracks
//! brackets, strings and escapes; the element's own parser judges everything else.
//!
//! The input is read straight into the buffer a batch hands on, and a batch's elements are
//! places in it: only the start of the element the batch stops before is copied, into the
//! next batch's buffer (copying each element out of a read buffer cost a tenth of converting a
//! large export).
//!
//! Positions follow serde_json's (1-based lines; a column counts the bytes before the place on
//! its line), so an error names the same line and column as parsing the whole file would.

use std::io::{self, Read};

/// Bytes asked of the input per read.
const BLOCK: usize = 1 << 18;

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

/// Consecutive elements and the bytes they are cut from (with the separators between them);
/// a batch owns its bytes, so it can move to another thread.
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
    /// The next batch's bytes: input read is `buf[..end]`, of which `buf[pos..end]` is not cut
    /// yet; `buf[end..]` is room for the next read (kept, so it is zeroed once).
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// Line of `buf[pos]`, and the bytes before it on that line.
    line: usize,
    column: usize,
    state: State,
    index: usize,
    /// A fault found after the elements of the last batch, reported on the next call.
    failed: Option<SplitError>,
    /// A batch's bytes given back ([`Splitter::reuse`]), for the next batch.
    spare: Option<Vec<u8>>,
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
            pos: 0,
            end: 0,
            eof: false,
            line: 1,
            column: 0,
            state: State::Open,
            index: 0,
            failed: None,
            spare: None,
        };
        match splitter.skip_space()? {
            Some(b'[') => {
                splitter.advance(1);
                Ok((splitter, Shape::List))
            }
            _ => {
                let mut read = std::mem::take(&mut splitter.buf);
                read.truncate(splitter.end);
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
        let first = self.pos;
        let mut elements = Vec::new();
        while self.state != State::Done && self.pos - first < target {
            match self.next_element() {
                Ok(Some(element)) => elements.push(element),
                Ok(None) => break,
                // The elements before the fault come first: one of them may be cut short by
                // it, and its parser names the fault as reading the whole file would.
                Err(error) if !elements.is_empty() => {
                    self.failed = Some(error);
                    break;
                }
                Err(error) => return Err(error),
            }
        }
        if elements.is_empty() {
            return Ok(None);
        }
        // What is not cut yet starts the next batch's buffer: one given back (its bytes zeroed
        // and its pages touched already), else a new one with room for a batch.
        let rest = self.end - self.pos;
        let mut next = self.spare.take().unwrap_or_else(|| Vec::with_capacity(rest + target + 2 * BLOCK));
        if next.len() < rest {
            next.resize(rest, 0);
        }
        next[..rest].copy_from_slice(&self.buf[self.pos..self.end]);
        let mut bytes = std::mem::replace(&mut self.buf, next);
        bytes.truncate(self.pos);
        self.end = rest;
        self.pos = 0;
        Ok(Some(Batch { bytes, elements }))
    }

    /// A batch's bytes, once its elements are read, for a later batch (allocating and zeroing
    /// a buffer for each batch cost a few percent of converting a large export).
    pub(super) fn reuse(&mut self, bytes: Vec<u8>) {
        self.spare.get_or_insert(bytes);
    }

    /// The next element, cut in `buf`; `None` at the end of the list.
    fn next_element(&mut self) -> Result<Option<Element>, SplitError> {
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
                    let element = self.element()?;
                    self.state = State::AfterElement;
                    return Ok(Some(element));
                }
            }
        }
    }

    /// One element from `buf[pos]`: an object or list to its matching bracket, a string to
    /// its closing quote, anything else to the next delimiter (its parser then says what is
    /// wrong with it).
    fn element(&mut self) -> Result<Element, SplitError> {
        let at = Position { line: self.line, column: self.column };
        let index = self.index;
        self.index += 1;
        let mut scan = Scan::default();
        let start = self.pos;
        // Bytes of the element scanned so far.
        let mut scanned = 0;
        loop {
            let (used, done) = scan.feed(&self.buf[start + scanned..self.end]);
            scanned += used;
            // At the end of the input the element is cut short; its parser reports where.
            if done || !self.fill()? {
                break;
            }
        }
        self.advance(scanned);
        Ok(Element { start, end: self.pos, index, at })
    }

    /// Skips white space; the byte after it, `None` at the end of the input.
    fn skip_space(&mut self) -> Result<Option<u8>, SplitError> {
        loop {
            while self.pos < self.end {
                let byte = self.buf[self.pos];
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

    /// Reads more input after what `buf` holds; false at the end of the input.
    fn fill(&mut self) -> Result<bool, SplitError> {
        if self.eof {
            return Ok(false);
        }
        if self.buf.len() - self.end < BLOCK {
            self.buf.resize(self.end + BLOCK, 0);
        }
        let read = loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(SplitError::Io(e)),
            }
        };
        self.end += read;
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
            // An object or list 64 bytes at a time, else eight, while they hold no backslash.
            if let (Kind::Nested, Some(block)) = (self.kind, bytes.get(i..i + SCAN_BLOCK)) {
                match self.block(block) {
                    Word::Ends(at) => return (i + at, true),
                    Word::Passed => {
                        i += SCAN_BLOCK;
                        continue;
                    }
                    Word::Escapes => {}
                }
            }
            if let (Kind::Nested, Some(word)) = (self.kind, bytes.get(i..i + 8)) {
                match self.word(word) {
                    Word::Ends(at) => return (i + at, true),
                    Word::Passed => {
                        i += 8;
                        continue;
                    }
                    Word::Escapes => {}
                }
            }
            if self.in_string {
                let Some(found) = quote_or_backslash(&bytes[i..]) else { return (bytes.len(), false) };
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
            let Some(found) = bytes[i..].iter().position(|&b| BRACKETS_AND_QUOTES[usize::from(b)]) else {
                return (bytes.len(), false);
            };
            i += found;
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

/// What eight bytes of an object or list did to the cut.
enum Word {
    /// The element ends after this many of them.
    Ends(usize),
    /// It goes on after them.
    Passed,
    /// They hold a backslash: read them a byte at a time.
    Escapes,
}

impl Scan {
    /// Eight bytes at once: each kind of byte that matters as a bit mask, strings from the
    /// running parity of their quotes, so that a branch is taken only at brackets (reading a
    /// byte at a time mispredicted a branch at every string's start and end).
    fn word(&mut self, word: &[u8]) -> Word {
        let Ok(word) = <[u8; 8]>::try_from(word) else { return Word::Escapes };
        let word = u64::from_le_bytes(word);
        if bytes_equal(word, b'\\') != 0 {
            return Word::Escapes;
        }
        let quotes = bytes_equal(word, b'"');
        let opens = bytes_equal(word, b'{') | bytes_equal(word, b'[');
        let closes = bytes_equal(word, b'}') | bytes_equal(word, b']');
        self.pass([quotes, opens, closes], 8)
    }

    /// Moves past `bytes` bytes (at most 64) given as masks of their quotes, opening and
    /// closing brackets (bit k for byte k), with no backslash among them; or says after which
    /// of them the element ends. A byte is in a string when an odd number of quotes comes
    /// before it (counting from a string's inside when they start in one); the brackets are
    /// looked at one by one only when enough of them close to end the element.
    fn pass(&mut self, [quotes, opens, closes]: [u64; 3], bytes: u32) -> Word {
        let mut inside = quotes;
        let mut shift = 1;
        while shift < bytes {
            inside ^= inside << shift;
            shift *= 2;
        }
        if self.in_string {
            inside = !inside;
        }
        let outside = !inside & (u64::MAX >> (64 - bytes));
        let (opens, closes) = (opens & outside, closes & outside);
        self.in_string ^= quotes.count_ones() % 2 == 1;
        if self.depth > closes.count_ones() as usize {
            self.depth += opens.count_ones() as usize;
            self.depth -= closes.count_ones() as usize;
            return Word::Passed;
        }
        let mut brackets = opens | closes;
        while brackets != 0 {
            let at = brackets.trailing_zeros();
            brackets &= brackets - 1;
            if opens >> at & 1 == 1 {
                self.depth += 1;
            } else {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    return Word::Ends(at as usize + 1);
                }
            }
        }
        Word::Passed
    }
}

/// Bytes of an object or list looked at together by [`Scan::block`].
const SCAN_BLOCK: usize = 64;

impl Scan {
    /// [`Scan::word`] on 64 bytes, their masks made by [`block_masks`].
    fn block(&mut self, block: &[u8]) -> Word {
        let Ok(block) = <&[u8; SCAN_BLOCK]>::try_from(block) else { return Word::Escapes };
        let [quotes, backslashes, opens, closes] = block_masks(block);
        if backslashes != 0 {
            return Word::Escapes;
        }
        self.pass([quotes, opens, closes], 64)
    }
}

/// A block's quotes, backslashes, opening and closing brackets: bit k for byte k. One flag
/// byte per input byte first, which the compiler makes with vector compares, then eight flags
/// at a time gathered into bits by a multiplication (3 GB/s, against 0.5 for a mask built bit
/// by bit, which it does not vectorise).
fn block_masks(block: &[u8; SCAN_BLOCK]) -> [u64; 4] {
    let mut flags = [[0u8; SCAN_BLOCK]; 4];
    for (at, &b) in block.iter().enumerate() {
        flags[0][at] = u8::from(b == b'"');
        flags[1][at] = u8::from(b == b'\\');
        // `[` and `{`, `]` and `}` differ only in bit 5.
        flags[2][at] = u8::from((b | 0x20) == b'{');
        flags[3][at] = u8::from((b | 0x20) == b'}');
    }
    flags.map(|flags| gather_bits(&flags))
}

/// Bit k set where flag byte k is 1.
fn gather_bits(flags: &[u8; SCAN_BLOCK]) -> u64 {
    let mut mask = 0;
    for (at, word) in (0..).step_by(8).zip(flags.chunks_exact(8)) {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        // Byte k's low bit lands on bit 56 + k; no two products overlap below it.
        mask |= word.wrapping_mul(0x0102_0408_1020_4080) >> 56 << at;
    }
    mask
}

/// Which of a word's eight bytes (little-endian) equal `byte`: bit k for byte k.
fn bytes_equal(word: u64, byte: u8) -> u64 {
    const LOW_SEVEN: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let zero_where_equal = word ^ (0x0101_0101_0101_0101 * u64::from(byte));
    // The high bit of each byte: set unless the byte is zero (no carry crosses a byte).
    let nonzero = ((zero_where_equal & LOW_SEVEN) + LOW_SEVEN) | zero_where_equal;
    let high_bits = !(nonzero | LOW_SEVEN);
    // Each byte's high bit moved down to bit 0, then all eight gathered into the top byte.
    (high_bits >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// Outside strings only these bytes matter to the cut.
const BRACKETS_AND_QUOTES: [bool; 256] = {
    let mut found = [false; 256];
    found[b'"' as usize] = true;
    found[b'{' as usize] = true;
    found[b'[' as usize] = true;
    found[b'}' as usize] = true;
    found[b']' as usize] = true;
    found
};

/// Where the first quote or backslash is. The strings of an export are mostly short keys and
/// ids: a plain look at the first bytes beats setting up memchr for each.
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    let head = bytes.len().min(16);
    match bytes[..head].iter().position(|&b| b == b'"' || b == b'\\') {
        Some(at) => Some(at),
        None => memchr::memchr2(b'"', b'\\', &bytes[head..]).map(|at| at + head),
    }
}
