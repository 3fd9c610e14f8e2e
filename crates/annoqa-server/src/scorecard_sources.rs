//! What scorecards and the bad-gold list are computed from, per annotator, kept between
//! requests and read again only for the annotators whose submissions or reviews changed.
//!
//! Reading a whole project of 100,000 submissions and shaping them costs hundreds of
//! milliseconds; a submit or a review changes one annotator's share. Each annotator's share is
//! kept with the version it was read at — their submission and reviewed counts from the review
//! queue's counts ([`Store::annotator_versions`], which says why that pair suffices) — and a
//! request reads the versions (one small query), then only the shares whose version moved.
//! The versions live in the database, so writes by other server processes are seen too. They
//! are read *before* the shares: a share then holds at least what its version says, and a write
//! between the two reads only costs one more read next time.
//!
//! Flags and decisions are not kept here: a project has few, and they are read with every
//! request. Which gold is suspect is computed from all the shares' gold on each request.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use annoqa_api::{GoldOutcome, ScorecardRow, SubmissionStatus};
use annoqa_core::{ControlKind, TaskSpec};
use anyhow::Context;
use serde::Deserialize;

use crate::store::trust::{Annotator, AnnotatorRecords, GoldSubmission, RegionHead, StatusCount};
use crate::{AppState, ServerError, Store};

/// Projects whose shares are kept; the least recently used go first.
const MAX_PROJECTS: usize = 16;
/// Up to this many changed annotators are read by name; more, and one read of everyone is
/// cheaper than the long list.
const MAX_LISTED: usize = 64;

/// A choice control of the spec.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ChoiceControl {
    pub name: String,
    pub labels: Vec<String>,
}

pub(crate) fn choice_controls(spec: &TaskSpec) -> Vec<ChoiceControl> {
    let choices = spec.controls.iter().filter(|c| matches!(c.kind, ControlKind::Choice { .. }));
    choices
        .map(|c| ChoiceControl { name: c.name.clone(), labels: c.labels.iter().map(|l| l.value.clone()).collect() })
        .collect()
}

/// One submission's answer to one choice control: a multiple choice's labels, sorted and
/// joined by ` + `, are one answer.
#[derive(Debug)]
pub(crate) struct ChoiceAnswer {
    pub item: String,
    /// Index into the project's choice controls.
    pub control: usize,
    pub label: String,
}

/// One annotator's share, as read at `version`.
#[derive(Debug)]
pub(crate) struct AnnotatorSources {
    pub version: (i64, i64),
    pub user_id: i64,
    pub annotator: Annotator,
    /// Their scorecard row, complete.
    pub row: ScorecardRow,
    /// Their scored gold submissions, for bad-gold detection.
    pub gold: Vec<GoldSubmission>,
    /// Their answers to the choice controls.
    pub answers: Vec<ChoiceAnswer>,
}

/// A project's shares by user id.
#[derive(Debug, Default)]
pub(crate) struct ProjectSources {
    pub choices: Vec<ChoiceControl>,
    pub annotators: BTreeMap<i64, Arc<AnnotatorSources>>,
}

impl ProjectSources {
    /// Every annotator's gold submissions.
    pub(crate) fn gold(&self) -> impl Iterator<Item = &GoldSubmission> {
        self.annotators.values().flat_map(|a| a.gold.iter())
    }
}

/// Kept projects: a tick counting uses, and each project's shares with the tick of its last use.
#[derive(Default)]
struct KeptProjects(u64, HashMap<String, (u64, Arc<ProjectSources>)>);

/// The kept shares of recently asked projects.
#[derive(Default)]
pub(crate) struct SourcesCache {
    projects: Mutex<KeptProjects>,
}

impl SourcesCache {
    fn kept(&self, project_id: &str) -> Option<Arc<ProjectSources>> {
        let mut projects = self.projects.lock().unwrap_or_else(|e| e.into_inner());
        projects.0 += 1;
        let tick = projects.0;
        let (used, sources) = projects.1.get_mut(project_id)?;
        *used = tick;
        Some(Arc::clone(sources))
    }

    fn keep(&self, project_id: &str, sources: Arc<ProjectSources>) {
        let mut projects = self.projects.lock().unwrap_or_else(|e| e.into_inner());
        projects.0 += 1;
        let tick = projects.0;
        projects.1.insert(project_id.to_string(), (tick, sources));
        while projects.1.len() > MAX_PROJECTS {
            let Some(oldest) = projects.1.iter().min_by_key(|(_, (used, _))| *used).map(|(k, _)| k.clone()) else {
                break;
            };
            projects.1.remove(&oldest);
        }
    }
}

/// Reads the shares of the projects with the most submissions (as many as are kept) once the
/// server is up, in the background, so that a coordinator's first look after a start is not
/// the request that pays for reading a whole project. A failure only costs that first look.
pub(crate) async fn warm(state: AppState) {
    let projects = match state.store().largest_projects(MAX_PROJECTS).await {
        Ok(projects) => projects,
        Err(e) => return tracing::warn!("could not list projects to read scorecards' shares ahead: {e:#}"),
    };
    for project_id in projects {
        let read = async {
            let Some(settings) = state.store().project(&project_id).await? else { return Ok(()) };
            let versions = state.store().annotator_versions(&project_id).await?;
            current(&state, &project_id, &settings.project.spec, &versions).await.map_err(anyhow::Error::from)?;
            anyhow::Ok(())
        };
        if let Err(e) = read.await {
            tracing::warn!(project = project_id, "could not read scorecards' shares ahead: {e:#}");
        }
    }
}

/// The project's shares at `versions` (read just before, by the caller), reading only those
/// that changed since they were kept.
pub(crate) async fn current(
    state: &AppState,
    project_id: &str,
    spec: &TaskSpec,
    versions: &BTreeMap<i64, (i64, i64)>,
) -> Result<Arc<ProjectSources>, ServerError> {
    let choices = choice_controls(spec);
    let kept = state.scorecard_sources().kept(project_id).filter(|k| k.choices == choices);
    let moved = |(user, version): (&i64, &(i64, i64))| {
        let same = kept.as_ref().and_then(|k| k.annotators.get(user)).is_some_and(|a| a.version == *version);
        (!same).then_some(*user)
    };
    let changed: Vec<i64> = versions.iter().filter_map(moved).collect();
    let gone = kept.as_ref().is_some_and(|k| k.annotators.keys().any(|user| !versions.contains_key(user)));
    if let Some(kept) = &kept {
        if changed.is_empty() && !gone {
            return Ok(Arc::clone(kept));
        }
    }
    let users = (kept.is_some() && changed.len() <= MAX_LISTED).then_some(changed.as_slice());
    let read = read(state.store(), project_id, users, !choices.is_empty()).await?;
    let at = versions.clone();
    let (fresh, choices) = state.cpu().run(move || shares(read, &choices, &at).map(|fresh| (fresh, choices))).await??;
    let mut annotators: BTreeMap<i64, Arc<AnnotatorSources>> = BTreeMap::new();
    if let (Some(kept), Some(changed)) = (&kept, users) {
        // Read by name: the others stay as kept.
        let unchanged = kept.annotators.iter().filter(|(user, _)| !changed.contains(user));
        annotators.extend(unchanged.map(|(user, a)| (*user, Arc::clone(a))));
    }
    annotators.extend(fresh.into_iter().map(|a| (a.user_id, Arc::new(a))));
    annotators.retain(|user, _| versions.contains_key(user));
    let sources = Arc::new(ProjectSources { choices, annotators });
    state.scorecard_sources().keep(project_id, Arc::clone(&sources));
    Ok(sources)
}

/// The rows of one read, of some annotators or all.
#[derive(Default)]
struct Read {
    counts: Vec<StatusCount>,
    gold: Vec<GoldSubmission>,
    outcomes: Vec<AnnotatorRecords>,
    codes: Vec<AnnotatorRecords>,
    /// Every submission's regions, when the spec has a choice control.
    answers: Vec<AnnotatorRecords>,
}

async fn read(store: &Store, project_id: &str, users: Option<&[i64]>, with_answers: bool) -> anyhow::Result<Read> {
    // Nobody to read (an annotator only left): `IN ()` is no SQL on PostgreSQL.
    if users.is_some_and(<[i64]>::is_empty) {
        return Ok(Read::default());
    }
    let answers = async {
        if with_answers {
            store.answers(project_id, users).await
        } else {
            Ok(Vec::new())
        }
    };
    let (counts, (gold, _), outcomes, codes, answers) = tokio::try_join!(
        store.status_counts(project_id, users),
        store.gold_submissions(project_id, users),
        store.prediction_outcomes(project_id, users),
        store.review_codes(project_id, users),
        answers
    )?;
    Ok(Read { counts, gold, outcomes, codes, answers })
}

/// The shares of the annotators in `read` that `versions` lists (one who submitted after the
/// versions were read waits for the next request).
fn shares(
    read: Read,
    choices: &[ChoiceControl],
    versions: &BTreeMap<i64, (i64, i64)>,
) -> anyhow::Result<Vec<AnnotatorSources>> {
    let mut shares: BTreeMap<i64, AnnotatorSources> = BTreeMap::new();
    for count in &read.counts {
        let Some(&version) = versions.get(&count.user_id) else { continue };
        let share = shares.entry(count.user_id).or_insert_with(|| AnnotatorSources {
            version,
            user_id: count.user_id,
            annotator: count.annotator.clone(),
            row: empty_row(&count.annotator),
            gold: Vec::new(),
            answers: Vec::new(),
        });
        add_count(&mut share.row, count)?;
    }
    for g in read.gold {
        if let Some(share) = shares.get_mut(&g.user_id) {
            share.row.gold.push(GoldOutcome { item: g.item_id.clone(), passed: g.passed });
            share.gold.push(g);
        }
    }
    for annotator in &read.outcomes {
        if let Some(share) = shares.get_mut(&annotator.user_id) {
            add_outcomes(&mut share.row, annotator)?;
        }
    }
    for annotator in &read.codes {
        if let Some(share) = shares.get_mut(&annotator.user_id) {
            add_codes(&mut share.row, annotator)?;
        }
    }
    for annotator in &read.answers {
        if let Some(share) = shares.get_mut(&annotator.user_id) {
            share.answers = choice_answers(choices, annotator)?;
        }
    }
    Ok(shares.into_values().collect())
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

/// One annotator's answers to the choice controls, one per submission and control that chose
/// something; a control answered by several regions answers their union.
fn choice_answers(controls: &[ChoiceControl], annotator: &AnnotatorRecords) -> anyhow::Result<Vec<ChoiceAnswer>> {
    let by_name: HashMap<&str, usize> = controls.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
    let mut answers = Vec::new();
    for answer in annotator.pairs("answer") {
        let (item, regions) = answer?;
        let heads: Vec<RegionHead<'_>> = serde_json::from_str(regions).context("stored regions are not valid")?;
        let mut chosen: Vec<(usize, Vec<Cow<'_, str>>)> = Vec::new();
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
            answers.push(ChoiceAnswer { item: item.to_string(), control, label: labels.join(" + ") });
        }
    }
    Ok(answers)
}
