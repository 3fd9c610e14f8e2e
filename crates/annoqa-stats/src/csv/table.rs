//! A long-format file read straight into the items × annotators table that agreement works on,
//! without holding its rows: each row's label goes into its (item, annotator) cell as the row is
//! read, so a file of a million rows costs the table and the names, not twelve bytes a row on
//! top of them. A cell is one byte (files rarely have more than [`OVERFLOW`] labels; the cells
//! of those that do are kept aside), so the table of 100,000 items × 10 annotators is a
//! megabyte, and the per-item label counts most coefficients need are made from it directly.
//!
//! Agreement needs at most one label per item and annotator. A second label for a pair is not
//! an error here (the file may hold a worse one further on, which must be reported first, as
//! [`read_long_csv`] reports it); the table keeps the first such row's line
//! ([`LongTable::repeat`]) for the caller to report once the file is read.
//!
//! [`read_long_csv`]: super::read_long_csv

use std::collections::HashMap;
use std::io::Read;

use super::{
    intern_packed_row, intern_row, Columns, CsvError, NameList, Names, Row, Rows, Text, LONG_COLUMNS, NO_LABEL,
};
use crate::{Counts, Ratings, StatsError};

/// A cell without a label.
const EMPTY: u8 = u8::MAX;

/// A cell whose label is [`OVERFLOW`] or above, kept in [`LongTable::overflow`].
const OVERFLOW: u8 = u8::MAX - 1;

/// A long-format file read into names and one label per (item, annotator).
#[derive(Clone, Debug, Default)]
pub struct LongTable {
    pub items: Names,
    pub annotators: Names,
    /// Label texts in order of first appearance; empty labels are not among them.
    pub labels: Names,
    /// Cells per item, at least the number of annotators seen so far.
    pub(super) width: usize,
    /// The label of every (item, annotator), item-major: [`EMPTY`], a label below
    /// [`OVERFLOW`], or [`OVERFLOW`] for one found in `overflow`.
    cells: Vec<u8>,
    /// The labels from [`OVERFLOW`] on, by (item, annotator).
    pub(super) overflow: HashMap<(u32, u32), u32>,
    repeat: Option<Repeat>,
}

/// The first row that labels an (item, annotator) pair an earlier row labelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repeat {
    /// The line the row starts on.
    pub line: usize,
    pub item: u32,
    pub annotator: u32,
}

/// Reads a long-format CSV as [`read_long_csv`] does (the same header, the same errors, the
/// same indices in order of first appearance), into a [`LongTable`].
///
/// [`read_long_csv`]: super::read_long_csv
pub fn read_long_table(input: impl Read) -> Result<LongTable, CsvError> {
    let mut columns = Columns::new(input, &LONG_COLUMNS)?;
    let mut table = LongTable::default();
    columns.each_row(u64::MAX, &mut table)?;
    Ok(table)
}

/// Cells [`LongTable::make_room`] adds past the last item, a page's worth at a time.
const ROOM_AHEAD_CELLS: usize = 4096;

/// Below this many cells the table is laid out again at exactly the annotators' count when one
/// more appears; above, at twice its width, so a file whose annotators keep appearing is laid
/// out a logarithmic number of times. Most files name every annotator within their first items.
const EXACT_WIDTH_CELLS: usize = 1 << 16;

impl LongTable {
    /// The first row that labels an (item, annotator) pair a second time, if any.
    pub fn repeat(&self) -> Option<Repeat> {
        self.repeat
    }

    /// The label of `item` by `annotator`, as an index into [`LongTable::labels`].
    pub fn label(&self, item: u32, annotator: u32) -> Option<u32> {
        if annotator as usize >= self.width {
            return None;
        }
        match *self.cells.get(item as usize * self.width + annotator as usize)? {
            EMPTY => None,
            OVERFLOW => self.overflow.get(&(item, annotator)).copied(),
            label => Some(u32::from(label)),
        }
    }

    /// The category of every cell value, `categories` for none, after checking `of_label`
    /// against the labels and the categories.
    fn categories_of_cells(&self, of_label: &[u32], categories: usize) -> Result<[u32; 256], StatsError> {
        if of_label.len() != self.labels.len() {
            return Err(StatsError::WrongLength { expected: self.labels.len(), got: of_label.len() });
        }
        if let Some(&category) = of_label.iter().find(|&&c| c as usize >= categories) {
            return Err(StatsError::CategoryOutOfRange { category, categories });
        }
        // Cells hold labels below `labels.len()`, so every value met has its entry; OVERFLOW's
        // is never read.
        let mut of_cell = [categories as u32; 256];
        for (entry, &category) in of_cell.iter_mut().zip(of_label.iter().take(usize::from(OVERFLOW))) {
            *entry = category;
        }
        Ok(of_cell)
    }

    /// The table as [`Ratings`] over `categories` categories, label `l` in category
    /// `of_label[l]` (one entry per label), with the names left to print: the items' (the
    /// ratings' units) and the annotators' (their coders).
    pub fn into_ratings(
        self,
        of_label: &[u32],
        categories: usize,
    ) -> Result<(Ratings, NameList, NameList), StatsError> {
        let of_cell = self.categories_of_cells(of_label, categories)?;
        let (units, coders) = (self.items.len(), self.annotators.len());
        let mut ratings = Vec::with_capacity(units * coders);
        for (unit, cells) in self.cells.chunks_exact(self.width.max(1)).take(units).enumerate() {
            ratings.extend(cells[..coders].iter().enumerate().map(|(coder, &cell)| match cell {
                EMPTY => NO_LABEL,
                OVERFLOW => self.overflow.get(&(unit as u32, coder as u32)).map_or(NO_LABEL, |&l| of_label[l as usize]),
                cell => of_cell[usize::from(cell)],
            }));
        }
        let ratings = Ratings::from_cells(units, coders, categories, ratings);
        Ok((ratings, self.items.into_list(), self.annotators.into_list()))
    }

    /// How many annotators put each item in each of `categories` categories (label `l` in
    /// `of_label[l]`): what Fleiss' κ, Gwet's AC, Brennan–Prediger, percent agreement and
    /// Krippendorff's α read, made from the table without [`Ratings`] between. With the names
    /// left to print, as [`LongTable::into_ratings`].
    pub fn into_counts(self, of_label: &[u32], categories: usize) -> Result<(Counts, NameList, NameList), StatsError> {
        let of_cell = self.categories_of_cells(of_label, categories)?;
        let k = categories;
        let width = self.width.max(1);
        let mut counts = vec![0u32; self.items.len() * k];
        if k > 0 && k < 8 && width < 256 && self.overflow.is_empty() {
            // The common case (a few categories, fewer than 256 annotators): each item's
            // counts, the empty ones' included, fit the bytes of one word held in a register,
            // one shift and add per cell (as `Ratings::counts`).
            let mut shift = [0u8; 256];
            for (shift, &category) in shift.iter_mut().zip(&of_cell) {
                *shift = 8 * category as u8;
            }
            for (row, cells) in counts.chunks_exact_mut(k).zip(self.cells.chunks_exact(width)) {
                let packed = cells.iter().fold(0u64, |packed, &cell| packed + (1u64 << shift[usize::from(cell)]));
                for (c, slot) in row.iter_mut().enumerate() {
                    *slot = ((packed >> (8 * c)) & 0xff) as u32;
                }
            }
        } else if k > 0 {
            for (unit, (row, cells)) in counts.chunks_exact_mut(k).zip(self.cells.chunks_exact(width)).enumerate() {
                for (coder, &cell) in cells.iter().enumerate() {
                    let category = match cell {
                        OVERFLOW => self
                            .overflow
                            .get(&(unit as u32, coder as u32))
                            .map_or(k, |&l| of_label[l as usize] as usize),
                        cell => of_cell[usize::from(cell)] as usize,
                    };
                    if let Some(n) = row.get_mut(category) {
                        *n += 1;
                    }
                }
            }
        }
        Ok((Counts::from_cells(k, counts), self.items.into_list(), self.annotators.into_list()))
    }

    /// Lays the table out for every item and annotator named so far: wider when an annotator
    /// is new, longer when an item is.
    #[cold]
    #[inline(never)]
    fn make_room(&mut self) {
        let (items, annotators) = (self.items.len(), self.annotators.len());
        if annotators > self.width {
            let width = if self.cells.len() <= EXACT_WIDTH_CELLS { annotators } else { annotators.max(2 * self.width) };
            let mut cells = vec![EMPTY; items * width];
            for (to, from) in cells.chunks_exact_mut(width).zip(self.cells.chunks_exact(self.width.max(1))) {
                to[..from.len()].copy_from_slice(from);
            }
            self.cells = cells;
            self.width = width;
        }
        if self.cells.len() < items * self.width {
            // Room for the next items too, so that this runs once per many new items rather
            // than for each; the rows past the items are empty and left out at the end.
            let ahead = (ROOM_AHEAD_CELLS / self.width.max(1)).max(1);
            self.cells.resize((items + ahead) * self.width, EMPTY);
        }
    }

    /// Sets the cell of a label from [`OVERFLOW`] on; false when the pair has a label already.
    #[cold]
    #[inline(never)]
    fn set_overflow(&mut self, cell: usize, item: u32, annotator: u32, label: u32) -> bool {
        match self.cells.get_mut(cell) {
            Some(slot) if *slot == EMPTY => {
                *slot = OVERFLOW;
                self.overflow.insert((item, annotator), label);
                true
            }
            _ => false,
        }
    }

    /// Keeps the first repeated pair.
    #[cold]
    #[inline(never)]
    fn note_repeat(&mut self, line: usize, item: u32, annotator: u32) {
        self.repeat.get_or_insert(Repeat { line, item, annotator });
    }
}

impl Rows<3> for LongTable {
    #[inline(always)]
    fn row(&mut self, line: usize, fields: [Text<'_>; 3]) -> Result<(), CsvError> {
        // An empty label still names its item, which is a unit of the table even when no one
        // labelled it.
        let row = intern_row([&mut self.items, &mut self.annotators, &mut self.labels], line, fields)?;
        self.put(line, row);
        Ok(())
    }

    #[inline(always)]
    fn packed_row(&mut self, line: usize, words: [u64; 3]) -> Result<(), CsvError> {
        let row = intern_packed_row([&mut self.items, &mut self.annotators, &mut self.labels], line, words)?;
        self.put(line, row);
        Ok(())
    }
}

impl LongTable {
    /// Puts a row's label in its cell: the item is a unit of the table, labelled or not (an
    /// empty label, [`NO_LABEL`], leaves its cell as it is).
    #[inline(always)]
    fn put(&mut self, line: usize, (item, annotator, label): Row) {
        let mut cell = item as usize * self.width + annotator as usize;
        if annotator as usize >= self.width || cell >= self.cells.len() {
            self.make_room();
            cell = item as usize * self.width + annotator as usize;
        }
        // Labels from OVERFLOW on are kept aside; NO_LABEL wraps to 0 and stays here, where its
        // low byte is EMPTY. No branch asks whether the label is empty: in a file with missing
        // ratings the answer is as hard to predict as the ratings.
        if label.wrapping_add(1) > u32::from(OVERFLOW) {
            if !self.set_overflow(cell, item, annotator, label) {
                self.note_repeat(line, item, annotator);
            }
            return;
        }
        let small = label as u8;
        let Some(slot) = self.cells.get_mut(cell) else { return };
        let old = *slot;
        *slot = if old == EMPTY { small } else { old };
        // Both labelled, in one comparison (EMPTY is the largest byte).
        if old.max(small) != EMPTY {
            self.note_repeat(line, item, annotator);
        }
    }
}
