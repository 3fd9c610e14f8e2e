//! The statistics subcommands: `agreement`, `aggregate` and `sample-plan`.
//!
//! This module owns everything that touches files and terminals: reading long-format CSV
//! (`item,annotator,label`), mapping names to the dense indices `annoqa-stats` works on, and
//! printing results as text, CSV or JSON. Every number comes from `annoqa-stats`.
//!
//! The command lines and outputs are a stable contract that other tools script against
//! (issue 4): change them only additively.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use annoqa_stats::aggregate::{dawid_skene, majority_vote, Consensus, DawidSkeneOptions, TiePolicy, WorkerModel};
use annoqa_stats::agreement::{
    brennan_prediger, cohen_kappa, fleiss_kappa, gwet_ac, pairwise, per_category_kappa, percent_agreement, scott_pi,
    Coefficient, PairwiseMatrix,
};
use annoqa_stats::alpha::{krippendorff_alpha, krippendorff_alpha_bootstrap, Level};
use annoqa_stats::csv::{self, CsvError, LongAnswers, LongCsv, NameList, Names, NO_LABEL};
use annoqa_stats::sampling::{single_sampling_plan_in, Inspection, InspectionLevel, Standard};
use annoqa_stats::{Counts, Ratings, StatsError, Weights};

use crate::progress::ProgressFile;

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

fn open_csv(path: &Path) -> anyhow::Result<ProgressFile> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    Ok(ProgressFile::new(path, file))
}

/// Puts the file's name before a CSV error: `FILE:LINE: message`.
fn in_file(path: &Path) -> impl Fn(CsvError) -> anyhow::Error + '_ {
    move |e| anyhow!(e.in_file(&path.display().to_string()))
}

// ---------------------------------------------------------------------------------------------
// agreement

/// The label set of an agreement run: category names in order, their numeric values (for
/// interval and ratio data) and the category of every distinct label text in the file.
struct Categories {
    names: Vec<String>,
    values: Vec<f64>,
    /// By the label's index in the file's label names.
    of_label: Vec<u32>,
}

/// Decides the categories and their order. Nominal data keep first-appearance order; ordered
/// data take `--labels` or sort numeric labels ("1" and "1.0" are the same category). Labels
/// are checked in order of first appearance, so an error names the first line that is wrong.
fn categories(path: &Path, labels: &Names, args: &AgreementArgs) -> anyhow::Result<Categories> {
    let metric_level = if args.metric == Metric::Krippendorff { args.level } else { LevelArg::Nominal };
    let ordered = metric_level != LevelArg::Nominal || args.weights.is_some();
    let needs_values = matches!(metric_level, LevelArg::Interval | LevelArg::Ratio);
    let labelled = (0..labels.len() as u32).map(|i| (labels.first_line(i), labels.name(i)));
    if args.labels.is_some() && needs_values {
        bail!("--labels orders ordinal labels; interval and ratio labels must be the numbers themselves");
    }
    if let Some(given) = &args.labels {
        let mut index: HashMap<&str, u32> = HashMap::new();
        for (i, name) in given.iter().enumerate() {
            let name = name.trim();
            if index.insert(name, i as u32).is_some() {
                bail!("--labels names {name:?} twice");
            }
        }
        let mut of_label = Vec::with_capacity(labels.len());
        for (line, label) in labelled {
            let Some(&category) = index.get(label) else {
                bail!(
                    "{}:{line}: unknown label {label:?}: it is not among --labels ({})",
                    path.display(),
                    given.join(",")
                );
            };
            of_label.push(category);
        }
        let names = given.iter().map(|name| name.trim().to_string()).collect();
        let values = (0..given.len()).map(|i| i as f64).collect();
        Ok(Categories { names, values, of_label })
    } else if ordered {
        let kind = match metric_level {
            LevelArg::Nominal => "weighted",
            LevelArg::Ordinal => "ordinal",
            LevelArg::Interval => "interval",
            LevelArg::Ratio => "ratio",
        };
        let mut numeric: Vec<f64> = Vec::with_capacity(labels.len());
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
            numeric.push(value);
        }
        let mut distinct = numeric.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        let of_label = numeric.iter().map(|&value| distinct.partition_point(|v| *v < value) as u32).collect();
        Ok(Categories { names: distinct.iter().map(|v| v.to_string()).collect(), values: distinct, of_label })
    } else {
        // Every distinct label text is its own category, in the file's order.
        Ok(Categories {
            names: labels.iter().map(str::to_string).collect(),
            values: (0..labels.len()).map(|i| i as f64).collect(),
            of_label: (0..labels.len() as u32).collect(),
        })
    }
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

/// What agreement reads of a file: its label categories, how many annotators put each item in
/// each category, the items × annotators table of categories when the metric compares
/// annotators pair by pair (Cohen's κ, Scott's π), and the names behind the indices (what is
/// left to print).
struct RatingsFile {
    cats: Categories,
    counts: Counts,
    ratings: Option<Ratings>,
    items: NameList,
    annotators: NameList,
}

/// Whether `metric` compares annotators pair by pair, and so needs who gave which label, not
/// only how many gave it.
fn needs_pairs(metric: Metric) -> bool {
    matches!(metric, Metric::Cohen | Metric::Scott)
}

/// Reads a long-format CSV into what agreement needs ([`RatingsFile`]). Each annotator labels
/// an item at most once. A file is read straight into the items × annotators table, without
/// keeping its rows; only when a pair is labelled twice is it read again, row by row, for the
/// line of the first label the error names. An input that cannot be read twice (a pipe) is
/// read row by row from the start.
fn read_ratings(path: &Path, args: &AgreementArgs) -> anyhow::Result<RatingsFile> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return read_ratings_by_rows(path, ProgressFile::new(path, file), args);
    }
    let table = csv::read_long_table(ProgressFile::new(path, file)).map_err(in_file(path))?;
    let cats = categories(path, &table.labels, args)?;
    if let Some(repeat) = table.repeat() {
        // The row-by-row reader reports the same pair with both lines; had the file changed
        // since, this one's first repeat is still reported.
        read_ratings_by_rows(path, open_csv(path)?, args)?;
        bail!(
            "{}:{}: annotator {:?} already labelled item {:?} on an earlier line; agreement needs one label per annotator and item (`annoqa aggregate` accepts repeats)",
            path.display(),
            repeat.line,
            table.annotators.name(repeat.annotator),
            table.items.name(repeat.item),
        );
    }
    let k = cats.names.len();
    if needs_pairs(args.metric) {
        let (ratings, items, annotators) = table.into_ratings(&cats.of_label, k).map_err(about(path))?;
        Ok(RatingsFile { cats, counts: ratings.counts(), ratings: Some(ratings), items, annotators })
    } else {
        let (counts, items, annotators) = table.into_counts(&cats.of_label, k).map_err(about(path))?;
        Ok(RatingsFile { cats, counts, ratings: None, items, annotators })
    }
}

/// [`read_ratings`] through the rows of the file: all of them held, then put in the table.
fn read_ratings_by_rows(path: &Path, input: ProgressFile, args: &AgreementArgs) -> anyhow::Result<RatingsFile> {
    let mut csv = csv::read_long_csv(input).map_err(in_file(path))?;
    let cats = categories(path, &csv.labels, args)?;
    let items = std::mem::take(&mut csv.items).into_list();
    let annotators = std::mem::take(&mut csv.annotators).into_list();
    let ratings = ratings_of(path, &mut csv, (&items, &annotators), &cats)?;
    Ok(RatingsFile { cats, counts: ratings.counts(), ratings: Some(ratings), items, annotators })
}

/// The items × annotators table of categories. Each annotator labels an item at most once; the
/// rows are dropped once they are in the table, as nothing else reads them. `names` are the
/// items' and the annotators'.
fn ratings_of(
    path: &Path,
    csv: &mut LongCsv,
    names: (&NameList, &NameList),
    cats: &Categories,
) -> anyhow::Result<Ratings> {
    let (items, annotators) = names;
    let mut ratings = Ratings::new(items.len(), annotators.len(), cats.names.len());
    for (row, &(item, annotator, label)) in csv.rows.iter().enumerate() {
        let Some(&category) = cats.of_label.get(label as usize) else { continue };
        if ratings.get(item as usize, annotator as usize).is_some() {
            let earlier = csv.rows.iter().position(|&(i, a, l)| i == item && a == annotator && l != NO_LABEL);
            bail!(
                "{}:{}: annotator {:?} already labelled item {:?} on line {}; agreement needs one label per annotator and item (`annoqa aggregate` accepts repeats)",
                path.display(),
                csv.line(row),
                annotators.name(annotator),
                items.name(item),
                earlier.map_or(0, |r| csv.line(r))
            );
        }
        ratings.set(item as usize, annotator as usize, Some(category)).map_err(about(path))?;
    }
    csv.rows = Vec::new();
    Ok(ratings)
}

pub(crate) fn run_agreement(args: &AgreementArgs) -> anyhow::Result<()> {
    let path = args.file.as_path();
    if args.bootstrap > 0 && args.metric != Metric::Krippendorff {
        bail!("--bootstrap is available for --metric krippendorff only");
    }
    if args.weights.is_some() && args.metric == Metric::Krippendorff {
        bail!("Krippendorff's α takes --level, not --weights");
    }
    let RatingsFile { cats, counts, ratings, items, annotators } = read_ratings(path, args)?;
    let (items, annotators) = (&items, &annotators);
    if annotators.len() < 2 {
        bail!("{}: agreement needs at least two annotators, found {}", path.display(), annotators.len());
    }
    if cats.names.is_empty() {
        bail!("{}: no labels: every label is empty", path.display());
    }
    let k = cats.names.len();
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
            let ratings = ratings.as_ref().context("the ratings of a pairwise metric are read")?;
            let matrix = pairwise(ratings, &weights, f).map_err(about(path))?;
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
                json!({"a": annotators.name(*a as u32), "b": annotators.name(*b as u32), "value": c.map(|c| c.value), "items": shared})
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
                csv_field(annotators.name(*a as u32)),
                csv_field(annotators.name(*b as u32))
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
fn csv_field(text: &str) -> Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

// ---------------------------------------------------------------------------------------------
// aggregate

pub(crate) fn run_aggregate(args: &AggregateArgs) -> anyhow::Result<()> {
    let path = args.file.as_path();
    // Aggregation reads answers only: rows without a label name their item and nothing more.
    let LongAnswers { items, annotators, mut labels, answers } =
        csv::read_long_answers(open_csv(path)?).map_err(in_file(path))?;
    let gold = match &args.gold {
        Some(gold_path) => {
            let gold = csv::read_gold(open_csv(gold_path)?, &items, &mut labels).map_err(in_file(gold_path))?;
            if gold.unknown > 0 {
                eprintln!("note: {} gold items have no answers in {} and are left out", gold.unknown, path.display());
            }
            gold.answers
        }
        None => Vec::new(),
    };
    if labels.len() < 2 {
        bail!("{}: aggregation needs at least two distinct labels, found {}", path.display(), labels.len());
    }
    // Only printing needs the names from here on: their look-up tables go before the answers
    // are indexed.
    let (items, annotators, labels) = (items.into_list(), annotators.into_list(), labels.into_list());
    let answers = answers.finish(items.len(), annotators.len(), labels.len()).map_err(about(path))?;
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

    let names = NamesOf { items: &items, annotators: &annotators, labels: &labels };
    // Large blocks: the consensus of every item goes out, 100,000 lines for a large batch.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if args.json {
        writeln!(out, "{}", consensus_json(args.method, &consensus, &names))?;
    } else {
        write_consensus_csv(&mut out, &consensus, &names)?;
    }
    out.flush()?;
    Ok(())
}

/// The names behind an aggregation's indices.
struct NamesOf<'a> {
    items: &'a NameList,
    annotators: &'a NameList,
    labels: &'a NameList,
}

/// `item,label,confidence` for every item, confidence to four decimals.
fn write_consensus_csv(out: &mut impl Write, consensus: &Consensus, names: &NamesOf<'_>) -> std::io::Result<()> {
    writeln!(out, "item,label,confidence")?;
    // Bytes written as they are, without the formatting machinery per line (100,000 lines for
    // a large batch); each label quoted once.
    let labels: Vec<Cow<'_, str>> = names.labels.iter().map(csv_field).collect();
    for (t, item) in names.items.iter().enumerate() {
        out.write_all(csv_field(item).as_bytes())?;
        out.write_all(b",")?;
        if let Some(label) = consensus.labels[t].and_then(|l| labels.get(l as usize)) {
            out.write_all(label.as_bytes())?;
        }
        match consensus.confidence(t) {
            Some(c) => {
                out.write_all(b",")?;
                write_four_decimals(out, c)?;
                out.write_all(b"\n")?;
            }
            None => writeln!(out, ",")?,
        }
    }
    Ok(())
}

/// Writes `x` as `{x:.4}` does, without its exact-decimal slow path for most values: a
/// probability's `x × 10⁴` is within 1e-12 of the exact product, so rounding it gives `{:.4}`'s
/// digits unless the exact value sits at a rounding boundary, where `{:.4}` itself decides.
/// (Formatting took a sixth of `aggregate`'s time on 100,000 items.)
fn write_four_decimals(out: &mut impl Write, x: f64) -> std::io::Result<()> {
    let scaled = x * 10_000.0;
    let distance_to_boundary = (scaled - scaled.floor() - 0.5).abs();
    if !(0.0..=10_000.0).contains(&scaled) || distance_to_boundary < 1e-9 {
        return write!(out, "{x:.4}");
    }
    // In range and not NaN (checked above), so the cast is exact.
    let n = scaled.round() as u32;
    write!(out, "{}.{:04}", n / 10_000, n % 10_000)
}

/// The `--json` report: every item's label, confidence and posterior, and for Dawid–Skene the
/// fit and each annotator's confusion matrix.
fn consensus_json(method: Method, consensus: &Consensus, names: &NamesOf<'_>) -> Value {
    let labels = names.labels;
    let results: Vec<Value> = names
        .items
        .iter()
        .enumerate()
        .map(|(t, item)| {
            json!({
                "item": item,
                "label": consensus.labels[t].map(|l| labels.name(l)),
                "confidence": consensus.confidence(t),
                "posterior": consensus.posterior(t),
            })
        })
        .collect();
    let mut report = json!({
        "method": match method { Method::Mv => "mv", Method::Ds => "ds", Method::OneCoinDs => "one-coin-ds" },
        "items": names.items.len(),
        "annotators": names.annotators.len(),
        "labels": labels.iter().collect::<Vec<_>>(),
        "priors": consensus.priors,
        "results": results,
    });
    if method != Method::Mv {
        let k = consensus.classes;
        report["iterations"] = json!(consensus.iterations);
        report["converged"] = json!(consensus.converged);
        report["log_likelihood"] = json!(consensus.log_likelihood);
        report["confusion_rows"] = json!("true label");
        report["confusion_columns"] = json!("given label");
        report["confusion"] = names
            .annotators
            .iter()
            .enumerate()
            .map(|(w, name)| {
                let matrix: Vec<Vec<f64>> =
                    (0..k).map(|t| (0..k).map(|a| consensus.confusion(w, t, a)).collect()).collect();
                (name.to_string(), json!(matrix))
            })
            .collect::<serde_json::Map<String, Value>>()
            .into();
    }
    report
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
    use super::*;

    #[test]
    fn four_decimals_as_format_writes_them() {
        let mut state = 1u64;
        let mut values = vec![0.0, 1.0, 0.5, 0.03125, 0.00005, 0.99995, 0.999_949_999, 1.0 - 1e-17, 5e-324];
        for _ in 0..100_000 {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            values.push((state >> 11) as f64 / (1u64 << 53) as f64);
            // Values near the boundaries between two printed numbers.
            values.push(((state >> 40) % 20_001) as f64 / 20_000.0 + f64::from((state >> 20) as u8 as i8) * 1e-17);
        }
        for x in values.into_iter().filter(|x| (0.0..=1.0).contains(x)) {
            let mut written = Vec::new();
            write_four_decimals(&mut written, x).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), format!("{x:.4}"), "{x:e}");
        }
    }

    /// What [`read_ratings`] gives, or its error, as text; the ratings only for a pairwise
    /// metric, the only one that reads them.
    fn outcome(read: anyhow::Result<RatingsFile>, metric: Metric) -> String {
        match read {
            Ok(file) => format!(
                "categories {:?} {:?} {:?}\ncounts {:?}\nratings {:?}\nitems {:?}\nannotators {:?}",
                file.cats.names,
                file.cats.values,
                file.cats.of_label,
                file.counts,
                file.ratings.filter(|_| needs_pairs(metric)),
                file.items.iter().collect::<Vec<_>>(),
                file.annotators.iter().collect::<Vec<_>>()
            ),
            Err(e) => format!("error: {e:#}"),
        }
    }

    #[test]
    fn files_read_into_the_table_read_as_their_rows() {
        // Read straight into the table or row by row (as a pipe is), a file gives the same
        // categories, counts, ratings and names, or the same error.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("answers.csv");
        let mut many = String::from("item,annotator,label\n");
        for i in 0..900 {
            many += &format!("{},{},l{}\n", i / 3, i % 3, i % 300);
        }
        let cases: [(&str, Option<&str>, LevelArg); 8] = [
            ("item,annotator,label\n1,a,x\n1,b,y\n2,a,\n2,b,x\n3,c,y\n", None, LevelArg::Nominal),
            ("task,worker,label\n2,b,x\n1,a,x\n3,c,y\n1,b,y\n2,a,\n", None, LevelArg::Nominal),
            ("item,annotator,label\n1,a,3\n1,b,1.0\n2,a,1\n2,b,2\n", None, LevelArg::Interval),
            ("item,annotator,label\n1,a,low\n1,b,high\n2,a,mid\n", Some("low,mid,high"), LevelArg::Ordinal),
            ("item,annotator,label\n1,a,x\n1,b,y\n\n1,a,y\n", None, LevelArg::Nominal),
            ("item,annotator,label\n\"multi\nline\",a,x\n2,a,\n\"multi\nline\",a,y\n", None, LevelArg::Nominal),
            ("item,annotator,label\n1,a,x\n1,a,y\n1,b,\"open\n", None, LevelArg::Nominal),
            (&many, None, LevelArg::Nominal),
        ];
        for (text, labels, level) in cases {
            std::fs::write(&path, text).unwrap();
            for metric in [Metric::Krippendorff, Metric::Fleiss, Metric::Cohen] {
                let args = AgreementArgs {
                    file: path.clone(),
                    metric,
                    level,
                    weights: None,
                    labels: labels.map(|l| l.split(',').map(str::to_string).collect()),
                    per_label: false,
                    bootstrap: 0,
                    confidence: 0.95,
                    seed: 1,
                    json: false,
                };
                let by_rows = outcome(read_ratings_by_rows(&path, open_csv(&path).unwrap(), &args), metric);
                let by_table = outcome(read_ratings(&path, &args), metric);
                assert_eq!(by_table, by_rows, "{text:?} {metric:?}");
            }
        }
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("plain text"), "plain text");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"yes\""), "\"say \"\"yes\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }
}
