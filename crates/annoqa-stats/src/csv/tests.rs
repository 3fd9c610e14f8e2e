//! The CSV reader: quoting, line ends and line numbers, errors, inputs that arrive a few bytes
//! at a time, the name table, and the long and gold formats.

use std::io::{self, Read};

use proptest::prelude::*;

use super::*;
use crate::aggregate::Answers;

/// Hands out its bytes at most `chunk` at a time, as a pipe or a slow disk may, so records
/// cross block boundaries at every position.
struct Trickle<'a> {
    bytes: &'a [u8],
    chunk: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(out.len()).min(self.bytes.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// Every record as its line and its fields as text.
fn records_from(input: impl Read) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let mut reader = Records::new(input)?;
    let mut out = Vec::new();
    while let Some(record) = reader.next_record()? {
        let fields = (0..record.len()).map(|i| String::from_utf8(record.field(i).unwrap().to_vec()).unwrap()).collect();
        out.push((record.line, fields));
    }
    Ok(out)
}

/// The records of `text`, checked to be the same whether it arrives whole or byte by byte.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let whole = records_from(text.as_bytes());
    let trickled = records_from(Trickle { bytes: text.as_bytes(), chunk: 1 });
    assert_eq!(whole, trickled, "read whole and byte by byte differ on {text:?}");
    whole
}

fn fields(text: &str) -> Vec<Vec<String>> {
    records(text).unwrap().into_iter().map(|(_, fields)| fields).collect()
}

fn error(text: &str) -> String {
    records(text).unwrap_err().to_string()
}

/// Quotes a field when it needs it, as `annoqa aggregate` writes them; a record of one empty
/// field is quoted too, or it would be a blank line.
fn write_record(fields: &[String], end: &str) -> String {
    let quote = |f: &String| {
        if f.contains([',', '"', '\n', '\r']) || (fields.len() == 1 && f.is_empty()) {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.clone()
        }
    };
    fields.iter().map(quote).collect::<Vec<_>>().join(",") + end
}

#[test]
fn quoting_edge_cases() {
    assert_eq!(fields("a,\"b,c\",d\n"), [["a", "b,c", "d"]]);
    assert_eq!(fields("\"say \"\"yes\"\"\",\"\"\"\",\"\"\n"), [["say \"yes\"", "\"", ""]]);
    // Empty fields everywhere, and a last record without a line end.
    assert_eq!(fields(",,\n,x,"), [["", "", ""], ["", "x", ""]]);
    // Quotes open only at a field's start; spaces around a quoted field are an error after it.
    assert_eq!(fields("\"a\"\"\"\"b\"\n"), [["a\"\"b"]]);
    assert_eq!(fields("\"\"\n"), [[""]]);
    // Two doubled-quote fields in one record keep their own text.
    assert_eq!(fields("\"x\"\"1\",\"y\"\"2\"\n"), [["x\"1", "y\"2"]]);
}

#[test]
fn line_ends_and_line_numbers() {
    let text = "h1,h2\r\n\"multi\r\nline\nfield\",b\r\n\r\n\nlast,\"x\"\r\n";
    assert_eq!(
        records(text).unwrap(),
        [
            (1, vec!["h1".to_string(), "h2".to_string()]),
            (2, vec!["multi\r\nline\nfield".to_string(), "b".to_string()]),
            (7, vec!["last".to_string(), "x".to_string()]),
        ]
    );
    // A lone CR ends a record (old Mac files) and counts as a line.
    assert_eq!(records("a\rb\r\rc").unwrap().iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 4]);
    assert_eq!(fields("a\rb\r\rc"), [["a"], ["b"], ["c"]]);
}

#[test]
fn byte_order_mark_is_skipped() {
    assert_eq!(fields("\u{feff}item,label\n1,x\n"), [["item", "label"], ["1", "x"]]);
    // Only at the very start.
    assert_eq!(fields("a\n\u{feff}b\n"), [["a"], ["\u{feff}b"]]);
    assert_eq!(fields("\u{feff}"), Vec::<Vec<String>>::new());
    assert_eq!(fields(""), Vec::<Vec<String>>::new());
}

#[test]
fn malformed_quotes_name_their_line() {
    assert_eq!(error("a,b\nx,\"y\nz\n"), "line 2: a quoted field is never closed");
    assert_eq!(error("a\nb\nx,\"y\"z\n"), "line 3: text 'z' after a closing quote");
    assert_eq!(error("a\n\"two\nlines\" ,b\n"), "line 3: text ' ' after a closing quote");
    assert_eq!(
        error("a\nx,y\"\n"),
        "line 2: a quote inside an unquoted field (quote the whole field and double the quote)"
    );
    assert_eq!(error("\"a\"é\n"), "line 1: text 'é' after a closing quote");
    let error = records("x\n\"open").unwrap_err();
    assert_eq!(error.in_file("f.csv"), "f.csv:2: a quoted field is never closed");
}

#[test]
fn a_record_longer_than_a_block_is_read_whole() {
    let long = "é\"".repeat(BLOCK);
    let text = format!("a,\"{}\"\nb\n", long.replace('"', "\"\""));
    assert_eq!(fields(&text), [vec!["a".to_string(), long], vec!["b".to_string()]]);
}

proptest! {
    /// Whatever the fields hold (commas, quotes, line breaks, any text), writing them with
    /// quoting and reading them back gives the same records, on the lines they were written,
    /// whichever way the input is cut into reads.
    #[test]
    fn written_fields_read_back(
        records in prop::collection::vec(prop::collection::vec("[a-z ,\"\r\né€]{0,6}", 1..4), 1..8),
        crlf in any::<bool>(),
        chunk in 1usize..40,
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        let mut expected = Vec::new();
        let mut line = 1;
        for record in &records {
            let written = write_record(record, end);
            expected.push((line, record.clone()));
            line += written.matches('\n').count() + written.replace("\r\n", "").matches('\r').count();
            text.push_str(&written);
        }
        prop_assert_eq!(records_from(Trickle { bytes: text.as_bytes(), chunk }).unwrap(), expected.clone());
        prop_assert_eq!(records_from(text.as_bytes()).unwrap(), expected);
    }

    /// Names get indices in order of first appearance and keep them; look-ups agree.
    #[test]
    fn names_are_interned_in_order(names in prop::collection::vec("[a-c]{0,3}|[0-9]{1,5}", 0..200)) {
        let mut table = Names::default();
        let mut expected: Vec<&str> = Vec::new();
        for (line, name) in names.iter().enumerate() {
            let index = table.intern(name, line + 1).unwrap();
            let position = expected.iter().position(|n| n == name).unwrap_or_else(|| {
                expected.push(name);
                expected.len() - 1
            });
            prop_assert_eq!(index as usize, position);
        }
        prop_assert_eq!(table.iter().collect::<Vec<_>>(), expected.clone());
        for (i, name) in expected.iter().enumerate() {
            prop_assert_eq!(table.get(name), Some(i as u32));
            let first = names.iter().position(|n| n == name).unwrap() + 1;
            prop_assert_eq!(table.first_line(i as u32), first);
        }
        prop_assert_eq!(table.get("not a name"), None);
    }
}

#[test]
fn many_names_grow_the_table() {
    let mut table = Names::default();
    for i in 0..100_000u32 {
        assert_eq!(table.intern(&format!("item-{i}"), 1).unwrap(), i);
    }
    for i in (0..100_000u32).step_by(7) {
        assert_eq!(table.get(&format!("item-{i}")), Some(i));
        assert_eq!(table.intern(&format!("item-{i}"), 9).unwrap(), i);
    }
    assert_eq!(table.len(), 100_000);
    assert_eq!(table.name(99_999), "item-99999");
    // The list left for printing holds the same names.
    let list = table.clone().into_list();
    assert_eq!((list.len(), list.name(99_999)), (100_000, "item-99999"));
    assert!(list.iter().eq(table.iter()));
    assert!(Names::default().into_list().is_empty());
}

#[test]
fn long_format_rows_become_indices() {
    let text =
        "\u{feff}Note,Worker,TASK,Label\r\nx, ann ,1,cat\r\n\"multi\nline\",bob,1,\r\n\r\n,ann,2,\"dog\"\r\n,bob,2,cat";
    let csv = read_long_csv(Trickle { bytes: text.as_bytes(), chunk: 3 }).unwrap();
    assert_eq!(csv.items.iter().collect::<Vec<_>>(), ["1", "2"]);
    assert_eq!(csv.annotators.iter().collect::<Vec<_>>(), ["ann", "bob"]);
    assert_eq!(csv.labels.iter().collect::<Vec<_>>(), ["cat", "dog"]);
    assert_eq!(csv.rows, [(0, 0, 0), (0, 1, NO_LABEL), (1, 0, 1), (1, 1, 0)]);
    assert_eq!((0..4).map(|row| csv.line(row)).collect::<Vec<_>>(), [2, 3, 6, 7]);
    assert_eq!(csv.labels.first_line(1), 6);
    // Unicode spaces are trimmed as `str::trim` trims them.
    let csv = read_long_csv("item,annotator,label\n\u{3000}a\u{a0},b,\u{2003}é \n".as_bytes()).unwrap();
    assert_eq!((csv.items.name(0), csv.labels.name(0)), ("a", "é"));
}

#[test]
fn long_format_errors() {
    let error = |text: &[u8]| read_long_csv(text).unwrap_err().in_file("f.csv");
    assert_eq!(error(b""), "f.csv: the file is empty; expected a header with item, annotator, label");
    assert_eq!(
        error(b"item, Rater ,label\n"),
        "f.csv:1: the header has no annotator column (it names: item,  Rater , label); expected a header with item, annotator, label"
    );
    assert_eq!(error(b"item,annotator,label\n1,a,x\n\n2\n"), "f.csv:4: expected at least 3 fields, found 1");
    assert_eq!(error(b"item,annotator,label\n , a,x\n"), "f.csv:2: the item is empty");
    assert_eq!(error(b"item,annotator,label\n1,,x\n"), "f.csv:2: the annotator is empty");
    // The same with rows after them, so that the short-record path reads them.
    let rows_after = "2,a,x\n3,a,x\n4,a,x\n5,a,x\n";
    assert_eq!(error(format!("item,annotator,label\n,a,x\n{rows_after}").as_bytes()), "f.csv:2: the item is empty");
    assert_eq!(
        error(format!("item,annotator,label\n1,,x\n{rows_after}").as_bytes()),
        "f.csv:2: the annotator is empty"
    );
    let table_error = |text: String| read_long_table(text.as_bytes()).unwrap_err().in_file("f.csv");
    assert_eq!(table_error(format!("item,annotator,label\n1,a,x\n,b,x\n{rows_after}")), "f.csv:3: the item is empty");
    assert_eq!(error(b"item,annotator,label\n1,a,x\n1,a,\xff\n"), "f.csv:3: the label is not valid UTF-8");
}

#[test]
fn gold_answers() {
    let csv = read_long_csv("task,worker,label\n1,a,x\n2,a,y\n".as_bytes()).unwrap();
    let mut labels = csv.labels.clone();
    let gold = read_gold("item,label\n2,z\n9,x\n1,y\n".as_bytes(), &csv.items, &mut labels).unwrap();
    assert_eq!(gold.answers, [(1, 2), (0, 1)]);
    assert_eq!(gold.unknown, 1);
    assert_eq!(labels.iter().collect::<Vec<_>>(), ["x", "y", "z"]);
    let error = |text: &str| read_gold(text.as_bytes(), &csv.items, &mut labels.clone()).unwrap_err().to_string();
    assert_eq!(error("item,label\n1,x\n\n1,y\n"), "line 4: item \"1\" already has a gold label on line 2");
    assert_eq!(error("item,label\n1,\n"), "line 2: gold needs both an item and a label");
}

/// Everything a long-format read gives: names with their first lines, rows, every row's line;
/// or the error.
fn long_outcome(read: Result<LongCsv, CsvError>) -> Result<String, String> {
    let csv = read.map_err(|e| e.to_string())?;
    let names = |names: &Names| {
        (0..names.len() as u32).map(|i| (names.name(i).to_string(), names.first_line(i))).collect::<Vec<_>>()
    };
    let lines: Vec<usize> = (0..csv.rows.len()).map(|row| csv.line(row)).collect();
    Ok(format!(
        "items {:?}\nannotators {:?}\nlabels {:?}\nrows {:?}\nlines {lines:?}",
        names(&csv.items),
        names(&csv.annotators),
        names(&csv.labels),
        csv.rows
    ))
}

/// A long-format read through the general record parser alone, record by record, names packed
/// by the tables: what [`read_long_csv`]'s fast path for plain records must agree with.
fn read_generally(text: &[u8]) -> Result<LongCsv, CsvError> {
    let mut columns = Columns::new(text, &LONG_COLUMNS)?;
    let mut csv = LongCsv::default();
    while let Some((line, fields)) = columns.next_fields::<3>()? {
        csv.row(line, fields.map(|bytes| Text { bytes, packed: 0 }))?;
    }
    Ok(csv)
}

/// What a long-format read into the items × annotators table gives: names with their first
/// lines, every labelled pair's label, and the first repeated pair; or the error.
fn table_outcome(read: Result<LongTable, CsvError>) -> Result<String, String> {
    let table = read.map_err(|e| e.to_string())?;
    let names = |names: &Names| {
        (0..names.len() as u32).map(|i| (names.name(i).to_string(), names.first_line(i))).collect::<Vec<_>>()
    };
    let mut labelled = Vec::new();
    for item in 0..table.items.len() as u32 {
        for annotator in 0..table.annotators.len() as u32 {
            if let Some(label) = table.label(item, annotator) {
                labelled.push((item, annotator, label));
            }
        }
    }
    Ok(format!(
        "items {:?}\nannotators {:?}\nlabels {:?}\nlabelled {labelled:?}\nrepeat {:?}",
        names(&table.items),
        names(&table.annotators),
        names(&table.labels),
        table.repeat()
    ))
}

/// [`table_outcome`] as the rows of [`read_long_csv`] give it: each pair's first label, and the
/// first row that labels a pair again.
fn table_from_rows(read: Result<LongCsv, CsvError>) -> Result<String, String> {
    let csv = read.map_err(|e| e.to_string())?;
    let names = |names: &Names| {
        (0..names.len() as u32).map(|i| (names.name(i).to_string(), names.first_line(i))).collect::<Vec<_>>()
    };
    let mut first = std::collections::BTreeMap::new();
    let mut repeat = None;
    for (row, &(item, annotator, label)) in csv.rows.iter().enumerate() {
        if label == NO_LABEL {
            continue;
        }
        match first.entry((item, annotator)) {
            std::collections::btree_map::Entry::Vacant(pair) => {
                pair.insert(label);
            }
            std::collections::btree_map::Entry::Occupied(_) => {
                repeat = repeat.or(Some(Repeat { line: csv.line(row), item, annotator }));
            }
        }
    }
    let labelled: Vec<(u32, u32, u32)> =
        first.into_iter().map(|((item, annotator), label)| (item, annotator, label)).collect();
    Ok(format!(
        "items {:?}\nannotators {:?}\nlabels {:?}\nlabelled {labelled:?}\nrepeat {repeat:?}",
        names(&csv.items),
        names(&csv.annotators),
        names(&csv.labels),
    ))
}

/// Checks that the table's counts are its ratings' counts, with each label its own category and
/// with the labels folded onto two categories.
fn assert_counts_as_ratings(table: LongTable) {
    let labels = table.labels.len() as u32;
    for (of_label, categories) in
        [((0..labels).collect::<Vec<_>>(), labels as usize), ((0..labels).map(|l| l % 2).collect(), 2)]
    {
        let (ratings, items, annotators) = table.clone().into_ratings(&of_label, categories).unwrap();
        let (counts, items_too, annotators_too) = table.clone().into_counts(&of_label, categories).unwrap();
        assert_eq!(counts, ratings.counts());
        assert!(items.iter().eq(items_too.iter()) && annotators.iter().eq(annotators_too.iter()));
    }
}

/// `text` read in halves (split whatever its size, the second half's reader handing out
/// `chunk` bytes at a time, its rows kept in pieces of `chunk` bytes of input), checked to give what one reader gives, and that what the general
/// parser alone gives; whether the halves were used.
fn halves_agree(text: &[u8], chunk: usize) -> bool {
    let one = long_outcome(read_long_csv(text));
    assert_eq!(one, long_outcome(read_generally(text)), "the fast path differs on {:?}", String::from_utf8_lossy(text));
    assert_eq!(
        table_outcome(read_long_table(Trickle { bytes: text, chunk })),
        table_from_rows(read_long_csv(text)),
        "the table and the rows differ on {:?}",
        String::from_utf8_lossy(text)
    );
    if let Ok(table) = read_long_table(text) {
        assert_counts_as_ratings(table);
    }
    let open = |offset: u64| Ok(Trickle { bytes: &text[offset as usize..], chunk });
    let (two, split) = match halves::read_in_halves(text.len() as u64, &open, 0, chunk as u64) {
        Ok((csv, split)) => (long_outcome(Ok(csv)), split),
        Err(e) => (Err(e.to_string()), false),
    };
    assert_eq!(one, two, "one reader and two differ on {:?}", String::from_utf8_lossy(text));
    split
}

/// `rows` rows of a long-format file: item `i / 3`, annotator `i % 3`, label `i % 5`, each line
/// ending in `end`.
fn long_rows(rows: usize, end: &str) -> String {
    (0..rows).map(|i| format!("{},a{},{}{end}", i / 3, i % 3, i % 5)).collect()
}

#[test]
fn halves_give_what_one_reader_gives() {
    let plain = format!("item,annotator,label\n{}", long_rows(40, "\n"));
    assert!(halves_agree(plain.as_bytes(), 1 << 20));
    // CRLF, a byte-order mark, blank lines on both sides of the middle, names padded with
    // spaces and first seen in the second half, labels missing there, no line end at the end.
    let crlf = format!("\u{feff}item,annotator,label\r\n{}\r\n\r\n", long_rows(30, "\r\n"));
    let mixed = format!(
        "\u{feff}Label,Task,Worker\n\n{}\n\n x ,  new item , b\n,new item,é\ny,7, c",
        long_rows(30, "\n")
            .lines()
            .map(|l| format!("{},{}\n", &l[l.rfind(',').unwrap() + 1..], &l[..l.rfind(',').unwrap()]))
            .collect::<String>()
    );
    for text in [&crlf, &mixed] {
        assert!(halves_agree(text.as_bytes(), 1 << 20));
        assert!(halves_agree(text.as_bytes(), 3));
    }
    // Quoted fields before the middle do not stop the split; one that holds the line break
    // after the middle makes the first reader read on.
    let quoted = format!("item,annotator,label\n\"1\",\"a,b\",\"x\"\"y\"\n{}", long_rows(40, "\n"));
    assert!(halves_agree(quoted.as_bytes(), 7));
    let rows = long_rows(20, "\n");
    let spanning = format!("item,annotator,label\n{rows}1,a,\"many\n{}\"\n{rows}", "\n".repeat(60));
    assert!(!halves_agree(spanning.as_bytes(), 5));
    // A line with no line break after the middle, and a file of a header only.
    assert!(!halves_agree(format!("item,annotator,label\n1,a,{}", "x".repeat(100)).as_bytes(), 9));
    assert!(!halves_agree(b"item,annotator,label\n", 1));
}

#[test]
fn errors_in_the_second_half_name_their_line() {
    let text = format!("item,annotator,label\n{}\n1,,x\n{}", long_rows(40, "\n"), long_rows(40, "\n"));
    let open = |offset: u64| Ok(&text.as_bytes()[offset as usize..]);
    let error = halves::read_in_halves(text.len() as u64, &open, 0, 10).unwrap_err();
    assert_eq!(error.to_string(), "line 43: the annotator is empty");
    // The first of two errors, one in each half, is the one reported.
    let both = format!("item,annotator,label\n1\n{}\n\"open", long_rows(40, "\n"));
    assert!(!halves_agree(both.as_bytes(), 4));
    assert!(!halves_agree(
        format!("item,annotator,label\n{}9,z,\u{fffd}\n1,a,\"x\"y\n", long_rows(40, "\n")).as_bytes(),
        4
    ));
}

proptest! {
    /// Whatever the rows hold (quoted or not, blank lines, CRLF, empty labels, odd fields that
    /// are errors), the two-thread read and the one-thread read agree, errors included.
    #[test]
    fn halves_agree_on_any_rows(
        rows in prop::collection::vec((
            "[0-9]{1,3}|\" 1\"| 1 |a b|[0-9]{8,12}",
            "[a-c]{0,2}|é|\tb|\u{3000}c",
            "[x-z]{0,9}|\"x\n\"|\"\"|,|\"q\"\"\"|x y!|!|\r",
        ), 1..60),
        crlf in any::<bool>(),
        blanks in prop::collection::vec(0usize..60, 0..4),
        chunk in 1usize..20,
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("item,annotator,label{end}");
        for (i, (item, annotator, label)) in rows.iter().enumerate() {
            if blanks.contains(&i) {
                text.push_str(end);
            }
            text.push_str(&format!("{item},{annotator},{label}{end}"));
        }
        halves_agree(text.as_bytes(), chunk);
    }
}

#[test]
fn the_table_keeps_first_labels_and_the_first_repeat() {
    let text = "item,annotator,label\n1,a,x\n1,b,\n1,b,y\n2,a,\n1,a,z\n3,c,x\n1,a,x\n";
    let table = read_long_table(text.as_bytes()).unwrap();
    assert_eq!(table.repeat(), Some(Repeat { line: 6, item: 0, annotator: 0 }));
    assert_eq!(
        (table.label(0, 0), table.label(0, 1), table.label(1, 0), table.label(2, 2)),
        (Some(0), Some(1), None, Some(0))
    );
    assert_eq!(table.label(1, 2), None);
    // Labels become categories through `of_label`; the table's width is packed to the
    // annotators' count, and an item labelled by no one is still a unit.
    let (ratings, items, annotators) = table.into_ratings(&[1, 0, 2], 3).unwrap();
    assert_eq!((ratings.units(), ratings.coders(), ratings.categories()), (3, 3, 3));
    assert_eq!(
        (ratings.get(0, 0), ratings.get(0, 1), ratings.get(1, 0), ratings.get(2, 2)),
        (Some(1), Some(0), None, Some(1))
    );
    assert_eq!((items.name(2), annotators.name(2)), ("3", "c"));
    let table = read_long_table(text.as_bytes()).unwrap();
    assert_eq!(table.into_ratings(&[0, 1], 2).unwrap_err(), crate::StatsError::WrongLength { expected: 3, got: 2 });
    let table = read_long_table(text.as_bytes()).unwrap();
    assert!(matches!(
        table.into_ratings(&[0, 1, 2], 2),
        Err(crate::StatsError::CategoryOutOfRange { category: 2, categories: 2 })
    ));
}

#[test]
fn missing_ratings_are_no_label_and_no_repeat() {
    // Missing ratings before any label, before and after the same pair's label, and for a new
    // item; the first label is longer than a packed word, so it is not what a missing rating
    // looks up in its place. The rows at the end keep the others off the reader's last bytes.
    let text = format!(
        "item,annotator,label\n1,a,\n1,b,a_long_label\n1,a,x\n1,a,\n1,b,\n2,a,\n2,b,x\n{}",
        (10..16).map(|item| format!("{item},z,y\n")).collect::<String>()
    );
    let table = read_long_table(text.as_bytes()).unwrap();
    assert_eq!(table.repeat(), None);
    assert_eq!(table.labels.iter().collect::<Vec<_>>(), ["a_long_label", "x", "y"]);
    assert_eq!(
        (table.label(0, 0), table.label(0, 1), table.label(1, 0), table.label(1, 1)),
        (Some(1), Some(0), None, Some(1))
    );
    halves_agree(text.as_bytes(), 7);
}

#[test]
fn annotators_first_seen_late_widen_the_table() {
    // More annotators than the table is wide, arriving after many items: the table is laid out
    // again (at twice its width past a size), and packed to the annotators' count at the end.
    let mut text = String::from("item,annotator,label\n");
    for item in 0..20_000 {
        text += &format!("{item},a0,{}\n", item % 3);
    }
    for annotator in 1..40 {
        for item in (0..20_000).step_by(97) {
            text += &format!("{item},a{annotator},{}\n", (item + annotator) % 3);
        }
    }
    let csv = read_long_csv(text.as_bytes()).unwrap();
    let table = read_long_table(text.as_bytes()).unwrap();
    assert!(table.width > 40);
    assert_eq!(table_outcome(Ok(table)), table_from_rows(Ok(csv)));
    let (ratings, _, annotators) = read_long_table(text.as_bytes()).unwrap().into_ratings(&[0, 1, 2], 3).unwrap();
    assert_eq!((ratings.units(), ratings.coders(), annotators.len()), (20_000, 40, 40));
    assert_eq!(
        (ratings.get(97, 39), ratings.get(98, 39), ratings.get(19_999, 0)),
        (Some((97 + 39) % 3), None, Some(19_999 % 3))
    );
}

proptest! {
    /// The same answers in any row order fill the same table: each (item, annotator) pair by
    /// name keeps its label, whether the file lists an item's answers together or not.
    #[test]
    fn row_order_does_not_change_the_table(
        answers in prop::collection::btree_map((0u32..30, 0u32..6), prop::option::of(0u32..4), 1..80),
        seed in any::<u64>(),
    ) {
        let write = |rows: &[(&(u32, u32), &Option<u32>)]| {
            let mut text = String::from("item,annotator,label\n");
            for ((item, annotator), label) in rows {
                let label = label.map_or(String::new(), |l| format!("label{l}"));
                text += &format!("item {item},a{annotator},{label}\n");
            }
            text
        };
        let grouped: Vec<_> = answers.iter().collect();
        let mut shuffled = grouped.clone();
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        let by_name = |text: &str| {
            let table = read_long_table(text.as_bytes()).unwrap();
            prop_assert_eq!(table.repeat(), None);
            let mut cells = std::collections::BTreeMap::new();
            for item in 0..table.items.len() as u32 {
                for annotator in 0..table.annotators.len() as u32 {
                    let label = table.label(item, annotator).map(|l| table.labels.name(l).to_string());
                    cells.insert((table.items.name(item).to_string(), table.annotators.name(annotator).to_string()), label);
                }
            }
            Ok(cells)
        };
        prop_assert_eq!(by_name(&write(&grouped))?, by_name(&write(&shuffled))?);
    }
}

proptest! {
    /// Records of about 16 bytes, the most the one-look path reads: whatever their length and
    /// bytes (commas, spaces, quotes, CR, `!`, non-ASCII), the fast paths, the general parser
    /// and the table agree.
    #[test]
    fn short_records_read_as_the_general_parser_reads_them(
        rows in prop::collection::vec("[0-9a-z]{0,9}(,[0-9a-z !é]{0,6}){0,3}(,[0-9a-z\"\r]{0,4})?", 1..40),
        crlf in any::<bool>(),
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let text = format!("item,annotator,label{end}{}", rows.iter().map(|row| format!("{row}{end}")).collect::<String>());
        halves_agree(text.as_bytes(), 7);
    }
}

#[test]
fn labels_past_a_byte_are_kept_aside() {
    // 300 labels: the table's cells hold the first ones, the rest are kept by pair; labels,
    // repeats, ratings and counts come out as with few labels.
    let mut text = String::from("item,annotator,label\n");
    for item in 0..150 {
        for annotator in 0..3 {
            text += &format!("{item},{annotator},l{}\n", (item * 2 + annotator) % 300);
        }
    }
    text += "149,2,l7\n";
    let table = read_long_table(text.as_bytes()).unwrap();
    assert_eq!(table.labels.len(), 300);
    assert!(!table.overflow.is_empty());
    assert_eq!(table.repeat(), Some(Repeat { line: 452, item: 149, annotator: 2 }));
    assert_eq!(table_outcome(Ok(table)), table_from_rows(read_long_csv(text.as_bytes())));
    assert_counts_as_ratings(read_long_table(text.as_bytes()).unwrap());
}

/// A long-format file's answers as aggregation gets them: through the rows, or straight into
/// columns.
fn answers_both_ways(text: &str) -> (Result<Answers, String>, Result<Answers, String>, bool) {
    let csv = read_long_csv(text.as_bytes()).unwrap();
    let triples: Vec<Row> = csv.rows.iter().copied().filter(|&(_, _, l)| l != NO_LABEL).collect();
    let shape = (csv.items.len(), csv.annotators.len(), csv.labels.len());
    let by_rows = Answers::from_triples(shape.0, shape.1, shape.2, &triples).map_err(|e| e.to_string());
    let read = read_long_answers(text.as_bytes()).unwrap();
    assert_eq!(
        format!("{:?}", (&read.items, &read.annotators, &read.labels)),
        format!("{:?}", (&csv.items, &csv.annotators, &csv.labels))
    );
    let grouped = read.answers.is_grouped();
    let by_columns = read.answers.finish(shape.0, shape.1, shape.2).map_err(|e| e.to_string());
    (by_rows, by_columns, grouped)
}

proptest! {
    /// Answers read straight into columns are the answers read as rows, whatever the order of
    /// the rows (grouped by item or not), repeated pairs, empty labels, or labels past a byte.
    #[test]
    fn answers_read_into_columns_equal_answers_from_rows(
        rows in prop::collection::vec((0u32..25, 0u32..5, prop::option::of(0u32..300)), 1..120),
        sort in any::<bool>(),
    ) {
        let mut rows = rows;
        if sort {
            rows.sort_by_key(|&(item, _, _)| item);
        }
        let mut text = String::from("task,worker,label\n");
        for (item, worker, label) in &rows {
            text += &format!("t{item},w{worker},{}\n", label.map_or(String::new(), |l| format!("l{l}")));
        }
        let (by_rows, by_columns, grouped) = answers_both_ways(&text);
        prop_assert_eq!(by_rows, by_columns);
        if sort {
            prop_assert!(grouped, "rows grouped by item are indexed in place");
        }
    }
}

#[test]
fn answers_after_a_later_items_are_sorted_by_item() {
    // The third row goes back to the first item; a labelless row names an item between.
    let text = "task,worker,label\na,w1,x\nb,w1,y\na,w2,y\nc,w1,\nd,w2,x\nb,w2,x\n";
    let (by_rows, by_columns, grouped) = answers_both_ways(text);
    assert!(!grouped);
    let answers = by_columns.unwrap();
    assert_eq!(Ok(answers.clone()), by_rows);
    assert_eq!((answers.tasks(), answers.workers(), answers.classes(), answers.len()), (4, 2, 2, 5));
    // One label only: the same refusal either way.
    let (by_rows, by_columns, _) = answers_both_ways("task,worker,label\na,w1,x\nb,w1,x\n");
    assert!(by_rows.is_err());
    assert_eq!(by_rows, by_columns);
}
