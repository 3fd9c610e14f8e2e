//! Scorecards data and the bad-gold list: what the browser computes annotator scorecards and
//! peer agreement from (annoqa-stats runs there, not here), and the gold items reliable
//! annotators fail the same way or flag as wrong, with coordinators' decisions on them.
//!
//! Both read every submission of the project, so the rows are shaped on the CPU pool
//! ([`crate::cpu`]), never on a request thread.

use std::collections::{BTreeMap, HashMap};

use annoqa_api::{
    BadGoldAnswerCount, BadGoldEntry, BadGoldEvidence, BadGoldRequest, BadGoldWitness, ChoiceAnswers, Endpoint,
    GoldFlag, GoldOutcome, QualificationSettings, ScorecardRow, ScorecardsData,
};
use annoqa_core::{ControlKind, TaskSpec};
use annoqa_stats::trust::{ScorecardSettings, SuspectGold};
use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::{json_response, project_access, Path};
use crate::auth::Caller;
use crate::json::JsonBody;
use crate::store::trust::{
    answer_key, standing, Annotator, AnnotatorWork, GoldStanding, RegionHead, ReviewCodes, StoredDecision, StoredFlag,
};
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
    work: Vec<AnnotatorWork>,
    codes: Vec<ReviewCodes>,
    flags: Vec<StoredFlag>,
    decisions: Vec<StoredDecision>,
    choices: Vec<ChoiceControl>,
    scope: Scope,
}

/// `GET /api/projects/{project}/scorecards`.
pub(super) async fn scorecards(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Response, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::Scorecards, "reading scorecards")?;
    let choices = choice_controls(&access.settings.project.spec);
    let store = state.store();
    let t0 = std::time::Instant::now(); // TIMING
    let (work, codes, flags, decisions) = tokio::try_join!(
        store.annotator_work(access.id(), !choices.is_empty()),
        store.review_codes(access.id()),
        store.wrong_gold_flags(access.id()),
        store.gold_decisions(access.id()),
    )?;
    let t1 = t0.elapsed(); // TIMING
    let sources = ScorecardSources { work, codes, flags, decisions, choices, scope: Scope::of(&caller) };
    let body = state
        .cpu()
        .run(move || -> anyhow::Result<String> {
            let t = std::time::Instant::now(); // TIMING
            let data = scorecards_data(sources)?;
            let t2 = t.elapsed(); // TIMING
            let body = serde_json::to_string(&data)?;
            let t3 = t.elapsed(); // TIMING
            use std::io::Write; // TIMING
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open("/tmp/trust-timing.log")?; // TIMING
            writeln!(f, "scorecards build {t2:?} json {t3:?}")?; // TIMING
            Ok(body)
        })
        .await??;
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open("/tmp/trust-timing.log")
            .map_err(anyhow::Error::from)?;
        let _ = writeln!(f, "scorecards sql {t1:?} total {:?}", t0.elapsed());
    } // TIMING
    Ok(json_response(StatusCode::OK, body))
}

fn scorecards_data(sources: ScorecardSources) -> anyhow::Result<ScorecardsData> {
    let ScorecardSources { mut work, codes, flags, decisions, choices, scope } = sources;
    // Detection reads every annotator's gold, whoever the caller may see: which items count
    // must not depend on who asks.
    let mut attempts = Vec::new();
    for w in &work {
        for answer in w.answers() {
            let answer = answer?;
            if let (Some(passed), Some(regions)) = (answer.passed, answer.regions) {
                attempts.push((w.user_id, answer.item, passed, answer_key(regions)?));
            }
        }
    }
    let standing = standing(attempts, flags, decisions)?;
    work.retain(|w| scope.shows(w.annotator.vendor.as_deref()));
    work.sort_by(|a, b| a.annotator.username.cmp(&b.annotator.username));
    let mut rows = work.iter().map(scorecard_row).collect::<anyhow::Result<Vec<ScorecardRow>>>()?;
    let index: HashMap<i64, usize> = work.iter().enumerate().map(|(i, w)| (w.user_id, i)).collect();
    for review in &codes {
        if let Some(&i) = index.get(&review.user_id) {
            add_codes(&mut rows[i], review)?;
        }
    }
    let choices = choice_answers(&choices, &work)?;
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

fn scorecard_row(work: &AnnotatorWork) -> anyhow::Result<ScorecardRow> {
    let mut gold = Vec::new();
    for answer in work.answers() {
        let answer = answer?;
        if let Some(passed) = answer.passed {
            gold.push(GoldOutcome { item: answer.item.to_string(), passed });
        }
    }
    let mut pre = PredictionOutcomeCounts::default();
    for outcome in work.outcomes() {
        let outcome: PredictionOutcomeCounts =
            serde_json::from_str(outcome).context("a stored prediction outcome is not valid")?;
        pre.kept += outcome.kept;
        pre.edited += outcome.edited;
        pre.deleted += outcome.deleted;
    }
    Ok(ScorecardRow {
        annotator: work.annotator.username.clone(),
        vendor: work.annotator.vendor.clone(),
        gold,
        accepted: work.accepted,
        fixed: work.fixed,
        rejected: work.rejected,
        error_codes: Vec::new(),
        lead_times_ms: work.lead_times()?,
        pre_kept: pre.kept,
        pre_edited: pre.edited,
        pre_deleted: pre.deleted,
        submissions: work.submissions,
    })
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

fn add_codes(row: &mut ScorecardRow, review: &ReviewCodes) -> anyhow::Result<()> {
    for codes in review.reviews() {
        let (codes, errors) = codes?;
        let codes: Vec<String> = serde_json::from_str(codes).context("stored error codes are not valid")?;
        let errors: Vec<CodeOnly> = serde_json::from_str(errors).context("stored region errors are not valid")?;
        row.error_codes.extend(codes);
        row.error_codes.extend(errors.into_iter().map(|e| e.code));
    }
    Ok(())
}

/// Dense numbering of names in order of first use.
#[derive(Default)]
struct Numbering {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Numbering {
    fn with(names: Vec<String>) -> Numbering {
        let mut numbering = Numbering::default();
        for name in names {
            numbering.number(&name);
        }
        numbering
    }

    fn number(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.index.get(name) {
            return n;
        }
        let n = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), n);
        n
    }
}

/// One choice control's answers as they are gathered.
struct ChoiceGathering {
    control: String,
    items: Numbering,
    annotators: Numbering,
    labels: Numbering,
    answers: Vec<[u32; 3]>,
}

/// Every answer to each choice control, annotator by annotator, each in submission order: one
/// per submission that chose something; a multiple choice's labels, sorted and joined by
/// ` + `, are one answer.
fn choice_answers(controls: &[ChoiceControl], work: &[AnnotatorWork]) -> anyhow::Result<Vec<ChoiceAnswers>> {
    if controls.is_empty() {
        return Ok(Vec::new());
    }
    let mut gathered: Vec<ChoiceGathering> = controls
        .iter()
        .map(|c| ChoiceGathering {
            control: c.name.clone(),
            items: Numbering::default(),
            annotators: Numbering::default(),
            labels: Numbering::with(c.labels.clone()),
            answers: Vec::new(),
        })
        .collect();
    let by_name: HashMap<String, usize> = controls.iter().enumerate().map(|(i, c)| (c.name.clone(), i)).collect();
    let answers = work.iter().flat_map(|w| w.answers().map(move |a| (w, a)));
    for (w, answer) in answers {
        let answer = answer?;
        let Some(regions) = answer.regions else { continue };
        let heads: Vec<RegionHead<'_>> = serde_json::from_str(regions).context("stored regions are not valid")?;
        // Labels per control: a control answered by several regions answers their union.
        let mut chosen: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for head in heads.into_iter().filter(|h| h.kind == "choice") {
            if let Some(&control) = by_name.get(head.control.as_ref()) {
                chosen.entry(control).or_default().extend(head.labels);
            }
        }
        for (control, mut labels) in chosen.into_iter().filter(|(_, labels)| !labels.is_empty()) {
            labels.sort_unstable();
            labels.dedup();
            let g = &mut gathered[control];
            let answer = [
                g.items.number(answer.item),
                g.annotators.number(&w.annotator.username),
                g.labels.number(&labels.join(" + ")),
            ];
            g.answers.push(answer);
        }
    }
    Ok(gathered
        .into_iter()
        .map(|g| ChoiceAnswers {
            control: g.control,
            items: g.items.names,
            annotators: g.annotators.names,
            answers: g.answers,
            labels: g.labels.names,
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
    let (inputs, annotators) =
        tokio::try_join!(state.store().gold_inputs(project_id), state.store().project_annotators(project_id))?;
    let scope = Scope::of(caller);
    let entries = state
        .cpu()
        .run(move || -> anyhow::Result<Vec<BadGoldEntry>> { Ok(entries(&inputs.standing()?, &annotators, &scope)) })
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
