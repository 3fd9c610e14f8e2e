//! Scorecards data and the bad-gold list: what the browser computes annotator scorecards and
//! peer agreement from (annoqa-stats runs there, not here), and the gold items reliable
//! annotators fail the same way or flag as wrong, with coordinators' decisions on them.
//!
//! Both are computed from the annotators' shares that [`crate::scorecard_sources`] keeps and
//! brings up to date, on the CPU pool ([`crate::cpu`]), never on a request thread; a
//! scorecards response is kept too, while nothing it is computed from changes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use annoqa_api::{
    BadGoldAnswerCount, BadGoldEntry, BadGoldEvidence, BadGoldRequest, BadGoldWitness, ChoiceAnswers, Endpoint,
    GoldFlag, QualificationSettings, ScorecardsData,
};
use annoqa_core::TaskSpec;
use annoqa_stats::trust::{ScorecardSettings, SuspectGold};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

use super::{json_response, project_access, Path};
use crate::auth::Caller;
use crate::json::JsonBody;
use crate::scorecard_sources::{self, AnnotatorSources, ChoiceControl, ProjectSources};
use crate::store::trust::{self, Annotator, GoldStanding, StoredDecision, StoredFlag};
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

/// Kept scorecards responses (see [`crate::versioned_cache`]), by project and the vendor
/// whose people the caller may see (`None`: everyone's).
pub(crate) type ScorecardsCache = VersionedCache<(String, Option<String>), ScorecardsVersion>;

/// What a scorecards response is computed from, in a form that changes whenever it does:
/// each annotator's version ([`crate::scorecard_sources`]), and the flags and decisions whole.
#[derive(PartialEq)]
pub(crate) struct ScorecardsVersion {
    annotators: BTreeMap<i64, (i64, i64)>,
    flags: Vec<StoredFlag>,
    decisions: Vec<StoredDecision>,
}

/// `GET /api/projects/{project}/scorecards`: served as kept while nothing it is computed from
/// has changed, else computed from the annotators' kept shares, those that changed read again.
pub(super) async fn scorecards(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Response, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::Scorecards, "reading scorecards")?;
    let (store, id) = (state.store(), access.id());
    // The versions first, then what they describe: see `scorecard_sources`.
    let (annotators, flags, decisions) =
        tokio::try_join!(store.annotator_versions(id), store.wrong_gold_flags(id), store.gold_decisions(id))?;
    let scope = Scope::of(&caller);
    let key = (id.to_string(), scope.0.clone());
    let version = ScorecardsVersion { annotators, flags, decisions };
    if let Some(body) = state.scorecards_cache().get(&key, &version) {
        return Ok(json_response(StatusCode::OK, body));
    }
    let sources = scorecard_sources::current(&state, id, &access.settings.project.spec, &version.annotators).await?;
    let (flags, decisions) = (version.flags.clone(), version.decisions.clone());
    let body = state
        .cpu()
        .run(move || -> anyhow::Result<String> {
            let standing = trust::standing(sources.gold(), &flags, &decisions)?;
            Ok(serde_json::to_string(&scorecards_data(&sources, &standing, &scope))?)
        })
        .await??;
    let body = Bytes::from(body);
    state.scorecards_cache().put(key, version, body.clone());
    Ok(json_response(StatusCode::OK, body))
}

fn scorecards_data(sources: &ProjectSources, standing: &GoldStanding, scope: &Scope) -> ScorecardsData {
    // Detection read every annotator's gold, whoever the caller may see: which items count
    // must not depend on who asks. The rows and answers are the caller's people's, by name.
    let mut visible: Vec<&AnnotatorSources> =
        sources.annotators.values().map(AsRef::as_ref).filter(|a| scope.shows(a.annotator.vendor.as_deref())).collect();
    visible.sort_by(|a, b| a.annotator.username.cmp(&b.annotator.username));
    let settings = ScorecardSettings::default();
    let test = settings.qualification;
    ScorecardsData {
        annotators: visible.iter().map(|a| a.row.clone()).collect(),
        pending_gold: standing.pending().into_iter().collect(),
        retired_gold: standing.retired().into_iter().collect(),
        qualification: QualificationSettings {
            p0: test.p0,
            p1: test.p1,
            alpha: test.alpha,
            beta: test.beta,
            confidence: settings.confidence,
        },
        choices: choice_answers(&sources.choices, &visible),
    }
}

/// Dense numbering of names in order of first use, borrowing them where it can.
#[derive(Default)]
struct Numbering<'a> {
    names: Vec<&'a str>,
    index: HashMap<&'a str, u32>,
}

impl<'a> Numbering<'a> {
    fn with(names: &'a [String]) -> Numbering<'a> {
        let mut numbering = Numbering::default();
        for name in names {
            numbering.number(name);
        }
        numbering
    }

    fn number(&mut self, name: &'a str) -> u32 {
        if let Some(&n) = self.index.get(name) {
            return n;
        }
        let n = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name);
        self.index.insert(name, n);
        n
    }

    fn into_names(self) -> Vec<String> {
        self.names.into_iter().map(str::to_string).collect()
    }
}

/// One choice control's answers as they are gathered.
struct ChoiceGathering<'a> {
    items: Numbering<'a>,
    annotators: Numbering<'a>,
    labels: Numbering<'a>,
    answers: Vec<[u32; 3]>,
}

/// Every answer to each choice control, annotator by annotator in `annotators`' order: one per
/// submission that chose something.
fn choice_answers(controls: &[ChoiceControl], annotators: &[&AnnotatorSources]) -> Vec<ChoiceAnswers> {
    let mut gathered: Vec<ChoiceGathering<'_>> = controls
        .iter()
        .map(|c| ChoiceGathering {
            items: Numbering::default(),
            annotators: Numbering::default(),
            labels: Numbering::with(&c.labels),
            answers: Vec::new(),
        })
        .collect();
    for annotator in annotators {
        for answer in &annotator.answers {
            let Some(g) = gathered.get_mut(answer.control) else { continue };
            let entry = [
                g.items.number(&answer.item),
                g.annotators.number(&annotator.annotator.username),
                g.labels.number(&answer.label),
            ];
            g.answers.push(entry);
        }
    }
    controls
        .iter()
        .zip(gathered)
        .map(|(control, g)| ChoiceAnswers {
            control: control.name.clone(),
            items: g.items.into_names(),
            annotators: g.annotators.into_names(),
            answers: g.answers,
            labels: g.labels.into_names(),
        })
        .collect()
}

/// `GET /api/projects/{project}/bad-gold`.
pub(super) async fn bad_gold(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<Vec<BadGoldEntry>>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::BadGold, "the bad-gold list")?;
    Ok(Json(bad_gold_entries(&state, &caller, access.id(), &access.settings.project.spec).await?))
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
    let entries = bad_gold_entries(&state, &caller, access.id(), &access.settings.project.spec).await?;
    let entry = entries.into_iter().find(|e| e.item_id == item);
    entry.map(Json).ok_or_else(|| ServerError::Internal(anyhow::anyhow!("gold item `{item}` lost its decision")))
}

/// What the standing of the project's gold is computed from, as of now.
async fn gold_sources(
    state: &AppState,
    project_id: &str,
    spec: &TaskSpec,
) -> Result<(Arc<ProjectSources>, Vec<StoredFlag>, Vec<StoredDecision>), ServerError> {
    let store = state.store();
    // The versions first, then what they describe: see `scorecard_sources`.
    let (versions, flags, decisions) = tokio::try_join!(
        store.annotator_versions(project_id),
        store.wrong_gold_flags(project_id),
        store.gold_decisions(project_id)
    )?;
    let sources = scorecard_sources::current(state, project_id, spec, &versions).await?;
    Ok((sources, flags, decisions))
}

/// The project's gold items that count against nobody: found or flagged as bad and not
/// decided yet, or retired.
pub(super) async fn uncounted_gold(
    state: &AppState,
    project_id: &str,
    spec: &TaskSpec,
) -> Result<Vec<String>, ServerError> {
    let (sources, flags, decisions) = gold_sources(state, project_id, spec).await?;
    let uncounted = state
        .cpu()
        .run(move || -> anyhow::Result<Vec<String>> {
            Ok(trust::standing(sources.gold(), &flags, &decisions)?.uncounted().into_iter().collect())
        })
        .await??;
    Ok(uncounted)
}

/// Every gold item found or flagged as bad or decided on, undecided first, then by item id.
async fn bad_gold_entries(
    state: &AppState,
    caller: &Caller,
    project_id: &str,
    spec: &TaskSpec,
) -> Result<Vec<BadGoldEntry>, ServerError> {
    let (sources, flags, decisions) = gold_sources(state, project_id, spec).await?;
    let scope = Scope::of(caller);
    let entries = state
        .cpu()
        .run(move || -> anyhow::Result<Vec<BadGoldEntry>> {
            let standing = trust::standing(sources.gold(), &flags, &decisions)?;
            let annotators: HashMap<i64, Annotator> =
                sources.annotators.iter().map(|(user, a)| (*user, a.annotator.clone())).collect();
            Ok(entries(&standing, &annotators, &scope))
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
