//! A long-format input read on two threads: the records before a line break near its middle on
//! the calling thread, the rest on a second one, each into its own tables, then merged.
//!
//! Whether that line break ends a record is only known by reading from the start (a quoted
//! field may hold it), so the second thread guesses that it does, and the first checks: its
//! last record ends exactly there, or it reads the rest itself and the second thread's work is
//! dropped. Either way the result is what [`read_long_csv`] makes of the same bytes: the same
//! indices (in order of first appearance), rows (in file order), lines and errors.
//!
//! It pays where a second core is free: every row of the second half is written twice (by its
//! thread, then into the merged rows) and the second half's names are looked up again, about 7 %
//! more instructions and a third more memory touched than one reader. On the two shared vCPUs of
//! `cargo xtask bench-cli` that cost more than it saved, so `annoqa` reads on one thread.
//!
//! Native only: wasm32 has no threads.

use std::io::{self, Read};

use super::{read_long_csv, Columns, CsvError, LongCsv, Records, Row, BLOCK, LONG_COLUMNS};

/// Inputs shorter than this are read on one thread, where a second would save less time than
/// it takes to start.
const MIN_SPLIT_LEN: u64 = 1 << 20;

/// How far past the middle the second thread looks for a line break before leaving the whole
/// input to the first.
const MAX_LINE_SEARCH: usize = 4 * BLOCK;

/// Bytes of input whose rows the second thread keeps in one piece ([`read_in_pieces`]).
const PIECE: u64 = 1 << 20;

/// Reads a long-format CSV of `len` bytes as [`read_long_csv`] does, on two threads: `open(n)`
/// gives the input from byte `n` on (a file opened and moved there, or a slice of bytes in
/// memory); it is called twice, for byte 0 and for the middle.
pub fn read_long_csv_in_halves<R, F>(len: u64, open: F) -> Result<LongCsv, CsvError>
where
    R: Read + Send,
    F: Fn(u64) -> io::Result<R>,
{
    read_in_halves(len, &open, MIN_SPLIT_LEN, PIECE).map(|(csv, _)| csv)
}

/// [`read_long_csv_in_halves`], splitting inputs of at least `min_len` bytes, the second half's
/// rows kept in pieces of `piece` bytes of input; also says whether the second thread's rows
/// were used.
pub(super) fn read_in_halves<R: Read + Send>(
    len: u64,
    open: &dyn Fn(u64) -> io::Result<R>,
    min_len: u64,
    piece: u64,
) -> Result<(LongCsv, bool), CsvError> {
    let opened = |offset| open(offset).map_err(|e| CsvError { line: None, message: format!("cannot read: {e}") });
    if len < min_len.max(2) {
        return Ok((read_long_csv(opened(0)?)?, false));
    }
    let mut columns = Columns::new(opened(0)?, &LONG_COLUMNS)?;
    let mut csv = LongCsv::default();
    let middle = len / 2;
    let second = match second_half(opened(middle)?, middle)? {
        Some((records, split)) if split > columns.records.offset() => Some((columns.with_records(records), split)),
        _ => None,
    };
    let Some((mut rest, split)) = second else {
        csv.read_rows(&mut columns, u64::MAX)?;
        return Ok((csv, false));
    };
    std::thread::scope(|scope| {
        let other = scope.spawn(move || read_in_pieces(&mut rest, piece));
        csv.read_rows(&mut columns, split)?;
        if columns.records.offset() != split {
            // A quoted field holds the line break at `split` (or the input changed under us):
            // the second thread started inside a record, so this one reads on.
            csv.read_rows(&mut columns, u64::MAX)?;
            return Ok((csv, false));
        }
        let lines_before = columns.records.line - 1;
        let (half, pieces) =
            other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)).map_err(|mut e| {
                e.line = e.line.map(|line| line + lines_before);
                e
            })?;
        csv.append(half, pieces, lines_before)?;
        Ok((csv, true))
    })
}

/// Reads `rest` to its end: the names, and the rows in pieces of about `bytes` bytes of input
/// each, which [`LongCsv::append`] frees one by one as it copies them behind the first half's
/// rows.
fn read_in_pieces<R: Read>(rest: &mut Columns<R>, bytes: u64) -> Result<(LongCsv, Vec<Vec<Row>>), CsvError> {
    let mut half = LongCsv::default();
    let mut pieces = Vec::new();
    loop {
        let limit = rest.records.offset() + bytes;
        half.read_rows(rest, limit)?;
        let piece = std::mem::take(&mut half.rows);
        let done = rest.records.offset() < limit;
        if !done {
            half.rows.reserve(piece.len());
        }
        pieces.push(piece);
        if done {
            return Ok((half, pieces));
        }
    }
}

/// The records after the first line break at or past byte `middle` of the input, which `input`
/// starts at, and where they start; `None` when there is no line break within
/// [`MAX_LINE_SEARCH`] bytes of it.
fn second_half<R: Read>(mut input: R, middle: u64) -> Result<Option<(Records<R>, u64)>, CsvError> {
    let mut bytes = vec![0; BLOCK];
    let mut filled = 0;
    loop {
        if let Some(at) = bytes[..filled].iter().position(|&b| b == b'\n') {
            bytes.truncate(filled);
            let split = middle + at as u64 + 1;
            return Ok(Some((Records::resume(input, bytes, at + 1), split)));
        }
        if filled == bytes.len() {
            if bytes.len() >= MAX_LINE_SEARCH {
                return Ok(None);
            }
            bytes.resize(bytes.len() * 2, 0);
        }
        match input.read(&mut bytes[filled..]) {
            Ok(0) => return Ok(None),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(CsvError { line: None, message: format!("cannot read: {e}") }),
        }
    }
}
