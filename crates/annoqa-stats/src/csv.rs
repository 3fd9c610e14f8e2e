//! Long-format CSV (`item,annotator,label`, one answer per row) read as bytes, straight into the
//! dense indices the statistics work on.
//!
//! The reader follows RFC 4180: fields may be quoted, a quoted field may hold commas, doubled
//! quotes and line breaks, and records end with CRLF, LF or a lone CR. A byte-order mark at the
//! start is skipped and blank lines between records carry nothing. Fields are trimmed of
//! whitespace, as spreadsheets pad them.
//!
//! It is built for files of millions of rows: input is read in large blocks and parsed in
//! place, a field is a range of the block (copied only when it holds a doubled quote), and ids
//! are interned as they arrive ([`Names`]): a row's item, annotator and label are hashed from
//! their bytes and allocate only when the name is new, so a row costs three table look-ups and
//! twelve bytes of memory.
//!
//! Agreement needs less than the rows: [`read_long_table`] puts each row's label straight into
//! its (item, annotator) cell as it reads ([`LongTable`]), one byte a cell, and keeps no rows;
//! aggregation, less again: [`read_long_answers`] keeps each answer's annotator and label only.
//!
//! Nothing here opens files: readers take any [`Read`], and errors carry the line they are
//! about ([`CsvError`]) for the caller to put after the file's name.

use std::fmt;
use std::io::{self, Read};

#[cfg(not(target_arch = "wasm32"))]
mod halves;

#[cfg(not(target_arch = "wasm32"))]
pub use halves::read_long_csv_in_halves;

mod answers;
mod table;

pub use answers::{read_long_answers, LongAnswers};
pub use table::{read_long_table, LongTable, Repeat};

/// The label of a row whose label field is empty (a missing rating) in [`LongCsv::rows`].
pub const NO_LABEL: u32 = u32::MAX;

/// The header names of the long format's columns, each with its aliases (crowd-kit's `task`
/// and `worker`); the first name is the one error messages use.
pub const LONG_COLUMNS: [&[&str]; 3] = [&["item", "task"], &["annotator", "worker"], &["label"]];

/// The header names of a gold file's columns (`item,label`).
pub const GOLD_COLUMNS: [&[&str]; 2] = [&["item", "task"], &["label"]];

/// Why a CSV input could not be read: what is wrong, and the line it is on when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub line: Option<usize>,
    pub message: String,
}

impl CsvError {
    fn at(line: usize, message: impl Into<String>) -> CsvError {
        CsvError { line: Some(line), message: message.into() }
    }

    /// The error as `FILE:LINE: message` (or `FILE: message`), the way compilers name places.
    pub fn in_file(&self, file: &str) -> String {
        match self.line {
            Some(line) => format!("{file}:{line}: {}", self.message),
            None => format!("{file}: {}", self.message),
        }
    }
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CsvError {}

// ---------------------------------------------------------------------------------------------
// Records

/// Bytes asked of the input per read, and the block's first size; a record longer than the
/// block grows it.
const BLOCK: usize = 1 << 18;

/// Where one field's text is: a range of the block, or of the record's scratch space when
/// unquoting changed it (a doubled quote).
#[derive(Clone, Copy, Debug)]
struct Field {
    start: usize,
    end: usize,
    in_scratch: bool,
}

/// One record: its fields' raw bytes (unquoted, not trimmed) and the line it starts on.
#[derive(Debug)]
pub struct Record<'a> {
    pub line: usize,
    block: &'a [u8],
    scratch: &'a [u8],
    fields: &'a [Field],
}

impl<'a> Record<'a> {
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Field `i`'s bytes, quotes removed and doubled quotes made single.
    pub fn field(&self, i: usize) -> Option<&'a [u8]> {
        let field = self.fields.get(i)?;
        let text = if field.in_scratch { self.scratch } else { self.block };
        text.get(field.start..field.end)
    }
}

/// How far [`Records::parse`] got with the bytes it has.
enum Parsed {
    /// A record of `bytes` bytes spanning `lines` line breaks (its terminator's included).
    Record { bytes: usize, lines: usize },
    /// A blank line of `bytes` bytes, to be skipped.
    Blank { bytes: usize },
    /// The record runs past the bytes read so far.
    Incomplete,
    /// Nothing left.
    End,
}

/// An RFC 4180 record reader over any input.
pub struct Records<R> {
    input: R,
    block: Vec<u8>,
    /// The unread bytes are `block[start..filled]`.
    start: usize,
    filled: usize,
    /// Where `block[0]` is in the input, in bytes.
    consumed: u64,
    at_end: bool,
    /// The line the next record starts on.
    line: usize,
    fields: Vec<Field>,
    scratch: Vec<u8>,
}

impl<R> fmt::Debug for Records<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records").field("line", &self.line).finish_non_exhaustive()
    }
}

/// The byte-order mark that spreadsheet exports put before the first column's name.
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<R: Read> Records<R> {
    pub fn new(input: R) -> Result<Records<R>, CsvError> {
        let mut records = Records {
            input,
            block: vec![0; BLOCK],
            start: 0,
            filled: 0,
            consumed: 0,
            at_end: false,
            line: 1,
            fields: Vec::new(),
            scratch: Vec::new(),
        };
        while records.filled < BOM.len() && !records.at_end {
            records.fill()?;
        }
        if records.block[..records.filled].starts_with(BOM) {
            records.start = BOM.len();
        }
        Ok(records)
    }

    /// Records that continue `input` after `bytes` were already read from it, the first
    /// `start` of which are skipped: the rest of the input from a record's start, as line 1.
    #[cfg(not(target_arch = "wasm32"))]
    fn resume(input: R, mut bytes: Vec<u8>, start: usize) -> Records<R> {
        let filled = bytes.len();
        bytes.resize(filled.max(BLOCK), 0);
        Records {
            input,
            block: bytes,
            start,
            filled,
            consumed: 0,
            at_end: false,
            line: 1,
            fields: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Where the unread bytes start in the input.
    fn offset(&self) -> u64 {
        self.consumed + self.start as u64
    }

    /// The next record, or `None` at the end of the input.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, CsvError> {
        let Some((line, start, bytes)) = self.advance(u64::MAX)? else { return Ok(None) };
        Ok(Some(Record {
            line,
            block: &self.block[start..start + bytes],
            scratch: &self.scratch,
            fields: &self.fields,
        }))
    }

    /// Parses the next record into `fields` and `scratch`: its line, and where its bytes are in
    /// the block. Callers that want a few fields read them with [`Records::field`] rather than
    /// through a [`Record`], which is several words to hand back per row. `None` at the end of
    /// the input, or when blank lines lead up to byte `limit` (a reader of the input's first
    /// part stops there).
    fn advance(&mut self, limit: u64) -> Result<Option<(usize, usize, usize)>, CsvError> {
        loop {
            if self.offset() >= limit {
                return Ok(None);
            }
            match self.parse()? {
                Parsed::Record { bytes, lines } => {
                    let (line, start) = (self.line, self.start);
                    self.start += bytes;
                    self.line += lines;
                    return Ok(Some((line, start, bytes)));
                }
                Parsed::Blank { bytes } => {
                    self.start += bytes;
                    self.line += 1;
                }
                Parsed::End => return Ok(None),
                Parsed::Incomplete => self.fill()?,
            }
        }
    }

    /// Field `i` of the record [`Records::advance`] parsed at `start` in the block.
    #[inline]
    fn field(&self, start: usize, i: usize) -> &[u8] {
        match self.fields.get(i) {
            Some(&Field { start: from, end, in_scratch: true }) => self.scratch.get(from..end).unwrap_or_default(),
            Some(&Field { start: from, end, in_scratch: false }) => {
                self.block.get(start + from..start + end).unwrap_or_default()
            }
            None => &[],
        }
    }

    /// Moves the unread bytes to the front of the block (growing it when they fill it) and
    /// reads until the block is full or the input ends. A record is parsed again from its start
    /// after each fill, so filling the block whole, however little each read returns, is what
    /// keeps a long record's parsing linear.
    fn fill(&mut self) -> Result<(), CsvError> {
        if self.start > 0 {
            self.block.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.consumed += self.start as u64;
            self.start = 0;
        }
        if self.filled == self.block.len() {
            // One record longer than the block: doubling keeps the re-parsing linear overall.
            self.block.resize(self.block.len() * 2, 0);
        }
        while self.filled < self.block.len() {
            match self.input.read(&mut self.block[self.filled..]) {
                Ok(0) => {
                    self.at_end = true;
                    return Ok(());
                }
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CsvError::at(self.line, format!("cannot read: {e}"))),
            }
        }
        Ok(())
    }

    /// Parses the record at the start of the unread bytes.
    fn parse(&mut self) -> Result<Parsed, CsvError> {
        self.fields.clear();
        self.scratch.clear();
        RecordParser {
            data: &self.block[self.start..self.filled],
            at_end: self.at_end,
            line: self.line,
            fields: &mut self.fields,
            scratch: &mut self.scratch,
        }
        .parse()
    }
}

/// The bytes that end an unquoted field (or make it malformed), as a table: one load per byte
/// where four comparisons would be.
const ENDS_UNQUOTED: [bool; 256] = {
    let mut table = [false; 256];
    table[b',' as usize] = true;
    table[b'\n' as usize] = true;
    table[b'\r' as usize] = true;
    table[b'"' as usize] = true;
    table
};

/// One attempt at parsing the record at the start of `data` into `fields` (positions relative
/// to `data`) and `scratch`.
struct RecordParser<'a> {
    data: &'a [u8],
    /// No bytes follow `data`: a record may end where it does.
    at_end: bool,
    /// The line the record starts on, for errors.
    line: usize,
    fields: &'a mut Vec<Field>,
    scratch: &'a mut Vec<u8>,
}

impl RecordParser<'_> {
    fn parse(&mut self) -> Result<Parsed, CsvError> {
        let (data, at_end) = (self.data, self.at_end);
        match data.first() {
            None if at_end => return Ok(Parsed::End),
            None => return Ok(Parsed::Incomplete),
            Some(b'\n') => return Ok(Parsed::Blank { bytes: 1 }),
            Some(b'\r') => {
                return Ok(match (data.get(1), at_end) {
                    (Some(b'\n'), _) => Parsed::Blank { bytes: 2 },
                    (None, false) => Parsed::Incomplete,
                    _ => Parsed::Blank { bytes: 1 },
                })
            }
            Some(_) => {}
        }
        if let Some(parsed) = self.plain_record() {
            return Ok(parsed);
        }
        let mut i = 0;
        let mut lines = 0;
        loop {
            // `i` is at the start of a field; `after` becomes the position just past it.
            let after = if data.get(i) == Some(&b'"') {
                match self.quoted_field(i + 1, &mut lines)? {
                    Some(after) => after,
                    None => return Ok(Parsed::Incomplete),
                }
            } else {
                let len = data[i..].iter().position(|&b| ENDS_UNQUOTED[usize::from(b)]);
                let end = match len {
                    Some(len) => i + len,
                    None if at_end => data.len(),
                    None => return Ok(Parsed::Incomplete),
                };
                if data.get(end) == Some(&b'"') {
                    return Err(CsvError::at(
                        self.line + lines,
                        "a quote inside an unquoted field (quote the whole field and double the quote)",
                    ));
                }
                self.fields.push(Field { start: i, end, in_scratch: false });
                end
            };
            match data.get(after) {
                Some(b',') => i = after + 1,
                Some(b'\n') => return Ok(Parsed::Record { bytes: after + 1, lines: lines + 1 }),
                Some(b'\r') => {
                    return Ok(match data.get(after + 1) {
                        Some(b'\n') => Parsed::Record { bytes: after + 2, lines: lines + 1 },
                        None if !at_end => Parsed::Incomplete,
                        _ => Parsed::Record { bytes: after + 1, lines: lines + 1 },
                    })
                }
                None if at_end => return Ok(Parsed::Record { bytes: after, lines }),
                None => return Ok(Parsed::Incomplete),
                Some(_) => {
                    let rest = String::from_utf8_lossy(&data[after..data.len().min(after + 4)]).into_owned();
                    let c = rest.chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
                    return Err(CsvError::at(self.line + lines, format!("text {c:?} after a closing quote")));
                }
            }
        }
    }

    /// The common record in one pass: unquoted fields ending in LF, all within `data`. `None`
    /// for anything else (a quote, a CR, the end of the bytes read), which the general loop
    /// then parses from the start.
    #[inline]
    fn plain_record(&mut self) -> Option<Parsed> {
        let mut start = 0;
        for (i, &b) in self.data.iter().enumerate() {
            if !ENDS_UNQUOTED[usize::from(b)] {
                continue;
            }
            match b {
                b',' => {
                    self.fields.push(Field { start, end: i, in_scratch: false });
                    start = i + 1;
                }
                b'\n' => {
                    self.fields.push(Field { start, end: i, in_scratch: false });
                    return Some(Parsed::Record { bytes: i + 1, lines: 1 });
                }
                _ => break,
            }
        }
        self.fields.clear();
        None
    }

    /// Reads the quoted field whose text starts at `data[from]`, adding the line breaks inside
    /// it to `lines`; returns the position just past its closing quote, or `None` when the
    /// field runs past the bytes read so far.
    fn quoted_field(&mut self, from: usize, lines: &mut usize) -> Result<Option<usize>, CsvError> {
        let (data, at_end) = (self.data, self.at_end);
        // Text is copied to `scratch` only once a doubled quote shows up; until then the field
        // is the range `from..` of the block.
        let scratch_start = self.scratch.len();
        let mut copied = false;
        let mut segment = from;
        let mut breaks = 0;
        let mut i = from;
        loop {
            let Some(len) = data[i..].iter().position(|&b| matches!(b, b'"' | b'\n' | b'\r')) else {
                if at_end {
                    return Err(CsvError::at(self.line, "a quoted field is never closed"));
                }
                return Ok(None);
            };
            let at = i + len;
            i = at + 1;
            match data[at] {
                b'\n' => breaks += 1,
                // CRLF is one line break, counted at its LF.
                b'\r' => match data.get(at + 1) {
                    Some(b'\n') => {}
                    None if !at_end => return Ok(None),
                    _ => breaks += 1,
                },
                _ => match data.get(at + 1) {
                    Some(b'"') => {
                        // A doubled quote stands for one: the text so far with one quote.
                        self.scratch.extend_from_slice(&data[segment..=at]);
                        copied = true;
                        segment = at + 2;
                        i = at + 2;
                    }
                    None if !at_end => return Ok(None),
                    _ => {
                        let field = if copied {
                            self.scratch.extend_from_slice(&data[segment..at]);
                            Field { start: scratch_start, end: self.scratch.len(), in_scratch: true }
                        } else {
                            Field { start: from, end: at, in_scratch: false }
                        };
                        self.fields.push(field);
                        *lines += breaks;
                        return Ok(Some(at + 1));
                    }
                },
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Names

/// Why a name could not be interned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refused {
    NotUtf8,
    TooMany,
}

impl Refused {
    /// The error for the `what` (item, label, …) on `line`.
    fn at(self, line: usize, what: &str) -> CsvError {
        match self {
            Refused::NotUtf8 => CsvError::at(line, format!("the {what} is not valid UTF-8")),
            Refused::TooMany => CsvError::at(line, format!("more than 4 billion distinct {what}s")),
        }
    }
}

/// Names in order of first appearance, each with its dense index and the line it first
/// appeared on. All names share one string; the table holds indices, so a look-up of a known
/// name allocates nothing.
#[derive(Clone)]
pub struct Names {
    text: String,
    /// Name `i` is `text[bounds[i]..bounds[i + 1]]`.
    bounds: Vec<usize>,
    first_lines: Vec<usize>,
    /// Open addressing with linear probing, a power of two at least twice the number of names
    /// long. A slot holds `index + 1` in its low 32 bits (0: empty) and the name's hash's high
    /// 32 bits above, so a probe compares text only when the hashes agree.
    slots: Vec<u64>,
    /// `64 − log2(slots.len())`: a hash's slot is its top bits (Fibonacci hashing).
    shift: u32,
    /// Names of up to [`SHORT`] bytes (most ids and labels) are found here instead, by their
    /// packed word ([`pack`]): a slot holds `index + 1` (0: empty) and `packed[index]` the word
    /// to compare, so a look-up neither hashes bytes nor reads the shared string, and a table
    /// of 100,000 names is a megabyte that mostly stays in cache.
    short_slots: Vec<u32>,
    /// Each name's packed word; 0 for a long name.
    packed: Vec<u64>,
    short_shift: u32,
    short_count: usize,
    /// The name found last, packed (0 for none or a long one), and its index: long-format files
    /// list an item's answers together, so the next row's item is most often the same.
    last: (u64, u32),
    /// The long name found last, the same way.
    last_long: Option<u32>,
}

/// Names in order of first appearance without their look-up table and first lines: what is
/// left to print once a file is read, in about a third of the memory.
#[derive(Clone, Debug, Default)]
pub struct NameList {
    text: String,
    /// Name `i` is `text[bounds[i]..bounds[i + 1]]`.
    bounds: Vec<usize>,
}

impl NameList {
    pub fn len(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Name number `index`; panics if there is no such name, like slice indexing.
    pub fn name(&self, index: u32) -> &str {
        let i = index as usize;
        &self.text[self.bounds[i]..self.bounds[i + 1]]
    }

    /// The names in order of first appearance.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len() as u32).map(|i| self.name(i))
    }
}

/// The longest name [`pack`] packs.
const SHORT: usize = 7;

/// The fewest slots a table of short names has. A column of few names (annotators, labels) is
/// looked up on every row in an order no one can predict: in a table this sparse almost every
/// name sits in its own first slot, so the look-up's loop never runs twice, where a second
/// probe for some names only would be a branch the processor mispredicts on their rows. 16 KB,
/// of which a few names touch a few lines.
const MIN_SHORT_SLOTS: usize = 4096;

/// A name of at most [`SHORT`] bytes as one word: its bytes, and its length in the top byte (so
/// no two names share a word, and no name packs to 0).
#[inline]
fn pack(name: &[u8]) -> u64 {
    let len = name.len();
    let tag = (len as u64 + 1) << 56;
    // Two overlapping loads instead of a loop over the bytes: for 4–7 bytes the first four
    // and the last four (shifted to their place) cover every byte, for 1–3 the first, the
    // middle and the last do. Where they overlap they hold the same bytes, so the OR is exact.
    if len >= 4 {
        let first = u32::from_le_bytes([name[0], name[1], name[2], name[3]]);
        let last = u32::from_le_bytes([name[len - 4], name[len - 3], name[len - 2], name[len - 1]]);
        tag | u64::from(first) | u64::from(last) << (8 * (len - 4))
    } else if len > 0 {
        let (first, middle, last) = (name[0], name[len / 2], name[len - 1]);
        tag | u64::from(first) | u64::from(middle) << (8 * (len / 2)) | u64::from(last) << (8 * (len - 1))
    } else {
        tag
    }
}

impl Default for Names {
    fn default() -> Names {
        Names {
            text: String::new(),
            bounds: vec![0],
            first_lines: Vec::new(),
            slots: Vec::new(),
            shift: 64,
            short_slots: Vec::new(),
            packed: Vec::new(),
            short_shift: 64,
            short_count: 0,
            last: (0, 0),
            last_long: None,
        }
    }
}

impl fmt::Debug for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Names {
    pub fn len(&self) -> usize {
        self.first_lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first_lines.is_empty()
    }

    /// Name number `index`; panics if there is no such name, like slice indexing.
    pub fn name(&self, index: u32) -> &str {
        let i = index as usize;
        &self.text[self.bounds[i]..self.bounds[i + 1]]
    }

    /// The bytes of name `index`, without `str`'s check that the range falls on characters.
    fn bytes(&self, index: u32) -> &[u8] {
        let i = index as usize;
        &self.text.as_bytes()[self.bounds[i]..self.bounds[i + 1]]
    }

    /// The names alone, the tables that find them and their first lines freed.
    pub fn into_list(self) -> NameList {
        NameList { text: self.text, bounds: self.bounds }
    }

    /// The line name number `index` first appeared on.
    pub fn first_line(&self, index: u32) -> usize {
        self.first_lines[index as usize]
    }

    /// The names in order of first appearance.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len() as u32).map(|i| self.name(i))
    }

    /// The index of `name`, if it has one.
    pub fn get(&self, name: &str) -> Option<u32> {
        let bytes = name.as_bytes();
        let found = if bytes.len() <= SHORT { self.find_short(pack(bytes)) } else { self.find(bytes, hash(bytes)) };
        found.ok()
    }

    /// The index of the short name packed as `word`, or the empty slot where it would go.
    #[inline]
    fn find_short(&self, word: u64) -> Result<u32, usize> {
        if self.short_slots.is_empty() {
            return Err(0);
        }
        let mask = self.short_slots.len() - 1;
        let mut slot = (word.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.short_shift) as usize;
        loop {
            match self.short_slots[slot] {
                0 => return Err(slot),
                id if self.packed[id as usize - 1] == word => return Ok(id - 1),
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// The index of `name`, or the empty slot where it would go.
    fn find(&self, name: &[u8], hash: u64) -> Result<u32, usize> {
        if self.slots.is_empty() {
            return Err(0);
        }
        let mask = self.slots.len() - 1;
        let tag = hash >> 32;
        let mut slot = (hash >> self.shift) as usize;
        loop {
            let entry = self.slots[slot];
            if entry == 0 {
                return Err(slot);
            }
            let index = (entry as u32).wrapping_sub(1);
            if entry >> 32 == tag && self.bytes(index) == name {
                return Ok(index);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// The index of `name`, giving it the next one (and `line` as its first line) when new.
    pub fn intern(&mut self, name: &str, line: usize) -> Result<u32, CsvError> {
        self.intern_bytes(name.as_bytes(), line).map_err(|refused| refused.at(line, "name"))
    }

    /// [`Names::intern`] from bytes, checked as UTF-8 only when they are a new name. The error
    /// is a byte, not a [`CsvError`], so the row loop's result fits in registers.
    #[inline(always)]
    fn intern_bytes(&mut self, name: &[u8], line: usize) -> Result<u32, Refused> {
        if name.len() > SHORT {
            return self.intern_long(name, line);
        }
        self.intern_short(name, pack(name), line)
    }

    /// [`Names::intern_bytes`] of a field, through its packed word when it has one.
    #[inline(always)]
    fn intern_text(&mut self, text: Text<'_>, line: usize) -> Result<u32, Refused> {
        if text.packed != 0 {
            return self.intern_short(text.bytes, text.packed, line);
        }
        self.intern_bytes(text.bytes, line)
    }

    /// [`Names::intern_bytes`] of a short name packed as `word`.
    #[inline(always)]
    fn intern_short(&mut self, name: &[u8], word: u64, line: usize) -> Result<u32, Refused> {
        if word == self.last.0 {
            return Ok(self.last.1);
        }
        match self.find_short(word) {
            Ok(index) => {
                self.last = (word, index);
                Ok(index)
            }
            Err(_) => self.intern_new_short(name, word, line),
        }
    }

    /// [`Names::intern_bytes`] of a name given as its packed word alone ([`Rows::packed_row`]),
    /// for a column whose rows come grouped by it: most often the same name as the row before.
    #[inline(always)]
    fn intern_grouped_word(&mut self, word: u64, line: usize) -> Result<u32, Refused> {
        if word == self.last.0 {
            return Ok(self.last.1);
        }
        self.intern_word(word, line)
    }

    /// [`Names::intern_bytes`] of a name given as its packed word alone, looked up in the
    /// table without first comparing it with the last name: in a column that is not grouped
    /// (annotators, labels) that comparison is right about once in as many rows as the column
    /// has names, and a branch the processor cannot predict costs more than the look-up it
    /// would save.
    #[inline(always)]
    fn intern_word(&mut self, word: u64, line: usize) -> Result<u32, Refused> {
        match self.find_short(word) {
            Ok(index) => {
                self.last = (word, index);
                Ok(index)
            }
            Err(_) => self.intern_new_word(word, line),
        }
    }

    /// [`Names::intern_word`] of a field that may be empty, which is [`NO_LABEL`] rather than a
    /// name. An empty field looks up the column's first name instead (in the table when it is
    /// short), and the index found is then swapped for [`NO_LABEL`]: no branch on emptiness,
    /// which in a file of ratings with some missing is as hard to predict as the ratings.
    #[inline(always)]
    fn intern_optional_word(&mut self, word: u64, line: usize) -> Result<u32, Refused> {
        let empty = word == EMPTY_WORD;
        let first = self.packed.first().copied().unwrap_or_default();
        // Selections by mask rather than `if`, which the compiler may turn into a branch.
        let all = u64::from(empty).wrapping_neg();
        let probe = first & all | word & !all;
        match self.find_short(probe) {
            Ok(index) => Ok(NO_LABEL & all as u32 | index & !all as u32),
            // No name found yet to look up in its place.
            Err(_) if empty => Ok(NO_LABEL),
            Err(_) => self.intern_new_word(word, line),
        }
    }

    /// [`Names::intern_new_short`] of a name given as its packed word.
    #[inline(never)]
    fn intern_new_word(&mut self, word: u64, line: usize) -> Result<u32, Refused> {
        let bytes = word.to_le_bytes();
        let len = ((word >> 56) as usize).saturating_sub(1).min(SHORT);
        self.intern_new_short(&bytes[..len], word, line)
    }

    /// [`Names::intern_bytes`] for a short name not in the table: out of the row loop, which
    /// mostly finds names.
    #[inline(never)]
    fn intern_new_short(&mut self, name: &[u8], word: u64, line: usize) -> Result<u32, Refused> {
        if self.short_slots.is_empty() {
            self.resize_short(MIN_SHORT_SLOTS);
        }
        let slot = match self.find_short(word) {
            Ok(index) => return Ok(index),
            Err(slot) => slot,
        };
        // A packed word's high bits say whether the name is ASCII, which needs no UTF-8 check.
        let index = if word & (HIGH_BITS >> 8) == 0 { self.push_ascii(name, line)? } else { self.push(name, line)? };
        self.packed[index as usize] = word;
        self.short_slots[slot] = index + 1;
        self.short_count += 1;
        if self.short_count * 2 > self.short_slots.len() {
            self.resize_short(self.short_slots.len() * 2);
        }
        self.last = (word, index);
        Ok(index)
    }

    /// Interns every name of `other` (first seen `lines_before` lines later than its first
    /// lines say) in its order: the index each gets here, by its index in `other`. An error
    /// comes with the line of the name refused.
    #[cfg(not(target_arch = "wasm32"))]
    fn merge(&mut self, other: &Names, lines_before: usize) -> Result<Vec<u32>, (Refused, usize)> {
        // Room for all of `other` at once, as most of its names are new here (a file's second
        // half has its own items): one rebuild of the table instead of several, no growing.
        self.text.reserve(other.text.len());
        self.bounds.reserve(other.len());
        self.first_lines.reserve(other.len());
        self.packed.reserve(other.len());
        let short = self.short_count + other.short_count;
        if short * 2 > self.short_slots.len() {
            self.resize_short((short * 2).next_power_of_two().max(MIN_SHORT_SLOTS));
        }
        (0..other.len() as u32)
            .map(|i| {
                let line = other.first_line(i) + lines_before;
                // `other` packed its short names already, and they are UTF-8.
                let word = other.packed[i as usize];
                if word == 0 {
                    return self.intern_long(other.bytes(i), line).map_err(|refused| (refused, line));
                }
                match self.find_short(word) {
                    Ok(index) => Ok(index),
                    Err(slot) => {
                        let index = self.push_str(other.name(i), line).map_err(|refused| (refused, line))?;
                        self.packed[index as usize] = word;
                        self.short_slots[slot] = index + 1;
                        self.short_count += 1;
                        Ok(index)
                    }
                }
            })
            .collect()
    }

    /// [`Names::intern_bytes`] for a name longer than [`SHORT`] bytes.
    #[inline(never)]
    fn intern_long(&mut self, name: &[u8], line: usize) -> Result<u32, Refused> {
        if let Some(last) = self.last_long.filter(|&last| self.bytes(last) == name) {
            return Ok(last);
        }
        if self.slots.is_empty() {
            self.resize(16);
        }
        let hash = hash(name);
        let slot = match self.find(name, hash) {
            Ok(index) => {
                self.last_long = Some(index);
                return Ok(index);
            }
            Err(slot) => slot,
        };
        let index = self.push(name, line)?;
        self.slots[slot] = (hash >> 32) << 32 | u64::from(index + 1);
        if (self.len() - self.short_count) * 2 > self.slots.len() {
            self.resize(self.slots.len() * 2);
        }
        self.last_long = Some(index);
        Ok(index)
    }

    /// Appends a new name if it is UTF-8 and returns its index.
    fn push(&mut self, name: &[u8], line: usize) -> Result<u32, Refused> {
        let text = std::str::from_utf8(name).map_err(|_| Refused::NotUtf8)?;
        self.push_str(text, line)
    }

    /// [`Names::push`] of a name known to be UTF-8.
    fn push_str(&mut self, text: &str, line: usize) -> Result<u32, Refused> {
        let index = self.next_index()?;
        self.text.push_str(text);
        self.end_name(line);
        Ok(index)
    }

    /// [`Names::push`] of a name known to be ASCII, each byte a character.
    fn push_ascii(&mut self, name: &[u8], line: usize) -> Result<u32, Refused> {
        let index = self.next_index()?;
        self.text.extend(name.iter().map(|&b| char::from(b)));
        self.end_name(line);
        Ok(index)
    }

    /// The index a new name gets.
    fn next_index(&self) -> Result<u32, Refused> {
        u32::try_from(self.len()).ok().filter(|&i| i < u32::MAX - 1).ok_or(Refused::TooMany)
    }

    /// Ends the name just added to the text.
    fn end_name(&mut self, line: usize) {
        self.bounds.push(self.text.len());
        self.first_lines.push(line);
        self.packed.push(0);
    }

    /// Rebuilds the table of long names with `len` slots (a power of two).
    fn resize(&mut self, len: usize) {
        self.slots = vec![0; len];
        self.shift = 64 - len.trailing_zeros();
        let mask = len - 1;
        for index in 0..self.len() as u32 {
            if self.bytes(index).len() <= SHORT {
                continue;
            }
            let hash = hash(self.bytes(index));
            let mut slot = (hash >> self.shift) as usize;
            while self.slots[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            self.slots[slot] = (hash >> 32) << 32 | u64::from(index + 1);
        }
    }

    /// Rebuilds the table of short names with `len` slots (a power of two).
    #[allow(clippy::slow_vector_initialization)]
    fn resize_short(&mut self, len: usize) {
        // Zeros written, not asked of the allocator as zeroed memory: the rebuild below and
        // the look-ups after it read the table in no order, and a read of a page not yet written
        // maps the kernel's shared zero page, which the first write to it must then replace. Two
        // page faults a page instead of one, on a table of a megabyte for 100,000 items.
        let mut slots = Vec::with_capacity(len);
        slots.resize(len, 0);
        self.short_slots = slots;
        self.short_shift = 64 - len.trailing_zeros();
        for index in 0..self.len() as u32 {
            let word = self.packed[index as usize];
            if word == 0 {
                continue;
            }
            let Err(slot) = self.find_short(word) else { continue };
            self.short_slots[slot] = index + 1;
        }
    }
}

/// A fast hash of a short byte string: eight bytes at a time, each word folded in by a
/// multiply (as rustc's FxHash), then mixed so that the top bits, which pick the slot, depend
/// on every input bit. Not keyed: a file built to collide slows its own reading down, nothing
/// more.
fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h.rotate_left(26) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(26) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    // A multiply carries low bits up only: fold the high half down and multiply again so the
    // top bits see the whole word.
    (h ^ (h >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

// ---------------------------------------------------------------------------------------------
// Columns

/// Whitespace trimmed as `str::trim` does: ASCII whitespace at the byte level, and the rare
/// field that starts or ends with a non-ASCII byte through `str::trim` (which also knows the
/// Unicode spaces); such a field that is not UTF-8 is returned untrimmed for the caller to
/// reject.
#[inline]
fn trim(bytes: &[u8]) -> &[u8] {
    // Most fields need nothing: ASCII other than whitespace (every ASCII space is at most
    // 0x20) at both ends, one subtraction and compare per end.
    let plain = |b: u8| b.wrapping_sub(0x21) < 0x5F;
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) if plain(first) && plain(last) => bytes,
        (None, _) | (_, None) => bytes,
        _ => trim_spaces(bytes),
    }
}

/// [`trim`] for a field that starts or ends with a space or a non-ASCII byte.
#[cold]
fn trim_spaces(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| matches!(b, b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | b' ');
    let start = bytes.iter().position(|b| !is_space(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_space(b)).map_or(start, |e| e + 1);
    let ascii = &bytes[start..end];
    match (ascii.first(), ascii.last()) {
        (Some(&first), Some(&last)) if first >= 0x80 || last >= 0x80 => match std::str::from_utf8(ascii) {
            Ok(text) => text.trim().as_bytes(),
            Err(_) => ascii,
        },
        _ => ascii,
    }
}

/// A record's line and its wanted fields, trimmed, in the order asked for.
pub type Fields<'a, const N: usize> = (usize, [&'a [u8]; N]);

/// The columns [`Columns`]' fast path reads: a record with more fields goes the general way.
const PLAIN_COLUMNS: usize = 16;

/// In [`Columns::slots`], a column no one asked for.
const UNWANTED: u8 = u8::MAX;

/// A CSV input read by named columns: the header is checked once, then every record yields
/// the wanted fields, trimmed, in the order asked for.
pub struct Columns<R> {
    records: Records<R>,
    columns: Vec<usize>,
    /// Fields a record needs to hold every wanted column.
    needed: usize,
    /// For each of the first [`PLAIN_COLUMNS`] columns, its place among the wanted ones, or
    /// [`UNWANTED`]; all [`UNWANTED`] when a wanted column lies beyond them, which turns the
    /// fast path off.
    slots: [u8; PLAIN_COLUMNS],
}

impl<R> fmt::Debug for Columns<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Columns").field("columns", &self.columns).finish_non_exhaustive()
    }
}

impl<R: Read> Columns<R> {
    /// Reads the header and finds each wanted column by any of its names (trimmed, any case).
    pub fn new(input: R, wanted: &[&[&str]]) -> Result<Columns<R>, CsvError> {
        let expected = wanted.iter().map(|aliases| aliases[0]).collect::<Vec<_>>().join(", ");
        let mut records = Records::new(input)?;
        let Some(header) = records.next_record()? else {
            return Err(CsvError {
                line: None,
                message: format!("the file is empty; expected a header with {expected}"),
            });
        };
        let raw: Vec<String> = (0..header.len())
            .map(|i| String::from_utf8_lossy(header.field(i).unwrap_or_default()).into_owned())
            .collect();
        let names: Vec<String> = raw.iter().map(|f| f.trim().to_ascii_lowercase()).collect();
        let mut columns = Vec::with_capacity(wanted.len());
        for aliases in wanted {
            match names.iter().position(|n| aliases.contains(&n.as_str())) {
                Some(i) => columns.push(i),
                None => {
                    return Err(CsvError::at(
                        header.line,
                        format!(
                            "the header has no {} column (it names: {}); expected a header with {expected}",
                            aliases[0],
                            raw.join(", ")
                        ),
                    ))
                }
            }
        }
        let needed = columns.iter().max().map_or(0, |m| m + 1);
        let mut slots = [UNWANTED; PLAIN_COLUMNS];
        if needed <= PLAIN_COLUMNS {
            for (slot, &column) in columns.iter().enumerate() {
                slots[column] = u8::try_from(slot).unwrap_or(UNWANTED);
            }
        }
        Ok(Columns { records, columns, needed, slots })
    }

    /// The same columns of other records: the input's rest after a line break.
    #[cfg(not(target_arch = "wasm32"))]
    fn with_records<S>(&self, records: Records<S>) -> Columns<S> {
        Columns { records, columns: self.columns.clone(), needed: self.needed, slots: self.slots }
    }

    /// The next record's line and its wanted fields, trimmed; `N` is the number of wanted
    /// columns. A record too short to hold them is an error naming its line.
    pub fn next_fields<const N: usize>(&mut self) -> Result<Option<Fields<'_, N>>, CsvError> {
        let Some((line, start, _)) = self.records.advance(u64::MAX)? else { return Ok(None) };
        self.wanted(line, start).map(Some)
    }

    /// The wanted fields of the record [`Records::advance`] parsed at `start` in the block.
    fn wanted<const N: usize>(&self, line: usize, start: usize) -> Result<Fields<'_, N>, CsvError> {
        let found = self.records.fields.len();
        if found < self.needed {
            return Err(CsvError::at(line, format!("expected at least {} fields, found {found}", self.needed)));
        }
        let mut fields: [&[u8]; N] = [&[]; N];
        for (field, &column) in fields.iter_mut().zip(&self.columns) {
            *field = trim(self.records.field(start, column));
        }
        Ok((line, fields))
    }

    /// Hands every record that starts before byte `limit` of the input to `rows`, with its line
    /// and its wanted fields, trimmed, in file order; stops at the first error, `rows`' or the
    /// input's. The same records as [`Columns::next_fields`], without its per-record cost for
    /// the plain ones.
    fn each_row<const N: usize>(&mut self, limit: u64, rows: &mut impl Rows<N>) -> Result<(), CsvError> {
        loop {
            self.plain_rows(limit, rows)?;
            // Anything else (a quote, a CR, a blank line, the end of the block) takes one record
            // through the general parser, which also refills the block.
            let Some((line, start, _)) = self.records.advance(limit)? else { return Ok(()) };
            let (line, fields) = self.wanted::<N>(line, start)?;
            rows.row(line, fields.map(|bytes| Text { bytes, packed: 0 }))?;
        }
    }

    /// [`Columns::each_row`] over the plain records at the start of the unread bytes.
    #[inline]
    fn plain_rows<const N: usize>(&mut self, limit: u64, rows: &mut impl Rows<N>) -> Result<(), CsvError> {
        let Columns { records, slots, needed, .. } = self;
        let data = &records.block[..records.filled];
        // Records must start before `end` in the block.
        let end = usize::try_from(limit.saturating_sub(records.consumed)).map_or(data.len(), |end| end.min(data.len()));
        let (mut start, mut line) = (records.start, records.line);
        let mut result = Ok(());
        // Records that [`short_record`] declined lately: it is tried again only after a few,
        // so a file of long records pays little for the attempts.
        let mut declined = 0u32;
        while start < end {
            let short = match declined {
                0 => short_record::<N>(&data[start..], slots, *needed),
                _ => None,
            };
            let bytes = match short {
                Some((bytes, Short::Words(words))) => {
                    result = rows.packed_row(line, words);
                    bytes
                }
                Some((bytes, Short::Texts(fields))) => {
                    result = rows.row(line, fields);
                    bytes
                }
                None => {
                    declined = declined.checked_sub(1).unwrap_or(SHORT_RETRY);
                    let Some((bytes, fields)) = plain_record::<N>(&data[start..], slots, *needed) else { break };
                    result = rows.row(line, fields);
                    bytes
                }
            };
            if result.is_err() {
                break;
            }
            start += bytes;
            line += 1;
        }
        records.start = start;
        records.line = line;
        result
    }
}

/// A field's text as [`Columns::each_row`] hands it out: trimmed, and when it is at most
/// [`SHORT`] bytes of ASCII other than whitespace, also packed as [`pack`] packs it, which the
/// name tables then need not do (0 otherwise).
#[derive(Clone, Copy, Debug, Default)]
struct Text<'a> {
    bytes: &'a [u8],
    packed: u64,
}

/// What [`Columns::each_row`] hands rows to: a trait rather than a closure so that the row
/// loop's call is inlined in both of its places.
trait Rows<const N: usize> {
    fn row(&mut self, line: usize, fields: [Text<'_>; N]) -> Result<(), CsvError>;

    /// [`Rows::row`] of a record whose wanted fields are each at most [`SHORT`] bytes of
    /// printable ASCII other than quotes and commas, given as their packed words ([`pack`]),
    /// which hold their bytes: the row loop of most long-format files, whose ids and labels
    /// are short, without the fields' slices.
    fn packed_row(&mut self, line: usize, words: [u64; N]) -> Result<(), CsvError>;
}

/// The record at the start of `data` if it is plain: unquoted fields without a CR, at least
/// `needed` and at most [`PLAIN_COLUMNS`] of them, ending in LF at least eight bytes before the
/// end of `data`. Its length in bytes and its wanted fields (by `slots`). `None` for anything
/// else, a blank line too, which the general parser then reads.
#[inline(always)]
fn plain_record<'a, const N: usize>(
    data: &'a [u8],
    slots: &[u8; PLAIN_COLUMNS],
    needed: usize,
) -> Option<(usize, [Text<'a>; N])> {
    let mut fields = [Text::default(); N];
    let mut column = 0;
    let mut start = 0;
    loop {
        let (end, packed) = field_end(data, start)?;
        if let Some(field) = fields.get_mut(usize::from(*slots.get(column)?)) {
            let raw = &data[start..end];
            *field = Text { bytes: if packed == 0 { trim(raw) } else { raw }, packed };
        }
        let record_end = match data[end] {
            b',' => None,
            b'\n' => Some(end + 1),
            // CRLF: `field_end` saw the LF.
            _ => Some(end + 2),
        };
        if let Some(bytes) = record_end {
            return (end > 0 && column + 1 >= needed).then_some((bytes, fields));
        }
        column += 1;
        start = end + 1;
    }
}

/// Records read the longer way after [`short_record`] declines one, before it is tried again.
const SHORT_RETRY: u32 = 32;

/// What [`short_record`] makes of a record: its wanted fields as packed words when each is at
/// most [`SHORT`] bytes (the common case, for [`Rows::packed_row`]), else as texts.
enum Short<'a, const N: usize> {
    Words([u64; N]),
    Texts([Text<'a>; N]),
}

/// The record at the start of `data` if it is short and simple: at most 15 bytes of printable
/// ASCII other than quotes (so no field needs trimming or unquoting) ending in LF, at least
/// `needed` and at most [`PLAIN_COLUMNS`] fields, with 24 bytes of `data` to read. What
/// [`plain_record`] gives for it, from one look at its first 16 bytes: the commas and the LF
/// are found in masks of 16 bits, one per byte. `None` for anything else, which
/// [`plain_record`] then reads.
#[inline(always)]
fn short_record<'a, const N: usize>(
    data: &'a [u8],
    slots: &[u8; PLAIN_COLUMNS],
    needed: usize,
) -> Option<(usize, Short<'a, N>)> {
    // Past the 16 bytes looked at, 8 more: a field's packed word is read from where it starts.
    let window: &[u8; 24] = data.get(..24)?.try_into().ok()?;
    // Fields start within the 16 bytes: the mask keeps the reads provably in bounds.
    let word = |at: usize| {
        let at = at & 15;
        let bytes: [u8; 8] = window[at..at + 8].try_into().unwrap_or_default();
        u64::from_le_bytes(bytes)
    };
    let (first, second) = (stops(word(0)), stops(word(8)));
    let stops = first.0 | second.0 << 8;
    let mut commas = first.1 | second.1 << 8;
    // The record ends at the first stop that is not a comma, which must be an LF.
    let end = (stops & !commas).trailing_zeros() as usize;
    if window.get(end) != Some(&b'\n') {
        return None;
    }
    commas &= (1 << end) - 1;
    // The packed word of a field of at most SHORT bytes: its length's tag above its bytes.
    let packed = |start: usize, end: usize| {
        let len = end - start;
        word(start) & LOW_BYTES[len] | (len as u64 + 1) << 56
    };
    let field = |start: usize, end: usize| {
        let len = end - start;
        let packed = if len <= SHORT { packed(start, end) } else { 0 };
        Some(Text { bytes: data.get(start..end)?, packed })
    };
    if needed == N && N > 1 {
        // The common record holds the wanted columns and no others: N − 1 commas, found
        // without a loop whose length depends on the data.
        let mut ends = [end; N];
        let mut rest = commas;
        for field_end in ends.iter_mut().take(N - 1) {
            *field_end = rest.trailing_zeros() as usize;
            rest &= rest.wrapping_sub(1);
        }
        if rest == 0 && ends[N - 2] < end {
            let (mut start, mut long) = (0, false);
            for &field_end in &ends {
                long |= field_end - start > SHORT;
                start = field_end + 1;
            }
            if !long {
                let mut words = [0u64; N];
                let mut start = 0;
                for (&slot, &field_end) in slots.iter().zip(&ends) {
                    *words.get_mut(usize::from(slot))? = packed(start, field_end);
                    start = field_end + 1;
                }
                return Some((end + 1, Short::Words(words)));
            }
            // A field too long for a word: the same fields as texts.
            let mut fields = [Text::default(); N];
            let mut start = 0;
            for (&slot, &field_end) in slots.iter().zip(&ends) {
                *fields.get_mut(usize::from(slot))? = field(start, field_end)?;
                start = field_end + 1;
            }
            return Some((end + 1, Short::Texts(fields)));
        }
    }
    let mut fields = [Text::default(); N];
    let mut start = 0;
    for (column, &slot) in slots.iter().enumerate() {
        let last = commas == 0;
        let field_end = if last { end } else { commas.trailing_zeros() as usize };
        commas &= commas.wrapping_sub(1);
        if let Some(wanted) = fields.get_mut(usize::from(slot)) {
            *wanted = field(start, field_end)?;
        }
        if last {
            return (end > 0 && column + 1 >= needed).then_some((end + 1, Short::Texts(fields)));
        }
        start = field_end + 1;
    }
    // More fields than the fast paths read.
    None
}

/// The packed word of an empty field ([`pack`] of no bytes).
const EMPTY_WORD: u64 = 1 << 56;

/// The mask of a word's first `n` bytes, by `n` up to [`SHORT`]: a look-up where a variable
/// shift would be several instructions.
const LOW_BYTES: [u64; SHORT + 1] = {
    let mut masks = [0u64; SHORT + 1];
    let mut n = 1;
    while n <= SHORT {
        masks[n] = (1u64 << (8 * n)) - 1;
        n += 1;
    }
    masks
};

/// Two masks of `word`'s bytes, one bit per byte (the lowest for its first byte): the bytes
/// that end a field or keep [`short_record`] from reading it (a comma, a byte below 0x23 —
/// LF, CR, space, `!`, a quote, other controls — or one that is not ASCII), and the commas.
#[inline(always)]
fn stops(word: u64) -> (u32, u32) {
    let commas = word ^ repeat(b',');
    let is_comma = !(((commas & !HIGH_BITS) + !HIGH_BITS) | commas) & HIGH_BITS;
    let is_low = !((word | HIGH_BITS) - repeat(0x23)) & !word & HIGH_BITS;
    let marked = is_comma | is_low | word & HIGH_BITS;
    (gather(marked), gather(is_comma))
}

/// The high bits of `word`'s bytes as the low eight bits of the result, byte i's on bit i: moved
/// to bit 0 of their bytes, then gathered into the top byte by one multiply (byte i's bit lands
/// on bit 56 + i, and no two partial products overlap below it, so nothing carries).
#[inline(always)]
fn gather(word: u64) -> u32 {
    ((word >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32
}

/// Eight copies of a byte in a word.
const fn repeat(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

const HIGH_BITS: u64 = repeat(0x80);

/// The unquoted field at `data[start..]`, eight bytes at a time: where the `,`, LF or CRLF that
/// ends it is, and its text packed when it is short and plain ([`Text`]). `None` when a quote
/// or a lone CR comes first, or when the end of `data` does, within eight bytes.
#[inline(always)]
fn field_end(data: &[u8], start: usize) -> Option<(usize, u64)> {
    let mut at = start;
    loop {
        let chunk: [u8; 8] = data.get(at..at + 8)?.try_into().ok()?;
        let word = u64::from_le_bytes(chunk);
        // The high bit of each byte that is a comma or below 0x23 (LF, CR, a quote, a space,
        // other controls), exactly: the additions carry out of no byte.
        let commas = word ^ repeat(b',');
        let is_comma = !(((commas & !HIGH_BITS) + !HIGH_BITS) | commas) & HIGH_BITS;
        let is_low = !((word | HIGH_BITS) - repeat(0x23)) & !word & HIGH_BITS;
        let hits = is_comma | is_low;
        if hits != 0 {
            let len = (hits.trailing_zeros() / 8) as usize;
            let end = at + len;
            let ends = match chunk[len] {
                b',' | b'\n' => true,
                b'\r' => data.get(end + 1) == Some(&b'\n'),
                _ => false,
            };
            if !ends {
                // A quote or a lone CR, or a space or another control inside the field.
                return field_end_slowly(data, end);
            }
            // The bytes before the first hit are neither commas nor below 0x23: the field is
            // plain unless one is not ASCII.
            let kept = (1u64 << (8 * len)) - 1;
            let packed =
                if at == start && word & HIGH_BITS & kept == 0 { word & kept | (len as u64 + 1) << 56 } else { 0 };
            return Some((end, packed));
        }
        at += 8;
    }
}

/// [`field_end`] past a byte below 0x23 at `data[at]` that may not end the field: a space, a
/// tab, `!`. Such a field is not packed.
#[cold]
fn field_end_slowly(data: &[u8], at: usize) -> Option<(usize, u64)> {
    let len = data.get(at..)?.iter().position(|&b| ENDS_UNQUOTED[usize::from(b)])?;
    let end = at + len;
    match data[end] {
        b',' | b'\n' => Some((end, 0)),
        b'\r' if data.get(end + 1) == Some(&b'\n') => Some((end, 0)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Long format

/// A row of a long-format file: `(item, annotator, label)`.
pub type Row = (u32, u32, u32);

/// A long-format file read into dense indices: every row as `(item, annotator, label)`, with
/// [`NO_LABEL`] for an empty label, and the names behind the indices.
#[derive(Debug, Default)]
pub struct LongCsv {
    pub items: Names,
    pub annotators: Names,
    /// Label texts in order of first appearance; empty labels are not among them.
    pub labels: Names,
    pub rows: Vec<Row>,
    lines: LineIndex,
}

impl LongCsv {
    /// The line row number `row` starts on.
    pub fn line(&self, row: usize) -> usize {
        self.lines.line(row)
    }
}

/// The line of every row, kept as the few rows where lines do not simply count up (after a
/// blank line or a field with line breaks): `(row, line)`, by row.
#[derive(Debug, Default)]
struct LineIndex {
    jumps: Vec<(usize, usize)>,
    /// The line the next row has if it follows the last one directly.
    next: usize,
    /// Rows indexed, counted here so that the rows themselves may be kept elsewhere.
    rows: usize,
}

impl LineIndex {
    /// Indexes the next row, which starts on `line`.
    fn push(&mut self, line: usize) {
        if self.rows == 0 || line != self.next {
            self.jumps.push((self.rows, line));
        }
        self.next = line + 1;
        self.rows += 1;
    }

    /// Appends `other`, the index of the rows that follow, its lines shifted by `lines_before`.
    #[cfg(not(target_arch = "wasm32"))]
    fn append(&mut self, other: &LineIndex, lines_before: usize) {
        let rows_before = self.rows;
        let mut jumps = other.jumps.iter().map(|&(row, line)| (row + rows_before, line + lines_before));
        let Some((_, line)) = jumps.next() else { return };
        // The other's first row is a jump only if it does not follow on from this one's last.
        self.push(line);
        self.jumps.extend(jumps);
        self.next = other.next + lines_before;
        self.rows = rows_before + other.rows;
    }

    fn line(&self, row: usize) -> usize {
        let after = self.jumps.partition_point(|&(r, _)| r <= row);
        match after.checked_sub(1).and_then(|i| self.jumps.get(i)) {
            Some(&(first, line)) => line + (row - first),
            None => row + 1,
        }
    }
}

/// Reads a long-format CSV: a header naming `item` (or `task`), `annotator` (or `worker`) and
/// `label`, in any order among other columns, then one answer per row. The item and the
/// annotator must not be empty; an empty label is a missing answer.
pub fn read_long_csv(input: impl Read) -> Result<LongCsv, CsvError> {
    let mut columns = Columns::new(input, &LONG_COLUMNS)?;
    let mut csv = LongCsv::default();
    csv.read_rows(&mut columns, u64::MAX)?;
    Ok(csv)
}

impl LongCsv {
    /// Reads the rows that start before byte `limit` of the input.
    fn read_rows<R: Read>(&mut self, columns: &mut Columns<R>, limit: u64) -> Result<(), CsvError> {
        columns.each_row(limit, self)
    }

    /// Appends `other`, read from the rest of the input, whose lines count from 1 where this
    /// one's end (`lines_before` lines in), and whose rows are `pieces`, in order: its names
    /// are looked up in this one's, new ones taking the next indices in their order of first
    /// appearance, so the result is what one reader of the whole input would have made. Each
    /// piece is freed once copied, so the rows are never all held twice.
    #[cfg(not(target_arch = "wasm32"))]
    fn append(&mut self, other: LongCsv, pieces: Vec<Vec<Row>>, lines_before: usize) -> Result<(), CsvError> {
        let merge = |names: &mut Names, from: &Names, what: &str| {
            names.merge(from, lines_before).map_err(|(refused, line)| refused.at(line, what))
        };
        let items = merge(&mut self.items, &other.items, "item")?;
        let annotators = merge(&mut self.annotators, &other.annotators, "annotator")?;
        let labels = merge(&mut self.labels, &other.labels, "label")?;
        let LongCsv { lines, .. } = other;
        self.rows.reserve_exact(pieces.iter().map(Vec::len).sum());
        for piece in pieces {
            // Indices in `other` are below its names' counts, so the look-ups stay in bounds.
            self.rows.extend(piece.iter().map(|&(item, annotator, label)| {
                let label = if label == NO_LABEL { NO_LABEL } else { labels[label as usize] };
                (items[item as usize], annotators[annotator as usize], label)
            }));
        }
        self.lines.append(&lines, lines_before);
        Ok(())
    }
}

/// One long-format row's item, annotator and label as indices into their names, interned as
/// they come (an empty label is [`NO_LABEL`]); an empty item or annotator is an error. Both the
/// row reader ([`LongCsv`]) and the table reader ([`LongTable`](table::LongTable)) read rows so.
#[inline(always)]
fn intern_row(
    [items, annotators, labels]: [&mut Names; 3],
    line: usize,
    [item, annotator, label]: [Text<'_>; 3],
) -> Result<Row, CsvError> {
    refuse_unnamed(line, item.bytes.is_empty(), annotator.bytes.is_empty())?;
    let item = items.intern_text(item, line).map_err(|r| r.at(line, "item"))?;
    let annotator = annotators.intern_text(annotator, line).map_err(|r| r.at(line, "annotator"))?;
    let label = if label.bytes.is_empty() {
        NO_LABEL
    } else {
        labels.intern_text(label, line).map_err(|r| r.at(line, "label"))?
    };
    Ok((item, annotator, label))
}

/// The error of a long-format row whose item or annotator is empty (the item named first).
#[inline(always)]
fn refuse_unnamed(line: usize, no_item: bool, no_annotator: bool) -> Result<(), CsvError> {
    if no_item {
        return Err(CsvError::at(line, "the item is empty"));
    }
    if no_annotator {
        return Err(CsvError::at(line, "the annotator is empty"));
    }
    Ok(())
}

/// [`intern_row`] of a row given as its fields' packed words ([`Rows::packed_row`]). The items
/// are looked up as a grouped column, the annotators and labels as columns that are not.
#[inline(always)]
fn intern_packed_row(
    [items, annotators, labels]: [&mut Names; 3],
    line: usize,
    [item, annotator, label]: [u64; 3],
) -> Result<Row, CsvError> {
    refuse_unnamed(line, item == EMPTY_WORD, annotator == EMPTY_WORD)?;
    let item = items.intern_grouped_word(item, line).map_err(|r| r.at(line, "item"))?;
    let annotator = annotators.intern_word(annotator, line).map_err(|r| r.at(line, "annotator"))?;
    let label = labels.intern_optional_word(label, line).map_err(|r| r.at(line, "label"))?;
    Ok((item, annotator, label))
}

impl Rows<3> for LongCsv {
    #[inline(always)]
    fn row(&mut self, line: usize, fields: [Text<'_>; 3]) -> Result<(), CsvError> {
        let (item, annotator, label) =
            intern_row([&mut self.items, &mut self.annotators, &mut self.labels], line, fields)?;
        self.lines.push(line);
        self.rows.push((item, annotator, label));
        Ok(())
    }

    #[inline(always)]
    fn packed_row(&mut self, line: usize, words: [u64; 3]) -> Result<(), CsvError> {
        let row = intern_packed_row([&mut self.items, &mut self.annotators, &mut self.labels], line, words)?;
        self.lines.push(line);
        self.rows.push(row);
        Ok(())
    }
}

/// Known answers read from an `item,label` CSV.
#[derive(Debug, Default)]
pub struct Gold {
    /// `(item, label)` for the gold items among `items`.
    pub answers: Vec<(u32, u32)>,
    /// Gold items that are not among `items`.
    pub unknown: usize,
}

/// Reads gold answers (`item`/`task` and `label` columns): labels are interned into `labels`
/// (new ones get the next indices), items are looked up in `items`. An item may have one gold
/// label, and both fields are needed.
pub fn read_gold(input: impl Read, items: &Names, labels: &mut Names) -> Result<Gold, CsvError> {
    let mut columns = Columns::new(input, &GOLD_COLUMNS)?;
    let mut gold = Gold::default();
    let mut seen = Names::default();
    while let Some((line, [item, label])) = columns.next_fields::<2>()? {
        if item.is_empty() || label.is_empty() {
            return Err(CsvError::at(line, "gold needs both an item and a label"));
        }
        let known = seen.len();
        let index = seen.intern_bytes(item, line).map_err(|r| r.at(line, "item"))?;
        if seen.len() == known {
            return Err(CsvError::at(
                line,
                format!("item {:?} already has a gold label on line {}", seen.name(index), seen.first_line(index)),
            ));
        }
        let label = labels.intern_bytes(label, line).map_err(|r| r.at(line, "label"))?;
        match items.get(seen.name(index)) {
            Some(item) => gold.answers.push((item, label)),
            None => gold.unknown += 1,
        }
    }
    Ok(gold)
}

#[cfg(test)]
mod tests;
