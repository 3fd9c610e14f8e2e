//! A long-format file read straight into the answers aggregation works on
//! ([`AnswerColumns`]), without holding its rows: each labelled row adds its annotator and
//! label to two columns as it is read, so half a million answers cost about five bytes each
//! beside the names, not a twelve-byte row and then the index made from the rows.

use std::io::Read;

use super::{intern_packed_row, intern_row, Columns, CsvError, Names, Rows, Text, LONG_COLUMNS, NO_LABEL};
use crate::aggregate::AnswerColumns;

/// A long-format file's names, and its answers (rows with a label) in the order read.
#[derive(Clone, Debug, Default)]
pub struct LongAnswers {
    pub items: Names,
    pub annotators: Names,
    /// Label texts in order of first appearance; empty labels are not among them.
    pub labels: Names,
    /// Task `t` is item `t`, worker `w` annotator `w`, class `l` label `l`.
    pub answers: AnswerColumns,
}

/// Reads a long-format CSV as [`read_long_csv`] does (the same header, the same errors, the
/// same indices in order of first appearance) into [`LongAnswers`]. A row with an empty label
/// still names its item, a task without answers.
///
/// [`read_long_csv`]: super::read_long_csv
pub fn read_long_answers(input: impl Read) -> Result<LongAnswers, CsvError> {
    let mut columns = Columns::new(input, &LONG_COLUMNS)?;
    let mut answers = LongAnswers::default();
    columns.each_row(u64::MAX, &mut answers)?;
    Ok(answers)
}

impl Rows<3> for LongAnswers {
    #[inline(always)]
    fn row(&mut self, line: usize, fields: [Text<'_>; 3]) -> Result<(), CsvError> {
        let (item, annotator, label) =
            intern_row([&mut self.items, &mut self.annotators, &mut self.labels], line, fields)?;
        if label != NO_LABEL {
            self.answers.push(item, annotator, label);
        }
        Ok(())
    }

    #[inline(always)]
    fn packed_row(&mut self, line: usize, words: [u64; 3]) -> Result<(), CsvError> {
        let (item, annotator, label) =
            intern_packed_row([&mut self.items, &mut self.annotators, &mut self.labels], line, words)?;
        if label != NO_LABEL {
            self.answers.push(item, annotator, label);
        }
        Ok(())
    }
}
