//! `agreement` and `aggregate` over a long table of `{item, annotator, label}` rows: names are
//! mapped to the dense indices annoqa-stats works on, in order of first appearance, exactly as
//! `annoqa agreement` and `annoqa aggregate` map the rows of a CSV file (crates/annoqa-cli/src/
//! stats.rs), and the answers have the shape of those commands' `--json` output.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use annoqa_core::number::parse_finite;
use annoqa_core::unit_enum;
use annoqa_stats::aggregate::{
    dawid_skene, majority_vote, Answers, Consensus, DawidSkeneOptions, TiePolicy, WorkerModel, DEFAULT_FLOOR,
};
use annoqa_stats::agreement::{
    brennan_prediger, cohen_kappa, fleiss_kappa, gwet_ac, pairwise, per_category_kappa, percent_agreement, scott_pi,
    Coefficient,
};
use annoqa_stats::alpha::{krippendorff_alpha, krippendorff_alpha_bootstrap, Level};
use annoqa_stats::{Counts, Ratings, StatsError, Weights};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsError, JsValue};

use crate::convert::{from_js, invalid, options_from_js, to_js};

/// More bootstrap resamples than this would hold the page for minutes; the interval is stable
/// long before (Hayes & Krippendorff use 10,000).
const MAX_BOOTSTRAP: usize = 1_000_000;

/// Items × annotators of one agreement: 256 MiB of ratings.
const MAX_RATING_CELLS: usize = 1 << 26;

// ---------------------------------------------------------------------------------------------
// The long table

/// A name or a label: a string, or a number taken as its decimal text (`2` and `2.0` are `"2"`).
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.trim().to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                if v.is_finite() {
                    Ok(Text(v.to_string()))
                } else {
                    Err(E::custom(format!("{v} is not a finite number")))
                }
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    item: Text,
    annotator: Text,
    /// `null`, missing or `""`: the annotator saw the item and gave no label.
    #[serde(default)]
    label: Option<Text>,
}

/// One row with its position, for messages (`table[3]`).
struct Answer {
    row: usize,
    item: u32,
    annotator: u32,
    label: Option<String>,
}

/// Names in order of first appearance, with their dense indices.
#[derive(Default)]
struct Names {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    fn intern(&mut self, name: &str) -> Result<u32, JsError> {
        if let Some(&i) = self.index.get(name) {
            return Ok(i);
        }
        let i = u32::try_from(self.names.len()).map_err(|_| invalid("table", "more than 2³² distinct names"))?;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        Ok(i)
    }

    fn len(&self) -> usize {
        self.names.len()
    }
}

/// The table's items and annotators interned, and its answers in row order.
struct Table {
    items: Names,
    annotators: Names,
    answers: Vec<Answer>,
}

fn read_table(table: JsValue) -> Result<Table, JsError> {
    let rows: Vec<Row> = from_js("table", table)?;
    let mut items = Names::default();
    let mut annotators = Names::default();
    let mut answers = Vec::with_capacity(rows.len());
    for (row, Row { item, annotator, label }) in rows.into_iter().enumerate() {
        if item.0.is_empty() {
            return Err(invalid(&format!("table[{row}].item"), "empty"));
        }
        if annotator.0.is_empty() {
            return Err(invalid(&format!("table[{row}].annotator"), "empty"));
        }
        let item = items.intern(&item.0)?;
        let annotator = annotators.intern(&annotator.0)?;
        let label = label.map(|l| l.0).filter(|l| !l.is_empty());
        answers.push(Answer { row, item, annotator, label });
    }
    Ok(Table { items, annotators, answers })
}

fn stats_error(err: StatsError) -> JsError {
    JsError::new(&format!("table: {err}"))
}

// ---------------------------------------------------------------------------------------------
// agreement

// The options' enums read through annoqa-core's `unit_enum!`: one reader for all of them, where
// the derive made one per enum.
#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Metric {
    Percent,
    Cohen,
    Scott,
    Fleiss,
    Krippendorff,
    Gwet,
    Bp,
}

unit_enum!(Metric {
    Percent = "percent",
    Cohen = "cohen",
    Scott = "scott",
    Fleiss = "fleiss",
    Krippendorff = "krippendorff",
    Gwet = "gwet",
    Bp = "bp",
});

#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum LevelArg {
    #[default]
    Nominal,
    Ordinal,
    Interval,
    Ratio,
}

unit_enum!(LevelArg { Nominal = "nominal", Ordinal = "ordinal", Interval = "interval", Ratio = "ratio" });

#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum WeightsArg {
    Linear,
    Quadratic,
}

unit_enum!(WeightsArg { Linear = "linear", Quadratic = "quadratic" });

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgreementOptions {
    metric: Metric,
    #[serde(default)]
    level: LevelArg,
    #[serde(default)]
    weights: Option<WeightsArg>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    per_label: bool,
    #[serde(default)]
    bootstrap: usize,
    #[serde(default = "default_confidence")]
    confidence: f64,
    #[serde(default = "default_seed")]
    seed: u64,
}

fn default_confidence() -> f64 {
    0.95
}

fn default_seed() -> u64 {
    1
}

/// What `annoqa agreement --json` prints.
#[derive(Serialize)]
struct AgreementReport {
    metric: Metric,
    items: usize,
    annotators: usize,
    labels: Vec<String>,
    value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    observed: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<Level>,
    #[serde(skip_serializing_if = "Option::is_none")]
    observed_disagreement: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_disagreement: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pairable_values: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interval: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    weights: Option<WeightsArg>,
    /// `"mean of pairs"` for Cohen's κ and Scott's π over more than two annotators.
    #[serde(skip_serializing_if = "Option::is_none")]
    aggregate: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pairs: Option<Vec<Pair>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_label: Option<Vec<LabelValue>>,
}

#[derive(Serialize)]
struct Interval {
    confidence: f64,
    low: f64,
    high: f64,
    resamples: usize,
    seed: u64,
    #[serde(rename = "p_below_0.667")]
    p_below_0_667: f64,
    #[serde(rename = "p_below_0.8")]
    p_below_0_8: f64,
}

#[derive(Serialize)]
struct Pair {
    a: String,
    b: String,
    value: Option<f64>,
    items: usize,
}

#[derive(Serialize)]
struct LabelValue {
    label: String,
    value: Option<f64>,
}

/// The label set: category names in order, their numeric values (for interval and ratio data)
/// and the category of every label text.
struct Categories {
    names: Vec<String>,
    values: Vec<f64>,
    of_label: HashMap<String, u32>,
}

/// Nominal data keep first-appearance order; ordered data take `labels` or sort numeric labels
/// (`"1"` and `"1.0"` are the same category), as `annoqa agreement` does.
fn categories(table: &Table, options: &AgreementOptions) -> Result<Categories, JsError> {
    let level = if options.metric == Metric::Krippendorff { options.level } else { LevelArg::Nominal };
    let needs_values = matches!(level, LevelArg::Interval | LevelArg::Ratio);
    let labelled = table.answers.iter().filter_map(|a| a.label.as_deref().map(|l| (a.row, l)));
    match &options.labels {
        Some(_) if needs_values => Err(invalid(
            "options.labels",
            "orders ordinal labels; interval and ratio labels must be the numbers themselves",
        )),
        Some(given) => given_categories(given, labelled),
        None if level != LevelArg::Nominal || options.weights.is_some() => numeric_categories(level, labelled),
        None => {
            let mut cats = Categories { names: Vec::new(), values: Vec::new(), of_label: HashMap::new() };
            for (_, label) in labelled {
                if !cats.of_label.contains_key(label) {
                    cats.of_label.insert(label.to_string(), cats.names.len() as u32);
                    cats.values.push(cats.names.len() as f64);
                    cats.names.push(label.to_string());
                }
            }
            Ok(cats)
        }
    }
}

fn given_categories<'a>(
    given: &[String],
    labelled: impl Iterator<Item = (usize, &'a str)>,
) -> Result<Categories, JsError> {
    let mut cats = Categories { names: Vec::new(), values: Vec::new(), of_label: HashMap::new() };
    for (i, name) in given.iter().enumerate() {
        let name = name.trim();
        if cats.of_label.insert(name.to_string(), i as u32).is_some() {
            return Err(invalid("options.labels", format!("names {name:?} twice")));
        }
        cats.names.push(name.to_string());
        cats.values.push(i as f64);
    }
    for (row, label) in labelled {
        if !cats.of_label.contains_key(label) {
            return Err(invalid(
                &format!("table[{row}].label"),
                format!("unknown label {label:?}: it is not among options.labels ({})", given.join(",")),
            ));
        }
    }
    Ok(cats)
}

fn numeric_categories<'a>(
    level: LevelArg,
    labelled: impl Iterator<Item = (usize, &'a str)>,
) -> Result<Categories, JsError> {
    let kind = match level {
        LevelArg::Nominal => "weighted",
        LevelArg::Ordinal => "ordinal",
        LevelArg::Interval => "interval",
        LevelArg::Ratio => "ratio",
    };
    let mut numeric: Vec<(f64, &str)> = Vec::new();
    for (row, label) in labelled {
        let value = parse_finite(label).ok_or_else(|| {
            let hint = if matches!(level, LevelArg::Interval | LevelArg::Ratio) {
                ""
            } else {
                ", or give their order with options.labels"
            };
            invalid(
                &format!("table[{row}].label"),
                format!("{label:?} is not a number: {kind} data need numeric labels{hint}"),
            )
        })?;
        if level == LevelArg::Ratio && value < 0.0 {
            return Err(invalid(
                &format!("table[{row}].label"),
                format!("{label:?} is negative, which ratio data cannot be"),
            ));
        }
        numeric.push((value, label));
    }
    let mut distinct: Vec<f64> = numeric.iter().map(|n| n.0).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let mut of_label = HashMap::new();
    for (value, label) in numeric {
        of_label.insert(label.to_string(), distinct.partition_point(|v| *v < value) as u32);
    }
    Ok(Categories { names: distinct.iter().map(|v| v.to_string()).collect(), values: distinct, of_label })
}

/// The table as coder-by-unit ratings: one label per annotator and item.
fn ratings(table: &Table, cats: &Categories) -> Result<Ratings, JsError> {
    // Ratings are a dense items × annotators matrix of 4-byte cells; past this it would not fit
    // the 4 GiB of a WebAssembly memory beside everything else, and the allocation would abort.
    let cells = table.items.len().checked_mul(table.annotators.len()).filter(|&n| n <= MAX_RATING_CELLS);
    if cells.is_none() {
        return Err(invalid(
            "table",
            format!(
                "{} items × {} annotators is too large a rating matrix for agreement (at most {MAX_RATING_CELLS} \
                 cells)",
                table.items.len(),
                table.annotators.len()
            ),
        ));
    }
    let mut ratings = Ratings::new(table.items.len(), table.annotators.len(), cats.names.len());
    let mut first_row: HashMap<(u32, u32), usize> = HashMap::new();
    for answer in &table.answers {
        let Some(label) = &answer.label else { continue };
        if let Some(previous) = first_row.insert((answer.item, answer.annotator), answer.row) {
            return Err(invalid(
                &format!("table[{}]", answer.row),
                format!(
                    "annotator {:?} already labelled item {:?} in table[{previous}]; agreement needs one label per \
                     annotator and item (aggregate accepts repeats)",
                    table.annotators.names[answer.annotator as usize], table.items.names[answer.item as usize]
                ),
            ));
        }
        let category = cats.of_label.get(label).copied();
        ratings.set(answer.item as usize, answer.annotator as usize, category).map_err(stats_error)?;
    }
    Ok(ratings)
}

pub(crate) fn agreement(table: JsValue, options: JsValue) -> Result<JsValue, JsError> {
    let table = read_table(table)?;
    let options: AgreementOptions = from_js("options", options)?;
    if options.bootstrap > 0 && options.metric != Metric::Krippendorff {
        return Err(invalid("options.bootstrap", "is available for the krippendorff metric only"));
    }
    if options.bootstrap > MAX_BOOTSTRAP {
        return Err(invalid("options.bootstrap", format!("at most {MAX_BOOTSTRAP} resamples")));
    }
    if options.weights.is_some() && options.metric == Metric::Krippendorff {
        return Err(invalid("options.weights", "Krippendorff's α takes a level, not weights"));
    }
    let cats = categories(&table, &options)?;
    if table.annotators.len() < 2 {
        return Err(invalid(
            "table",
            format!("agreement needs at least two annotators, found {}", table.annotators.len()),
        ));
    }
    if cats.names.is_empty() {
        return Err(invalid("table", "no labels: every label is empty"));
    }
    let ratings = ratings(&table, &cats)?;
    let mut report = AgreementReport {
        metric: options.metric,
        items: table.items.len(),
        annotators: table.annotators.len(),
        labels: cats.names.clone(),
        value: None,
        observed: None,
        chance: None,
        level: None,
        observed_disagreement: None,
        expected_disagreement: None,
        pairable_values: None,
        interval: None,
        weights: options.weights,
        aggregate: None,
        pairs: None,
        per_label: None,
    };
    coefficient(&table, &cats, &ratings, &options, &mut report)?;
    if options.per_label {
        let per_label = per_category_kappa(&ratings.counts());
        report.per_label = Some(
            per_label
                .iter()
                .zip(&cats.names)
                .map(|(c, name)| LabelValue { label: name.clone(), value: c.map(|c| c.value) })
                .collect(),
        );
    }
    to_js(&report)
}

/// Fills in the value of the chosen metric.
fn coefficient(
    table: &Table,
    cats: &Categories,
    ratings: &Ratings,
    options: &AgreementOptions,
    report: &mut AgreementReport,
) -> Result<(), JsError> {
    let counts = ratings.counts();
    let weights = match options.weights {
        None => Weights::Identity,
        Some(WeightsArg::Linear) => Weights::Linear,
        Some(WeightsArg::Quadratic) => Weights::Quadratic,
    }
    .matrix_for(cats.names.len())
    .map_err(stats_error)?;
    let single: Option<Coefficient> = match options.metric {
        Metric::Percent => Some(percent_agreement(&counts, &weights).map_err(stats_error)?),
        Metric::Fleiss => Some(fleiss_kappa(&counts, &weights).map_err(stats_error)?),
        Metric::Gwet => Some(gwet_ac(&counts, &weights).map_err(stats_error)?),
        Metric::Bp => Some(brennan_prediger(&counts, &weights).map_err(stats_error)?),
        Metric::Cohen | Metric::Scott => pairwise_coefficient(table, ratings, &weights, options.metric, report)?,
        Metric::Krippendorff => {
            alpha(&counts, cats, options, report)?;
            None
        }
    };
    if let Some(c) = single {
        report.value = Some(c.value);
        report.observed = Some(c.observed);
        report.chance = Some(c.chance);
    }
    Ok(())
}

/// Cohen's κ or Scott's π for every pair of annotators; their mean is the value. Returns the
/// single pair's coefficient when there are exactly two annotators.
fn pairwise_coefficient(
    table: &Table,
    ratings: &Ratings,
    weights: &[f64],
    metric: Metric,
    report: &mut AgreementReport,
) -> Result<Option<Coefficient>, JsError> {
    let f = if metric == Metric::Cohen { cohen_kappa } else { scott_pi };
    let matrix = pairwise(ratings, weights, f).map_err(stats_error)?;
    let Some(mean) = matrix.mean() else {
        let name = if metric == Metric::Cohen { "Cohen's κ" } else { "Scott's π" };
        return Err(invalid(
            "table",
            format!("no pair of annotators has a defined {name} (too few shared items, or a single label)"),
        ));
    };
    report.value = Some(mean);
    let names = &table.annotators.names;
    report.pairs = Some(
        matrix
            .pairs
            .iter()
            .map(|(a, b, c, shared)| Pair {
                a: names[*a].clone(),
                b: names[*b].clone(),
                value: c.map(|c| c.value),
                items: *shared,
            })
            .collect(),
    );
    if table.annotators.len() > 2 {
        report.aggregate = Some("mean of pairs");
        return Ok(None);
    }
    Ok(matrix.pairs.first().and_then(|pair| pair.2))
}

fn alpha(
    counts: &Counts,
    cats: &Categories,
    options: &AgreementOptions,
    report: &mut AgreementReport,
) -> Result<(), JsError> {
    let level = match options.level {
        LevelArg::Nominal => Level::Nominal,
        LevelArg::Ordinal => Level::Ordinal,
        LevelArg::Interval => Level::Interval,
        LevelArg::Ratio => Level::Ratio,
    };
    let alpha = krippendorff_alpha(counts, level, &cats.values).map_err(stats_error)?;
    report.level = Some(level);
    report.value = Some(alpha.value);
    report.observed_disagreement = Some(alpha.observed_disagreement);
    report.expected_disagreement = Some(alpha.expected_disagreement);
    report.pairable_values = Some(alpha.pairable_values);
    if options.bootstrap > 0 {
        let boot = krippendorff_alpha_bootstrap(
            counts,
            level,
            &cats.values,
            options.bootstrap,
            options.confidence,
            options.seed,
        )
        .map_err(stats_error)?;
        report.interval = Some(Interval {
            confidence: boot.confidence,
            low: boot.low,
            high: boot.high,
            resamples: options.bootstrap,
            seed: options.seed,
            p_below_0_667: boot.probability_below(0.667),
            p_below_0_8: boot.probability_below(0.8),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// aggregate

#[derive(Clone, Copy, PartialEq, Eq, Default, Serialize)]
enum Method {
    #[serde(rename = "mv")]
    MajorityVote,
    #[default]
    #[serde(rename = "ds")]
    DawidSkene,
    #[serde(rename = "one-coin-ds")]
    OneCoinDawidSkene,
}

unit_enum!(Method { MajorityVote = "mv", DawidSkene = "ds", OneCoinDawidSkene = "one-coin-ds" });

#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Ties {
    #[default]
    First,
    Random,
    None,
}

unit_enum!(Ties { First = "first", Random = "random", None = "none" });

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GoldRow {
    item: Text,
    label: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct AggregateOptions {
    method: Method,
    gold: Vec<GoldRow>,
    ties: Ties,
    seed: u64,
    tolerance: f64,
    max_iterations: usize,
    smoothing: f64,
    floor: f64,
}

impl Default for AggregateOptions {
    /// The defaults of `annoqa aggregate`.
    fn default() -> Self {
        AggregateOptions {
            method: Method::DawidSkene,
            gold: Vec::new(),
            ties: Ties::First,
            seed: 1,
            tolerance: 1e-5,
            max_iterations: 100,
            smoothing: 0.0,
            floor: DEFAULT_FLOOR,
        }
    }
}

/// What `annoqa aggregate --json` prints, plus the notes it writes to stderr.
#[derive(Serialize)]
struct AggregateReport {
    method: Method,
    items: usize,
    annotators: usize,
    labels: Vec<String>,
    priors: Vec<f64>,
    results: Vec<ItemResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iterations: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    converged: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_likelihood: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confusion_rows: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confusion_columns: Option<&'static str>,
    /// Per annotator: `[true label][given label]` probabilities.
    #[serde(skip_serializing_if = "Option::is_none")]
    confusion: Option<BTreeMap<String, Vec<Vec<f64>>>>,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct ItemResult {
    item: String,
    label: Option<String>,
    confidence: Option<f64>,
    posterior: Vec<f64>,
}

pub(crate) fn aggregate(table: JsValue, options: JsValue) -> Result<JsValue, JsError> {
    let table = read_table(table)?;
    let options: AggregateOptions = options_from_js("options", options)?;
    let mut labels = Names::default();
    let mut triples = Vec::with_capacity(table.answers.len());
    for answer in &table.answers {
        if let Some(label) = &answer.label {
            triples.push((answer.item, answer.annotator, labels.intern(label)?));
        }
    }
    let mut notes = Vec::new();
    let mut gold = Vec::new();
    let mut gold_rows: HashMap<&str, usize> = HashMap::new();
    for (row, GoldRow { item, label }) in options.gold.iter().enumerate() {
        if item.0.is_empty() || label.0.is_empty() {
            return Err(invalid(&format!("options.gold[{row}]"), "needs both an item and a label"));
        }
        if let Some(previous) = gold_rows.insert(&item.0, row) {
            return Err(invalid(
                &format!("options.gold[{row}]"),
                format!("item {:?} already has a gold label in options.gold[{previous}]", item.0),
            ));
        }
        let label = labels.intern(&label.0)?;
        if let Some(&item) = table.items.index.get(&item.0) {
            gold.push((item, label));
        }
    }
    if gold.len() < options.gold.len() {
        notes.push(format!(
            "{} gold items have no answers in the table and are left out",
            options.gold.len() - gold.len()
        ));
    }
    if labels.len() < 2 {
        return Err(invalid(
            "table",
            format!("aggregation needs at least two distinct labels, found {}", labels.len()),
        ));
    }
    let answers = Answers::from_triples(table.items.len(), table.annotators.len(), labels.len(), &triples)
        .map_err(stats_error)?;
    let consensus = consensus(&answers, &options, gold)?;
    if options.method != Method::MajorityVote && !consensus.converged {
        notes.push(format!("Dawid–Skene stopped at the iteration cap ({}) before converging", consensus.iterations));
    }
    to_js(&aggregate_report(&table, &labels, &options, &consensus, notes))
}

fn consensus(answers: &Answers, options: &AggregateOptions, gold: Vec<(u32, u32)>) -> Result<Consensus, JsError> {
    match options.method {
        Method::MajorityVote => {
            let ties = match options.ties {
                Ties::First => TiePolicy::FirstLabel,
                Ties::Random => TiePolicy::Seeded(options.seed),
                Ties::None => TiePolicy::Unresolved,
            };
            let mut mv = majority_vote(answers, None, ties).map_err(stats_error)?;
            // Known answers override the vote, as in `annoqa aggregate --gold`.
            let k = mv.classes;
            for (item, label) in gold {
                let start = item as usize * k;
                if let Some(row) = mv.posteriors.get_mut(start..start + k) {
                    row.iter_mut().enumerate().for_each(|(class, p)| *p = f64::from(u8::from(class == label as usize)));
                }
                if let Some(slot) = mv.labels.get_mut(item as usize) {
                    *slot = Some(label);
                }
            }
            Ok(mv)
        }
        Method::DawidSkene | Method::OneCoinDawidSkene => {
            let model =
                if options.method == Method::DawidSkene { WorkerModel::ConfusionMatrix } else { WorkerModel::OneCoin };
            let ds_options = DawidSkeneOptions {
                model,
                tolerance: options.tolerance,
                max_iterations: options.max_iterations,
                gold,
                smoothing: options.smoothing,
                floor: options.floor,
                // Wasm has no threads; the result does not depend on the count.
                threads: 1,
            };
            dawid_skene(answers, &ds_options).map_err(stats_error)
        }
    }
}

fn aggregate_report(
    table: &Table,
    labels: &Names,
    options: &AggregateOptions,
    consensus: &Consensus,
    notes: Vec<String>,
) -> AggregateReport {
    let results = (0..table.items.len())
        .map(|t| ItemResult {
            item: table.items.names[t].clone(),
            label: consensus.labels[t].map(|l| labels.names[l as usize].clone()),
            confidence: consensus.confidence(t),
            posterior: consensus.posterior(t).to_vec(),
        })
        .collect();
    let mut report = AggregateReport {
        method: options.method,
        items: table.items.len(),
        annotators: table.annotators.len(),
        labels: labels.names.clone(),
        priors: consensus.priors.clone(),
        results,
        iterations: None,
        converged: None,
        log_likelihood: None,
        confusion_rows: None,
        confusion_columns: None,
        confusion: None,
        notes,
    };
    if options.method != Method::MajorityVote {
        let k = consensus.classes;
        report.iterations = Some(consensus.iterations);
        report.converged = Some(consensus.converged);
        report.log_likelihood = Some(consensus.log_likelihood);
        report.confusion_rows = Some("true label");
        report.confusion_columns = Some("given label");
        let matrix = |w: usize| (0..k).map(|t| (0..k).map(|a| consensus.confusion(w, t, a)).collect()).collect();
        // Inserted one by one rather than sorted: a sort is a copy of its own in the module.
        // Annotators' names are distinct (interned).
        let mut confusion = BTreeMap::new();
        for (w, name) in table.annotators.names.iter().enumerate() {
            confusion.insert(name.clone(), matrix(w));
        }
        report.confusion = Some(confusion);
    }
    report
}
