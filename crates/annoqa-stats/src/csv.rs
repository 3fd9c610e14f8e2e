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
//! Nothing here opens files: readers take any [`Read`], and errors carry the line they are
//! about ([`CsvError`]) for the caller to put after the file's name.

use std::fmt;
use std::io::{self, Read};

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

    /// The next record, or `None` at the end of the input.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, CsvError> {
        loop {
            match self.parse()? {
                Parsed::Record { bytes, lines } => {
                    let line = self.line;
                    let block = &self.block[self.start..self.start + bytes];
                    self.start += bytes;
                    self.line += lines;
                    return Ok(Some(Record { line, block, scratch: &self.scratch, fields: &self.fields }));
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

    /// Moves the unread bytes to the front of the block (growing it when they fill it) and
    /// reads until the block is full or the input ends. A record is parsed again from its start
    /// after each fill, so filling the block whole, however little each read returns, is what
    /// keeps a long record's parsing linear.
    fn fill(&mut self) -> Result<(), CsvError> {
        if self.start > 0 {
            self.block.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
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
                let len = data[i..].iter().position(|&b| matches!(b, b',' | b'\n' | b'\r' | b'"'));
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

/// Names in order of first appearance, each with its dense index and the line it first
/// appeared on. All names share one string; the table holds indices, so a look-up of a known
/// name allocates nothing.
#[derive(Clone, Default)]
pub struct Names {
    text: String,
    /// Name `i` is `text[ends[i - 1]..ends[i]]` (from 0 for the first).
    ends: Vec<usize>,
    first_lines: Vec<usize>,
    /// Open addressing with linear probing: `index + 1`, 0 for an empty slot. Its length is a
    /// power of two at least twice the number of names.
    table: Vec<u32>,
    /// The index found last: long-format files list an item's answers together, so the next
    /// row's item is most often the same and needs no hashing.
    last: Option<u32>,
}

impl fmt::Debug for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Names {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Name number `index`; panics if there is no such name, like slice indexing.
    pub fn name(&self, index: u32) -> &str {
        let i = index as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
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
        if self.table.is_empty() {
            return None;
        }
        let mask = self.table.len() - 1;
        let mut slot = hash(name.as_bytes()) as usize & mask;
        loop {
            match self.table[slot] {
                0 => return None,
                id if self.name(id - 1).as_bytes() == name.as_bytes() => return Some(id - 1),
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// The index of `name`, giving it the next one (and `line` as its first line) when new.
    pub fn intern(&mut self, name: &str, line: usize) -> Result<u32, CsvError> {
        self.intern_bytes(name.as_bytes(), line)?.ok_or_else(|| CsvError::at(line, "the text is not valid UTF-8"))
    }

    /// [`Names::intern`] from bytes, checked as UTF-8 only when they are a new name: `None`
    /// when they are new and not UTF-8.
    fn intern_bytes(&mut self, name: &[u8], line: usize) -> Result<Option<u32>, CsvError> {
        if let Some(last) = self.last {
            if self.name(last).as_bytes() == name {
                return Ok(Some(last));
            }
        }
        if self.table.is_empty() {
            self.table = vec![0; 16];
        }
        let mask = self.table.len() - 1;
        let mut slot = hash(name) as usize & mask;
        loop {
            match self.table[slot] {
                0 => break,
                id if self.name(id - 1).as_bytes() == name => {
                    self.last = Some(id - 1);
                    return Ok(Some(id - 1));
                }
                _ => slot = (slot + 1) & mask,
            }
        }
        let Ok(text) = std::str::from_utf8(name) else { return Ok(None) };
        let index = u32::try_from(self.len())
            .ok()
            .filter(|&i| i < u32::MAX - 1)
            .ok_or_else(|| CsvError::at(line, "more than 4 billion distinct names"))?;
        self.text.push_str(text);
        self.ends.push(self.text.len());
        self.first_lines.push(line);
        self.table[slot] = index + 1;
        if self.len() * 2 > self.table.len() {
            self.grow();
        }
        self.last = Some(index);
        Ok(Some(index))
    }

    fn grow(&mut self) {
        let mut table = vec![0u32; self.table.len() * 2];
        let mask = table.len() - 1;
        for index in 0..self.len() as u32 {
            let mut slot = hash(self.name(index).as_bytes()) as usize & mask;
            while table[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            table[slot] = index + 1;
        }
        self.table = table;
    }
}

/// A fast hash of a short byte string: eight bytes at a time, each word mixed in by a multiply
/// (as rustc's FxHash), then the high bits folded down so the table's mask sees them.
fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    h ^ (h >> 29) ^ (h >> 43)
}

// ---------------------------------------------------------------------------------------------
// Columns

/// Whitespace trimmed as `str::trim` does: ASCII whitespace at the byte level, and the rare
/// field that starts or ends with a non-ASCII byte through `str::trim` (which also knows the
/// Unicode spaces); such a field that is not UTF-8 is returned untrimmed for the caller to
/// reject.
fn trim(bytes: &[u8]) -> &[u8] {
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

/// A CSV input read by named columns: the header is checked once, then every record yields
/// the wanted fields, trimmed, in the order asked for.
pub struct Columns<R> {
    records: Records<R>,
    columns: Vec<usize>,
    /// Fields a record needs to hold every wanted column.
    needed: usize,
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
        Ok(Columns { records, columns, needed })
    }

    /// The next record's line and its wanted fields, trimmed; `N` is the number of wanted
    /// columns. A record too short to hold them is an error naming its line.
    pub fn next_fields<const N: usize>(&mut self) -> Result<Option<(usize, [&[u8]; N])>, CsvError> {
        let (columns, needed) = (&self.columns, self.needed);
        let Some(record) = self.records.next_record()? else { return Ok(None) };
        if record.len() < needed {
            return Err(CsvError::at(
                record.line,
                format!("expected at least {needed} fields, found {}", record.len()),
            ));
        }
        let mut fields: [&[u8]; N] = [&[]; N];
        for (field, &column) in fields.iter_mut().zip(columns) {
            *field = trim(record.field(column).unwrap_or_default());
        }
        Ok(Some((record.line, fields)))
    }
}

// ---------------------------------------------------------------------------------------------
// Long format

/// A long-format file read into dense indices: every row as `(item, annotator, label)`, with
/// [`NO_LABEL`] for an empty label, and the names behind the indices.
#[derive(Debug, Default)]
pub struct LongCsv {
    pub items: Names,
    pub annotators: Names,
    /// Label texts in order of first appearance; empty labels are not among them.
    pub labels: Names,
    pub rows: Vec<(u32, u32, u32)>,
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
}

impl LineIndex {
    fn push(&mut self, row: usize, line: usize) {
        if row == 0 || self.line(row) != line {
            self.jumps.push((row, line));
        }
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
    while let Some((line, [item, annotator, label])) = columns.next_fields::<3>()? {
        let not_utf8 = |what: &str| CsvError::at(line, format!("the {what} is not valid UTF-8"));
        if item.is_empty() {
            return Err(CsvError::at(line, "the item is empty"));
        }
        if annotator.is_empty() {
            return Err(CsvError::at(line, "the annotator is empty"));
        }
        let item = csv.items.intern_bytes(item, line)?.ok_or_else(|| not_utf8("item"))?;
        let annotator = csv.annotators.intern_bytes(annotator, line)?.ok_or_else(|| not_utf8("annotator"))?;
        let label = if label.is_empty() {
            NO_LABEL
        } else {
            csv.labels.intern_bytes(label, line)?.ok_or_else(|| not_utf8("label"))?
        };
        csv.lines.push(csv.rows.len(), line);
        csv.rows.push((item, annotator, label));
    }
    Ok(csv)
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
        let index = seen.intern_bytes(item, line)?.ok_or_else(|| CsvError::at(line, "the item is not valid UTF-8"))?;
        if seen.len() == known {
            return Err(CsvError::at(
                line,
                format!("item {:?} already has a gold label on line {}", seen.name(index), seen.first_line(index)),
            ));
        }
        let label =
            labels.intern_bytes(label, line)?.ok_or_else(|| CsvError::at(line, "the label is not valid UTF-8"))?;
        match items.get(seen.name(index)) {
            Some(item) => gold.answers.push((item, label)),
            None => gold.unknown += 1,
        }
    }
    Ok(gold)
}

#[cfg(test)]
mod tests;
