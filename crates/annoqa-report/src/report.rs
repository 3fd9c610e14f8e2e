//! The report's data: every number `annoqa report` prints, as plain serialisable structs. The
//! JSON form (`--json`) is this struct; the HTML page is drawn from it and nothing else.

use serde::Serialize;

/// The QA report of one export.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub summary: Summary,
    /// Annotator names in order of first appearance; pairs and scorecards refer to them by name.
    pub annotators: Vec<String>,
    pub controls: Vec<ControlReport>,
    pub scorecards: Vec<Scorecard>,
    pub findings: FindingsSummary,
    /// The item and control pairs whose annotators agree least, lowest first.
    pub lowest_agreement: Vec<ItemAgreement>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Annotation records read (predictions and repeats included).
    pub records: usize,
    /// Records used: the first annotation of each annotator on each item.
    pub annotations: usize,
    pub items: usize,
    pub annotators: usize,
    /// Model predictions, which are not annotators and are left out.
    pub predictions_skipped: usize,
    /// A second (or later) annotation by the same annotator of the same item, left out.
    pub repeats_skipped: usize,
    /// `given` (a spec or a labeling config) or `derived` (from the records themselves).
    pub spec: SpecOrigin,
    /// Items with a gold answer in the gold file.
    pub gold_items: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecOrigin {
    Given,
    Derived,
}

/// Agreement on one control.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ControlReport {
    pub name: String,
    /// The control's type as in a spec (`choice`, `b_box`, …).
    pub kind: String,
    /// Labels in the spec's order, then labels the spec does not know in order of appearance.
    pub labels: Vec<String>,
    /// Answers (choice) or regions (spans, boxes, segments) given for this control.
    pub answers: usize,
    /// Items that two or more annotators did, the ones agreement is measured on.
    pub shared_items: usize,
    pub agreement: Agreement,
}

/// How a control's agreement was measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Agreement {
    /// Choices (and pairwise preferences as the choice A, B or Tie).
    Choice(Box<ChoiceAgreement>),
    /// Spans, boxes and segments, paired by the QA engine's staged matcher.
    Regions(Box<RegionAgreement>),
    /// A control kind without an agreement measure here (polygons, keypoints, video, free text,
    /// rankings), or one that could not be measured; `reason` says which.
    NotMeasured { reason: String },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChoiceAgreement {
    /// Several labels per answer: every distinct set of labels is one category.
    pub multiple: bool,
    /// Krippendorff's α, nominal: the same number as `annoqa agreement --metric krippendorff`.
    pub alpha: Option<f64>,
    /// Fleiss' κ (missing answers allowed, after Gwet).
    pub fleiss_kappa: Option<f64>,
    /// Share of agreeing pairs of answers within items.
    pub percent: Option<f64>,
    /// Mean of the pairwise Cohen's κ (Light's κ).
    pub mean_cohen_kappa: Option<f64>,
    /// Why a coefficient is missing, when one is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Cohen's κ of every pair of annotators that shared an item.
    pub pairs: Vec<ChoicePair>,
    /// Each label against all others: Fleiss' κ on "this label or not".
    pub per_label: Vec<LabelAgreement>,
    /// Dawid–Skene consensus (single choices with two or more labels).
    pub consensus: Option<ChoiceConsensus>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChoicePair {
    pub a: String,
    pub b: String,
    /// Items both answered.
    pub items: usize,
    /// Share of those items with the same answer.
    pub percent: f64,
    /// `None` where κ is undefined (one label only).
    pub cohen_kappa: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabelAgreement {
    pub label: String,
    /// Answers holding the label.
    pub count: usize,
    /// Fleiss' κ of this label against all others (choices) or F1 of this label's regions.
    pub value: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChoiceConsensus {
    /// `ds`: Dawid–Skene with full confusion matrices, as `annoqa aggregate --method ds`.
    pub method: String,
    pub iterations: usize,
    pub converged: bool,
    /// Items whose label was fixed by the gold file.
    pub gold_items: usize,
    /// Items per consensus label, in label order.
    pub label_counts: Vec<usize>,
    /// `confusion[consensus][answered]`: every answer counted against its item's consensus.
    pub confusion: Vec<Vec<usize>>,
    /// Every answered item's consensus label and its posterior, in order of first answer.
    pub items: Vec<ConsensusItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsensusItem {
    pub item: String,
    pub label: Option<String>,
    pub confidence: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegionAgreement {
    /// How two regions pair, in words (`same label, IoU ≥ 0.5`).
    pub matching: String,
    /// Mean of the pairwise F1 values.
    pub mean_f1: Option<f64>,
    /// Boxes: mean IoU of all matched pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_iou: Option<f64>,
    pub pairs: Vec<RegionPair>,
    /// F1 of each label's regions, pooled over every pair of annotators.
    pub per_label: Vec<LabelAgreement>,
    /// Boxes: consensus objects after IoU clustering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consensus: Option<BoxConsensusSummary>,
    /// Items the matcher could not measure, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegionPair {
    pub a: String,
    pub b: String,
    pub items: usize,
    pub regions_a: usize,
    pub regions_b: usize,
    pub matched: usize,
    /// `2·matched / (regions_a + regions_b)`; 1 when neither drew anything.
    pub f1: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_iou: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoxConsensusSummary {
    /// The IoU at which two annotators' boxes may be one object.
    pub threshold: f64,
    pub objects: usize,
    /// Objects drawn by every annotator of their item.
    pub unanimous: usize,
    /// Objects drawn by more than half of their item's annotators.
    pub majority: usize,
    /// Objects drawn by one annotator only.
    pub single: usize,
    /// `by_support[n]`: objects drawn by `n + 1` annotators.
    pub by_support: Vec<usize>,
    /// Mean IoU of the consensus box with its members, over objects drawn by two or more.
    pub mean_member_iou: Option<f64>,
}

/// One annotator's record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scorecard {
    pub annotator: String,
    /// Items annotated.
    pub items: usize,
    /// Regions drawn or answers given, over all controls.
    pub regions: usize,
    pub gold: Option<GoldAccuracy>,
    /// Mean of the per-control peer agreements below.
    pub peer_agreement: Option<f64>,
    /// Per control: the share of agreeing answer pairs with peers (choices) or the pooled F1
    /// with peers (regions).
    pub peer_agreement_by_control: Vec<ControlValue>,
    /// Single choices: the share of answers equal to the Dawid–Skene consensus.
    pub consensus_accuracy: Option<f64>,
    pub errors: usize,
    pub warnings: usize,
    /// Findings (errors and warnings) per 100 items annotated.
    pub findings_per_100: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ControlValue {
    pub control: String,
    pub value: f64,
}

/// Gold accuracy: the share of gold items passed, with its Wilson score interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GoldAccuracy {
    pub scored: usize,
    pub passed: usize,
    pub accuracy: f64,
    pub low: f64,
    pub high: f64,
    pub confidence: f64,
    /// Mean gold score (0–1).
    pub mean_score: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingsSummary {
    pub errors: usize,
    pub warnings: usize,
    /// Annotations with at least one error.
    pub annotations_with_errors: usize,
    /// One row per rule (finding code), most frequent first.
    pub by_rule: Vec<RuleCount>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleCount {
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    pub count: usize,
    /// Annotations with at least one finding of this rule.
    pub annotations: usize,
    /// Up to three distinct messages, as examples.
    pub messages: Vec<String>,
}

/// One item's agreement on one control: the share of agreeing answer pairs (choices) or the
/// F1 over all pairs of annotators (regions).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemAgreement {
    pub item: String,
    pub control: String,
    pub annotators: usize,
    pub value: f64,
}
