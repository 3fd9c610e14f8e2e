//! The reviewer's paged review queue. A page is a walk along an index, never a scan of region
//! JSON or a count of the project's submissions, so its cost follows the page and not the
//! project.
//!
//! Submission ids are random (`new_id`), so id order is already a random order; a seed turns
//! it into one of many (`order.rs`): the ids fall into 16 blocks by their top bits, the blocks
//! come in a seeded order, and each block is walked from a seeded point up, then from its start
//! to that point. Each piece is a range of an index walked in id order, so a page reads about as
//! many index entries as it lists. `random` is one such walk over every annotator in scope;
//! `risk` one per group of annotators with the same risk key, lowest first (`RiskSums::
//! risk_key`: the smaller of their pessimistic gold and peer-agreement means); `stratified`
//! takes the r-th submission of each annotator in turn, each annotator's submissions in id
//! order from a seeded place round to it again, so that the r-th is an `OFFSET` into their
//! index range (`walk.rs`). A position in these orders (`QueuePosition`) is what a cursor
//! carries: the next page starts right after the last entry, whatever was reviewed meanwhile.
//!
//! Progress counts, each annotator's count, gold sums and agreement sums are kept per annotator
//! (`counts.rs`, `agreement.rs`), written with every submit and review. A walk covers the
//! submissions made up to its first page (`QueueScope::as_of_ms`), so that later ones cannot
//! shift a stratified round or a risk key under a cursor; counts and sums leave them out too. Ranks and counts cover every status, so a
//! review (which changes a status) never moves an entry: the status filter only leaves entries
//! out.

mod agreement;
mod counts;
mod order;
mod walk;

use std::collections::HashMap;

use annoqa_api::SubmissionStatus;
use anyhow::Context;
use sqlx::Row;

pub(crate) use agreement::{agreements, Paired, PeerAgreement};
pub(crate) use counts::{review_submission, submit_writes};
pub(crate) use order::{score_micros, GoldMean, QueueOrder, QueueStrategy};

use super::group::{Arg, Sql};
use super::{text, Store};

/// Which submissions a page reads: the caller's view of the project and the filters.
#[derive(Clone, Debug)]
pub(crate) struct QueueScope {
    pub project_id: String,
    /// Never the caller's own submissions.
    pub caller_id: i64,
    /// A caller with a vendor sees only that vendor's annotators.
    pub caller_vendor: Option<String>,
    pub annotator: Option<i64>,
    pub vendor: Option<String>,
    pub label: Option<String>,
    /// Gold items only (`true`) or plain items only (`false`).
    pub gold: Option<bool>,
    /// Submissions made up to this time: the walk's first page.
    pub as_of_ms: i64,
    /// Gold items that count against nobody (found or flagged as bad and undecided, or
    /// retired): the `risk` order leaves their scores out. Read only by `risk`.
    pub uncounted_gold: Vec<String>,
}

/// Which statuses a page lists; counts and ranks cover them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueStatus {
    /// `submitted`: no review yet.
    Awaiting,
    Reviewed,
    All,
}

impl QueueStatus {
    fn admits(self, reviewed: bool) -> bool {
        match self {
            QueueStatus::Awaiting => !reviewed,
            QueueStatus::Reviewed => reviewed,
            QueueStatus::All => true,
        }
    }
}

/// Where an entry sits in its strategy's order; the next page starts after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueuePosition {
    Random {
        id: i64,
    },
    /// In the group of annotators whose risk key is `mean`.
    Risk {
        mean: GoldMean,
        id: i64,
    },
    /// The `round`-th submission of `annotator`.
    Stratified {
        round: u64,
        annotator: i64,
    },
}

/// One page of a walk, before its entries are read.
#[derive(Debug)]
pub(crate) struct QueueSlice {
    /// Submission ids in order.
    pub ids: Vec<i64>,
    /// The position of the last id, when more entries follow it.
    pub next: Option<QueuePosition>,
    pub total: u64,
    pub reviewed: u64,
}

/// One submission of the queue as listed.
#[derive(Debug)]
pub(crate) struct QueueEntryRow {
    pub id: i64,
    pub item_id: String,
    pub annotator: String,
    pub vendor: Option<String>,
    pub created_at_ms: i64,
    pub status: SubmissionStatus,
    pub gold: bool,
    pub labels: Vec<String>,
}

/// What the filters can choose from.
#[derive(Debug, Default)]
pub(crate) struct QueueFacets {
    pub annotators: Vec<String>,
    pub vendors: Vec<String>,
    pub labels: Vec<String>,
}

/// An annotator's submissions in the scope: all of them and the reviewed ones.
#[derive(Clone, Copy, Debug)]
struct AnnotatorCount {
    user_id: i64,
    total: u64,
    reviewed: u64,
}

impl AnnotatorCount {
    /// How many of them the status filter lists (as counted: reviews since only take some
    /// out of `Awaiting`).
    fn matching(&self, status: QueueStatus) -> u64 {
        match status {
            QueueStatus::Awaiting => self.total - self.reviewed,
            QueueStatus::Reviewed => self.reviewed,
            QueueStatus::All => self.total,
        }
    }
}

/// The table a scope's rows come from: the submissions, or with a label filter that label's
/// rows, which carry the columns every filter needs.
struct Source {
    table: &'static str,
    id: &'static str,
    reviewed: &'static str,
}

const SUBMISSIONS: Source = Source { table: "submissions s", id: "s.id", reviewed: "s.status <> 'submitted'" };
const LABELS: Source = Source { table: "submission_labels s", id: "s.submission_id", reviewed: "s.reviewed" };

impl QueueScope {
    fn source(&self) -> &'static Source {
        if self.label.is_some() {
            &LABELS
        } else {
            &SUBMISSIONS
        }
    }

    /// `FROM … WHERE …` of the scope's rows made up to `as_of_ms`, `s` being the table, of
    /// `user` alone if given.
    fn rows_where(&self, sql: &mut Sql, user: Option<i64>) {
        let source = self.source();
        let project = sql.bind(Arg::Text(self.project_id.clone()));
        sql.push(&format!(" FROM {} WHERE s.project_id = {project}", source.table));
        if let Some(label) = &self.label {
            let label = sql.bind(Arg::Text(label.clone()));
            sql.push(&format!(" AND s.label = {label}"));
        }
        let as_of = sql.bind(Arg::I64(self.as_of_ms));
        sql.push(&format!(" AND s.created_at_ms <= {as_of}"));
        self.people(sql, "s", user);
    }

    /// `FROM submissions s WHERE …` of the scope's submissions made after `as_of_ms`: few, found
    /// by time, the label checked by key.
    fn made_since(&self, sql: &mut Sql) {
        let project = sql.bind(Arg::Text(self.project_id.clone()));
        let as_of = sql.bind(Arg::I64(self.as_of_ms));
        sql.push(&format!(" FROM submissions s WHERE s.project_id = {project} AND s.created_at_ms > {as_of}"));
        if let Some(label) = &self.label {
            let label = sql.bind(Arg::Text(label.clone()));
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM submission_labels l
                              WHERE l.project_id = s.project_id AND l.label = {label} AND l.submission_id = s.id)"
            ));
        }
        self.people(sql, "s", None);
    }

    /// The conditions on `{table}.user_id` and `{table}.is_gold`: not the caller, the caller's
    /// vendor, the annotator, vendor and gold filters, and `user` if given.
    fn people(&self, sql: &mut Sql, table: &str, user: Option<i64>) {
        let caller = sql.bind(Arg::I64(self.caller_id));
        sql.push(&format!(" AND {table}.user_id <> {caller}"));
        for vendor in [&self.caller_vendor, &self.vendor].into_iter().flatten() {
            let vendor = sql.bind(Arg::Text(vendor.clone()));
            // `+`: a vendor's annotators must not drive the choice of index (SQLite would read
            // each one's range and sort, instead of walking the walk's order and stopping at
            // the page's end); the test is the same.
            sql.push(&format!(" AND +{table}.user_id IN (SELECT u.id FROM users u WHERE u.vendor = {vendor})"));
        }
        for user in [self.annotator, user].into_iter().flatten() {
            let user = sql.bind(Arg::I64(user));
            sql.push(&format!(" AND {table}.user_id = {user}"));
        }
        if let Some(gold) = self.gold {
            let gold = sql.bind(Arg::Bool(gold));
            sql.push(&format!(" AND {table}.is_gold = {gold}"));
        }
    }
}

impl Store {
    /// Up to `limit` submission ids of the walk `order` over `scope` after `after` (from its
    /// start without), with the scope's counts and the position to continue from.
    pub(crate) async fn queue_page(
        &self,
        scope: &QueueScope,
        status: QueueStatus,
        order: QueueOrder,
        after: Option<QueuePosition>,
        limit: usize,
    ) -> anyhow::Result<QueueSlice> {
        let counts = self.annotator_counts(scope).await?;
        // One more than the page: whether another page follows.
        let want = limit + 1;
        let mut found = match order.strategy {
            QueueStrategy::Random => self.random_page(scope, status, order, after, want).await?,
            QueueStrategy::Risk => self.risk_page(scope, status, order, &counts, after, want).await?,
            QueueStrategy::Stratified => self.stratified_page(scope, status, order, &counts, after, want).await?,
        };
        let next = (found.len() > limit).then(|| found[limit - 1].1);
        found.truncate(limit);
        Ok(QueueSlice {
            ids: found.into_iter().map(|(id, _)| id).collect(),
            next,
            total: counts.iter().map(|c| c.total).sum(),
            reviewed: counts.iter().map(|c| c.reviewed).sum(),
        })
    }

    /// The queue's entries for `ids`, in that order (ids no longer there are left out).
    pub(crate) async fn queue_entries(&self, project_id: &str, ids: &[i64]) -> anyhow::Result<Vec<QueueEntryRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("");
        let project = sql.bind(Arg::Text(project_id.to_string()));
        let list: Vec<String> = ids.iter().map(|&id| sql.bind(Arg::I64(id))).collect();
        sql.push(&format!(
            "SELECT s.id, s.item_id, s.created_at_ms, s.status,
                    CAST(CASE WHEN s.is_gold THEN 1 ELSE 0 END AS BIGINT) AS gold, u.username, u.vendor
             FROM submissions s JOIN users u ON u.id = s.user_id
             WHERE s.project_id = {project} AND s.id IN ({})",
            list.join(", ")
        ));
        let mut labels = self.labels_of(project_id, ids).await?;
        let mut entries: HashMap<i64, QueueEntryRow> = HashMap::new();
        for row in sql.fetch_all(&self.read).await? {
            let id: i64 = row.try_get("id")?;
            let status = text(&row, "status")?;
            let entry = QueueEntryRow {
                id,
                item_id: text(&row, "item_id")?,
                annotator: text(&row, "username")?,
                vendor: row.try_get("vendor")?,
                created_at_ms: row.try_get("created_at_ms")?,
                status: SubmissionStatus::parse(&status)
                    .with_context(|| format!("stored status `{status}` is unknown"))?,
                gold: row.try_get::<i64, _>("gold")? != 0,
                labels: labels.remove(&id).unwrap_or_default(),
            };
            entries.insert(id, entry);
        }
        Ok(ids.iter().filter_map(|id| entries.remove(id)).collect())
    }

    /// The labels of the submissions `ids`, each list sorted: looked up by key, among the
    /// labels the project's counts know.
    async fn labels_of(&self, project_id: &str, ids: &[i64]) -> anyhow::Result<HashMap<i64, Vec<String>>> {
        let mut sql = Sql::new("");
        let project = sql.bind(Arg::Text(project_id.to_string()));
        let list: Vec<String> = ids.iter().map(|&id| sql.bind(Arg::I64(id))).collect();
        sql.push(&format!(
            "SELECT submission_id, label FROM submission_labels
             WHERE project_id = {project}
               AND label IN (SELECT DISTINCT label FROM review_queue_counts WHERE project_id = {project} AND label <> '')
               AND submission_id IN ({})",
            list.join(", ")
        ));
        let mut labels: HashMap<i64, Vec<String>> = HashMap::new();
        for row in sql.fetch_all(&self.read).await? {
            labels.entry(row.try_get("submission_id")?).or_default().push(text(&row, "label")?);
        }
        // Sorted here rather than by SQL: PostgreSQL's collation may differ from SQLite's.
        labels.values_mut().for_each(|l| l.sort());
        Ok(labels)
    }
}
