//! Scorecards data and the bad-gold list: what the browser computes annotator scorecards and
//! peer agreement from (annoqa-stats runs there, not here), and the gold items reliable
//! annotators fail the same way or flag as wrong, with coordinators' decisions on them.
//!
//! Both read every submission of the project, so the rows are shaped on the CPU pool
//! ([`crate::cpu`]), never on a request thread.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use annoqa_api::{
    BadGoldAnswerCount, BadGoldEntry, BadGoldEvidence, BadGoldRequest, BadGoldWitness, ChoiceAnswers, Endpoint,
    GoldFlag, GoldOutcome, QualificationSettings, ScorecardRow, ScorecardsData, SubmissionStatus,
};
use annoqa_core::{ControlKind, TaskSpec};
use annoqa_stats::trust::{ScorecardSettings, SuspectGold};
use anyhow::Context;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::{json_response, project_access, Path};
use crate::auth::Caller;
use crate::json::JsonBody;
use crate::store::trust::{
    Annotator, AnnotatorRecords, GoldInputs, GoldStanding, RegionHead, StatusCount, StoredDecision, StoredFlag,
};
use crate::versioned_cache::VersionedCache;
use crate::{AppState, ServerError};

/// Whose people the caller may see: `None` for everyone (admins and staff without a vendor),
/// else one vendor's, as `routes::same_vendor` decides everywhere else.
#[derive(Clone, Debug)]
struct Scope(Option<String>);

impl Scope {
    fn of(caller: &Caller) -> Scope {
        Scope(if caller.is_admin() { None } else { caller.user.vendor.clone() })
    }

    fn shows(&self, vendor: Option<&str>) -> bool {
        self.0.is_none() || self.0.as_deref() == vendor
    }
}

/// A choice control of the spec.
struct ChoiceControl {
    name: String,
    labels: Vec<String>,
}

fn choice_controls(spec: &TaskSpec) -> Vec<ChoiceControl> {
    let choices = spec.controls.iter().filter(|c| matches!(c.kind, ControlKind::Choice { .. }));
    choices
        .map(|c| ChoiceControl { name: c.name.clone(), labels: c.labels.iter().map(|l| l.value.clone()).collect() })
        .collect()
}

/// What scorecards are built from, as read.
struct ScorecardSources {
    counts: Vec<StatusCount>,
    gold: GoldInputs,
    outcomes: Vec<AnnotatorRecords>,
    codes: Vec<AnnotatorRecords>,
    /// Every submission's regions, when the spec has a choice control.
    answers: Vec<AnnotatorRecords>,
    choices: Vec<ChoiceControl>,
    scope: Scope,
}

/// Kept scorecards responses (see [`crate::versioned_cache`]), by project and the vendor
/// whose people the caller may see (`None`: everyone's).
pub(crate) type ScorecardsCache = VersionedCache<(String, Option<String>), ScorecardsVersion>;

/// What a scorecards response is computed from, in a form that changes whenever it does:
/// the submission and review totals, and the flags and decisions whole (a project has few;
/// they are read for the response anyway).
#[derive(PartialEq)]
pub(crate) struct ScorecardsVersion {
    totals: (i64, i64),
    flags: Vec<StoredFlag>,
    decisions: Vec<StoredDecision>,
}

/// `GET /api/projects/{project}/scorecards`: served from the cache while the project's
/// submissions, reviews, flags and decisions are as they were when it was computed.
pub(super) async fn scorecards(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Response, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::Scorecards, "reading scorecards")?;
    let (store, id) = (state.store(), access.id());
    // The version first, then the sources: see `versioned_cache`.
    let (totals, flags, decisions) =
        tokio::try_join!(store.submission_totals(id), store.wrong_gold_flags(id), store.gold_decisions(id))?;
    let scope = Scope::of(&caller);
    let key = (id.to_string(), scope.0.clone());
    let version = ScorecardsVersion { totals, flags, decisions };
    if let Some(body) = state.scorecards_cache().get(&key, &version) {
        return Ok(json_response(StatusCode::OK, body));
    }
    let choices = choice_controls(&access.settings.project.spec);
    let answers = async {
        if choices.is_empty() {
            Ok(Vec::new())
        } else {
            store.answers(id).await
        }
    };
    let (counts, gold, outcomes, codes, answers) = tokio::try_join!(
        store.status_counts(id),
        store.gold_inputs_with(id, version.flags.clone(), version.decisions.clone()),
        store.prediction_outcomes(id),
        store.review_codes(id),
        answers
    )?;
    let sources = ScorecardSources { counts, gold, outcomes, codes, answers, choices, scope };
    let body = state
        .cpu()
        .run(move || -> anyhow::Result<String> { Ok(serde_json::to_string(&scorecards_data(sources)?)?) })
        .await??;
    let body = Bytes::from(body);
    state.scorecards_cache().put(key, version, body.clone());
    Ok(json_response(StatusCode::OK, body))
}

fn scorecards_data(sources: ScorecardSources) -> anyhow::Result<ScorecardsData> {
    let ScorecardSources { counts, gold, outcomes, codes, answers, choices, scope } = sources;
    // Detection reads every annotator's gold, whoever the caller may see: which items count
    // must not depend on who asks.
    let standing = gold.standing()?;
    let mut rows: BTreeMap<&str, (i64, ScorecardRow)> = BTreeMap::new();
    for count in counts.iter().filter(|c| scope.shows(c.annotator.vendor.as_deref())) {
        let (_, row) =
            rows.entry(&count.annotator.username).or_insert_with(|| (count.user_id, empty_row(&count.annotator)));
        add_count(row, count)?;
    }
    let index: HashMap<i64, usize> = rows.values().enumerate().map(|(i, (user, _))| (*user, i)).collect();
    let mut rows: Vec<ScorecardRow> = rows.into_values().map(|(_, row)| row).collect();
    for g in &gold.submissions {
        if let Some(&i) = index.get(&g.user_id) {
            rows[i].gold.push(GoldOutcome { item: g.item_id.clone(), passed: g.passed });
        }
    }
    for annotator in &outcomes {
        if let Some(&i) = index.get(&annotator.user_id) {
            add_outcomes(&mut rows[i], annotator)?;
        }
    }
    for annotator in &codes {
        if let Some(&i) = index.get(&annotator.user_id) {
            add_codes(&mut rows[i], annotator)?;
        }
    }
    // Annotators by username, as the rows are.
    let mut visible: Vec<(usize, &AnnotatorRecords)> =
        answers.iter().filter_map(|a| Some((*index.get(&a.user_id)?, a))).collect();
    visible.sort_unstable_by_key(|(i, _)| *i);
    let named = visible.into_iter().map(|(i, a)| (rows[i].annotator.as_str(), a));
    let choices = choice_answers(&choices, named)?;
    let settings = ScorecardSettings::default();
    let test = settings.qualification;
    Ok(ScorecardsData {
        annotators: rows,
        pending_gold: standing.pending().into_iter().collect(),
        retired_gold: standing.retired().into_iter().collect(),
        qualification: QualificationSettings {
            p0: test.p0,
            p1: test.p1,
            alpha: test.alpha,
            beta: test.beta,
            confidence: settings.confidence,
        },
        choices,
    })
}

fn empty_row(annotator: &Annotator) -> ScorecardRow {
    ScorecardRow {
        annotator: annotator.username.clone(),
        vendor: annotator.vendor.clone(),
        gold: Vec::new(),
        accepted: 0,
        fixed: 0,
        rejected: 0,
        error_codes: Vec::new(),
        lead_times_ms: Vec::new(),
        pre_kept: 0,
        pre_edited: 0,
        pre_deleted: 0,
        submissions: 0,
    }
}

fn add_count(row: &mut ScorecardRow, count: &StatusCount) -> anyhow::Result<()> {
    row.submissions += count.count;
    match count.status {
        SubmissionStatus::Accepted => row.accepted += count.count,
        SubmissionStatus::Fixed => row.fixed += count.count,
        SubmissionStatus::Rejected => row.rejected += count.count,
        SubmissionStatus::Submitted => {}
    }
    row.lead_times_ms.extend(count.lead_times()?);
    Ok(())
}

fn add_outcomes(row: &mut ScorecardRow, annotator: &AnnotatorRecords) -> anyhow::Result<()> {
    for outcome in annotator.records() {
        let outcome: PredictionOutcomeCounts =
            serde_json::from_str(outcome).context("a stored prediction outcome is not valid")?;
        row.pre_kept += outcome.kept;
        row.pre_edited += outcome.edited;
        row.pre_deleted += outcome.deleted;
    }
    Ok(())
}

/// A stored `PredictionOutcome`, its lists counted rather than kept.
#[derive(Deserialize, Default)]
struct PredictionOutcomeCounts {
    #[serde(default, deserialize_with = "count_list")]
    kept: u64,
    #[serde(default, deserialize_with = "count_list")]
    edited: u64,
    #[serde(default, deserialize_with = "count_list")]
    deleted: u64,
}

fn count_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let ids: Vec<serde::de::IgnoredAny> = Deserialize::deserialize(deserializer)?;
    Ok(ids.len() as u64)
}

/// A region-level error as stored, reduced to its code.
#[derive(Deserialize)]
struct CodeOnly {
    code: String,
}

fn add_codes(row: &mut ScorecardRow, annotator: &AnnotatorRecords) -> anyhow::Result<()> {
    for review in annotator.pairs("review") {
        let (codes, errors) = review?;
        let codes: Vec<String> = serde_json::from_str(codes).context("stored error codes are not valid")?;
        let errors: Vec<CodeOnly> = serde_json::from_str(errors).context("stored region errors are not valid")?;
        row.error_codes.extend(codes);
        row.error_codes.extend(errors.into_iter().map(|e| e.code));
    }
    Ok(())
}

/// Dense numbering of names in order of first use, borrowing them where it can.
#[derive(Default)]
struct Numbering<'a> {
    names: Vec<Cow<'a, str>>,
    index: HashMap<Cow<'a, str>, u32>,
}

impl<'a> Numbering<'a> {
    fn with(names: &'a [String]) -> Numbering<'a> {
        let mut numbering = Numbering::default();
        for name in names {
            numbering.number(Cow::Borrowed(name.as_str()));
        }
        numbering
    }

    fn number(&mut self, name: Cow<'a, str>) -> u32 {
        if let Some(&n) = self.index.get(name.as_ref()) {
            return n;
        }
        let n = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.clone());
        self.index.insert(name, n);
        n
    }

    fn into_names(self) -> Vec<String> {
        self.names.into_iter().map(Cow::into_owned).collect()
    }
}

/// One choice control's answers as they are gathered.
struct ChoiceGathering<'a> {
    control: &'a str,
    items: Numbering<'a>,
    annotators: Numbering<'a>,
    labels: Numbering<'a>,
    answers: Vec<[u32; 3]>,
}

/// Every answer to each choice control, annotator by annotator (`answers`' order, with their
/// usernames): one per submission that chose
/// something; a multiple choice's labels, sorted and joined by ` + `, are one answer.
fn choice_answers<'a>(
    controls: &'a [ChoiceControl],
    answers: impl Iterator<Item = (&'a str, &'a AnnotatorRecords)>,
) -> anyhow::Result<Vec<ChoiceAnswers>> {
    let mut gathered: Vec<ChoiceGathering<'a>> = controls
        .iter()
        .map(|c| ChoiceGathering {
            control: &c.name,
            items: Numbering::default(),
            annotators: Numbering::default(),
            labels: Numbering::with(&c.labels),
            answers: Vec::new(),
        })
        .collect();
    let by_name: HashMap<&str, usize> = controls.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
    for (username, annotator) in answers {
        for answer in annotator.pairs("answer") {
            let (item, regions) = answer?;
            let heads: Vec<RegionHead<'a>> = serde_json::from_str(regions).context("stored regions are not valid")?;
            // Labels per control: a control answered by several regions answers their union.
            let mut chosen: Vec<(usize, Vec<Cow<'a, str>>)> = Vec::new();
            for head in heads.into_iter().filter(|h| h.kind == "choice") {
                let Some(&control) = by_name.get(head.control.as_ref()) else { continue };
                match chosen.iter_mut().find(|(c, _)| *c == control) {
                    Some((_, labels)) => labels.extend(head.labels),
                    None => chosen.push((control, head.labels)),
                }
            }
            for (control, mut labels) in chosen.into_iter().filter(|(_, labels)| !labels.is_empty()) {
                labels.sort_unstable();
                labels.dedup();
                let label = match <[_; 1]>::try_from(labels) {
                    Ok([one]) => one,
                    Err(several) => Cow::Owned(several.join(" + ")),
                };
                let g = &mut gathered[control];
                let answer = [
                    g.items.number(Cow::Borrowed(item)),
                    g.annotators.number(Cow::Borrowed(username)),
                    g.labels.number(label),
                ];
                g.answers.push(answer);
            }
        }
    }
    Ok(gathered
        .into_iter()
        .map(|g| ChoiceAnswers {
            control: g.control.to_string(),
            items: g.items.into_names(),
            annotators: g.annotators.into_names(),
            answers: g.answers,
            labels: g.labels.into_names(),
        })
        .collect())
}

/// `GET /api/projects/{project}/bad-gold`.
pub(super) async fn bad_gold(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<Vec<BadGoldEntry>>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::BadGold, "the bad-gold list")?;
    Ok(Json(bad_gold_entries(&state, &caller, access.id()).await?))
}

/// `POST /api/projects/{project}/bad-gold/{item}`: keep or retire any gold item of the project,
/// whether it is suspect, flagged or neither; deciding again replaces the decision.
pub(super) async fn decide_bad_gold(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, item)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Json<BadGoldEntry>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::DecideBadGold, "deciding on gold")?;
    let request: BadGoldRequest = body.parse()?;
    if !state.store().is_gold_item(access.id(), &item).await? {
        return Err(ServerError::not_found(format!("project `{project}` has no gold item `{item}`")));
    }
    state.store().decide_gold(access.id(), &item, request.decision, caller.id(), state.now_ms()).await?;
    let entries = bad_gold_entries(&state, &caller, access.id()).await?;
    let entry = entries.into_iter().find(|e| e.item_id == item);
    entry.map(Json).ok_or_else(|| ServerError::Internal(anyhow::anyhow!("gold item `{item}` lost its decision")))
}

/// Every gold item found or flagged as bad or decided on, undecided first, then by item id.
async fn bad_gold_entries(
    state: &AppState,
    caller: &Caller,
    project_id: &str,
) -> Result<Vec<BadGoldEntry>, ServerError> {
    let inputs = state.store().gold_inputs(project_id).await?;
    let scope = Scope::of(caller);
    let entries = state
        .cpu()
        .run(move || -> anyhow::Result<Vec<BadGoldEntry>> {
            Ok(entries(&inputs.standing()?, &inputs.annotators, &scope))
        })
        .await??;
    Ok(entries)
}

fn entries(standing: &GoldStanding, annotators: &HashMap<i64, Annotator>, scope: &Scope) -> Vec<BadGoldEntry> {
    let mut entries: BTreeMap<&str, BadGoldEntry> = BTreeMap::new();
    for suspect in &standing.suspects {
        let e = entries.entry(suspect.item.as_str()).or_insert_with(|| blank_entry(&suspect.item));
        e.detected = Some(evidence(suspect, annotators, scope));
    }
    for flag in &standing.flags {
        let e = entries.entry(flag.item_id.as_str()).or_insert_with(|| blank_entry(&flag.item_id));
        // Another vendor's annotator stays unnamed; the item is listed all the same, since it
        // counts against nobody until decided.
        if scope.shows(flag.author.vendor.as_deref()) {
            e.flags.push(GoldFlag {
                annotator: flag.author.username.clone(),
                text: flag.text.clone(),
                at_ms: flag.at_ms,
            });
        }
    }
    for decision in &standing.decisions {
        let e = entries.entry(decision.item_id.as_str()).or_insert_with(|| blank_entry(&decision.item_id));
        e.decision = Some(decision.decision);
        e.decided_by = Some(decision.decided_by.clone());
        e.decided_at_ms = Some(decision.at_ms);
    }
    let mut made: Vec<BadGoldEntry> = entries.into_values().collect();
    // Stable: the map gave them by item id.
    made.sort_by_key(|e| e.decision.is_some());
    made
}

fn blank_entry(item: &str) -> BadGoldEntry {
    BadGoldEntry {
        item_id: item.to_string(),
        detected: None,
        flags: Vec::new(),
        decision: None,
        decided_by: None,
        decided_at_ms: None,
    }
}

/// A suspect item's evidence with names: witnesses the caller may not see are left out, the
/// counts of answers stay (they name nobody).
fn evidence(suspect: &SuspectGold, annotators: &HashMap<i64, Annotator>, scope: &Scope) -> BadGoldEvidence {
    let witnesses = suspect
        .witnesses
        .iter()
        .filter_map(|w| {
            let annotator = annotators.get(&w.annotator.parse::<i64>().ok()?)?;
            scope.shows(annotator.vendor.as_deref()).then(|| BadGoldWitness {
                annotator: annotator.username.clone(),
                answer: w.answer.clone(),
                other_passed: w.other_passed,
                other_items: w.other_items,
            })
        })
        .collect();
    let others = suspect.reliable_failures.iter().filter(|c| c.answer != suspect.answer);
    BadGoldEvidence {
        answer: suspect.answer.clone(),
        witnesses,
        other_failures: others
            .map(|c| BadGoldAnswerCount { answer: c.answer.clone(), count: c.count as u64 })
            .collect(),
        attempts: suspect.attempts as u64,
        passed: suspect.passed as u64,
    }
}
