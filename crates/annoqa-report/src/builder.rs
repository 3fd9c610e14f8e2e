//! The streaming side: records in, compact per-item data kept, the report out at the end.

use std::collections::{BTreeMap, HashMap};

use annoqa_core::model::{Control, ControlKind, Gold, PairChoice, RegionValue, TaskSpec};
use annoqa_core::{score_gold, validate, BoxGeometry, Finding, Severity};
use annoqa_interop::{Record, Source};
use annoqa_stats::intervals::wilson;
use annoqa_stats::structured::{LabelledBox, Segment, Span, SpanMatch};

use crate::choice::{finish_choice, ChoiceData, ChoiceOutcome};
use crate::names::{merge_derived, ItemValue, Names};
use crate::regions::{finish_regions, Measured, RegionData, RegionMeasure, RegionOutcome};
use crate::report::{
    Agreement, ControlReport, ControlValue, FindingsSummary, GoldAccuracy, ItemAgreement, Report, RuleCount, Scorecard,
    SpecOrigin, Summary,
};

/// Settings of a report.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportOptions {
    /// How many of the least-agreed items to list.
    pub lowest_items: usize,
    /// Confidence level of the Wilson intervals of gold accuracy.
    pub confidence: f64,
    /// Threads Dawid–Skene's E-step may use; the result does not depend on it.
    pub threads: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { lowest_items: 20, confidence: 0.95, threads: 1 }
    }
}

/// Example messages kept per rule.
const MESSAGES_PER_RULE: usize = 3;
/// Characters of an example message shown.
const MESSAGE_CHARS: usize = 200;

/// Builds a [`Report`] from records streamed one at a time.
pub struct ReportBuilder {
    options: ReportOptions,
    /// The given spec, or the one derived from the records so far (`derived`).
    spec: Option<TaskSpec>,
    derived: bool,
    gold: HashMap<String, Gold>,
    items: Names,
    annotators: Names,
    /// `item_annotators[item]`: who annotated the item, in order of their records.
    item_annotators: Vec<Vec<u32>>,
    controls: Vec<ControlState>,
    tallies: Vec<AnnotatorTally>,
    rules: BTreeMap<String, RuleTally>,
    records: usize,
    annotations: usize,
    predictions: usize,
    repeats: usize,
    with_errors: usize,
}

/// A control's agreement, shared items, per-item values and per-annotator peer agreement.
type ControlNumbers = (Agreement, usize, Vec<ItemValue>, Vec<Option<f64>>);

/// What is kept of one control.
struct ControlState {
    name: String,
    kind: &'static str,
    labels: Names,
    answers: usize,
    data: ControlData,
}

enum ControlData {
    Choice(ChoiceData),
    Pairwise(ChoiceData),
    Spans(RegionData<Span>, SpanMatch),
    Boxes(RegionData<LabelledBox>, f64),
    Segments(RegionData<Segment>, f64),
    Unmeasured(&'static str),
}

#[derive(Default, Clone)]
struct AnnotatorTally {
    items: usize,
    regions: usize,
    errors: usize,
    warnings: usize,
    gold_scored: usize,
    gold_passed: usize,
    gold_score: f64,
}

struct RuleTally {
    severity: Severity,
    count: usize,
    annotations: usize,
    messages: Vec<String>,
}

impl ReportBuilder {
    /// `spec`: the project's spec, or `None` to derive one from the gold answers and the
    /// records. `gold`: gold answers by item id.
    pub fn new(spec: Option<TaskSpec>, gold: HashMap<String, Gold>, options: ReportOptions) -> ReportBuilder {
        let derived = spec.is_none();
        let mut builder = ReportBuilder {
            options,
            spec,
            derived,
            gold,
            items: Names::default(),
            annotators: Names::default(),
            item_annotators: Vec::new(),
            controls: Vec::new(),
            tallies: Vec::new(),
            rules: BTreeMap::new(),
            records: 0,
            annotations: 0,
            predictions: 0,
            repeats: 0,
            with_errors: 0,
        };
        if derived {
            // Gold answers name controls and labels too: a derived spec knows them before any
            // annotation is scored against them. Sorted by id, so the order is the input's alone.
            let mut ids: Vec<&String> = builder.gold.keys().collect();
            ids.sort();
            for id in ids {
                let gold = &builder.gold[id];
                let stand_in = Record {
                    item: annoqa_core::Item {
                        id: id.clone(),
                        media: annoqa_core::Media::Text { text: String::new() },
                        candidates: Vec::new(),
                    },
                    annotator: String::new(),
                    source: Source::Annotation,
                    regions: gold.answer.clone(),
                    score: None,
                };
                merge_derived(&mut builder.spec, &stand_in);
            }
            // The media kind is the first annotation's, as `derive_spec` of the records has it.
            builder.spec = builder.spec.take().map(|mut s| {
                s.media = annoqa_core::MediaKind::Image;
                s
            });
        }
        builder.sync_controls();
        builder
    }

    /// Takes one record into account. Predictions are counted and left out; a second record by
    /// the same annotator of the same item is counted and left out.
    pub fn add(&mut self, record: &Record) {
        self.records += 1;
        if record.source == Source::Prediction {
            self.predictions += 1;
            return;
        }
        if self.derived {
            let first = self.annotations + self.repeats == 0;
            if self.brings_news(record) {
                merge_derived(&mut self.spec, record);
            }
            if first {
                if let Some(spec) = &mut self.spec {
                    spec.media = record.item.media.kind();
                }
            }
            self.sync_controls();
        }
        let item = self.items.intern(&record.item.id) as usize;
        let annotator = self.annotators.intern(&record.annotator);
        if self.item_annotators.len() <= item {
            self.item_annotators.resize_with(item + 1, Vec::new);
        }
        if self.item_annotators[item].contains(&annotator) {
            self.repeats += 1;
            return;
        }
        self.item_annotators[item].push(annotator);
        if self.tallies.len() <= annotator as usize {
            self.tallies.resize(annotator as usize + 1, AnnotatorTally::default());
        }
        self.annotations += 1;
        let Some(spec) = &self.spec else { return };
        let findings = validate(spec, &record.item, &record.regions);
        let gold = self.gold.get(&record.item.id).map(|g| score_gold(spec, &record.item, g, &record.regions));
        let tally = &mut self.tallies[annotator as usize];
        tally.items += 1;
        tally.regions += record.regions.len();
        if let Some(report) = gold {
            tally.gold_scored += 1;
            tally.gold_passed += usize::from(report.passed);
            tally.gold_score += report.score;
        }
        self.tally_findings(annotator, &findings);
        self.keep_answers(item as u32, annotator, record);
    }

    /// Whether a record would change the derived spec: a control or label not seen yet, or a
    /// first choice with several labels. Most records do not, and deriving costs allocations.
    fn brings_news(&self, record: &Record) -> bool {
        let Some(spec) = &self.spec else { return true };
        record.regions.iter().any(|region| {
            let Some(state) = self.controls.iter().find(|c| c.name == region.control) else { return true };
            if region.value.labels().iter().any(|l| state.labels.get(l).is_none()) {
                return true;
            }
            let several = matches!(&region.value, RegionValue::Choice { labels } if labels.len() > 1);
            several
                && !matches!(
                    spec.control(&region.control).map(|c| &c.kind),
                    Some(ControlKind::Choice { multiple: true })
                )
        })
    }

    /// Control states for controls the spec gained.
    fn sync_controls(&mut self) {
        let Some(spec) = &self.spec else { return };
        for control in spec.controls.iter().skip(self.controls.len()) {
            self.controls.push(ControlState::new(control));
        }
    }

    fn tally_findings(&mut self, annotator: u32, findings: &[Finding]) {
        let tally = &mut self.tallies[annotator as usize];
        let mut codes: Vec<&str> = Vec::new();
        for f in findings {
            match f.severity {
                Severity::Error => tally.errors += 1,
                Severity::Warning => tally.warnings += 1,
            }
            let rule = self.rules.entry(f.code.clone()).or_insert_with(|| RuleTally {
                severity: f.severity,
                count: 0,
                annotations: 0,
                messages: Vec::new(),
            });
            rule.count += 1;
            // A rule may report both severities; the report shows the gravest.
            rule.severity = rule.severity.min(f.severity);
            if !codes.contains(&f.code.as_str()) {
                codes.push(&f.code);
                rule.annotations += 1;
            }
            if rule.messages.len() < MESSAGES_PER_RULE {
                let message: String = f.message.chars().take(MESSAGE_CHARS).collect();
                if !rule.messages.contains(&message) {
                    rule.messages.push(message);
                }
            }
        }
        if findings.iter().any(|f| f.severity == Severity::Error) {
            self.with_errors += 1;
        }
    }

    /// Keeps what agreement needs of the record's regions: label indices and geometry.
    fn keep_answers(&mut self, item: u32, annotator: u32, record: &Record) {
        // One answer per choice control and record: the first.
        let mut answered: Vec<usize> = Vec::new();
        for region in &record.regions {
            let Some(at) = self.controls.iter().position(|c| c.name == region.control) else { continue };
            let state = &mut self.controls[at];
            let labels: Vec<u32> = region.value.labels().into_iter().map(|l| state.labels.intern(l)).collect();
            let label = labels.first().copied();
            match (&mut state.data, &region.value) {
                (ControlData::Choice(data), RegionValue::Choice { .. }) if !answered.contains(&at) => {
                    answered.push(at);
                    if !data.add(item, annotator, labels) {
                        continue;
                    }
                }
                (ControlData::Pairwise(data), RegionValue::Pairwise { choice, .. }) if !answered.contains(&at) => {
                    answered.push(at);
                    let name = match choice {
                        PairChoice::A => "A",
                        PairChoice::B => "B",
                        PairChoice::Tie => "Tie",
                    };
                    let _always_kept = data.add(item, annotator, vec![state.labels.intern(name)]);
                }
                (ControlData::Spans(data, _), RegionValue::TextSpan { start, end, .. }) => {
                    let Some(label) = label else { continue };
                    data.add(item, annotator, Span { start: *start, end: *end, label });
                }
                (ControlData::Boxes(data, _), RegionValue::BBox { x, y, width, height, rotation, .. }) => {
                    let Some(label) = label else { continue };
                    let geometry = BoxGeometry { x: *x, y: *y, width: *width, height: *height, rotation: *rotation };
                    data.add(item, annotator, LabelledBox { geometry, label });
                }
                (ControlData::Segments(data, _), RegionValue::AudioSegment { start, end, .. }) => {
                    let Some(label) = label else { continue };
                    data.add(item, annotator, Segment { onset: *start, offset: *end, label });
                }
                (ControlData::Unmeasured(_), _) => {}
                // Another kind of region than the control takes: validation reports it.
                _ => continue,
            }
            state.answers += 1;
        }
    }

    /// Computes the report.
    pub fn finish(self) -> Report {
        let annotator_count = self.annotators.len();
        let mut peers: Vec<Vec<ControlValue>> = vec![Vec::new(); annotator_count];
        let mut consensus_hits: Vec<(usize, usize)> = vec![(0, 0); annotator_count];
        let mut lowest: Vec<ItemAgreement> = Vec::new();
        let multiple_of = |name: &str| {
            self.spec
                .as_ref()
                .and_then(|s| s.control(name))
                .is_some_and(|c| matches!(c.kind, ControlKind::Choice { multiple: true }))
        };
        let mut controls = Vec::new();
        for state in &self.controls {
            let labels = state.labels.as_slice();
            let (agreement, shared, item_values, peer) = match &state.data {
                ControlData::Choice(data) | ControlData::Pairwise(data) => {
                    let gold = self.gold_choices(&state.name);
                    let outcome: ChoiceOutcome = finish_choice(
                        data,
                        labels,
                        multiple_of(&state.name),
                        &self.annotators,
                        &self.items,
                        &gold,
                        self.options.threads,
                    );
                    for (a, hits) in outcome.consensus_hits.iter().enumerate() {
                        consensus_hits[a].0 += hits.0;
                        consensus_hits[a].1 += hits.1;
                    }
                    let shared = outcome.shared_items;
                    (Agreement::Choice(Box::new(outcome.agreement)), shared, outcome.item_values, outcome.peer)
                }
                ControlData::Spans(data, mode) => self.regions(data, labels, RegionMeasure::Spans(*mode)),
                ControlData::Boxes(data, min_iou) => self.regions(data, labels, RegionMeasure::Boxes(*min_iou)),
                ControlData::Segments(data, collar) => self.regions(data, labels, RegionMeasure::Segments(*collar)),
                ControlData::Unmeasured(reason) => {
                    (Agreement::NotMeasured { reason: (*reason).to_owned() }, 0, Vec::new(), Vec::new())
                }
            };
            for (a, value) in peer.iter().enumerate() {
                if let Some(value) = value {
                    peers[a].push(ControlValue { control: state.name.clone(), value: *value });
                }
            }
            lowest.extend(item_values.into_iter().map(|(item, annotators, value)| ItemAgreement {
                item: self.items.name(item).to_owned(),
                control: state.name.clone(),
                annotators,
                value,
            }));
            controls.push(ControlReport {
                name: state.name.clone(),
                kind: state.kind.to_owned(),
                labels: labels.to_vec(),
                answers: state.answers,
                shared_items: shared,
                agreement,
            });
        }
        // Lowest first; ties in input order (the sort is stable).
        lowest.sort_by(|a, b| a.value.total_cmp(&b.value));
        lowest.truncate(self.options.lowest_items);
        let scorecards = self.scorecards(peers, &consensus_hits);
        let findings = self.findings_summary();
        Report {
            summary: Summary {
                records: self.records,
                annotations: self.annotations,
                items: self.items.len(),
                annotators: annotator_count,
                predictions_skipped: self.predictions,
                repeats_skipped: self.repeats,
                spec: if self.derived { SpecOrigin::Derived } else { SpecOrigin::Given },
                gold_items: self.gold.len(),
            },
            annotators: self.annotators.into_vec(),
            controls,
            scorecards,
            findings,
            lowest_agreement: lowest,
        }
    }

    /// A region control's agreement, item values and peer agreement.
    fn regions<T: Measured + Send + Sync>(
        &self,
        data: &RegionData<T>,
        labels: &[String],
        how: RegionMeasure,
    ) -> ControlNumbers {
        let outcome: RegionOutcome =
            finish_regions(data, &self.item_annotators, labels, &self.annotators, how, self.options.threads);
        (Agreement::Regions(Box::new(outcome.agreement)), outcome.shared_items, outcome.item_values, outcome.peer)
    }

    /// Gold labels of a choice control, `(item, label)` by index, for items that have answers
    /// (the others cannot enter the consensus). Gold naming a label the answers never use
    /// gets a new index after theirs.
    fn gold_choices(&self, control: &str) -> Vec<(u32, String)> {
        let mut gold = Vec::new();
        for (id, g) in &self.gold {
            let Some(item) = self.items.get(id) else { continue };
            let answer = g.answer.iter().find(|r| r.control == control);
            let label = match answer.map(|r| &r.value) {
                Some(RegionValue::Choice { labels: l }) if l.len() == 1 => l[0].clone(),
                Some(RegionValue::Pairwise { choice, .. }) => format!("{choice:?}"),
                _ => continue,
            };
            if !label.is_empty() {
                gold.push((item, label));
            }
        }
        gold.sort();
        gold
    }

    fn scorecards(&self, peers: Vec<Vec<ControlValue>>, consensus_hits: &[(usize, usize)]) -> Vec<Scorecard> {
        let mut cards = Vec::new();
        for (a, by_control) in peers.into_iter().enumerate() {
            let tally = self.tallies.get(a).cloned().unwrap_or_default();
            let gold = (tally.gold_scored > 0)
                .then(|| {
                    let interval =
                        wilson(tally.gold_passed as u64, tally.gold_scored as u64, self.options.confidence).ok()?;
                    Some(GoldAccuracy {
                        scored: tally.gold_scored,
                        passed: tally.gold_passed,
                        accuracy: interval.estimate,
                        low: interval.low,
                        high: interval.high,
                        confidence: interval.confidence,
                        mean_score: tally.gold_score / tally.gold_scored as f64,
                    })
                })
                .flatten();
            let peer_agreement = (!by_control.is_empty())
                .then(|| by_control.iter().map(|c| c.value).sum::<f64>() / by_control.len() as f64);
            let (hits, answered) = consensus_hits.get(a).copied().unwrap_or((0, 0));
            let findings = tally.errors + tally.warnings;
            cards.push(Scorecard {
                annotator: self.annotators.name(a as u32).to_owned(),
                items: tally.items,
                regions: tally.regions,
                gold,
                peer_agreement,
                peer_agreement_by_control: by_control,
                consensus_accuracy: (answered > 0).then(|| hits as f64 / answered as f64),
                errors: tally.errors,
                warnings: tally.warnings,
                findings_per_100: if tally.items == 0 { 0.0 } else { findings as f64 * 100.0 / tally.items as f64 },
            });
        }
        cards
    }

    fn findings_summary(&self) -> FindingsSummary {
        let mut by_rule: Vec<RuleCount> = self
            .rules
            .iter()
            .map(|(code, r)| RuleCount {
                code: code.clone(),
                severity: match r.severity {
                    Severity::Error => "error".to_owned(),
                    Severity::Warning => "warning".to_owned(),
                },
                count: r.count,
                annotations: r.annotations,
                messages: r.messages.clone(),
            })
            .collect();
        // Most frequent first; equal counts by code (the map's order, kept by the stable sort).
        by_rule.sort_by_key(|r| std::cmp::Reverse(r.count));
        FindingsSummary {
            errors: self.tallies.iter().map(|t| t.errors).sum(),
            warnings: self.tallies.iter().map(|t| t.warnings).sum(),
            annotations_with_errors: self.with_errors,
            by_rule,
        }
    }
}

impl ControlState {
    fn new(control: &Control) -> ControlState {
        let mut labels = Names::default();
        for label in &control.labels {
            labels.intern(&label.value);
        }
        let tolerance = &control.tolerance;
        let data = match &control.kind {
            ControlKind::Choice { .. } => ControlData::Choice(ChoiceData::default()),
            ControlKind::Pairwise { .. } => {
                for name in ["A", "B", "Tie"] {
                    labels.intern(name);
                }
                ControlData::Pairwise(ChoiceData::default())
            }
            ControlKind::TextSpans { .. } => {
                // The tolerance gold scoring uses: IoU 1 (the default) is an exact match.
                let mode = match tolerance.span_min_overlap {
                    Some(min_iou) if min_iou < 1.0 => SpanMatch::Overlap { min_iou: min_iou.max(0.0) },
                    _ => SpanMatch::Exact,
                };
                ControlData::Spans(RegionData::default(), mode)
            }
            ControlKind::BBox => ControlData::Boxes(RegionData::default(), iou_threshold(tolerance.min_iou)),
            ControlKind::AudioSegments { .. } => {
                let collar = tolerance.collar_ms.filter(|c| c.is_finite() && *c >= 0.0).unwrap_or(200.0);
                ControlData::Segments(RegionData::default(), collar)
            }
            ControlKind::Polygon => ControlData::Unmeasured("polygon agreement is not measured yet"),
            ControlKind::Keypoint => ControlData::Unmeasured("keypoint agreement is not measured yet"),
            ControlKind::VideoBoxes | ControlKind::VideoTracks | ControlKind::VideoSegments => {
                ControlData::Unmeasured("video agreement is not measured yet")
            }
            ControlKind::TextArea => ControlData::Unmeasured("free text has no agreement measure here"),
            ControlKind::Ranker { .. } => ControlData::Unmeasured("ranking agreement is not measured yet"),
        };
        ControlState { name: control.name.clone(), kind: control.kind.name(), labels, answers: 0, data }
    }
}

/// The control's `min_iou` when it is a usable threshold, else gold scoring's default 0.5.
fn iou_threshold(min_iou: Option<f64>) -> f64 {
    min_iou.filter(|t| *t > 0.0 && *t <= 1.0).unwrap_or(0.5)
}
