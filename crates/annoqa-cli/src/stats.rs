//! The statistics subcommands: `agreement`, `aggregate` and `sample-plan`.
//!
//! This module owns everything that touches files and terminals: reading long-format CSV
//! (`item,annotator,label`), mapping names to the dense indices `annoqa-stats` works on, and
//! printing results as text, CSV or JSON. Every number comes from `annoqa-stats`.
//!
//! The command lines and outputs are a stable contract that other tools script against
//! (issue 4): change them only additively.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use annoqa_stats::aggregate::{
    dawid_skene, majority_vote, Answers, Consensus, DawidSkeneOptions, TiePolicy, WorkerModel,
};
use annoqa_stats::agreement::{
    brennan_prediger, cohen_kappa, fleiss_kappa, gwet_ac, pairwise, per_category_kappa, percent_agreement, scott_pi,
    Coefficient, PairwiseMatrix,
};
use annoqa_stats::alpha::{krippendorff_alpha, krippendorff_alpha_bootstrap, Level};
use annoqa_stats::sampling::{single_sampling_plan_in, Inspection, InspectionLevel, Standard};
use annoqa_stats::{Ratings, StatsError, Weights};

// ---------------------------------------------------------------------------------------------
// Arguments

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Metric {
    /// Share of agreeing pairs of labels within items.
    Percent,
    /// Cohen's κ; with more than two annotators, every pair and their mean.
    Cohen,
    /// Scott's π; with more than two annotators, every pair and their mean.
    Scott,
    /// Fleiss' κ (missing labels allowed, after Gwet).
    Fleiss,
    /// Krippendorff's α at `--level`.
    Krippendorff,
    /// Gwet's AC1, or AC2 with `--weights`.
    Gwet,
    /// Brennan–Prediger.
    Bp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LevelArg {
    Nominal,
    Ordinal,
    Interval,
    Ratio,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum WeightsArg {
    Linear,
    Quadratic,
}

#[derive(Args, Debug)]
pub(crate) struct AgreementArgs {
    /// Long-format CSV whose header names `item`, `annotator` and `label` (or crowd-kit's
    /// `task`, `worker`, `label`); other columns are ignored and an empty label is missing.
    pub file: PathBuf,
    #[arg(long, value_enum)]
    pub metric: Metric,
    /// Level of measurement for Krippendorff's α; ordinal, interval and ratio need numeric labels
    /// (or `--labels` for ordinal).
    #[arg(long, value_enum, default_value = "nominal")]
    pub level: LevelArg,
    /// Partial credit for near-misses between ordered labels (by rank).
    #[arg(long, value_enum)]
    pub weights: Option<WeightsArg>,
    /// The labels in order, comma-separated, for ordered data whose labels are not numbers.
    /// Any other label in the file is an error.
    #[arg(long, value_delimiter = ',')]
    pub labels: Option<Vec<String>>,
    /// Also report each label's agreement against all others (Fleiss' κ, one-vs-rest).
    #[arg(long)]
    pub per_label: bool,
    /// Bootstrap resamples for a confidence interval of Krippendorff's α (Hayes & Krippendorff
    /// 2007); 0 turns it off.
    #[arg(long, default_value_t = 0)]
    pub bootstrap: usize,
    /// Confidence level of the bootstrap interval.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Seed of the bootstrap: the same seed gives the same interval.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Method {
    /// Majority vote.
    Mv,
    /// Dawid–Skene with a full confusion matrix per annotator.
    Ds,
    /// Dawid–Skene with one accuracy per annotator.
    OneCoinDs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Ties {
    /// The tied label seen first in the file.
    First,
    /// A tied label drawn with `--seed`.
    Random,
    /// No label.
    None,
}

#[derive(Args, Debug)]
pub(crate) struct AggregateArgs {
    /// Long-format CSV (`item,annotator,label`); the same annotator may answer an item more than
    /// once.
    pub file: PathBuf,
    #[arg(long, value_enum, default_value = "ds")]
    pub method: Method,
    /// Known answers, a CSV with `item,label`: their labels are fixed, and they anchor the
    /// annotators' error rates.
    #[arg(long)]
    pub gold: Option<PathBuf>,
    /// Majority vote's tie policy.
    #[arg(long, value_enum, default_value = "first")]
    pub ties: Ties,
    /// Seed for `--ties random`.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Dawid–Skene stops when the evidence lower bound per answer rises by less than this
    /// (crowd-kit's rule and default).
    #[arg(long, default_value_t = 1e-5)]
    pub tolerance: f64,
    /// Dawid–Skene's iteration cap.
    #[arg(long, default_value_t = 100)]
    pub max_iterations: usize,
    /// Pseudo-count added to every cell of the annotators' confusion matrices (a Dirichlet
    /// prior); 0 is Dawid & Skene's original maximum-likelihood estimate.
    #[arg(long, default_value_t = 0.0)]
    pub smoothing: f64,
    /// Smallest expected count of a confusion-matrix cell before normalising (crowd-kit clips
    /// at 1e-10); 0 keeps Dawid & Skene's exact zeros.
    #[arg(long, default_value_t = annoqa_stats::aggregate::DEFAULT_FLOOR)]
    pub floor: f64,
    /// Print one JSON object (with annotator confusion matrices) instead of CSV.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum InspectionArg {
    Normal,
    Tightened,
    Reduced,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum StandardArg {
    /// ANSI/ASQ Z1.4-2008 (reduced plans as MIL-STD-105E Table II-C).
    #[value(name = "z1.4")]
    Z14,
    /// ISO 2859-1:1999 (reduced plans from Table 2-C).
    #[value(name = "iso2859-1")]
    Iso2859_1,
}

impl StandardArg {
    /// The spelling on the command line and in JSON output.
    fn name(self) -> &'static str {
        match self {
            StandardArg::Z14 => "z1.4",
            StandardArg::Iso2859_1 => "iso2859-1",
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct SamplePlanArgs {
    /// Lot (batch) size.
    #[arg(long)]
    pub lot: u64,
    /// Acceptable quality level, percent nonconforming (0.010 … 10).
    #[arg(long)]
    pub aql: f64,
    /// Inspection level: S-1, S-2, S-3, S-4, I, II or III.
    #[arg(long, default_value = "II")]
    pub level: String,
    /// Normal (ISO 2859-1 Table 2-A), tightened (Table 2-B) or reduced (the table of
    /// --standard: ANSI/ASQ Z1.4-2008 Table II-C, whose plans may have Re > Ac + 1, or ISO
    /// 2859-1:1999 Table 2-C, whose plans never do). Arrows are followed to the first plan in
    /// their direction, with that plan's sample size; the letter used is printed.
    #[arg(long, value_enum, default_value = "normal")]
    pub inspection: InspectionArg,
    /// Whose master tables to read; they differ only under reduced inspection.
    #[arg(long, value_enum, default_value = "z1.4")]
    pub standard: StandardArg,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

// ---------------------------------------------------------------------------------------------
// CSV

/// A minimal RFC 4180 reader that reports where things go wrong. Records are returned with the
/// line they start on; quoted fields may contain commas, doubled quotes and line breaks.
struct CsvReader<R> {
    input: R,
    path: String,
    line: usize,
    buffer: String,
    progress: Progress,
}

struct Record {
    line: usize,
    fields: Vec<String>,
}

impl<R: BufRead> CsvReader<R> {
    fn new(input: R, path: &Path, progress: Progress) -> Self {
        CsvReader { input, path: path.display().to_string(), line: 0, buffer: String::new(), progress }
    }

    /// Reads one physical line into the buffer; false at the end of the input.
    fn read_line(&mut self) -> anyhow::Result<bool> {
        self.buffer.clear();
        let n = self
            .input
            .read_line(&mut self.buffer)
            .map_err(|e| anyhow!("{}:{}: cannot read: {e}", self.path, self.line + 1))?;
        if n == 0 {
            return Ok(false);
        }
        self.line += 1;
        self.progress.advance(n as u64);
        if self.line == 1 {
            // A byte-order mark from spreadsheet exports is not part of the first column name.
            if let Some(rest) = self.buffer.strip_prefix('\u{feff}') {
                self.buffer = rest.to_string();
            }
        }
        Ok(true)
    }

    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        // Blank lines between records carry nothing.
        loop {
            if !self.read_line()? {
                return Ok(None);
            }
            if !self.buffer.trim_end_matches(['\r', '\n']).is_empty() {
                break;
            }
        }
        #[derive(PartialEq)]
        enum State {
            FieldStart,
            Unquoted,
            Quoted,
            QuoteInQuoted,
        }
        let start = self.line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut state = State::FieldStart;
        loop {
            for c in self.buffer.chars() {
                match (&state, c) {
                    (State::Quoted, '"') => state = State::QuoteInQuoted,
                    (State::Quoted, c) => field.push(c),
                    (State::QuoteInQuoted, '"') => {
                        field.push('"');
                        state = State::Quoted;
                    }
                    (State::FieldStart, '"') => state = State::Quoted,
                    (State::Unquoted, '"') => bail!(
                        "{}:{}: a quote inside an unquoted field (quote the whole field and double the quote)",
                        self.path,
                        self.line
                    ),
                    (_, ',') => {
                        fields.push(std::mem::take(&mut field));
                        state = State::FieldStart;
                    }
                    (_, '\r' | '\n') => break,
                    (State::QuoteInQuoted, c) => bail!("{}:{}: text {c:?} after a closing quote", self.path, self.line),
                    (_, c) => {
                        field.push(c);
                        state = State::Unquoted;
                    }
                }
            }
            if state != State::Quoted {
                // A line break, or the end of the input, ends the record.
                fields.push(field);
                return Ok(Some(Record { line: start, fields }));
            }
            // A line break inside quotes belongs to the field: read on.
            if !self.read_line()? {
                bail!("{}:{start}: a quoted field is never closed", self.path);
            }
        }
    }
}

/// A progress bar on stderr, by bytes read, while a large file is read on a terminal.
struct Progress {
    total: u64,
    done: u64,
    shown: u64,
    label: String,
}

impl Progress {
    /// Width of the bar in characters.
    const WIDTH: u64 = 30;

    #[cfg(test)]
    fn hidden() -> Progress {
        Progress { total: 0, done: 0, shown: 0, label: String::new() }
    }

    /// Shows progress only for files above a few megabytes and only when stderr is a terminal
    /// (`IsTerminal`), so pipes, scripts and tests see clean output.
    fn for_file(path: &Path, file: &File) -> Progress {
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        let show = std::io::stderr().is_terminal() && total > 8 << 20;
        Progress { total: if show { total } else { 0 }, done: 0, shown: 0, label: path.display().to_string() }
    }

    fn advance(&mut self, bytes: u64) {
        if self.total == 0 {
            return;
        }
        self.done = (self.done + bytes).min(self.total);
        let percent = self.done * 100 / self.total;
        if percent > self.shown {
            self.shown = percent;
            eprint!("{}", Self::bar(&self.label, self.done, self.total));
            if percent >= 100 {
                eprintln!();
            }
        }
    }

    /// One redraw of the bar: back to the line start, `reading FILE [#####.....]  42%`.
    fn bar(label: &str, done: u64, total: u64) -> String {
        let filled = (done.min(total) * Self::WIDTH).checked_div(total).unwrap_or(0) as usize;
        let percent = (done.min(total) * 100).checked_div(total).unwrap_or(0);
        format!("\rreading {label} [{}{}] {percent:3}%", "#".repeat(filled), ".".repeat(Self::WIDTH as usize - filled))
    }
}

fn open_csv(path: &Path) -> anyhow::Result<CsvReader<BufReader<File>>> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let progress = Progress::for_file(path, &file);
    Ok(CsvReader::new(BufReader::with_capacity(1 << 16, file), path, progress))
}

/// The positions of the named columns in a header, accepting each name's aliases.
fn find_columns(path: &Path, header: &Record, wanted: &[&[&str]]) -> anyhow::Result<Vec<usize>> {
    let names: Vec<String> = header.fields.iter().map(|f| f.trim().to_ascii_lowercase()).collect();
    let mut found = Vec::new();
    for aliases in wanted {
        match names.iter().position(|n| aliases.contains(&n.as_str())) {
            Some(i) => found.push(i),
            None => bail!(
                "{}:{}: the header has no {} column (it names: {}); expected a header with {}",
                path.display(),
                header.line,
                aliases[0],
                header.fields.join(", "),
                wanted.iter().map(|a| a[0]).collect::<Vec<_>>().join(", ")
            ),
        }
    }
    Ok(found)
}

/// A CSV file read by named columns: the header is checked once, then every record yields the
/// wanted fields, trimmed, in the order asked for; short records are an error naming the line.
struct ColumnReader {
    csv: CsvReader<BufReader<File>>,
    path: PathBuf,
    columns: Vec<usize>,
    needed: usize,
}

impl ColumnReader {
    fn open(path: &Path, wanted: &[&[&str]]) -> anyhow::Result<ColumnReader> {
        let mut csv = open_csv(path)?;
        let header = csv.next_record()?.ok_or_else(|| {
            let names: Vec<&str> = wanted.iter().map(|aliases| aliases[0]).collect();
            anyhow!("{}: the file is empty; expected a header with {}", path.display(), names.join(", "))
        })?;
        let columns = find_columns(path, &header, wanted)?;
        let needed = columns.iter().max().map_or(0, |m| m + 1);
        Ok(ColumnReader { csv, path: path.to_path_buf(), columns, needed })
    }

    /// The next record's line number and wanted fields.
    fn next(&mut self) -> anyhow::Result<Option<(usize, Vec<String>)>> {
        let Some(record) = self.csv.next_record()? else { return Ok(None) };
        if record.fields.len() < self.needed {
            bail!(
                "{}:{}: expected at least {} fields, found {}",
                self.path.display(),
                record.line,
                self.needed,
                record.fields.len()
            );
        }
        Ok(Some((record.line, self.columns.iter().map(|&c| record.fields[c].trim().to_string()).collect())))
    }
}

/// One `item,annotator,label` row; `label` is `None` when empty.
struct Row {
    line: usize,
    item: String,
    annotator: String,
    label: Option<String>,
}

fn read_long_csv(path: &Path) -> anyhow::Result<Vec<Row>> {
    let mut csv = ColumnReader::open(path, &[&["item", "task"], &["annotator", "worker"], &["label"]])?;
    let mut rows = Vec::new();
    while let Some((line, fields)) = csv.next()? {
        let [item, annotator, label]: [String; 3] = fields.try_into().expect("three columns were asked for");
        if item.is_empty() {
            bail!("{}:{line}: the item is empty", path.display());
        }
        if annotator.is_empty() {
            bail!("{}:{line}: the annotator is empty", path.display());
        }
        rows.push(Row { line, item, annotator, label: (!label.is_empty()).then_some(label) });
    }
    Ok(rows)
}

/// Names in order of first appearance, with their dense indices.
#[derive(Default)]
struct Names {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    fn len(&self) -> usize {
        self.names.len()
    }
}

// ---------------------------------------------------------------------------------------------
// agreement

/// The label set of an agreement run: category names in order, their numeric values (for
/// interval and ratio data) and the category of every label text in the file.
struct Categories {
    names: Vec<String>,
    values: Vec<f64>,
    of_label: HashMap<String, u32>,
}

/// Decides the categories and their order. Nominal data keep first-appearance order; ordered
/// data take `--labels` or sort numeric labels ("1" and "1.0" are the same category).
fn categories(path: &Path, rows: &[Row], args: &AgreementArgs) -> anyhow::Result<Categories> {
    let metric_level = if args.metric == Metric::Krippendorff { args.level } else { LevelArg::Nominal };
    let ordered = metric_level != LevelArg::Nominal || args.weights.is_some();
    let needs_values = matches!(metric_level, LevelArg::Interval | LevelArg::Ratio);
    let labelled = rows.iter().filter_map(|r| r.label.as_deref().map(|l| (r.line, l)));
    let mut of_label = HashMap::new();
    let mut names = Vec::new();
    let mut values = Vec::new();
    if args.labels.is_some() && needs_values {
        bail!("--labels orders ordinal labels; interval and ratio labels must be the numbers themselves");
    }
    if let Some(given) = &args.labels {
        for (i, name) in given.iter().enumerate() {
            let name = name.trim();
            if of_label.insert(name.to_string(), i as u32).is_some() {
                bail!("--labels names {name:?} twice");
            }
            names.push(name.to_string());
            values.push(i as f64);
        }
        for (line, label) in labelled {
            if !of_label.contains_key(label) {
                bail!(
                    "{}:{line}: unknown label {label:?}: it is not among --labels ({})",
                    path.display(),
                    given.join(",")
                );
            }
        }
    } else if ordered {
        let kind = match metric_level {
            LevelArg::Nominal => "weighted",
            LevelArg::Ordinal => "ordinal",
            LevelArg::Interval => "interval",
            LevelArg::Ratio => "ratio",
        };
        let mut numeric: Vec<(f64, &str)> = Vec::new();
        for (line, label) in labelled {
            let value: f64 = label.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
                let hint = if needs_values { "" } else { ", or give their order with --labels" };
                anyhow!(
                    "{}:{line}: label {label:?} is not a number: {kind} data need numeric labels{hint}",
                    path.display()
                )
            })?;
            if metric_level == LevelArg::Ratio && value < 0.0 {
                bail!("{}:{line}: label {label:?} is negative, which ratio data cannot be", path.display());
            }
            numeric.push((value, label));
        }
        let mut distinct: Vec<f64> = numeric.iter().map(|n| n.0).collect();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        for (value, label) in numeric {
            let category = distinct.partition_point(|v| *v < value) as u32;
            of_label.insert(label.to_string(), category);
        }
        names = distinct.iter().map(|v| v.to_string()).collect();
        values = distinct;
    } else {
        for (_, label) in labelled {
            if !of_label.contains_key(label) {
                of_label.insert(label.to_string(), names.len() as u32);
                values.push(names.len() as f64);
                names.push(label.to_string());
            }
        }
    }
    Ok(Categories { names, values, of_label })
}

fn level(arg: LevelArg) -> Level {
    match arg {
        LevelArg::Nominal => Level::Nominal,
        LevelArg::Ordinal => Level::Ordinal,
        LevelArg::Interval => Level::Interval,
        LevelArg::Ratio => Level::Ratio,
    }
}

fn metric_name(metric: Metric) -> &'static str {
    match metric {
        Metric::Percent => "percent",
        Metric::Cohen => "cohen",
        Metric::Scott => "scott",
        Metric::Fleiss => "fleiss",
        Metric::Krippendorff => "krippendorff",
        Metric::Gwet => "gwet",
        Metric::Bp => "bp",
    }
}

/// Prefixes a statistics error with the file it is about.
fn about(path: &Path) -> impl Fn(StatsError) -> anyhow::Error + '_ {
    move |e| anyhow!("{}: {e}", path.display())
}

pub(crate) fn run_agreement(args: &AgreementArgs) -> anyhow::Result<()> {
    let path = args.file.as_path();
    if args.bootstrap > 0 && args.metric != Metric::Krippendorff {
        bail!("--bootstrap is available for --metric krippendorff only");
    }
    if args.weights.is_some() && args.metric == Metric::Krippendorff {
        bail!("Krippendorff's α takes --level, not --weights");
    }
    let rows = read_long_csv(path)?;
    let cats = categories(path, &rows, args)?;
    let mut items = Names::default();
    let mut annotators = Names::default();
    let mut triples = Vec::new();
    let mut first_seen: HashMap<(u32, u32), usize> = HashMap::new();
    for row in &rows {
        let item = items.intern(&row.item);
        let annotator = annotators.intern(&row.annotator);
        let Some(label) = &row.label else { continue };
        if let Some(previous) = first_seen.insert((item, annotator), row.line) {
            bail!(
                "{}:{}: annotator {:?} already labelled item {:?} on line {previous}; agreement needs one label per annotator and item (`annoqa aggregate` accepts repeats)",
                path.display(),
                row.line,
                row.annotator,
                row.item
            );
        }
        triples.push((item, annotator, cats.of_label[label]));
    }
    if annotators.len() < 2 {
        bail!("{}: agreement needs at least two annotators, found {}", path.display(), annotators.len());
    }
    if cats.names.is_empty() {
        bail!("{}: no labels: every label is empty", path.display());
    }
    let k = cats.names.len();
    let mut ratings = Ratings::new(items.len(), annotators.len(), k);
    for &(item, annotator, category) in &triples {
        ratings.set(item as usize, annotator as usize, Some(category)).map_err(about(path))?;
    }
    let counts = ratings.counts();
    let weights = match args.weights {
        None => Weights::Identity,
        Some(WeightsArg::Linear) => Weights::Linear,
        Some(WeightsArg::Quadratic) => Weights::Quadratic,
    }
    .matrix_for(k)
    .map_err(about(path))?;

    let mut report = json!({
        "metric": metric_name(args.metric),
        "items": items.len(),
        "annotators": annotators.len(),
        "labels": cats.names,
    });
    let mut pairs: Option<PairwiseMatrix> = None;
    let coefficient: Option<Coefficient> = match args.metric {
        Metric::Percent => Some(percent_agreement(&counts, &weights).map_err(about(path))?),
        Metric::Fleiss => Some(fleiss_kappa(&counts, &weights).map_err(about(path))?),
        Metric::Gwet => Some(gwet_ac(&counts, &weights).map_err(about(path))?),
        Metric::Bp => Some(brennan_prediger(&counts, &weights).map_err(about(path))?),
        Metric::Cohen | Metric::Scott => {
            let f = if args.metric == Metric::Cohen { cohen_kappa } else { scott_pi };
            let matrix = pairwise(&ratings, &weights, f).map_err(about(path))?;
            let defined = matrix.mean();
            if defined.is_none() {
                bail!(
                    "{}: no pair of annotators has a defined {} (too few shared items, or a single label)",
                    path.display(),
                    metric_name(args.metric)
                );
            }
            let single = (annotators.len() == 2).then(|| matrix.pairs[0].2).flatten();
            report["value"] = json!(defined);
            if annotators.len() > 2 {
                report["aggregate"] = json!("mean of pairs");
            }
            pairs = Some(matrix);
            single
        }
        Metric::Krippendorff => {
            let alpha = krippendorff_alpha(&counts, level(args.level), &cats.values).map_err(about(path))?;
            report["level"] = json!(format!("{:?}", args.level).to_lowercase());
            report["value"] = json!(alpha.value);
            report["observed_disagreement"] = json!(alpha.observed_disagreement);
            report["expected_disagreement"] = json!(alpha.expected_disagreement);
            report["pairable_values"] = json!(alpha.pairable_values);
            if args.bootstrap > 0 {
                let boot = krippendorff_alpha_bootstrap(
                    &counts,
                    level(args.level),
                    &cats.values,
                    args.bootstrap,
                    args.confidence,
                    args.seed,
                )
                .map_err(about(path))?;
                report["interval"] = json!({
                    "confidence": boot.confidence, "low": boot.low, "high": boot.high,
                    "resamples": args.bootstrap, "seed": args.seed,
                    "p_below_0.667": boot.probability_below(0.667), "p_below_0.8": boot.probability_below(0.8),
                });
            }
            None
        }
    };
    if let Some(c) = coefficient {
        report["value"] = json!(c.value);
        report["observed"] = json!(c.observed);
        report["chance"] = json!(c.chance);
    }
    if let Some(w) = args.weights {
        report["weights"] = json!(format!("{w:?}").to_lowercase());
    }
    if let Some(matrix) = &pairs {
        report["pairs"] = matrix
            .pairs
            .iter()
            .map(|(a, b, c, shared)| {
                json!({"a": annotators.names[*a], "b": annotators.names[*b], "value": c.map(|c| c.value), "items": shared})
            })
            .collect();
    }
    if args.per_label {
        report["per_label"] = per_category_kappa(&counts)
            .iter()
            .zip(&cats.names)
            .map(|(c, name)| json!({"label": name, "value": c.map(|c| c.value)}))
            .collect();
    }

    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{report}")?;
        return Ok(());
    }
    let number = |v: &Value| v.as_f64().map_or("undefined".to_string(), |x| format!("{x:.4}"));
    writeln!(out, "metric      {}", metric_name(args.metric))?;
    if let Some(level) = report.get("level") {
        writeln!(out, "level       {}", level.as_str().unwrap_or_default())?;
    }
    if let Some(weights) = report.get("weights") {
        writeln!(out, "weights     {}", weights.as_str().unwrap_or_default())?;
    }
    let mean_note = if report.get("aggregate").is_some() { " (mean of pairs)" } else { "" };
    writeln!(out, "value       {}{mean_note}", number(&report["value"]))?;
    if let Some(interval) = report.get("interval") {
        writeln!(
            out,
            "interval    {} – {} ({}% bootstrap, {} resamples, seed {})",
            number(&interval["low"]),
            number(&interval["high"]),
            interval["confidence"].as_f64().unwrap_or(0.0) * 100.0,
            args.bootstrap,
            args.seed
        )?;
    }
    writeln!(out, "items       {}", items.len())?;
    writeln!(out, "annotators  {}", annotators.len())?;
    writeln!(out, "labels      {}", cats.names.len())?;
    if let (Some(matrix), true) = (&pairs, annotators.len() > 2) {
        writeln!(out, "\nannotator_a,annotator_b,value,items")?;
        for (a, b, c, shared) in &matrix.pairs {
            let value = c.map_or(String::new(), |c| format!("{:.4}", c.value));
            writeln!(
                out,
                "{},{},{value},{shared}",
                csv_field(&annotators.names[*a]),
                csv_field(&annotators.names[*b])
            )?;
        }
    }
    if let Some(per_label) = report.get("per_label").and_then(Value::as_array) {
        writeln!(out, "\nlabel,value")?;
        for entry in per_label {
            let value = entry["value"].as_f64().map_or(String::new(), |v| format!("{v:.4}"));
            writeln!(out, "{},{value}", csv_field(entry["label"].as_str().unwrap_or_default()))?;
        }
    }
    Ok(())
}

/// Quotes a CSV field when it needs it.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// aggregate

fn read_gold(path: &Path, labels: &mut Names) -> anyhow::Result<Vec<(String, u32, usize)>> {
    let mut csv = ColumnReader::open(path, &[&["item", "task"], &["label"]])?;
    let mut gold = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    while let Some((line, fields)) = csv.next()? {
        let [item, label]: [String; 2] = fields.try_into().expect("two columns were asked for");
        if item.is_empty() || label.is_empty() {
            bail!("{}:{line}: gold needs both an item and a label", path.display());
        }
        if let Some(previous) = seen.insert(item.clone(), line) {
            bail!("{}:{line}: item {item:?} already has a gold label on line {previous}", path.display());
        }
        gold.push((item, labels.intern(&label), line));
    }
    Ok(gold)
}

pub(crate) fn run_aggregate(args: &AggregateArgs) -> anyhow::Result<()> {
    let path = args.file.as_path();
    let rows = read_long_csv(path)?;
    let mut items = Names::default();
    let mut annotators = Names::default();
    let mut labels = Names::default();
    let mut triples = Vec::with_capacity(rows.len());
    for row in &rows {
        let item = items.intern(&row.item);
        let annotator = annotators.intern(&row.annotator);
        if let Some(label) = &row.label {
            triples.push((item, annotator, labels.intern(label)));
        }
    }
    let gold = match &args.gold {
        Some(gold_path) => {
            let gold = read_gold(gold_path, &mut labels)?;
            let unknown = gold.iter().filter(|g| !items.index.contains_key(&g.0)).count();
            if unknown > 0 {
                eprintln!("note: {unknown} gold items have no answers in {} and are left out", path.display());
            }
            gold.into_iter().filter_map(|(item, label, _)| items.index.get(&item).map(|&i| (i, label))).collect()
        }
        None => Vec::new(),
    };
    if labels.len() < 2 {
        bail!("{}: aggregation needs at least two distinct labels, found {}", path.display(), labels.len());
    }
    let answers = Answers::from_triples(items.len(), annotators.len(), labels.len(), &triples).map_err(about(path))?;
    let consensus: Consensus = match args.method {
        Method::Mv => {
            let ties = match args.ties {
                Ties::First => TiePolicy::FirstLabel,
                Ties::Random => TiePolicy::Seeded(args.seed),
                Ties::None => TiePolicy::Unresolved,
            };
            let mut mv = majority_vote(&answers, None, ties).map_err(about(path))?;
            // Known answers override the vote.
            for &(item, label) in &gold {
                let k = mv.classes;
                let row = &mut mv.posteriors[item as usize * k..(item as usize + 1) * k];
                row.iter_mut().for_each(|p| *p = 0.0);
                row[label as usize] = 1.0;
                mv.labels[item as usize] = Some(label);
            }
            mv
        }
        Method::Ds | Method::OneCoinDs => {
            let model = if args.method == Method::Ds { WorkerModel::ConfusionMatrix } else { WorkerModel::OneCoin };
            let options = DawidSkeneOptions {
                model,
                tolerance: args.tolerance,
                max_iterations: args.max_iterations,
                gold,
                smoothing: args.smoothing,
                floor: args.floor,
                // Results do not depend on the thread count, so use every core.
                threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            };
            let ds = dawid_skene(&answers, &options).map_err(about(path))?;
            if !ds.converged {
                eprintln!("note: Dawid–Skene stopped at the iteration cap ({}) before converging", ds.iterations);
            }
            ds
        }
    };

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        let results: Vec<Value> = (0..items.len())
            .map(|t| {
                json!({
                    "item": items.names[t],
                    "label": consensus.labels[t].map(|l| labels.names[l as usize].clone()),
                    "confidence": consensus.confidence(t),
                    "posterior": consensus.posterior(t),
                })
            })
            .collect();
        let mut report = json!({
            "method": match args.method { Method::Mv => "mv", Method::Ds => "ds", Method::OneCoinDs => "one-coin-ds" },
            "items": items.len(),
            "annotators": annotators.len(),
            "labels": labels.names,
            "priors": consensus.priors,
            "results": results,
        });
        if args.method != Method::Mv {
            let k = consensus.classes;
            report["iterations"] = json!(consensus.iterations);
            report["converged"] = json!(consensus.converged);
            report["log_likelihood"] = json!(consensus.log_likelihood);
            report["confusion_rows"] = json!("true label");
            report["confusion_columns"] = json!("given label");
            report["confusion"] = annotators
                .names
                .iter()
                .enumerate()
                .map(|(w, name)| {
                    let matrix: Vec<Vec<f64>> =
                        (0..k).map(|t| (0..k).map(|a| consensus.confusion(w, t, a)).collect()).collect();
                    (name.clone(), json!(matrix))
                })
                .collect::<serde_json::Map<String, Value>>()
                .into();
        }
        writeln!(out, "{report}")?;
    } else {
        writeln!(out, "item,label,confidence")?;
        for t in 0..items.len() {
            let label = consensus.labels[t].map_or(String::new(), |l| csv_field(&labels.names[l as usize]));
            let confidence = consensus.confidence(t).map_or(String::new(), |c| format!("{c:.4}"));
            writeln!(out, "{},{label},{confidence}", csv_field(&items.names[t]))?;
        }
    }
    out.flush()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// sample-plan

pub(crate) fn run_sample_plan(args: &SamplePlanArgs) -> anyhow::Result<()> {
    let level = InspectionLevel::parse(&args.level).ok_or_else(|| {
        anyhow!("unknown inspection level {:?}: expected S-1, S-2, S-3, S-4, I, II or III", args.level)
    })?;
    let inspection = match args.inspection {
        InspectionArg::Normal => Inspection::Normal,
        InspectionArg::Tightened => Inspection::Tightened,
        InspectionArg::Reduced => Inspection::Reduced,
    };
    let standard = match args.standard {
        StandardArg::Z14 => Standard::AnsiZ14,
        StandardArg::Iso2859_1 => Standard::Iso2859_1,
    };
    let plan = single_sampling_plan_in(standard, args.lot, args.aql, level, inspection).map_err(|e| anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let report = json!({
            "lot": args.lot, "aql": args.aql, "level": args.level.to_ascii_uppercase(),
            "inspection": format!("{:?}", args.inspection).to_lowercase(),
            "code_letter": plan.code_letter.to_string(), "plan_letter": plan.plan_letter.to_string(),
            "n": plan.sample_size, "ac": plan.accept, "re": plan.reject, "inspect_all": plan.inspect_all,
            "standard": args.standard.name(),
        });
        writeln!(out, "{report}")?;
        return Ok(());
    }
    writeln!(out, "code letter  {}", plan.code_letter)?;
    if plan.plan_letter != plan.code_letter {
        writeln!(out, "plan letter  {} (following the table's arrow)", plan.plan_letter)?;
    }
    let all = if plan.inspect_all { " (the whole lot)" } else { "" };
    writeln!(out, "n            {}{all}", plan.sample_size)?;
    writeln!(out, "Ac           {}", plan.accept)?;
    writeln!(out, "Re           {}", plan.reject)?;
    if plan.reject > plan.accept + 1 {
        writeln!(
            out,
            "note         {}–{} nonconforming: accept the lot, then return to normal inspection",
            plan.accept + 1,
            plan.reject - 1
        )?;
    }
    // Only the reduced table depends on the standard, so only then is it worth a line; it comes
    // last so the lines scripts already read keep their places.
    if inspection == Inspection::Reduced {
        let name = match standard {
            Standard::AnsiZ14 => "ANSI/ASQ Z1.4-2008",
            Standard::Iso2859_1 => "ISO 2859-1:1999",
        };
        writeln!(out, "standard     {name}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parse(text: &str) -> anyhow::Result<Vec<Vec<String>>> {
        let mut csv = CsvReader::new(text.as_bytes(), Path::new("t.csv"), Progress::hidden());
        let mut records = Vec::new();
        while let Some(record) = csv.next_record()? {
            records.push(record.fields);
        }
        Ok(records)
    }

    proptest! {
        /// Whatever the fields hold (commas, quotes, line breaks, any text), writing them the way
        /// `aggregate` does and reading them back gives the same records.
        #[test]
        fn written_fields_read_back(
            records in prop::collection::vec(prop::collection::vec("[a-z ,\"\r\né€]{0,6}", 1..4), 1..6),
            crlf in any::<bool>(),
        ) {
            // A record of one empty field is a blank line, which the reader skips by design.
            prop_assume!(records.iter().all(|r| !(r.len() == 1 && r[0].is_empty())));
            let end = if crlf { "\r\n" } else { "\n" };
            let text: String = records
                .iter()
                .map(|r| r.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",") + end)
                .collect();
            prop_assert_eq!(parse(&text).unwrap(), records);
        }
    }

    #[test]
    fn progress_bar_fills_by_bytes() {
        assert_eq!(Progress::bar("f.csv", 0, 200), format!("\rreading f.csv [{}]   0%", ".".repeat(30)));
        assert_eq!(
            Progress::bar("f.csv", 100, 200),
            format!("\rreading f.csv [{}{}]  50%", "#".repeat(15), ".".repeat(15))
        );
        assert_eq!(Progress::bar("f.csv", 300, 200), format!("\rreading f.csv [{}] 100%", "#".repeat(30)));
        // A hidden bar (not a terminal, or a small file) never prints.
        let mut hidden = Progress::hidden();
        hidden.advance(10);
        assert_eq!(hidden.shown, 0);
    }

    #[test]
    fn records_know_their_first_line() {
        let mut csv = CsvReader::new("a\n\"b\nc\",d\ne\n".as_bytes(), Path::new("t.csv"), Progress::hidden());
        let lines: Vec<usize> = std::iter::from_fn(|| csv.next_record().unwrap()).map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 4]);
        assert_eq!(parse("x,\"y\"z\n").unwrap_err().to_string(), "t.csv:1: text 'z' after a closing quote");
        assert_eq!(
            parse("x,y\"\n").unwrap_err().to_string(),
            "t.csv:1: a quote inside an unquoted field (quote the whole field and double the quote)"
        );
    }
}
