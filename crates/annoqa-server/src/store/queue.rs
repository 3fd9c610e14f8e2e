//! The reviewer's paged review queue: a page is a walk along an index, never a scan of region
//! JSON, so its cost follows the page and not the project.
//!
//! Submission ids are random (`new_id`), so id order is already a random order; a seed turns
//! it into one of many (`QueueOrder::ranges`): the ids fall into 16 blocks by their top bits,
//! the blocks come in a seeded order, and each block is walked from a seeded point up and then
//! from its start to that point. Each piece is a range of an index walked in id order, so a
//! page reads about as many index entries as it lists. `random` is one such walk over every
//! annotator in scope; `risk` one per group of annotators with the same gold mean, lowest mean
//! first; `stratified` takes the r-th submission of each annotator in turn, each annotator's
//! submissions counted from a seeded point in id order round to the ids below it
//! (`QueueOrder::start`), so that the r-th is an `OFFSET` into one of two index ranges. A
//! position in these orders (`QueuePosition`) is what a cursor carries: the next page starts
//! right after the last entry, whatever was reviewed meanwhile.
//!
//! A walk covers the submissions made up to its first page (`QueueScope::as_of_ms`): later ones
//! could otherwise shift a stratified round or a gold mean under a cursor. Ranks and counts
//! cover every status, so a review (which changes a status) never moves an entry; the status
//! filter only leaves entries out.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};

use annoqa_api::SubmissionStatus;
use annoqa_core::Region;
use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::group::{bind_all, Arg};
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueStrategy {
    Random,
    Stratified,
    Risk,
}

/// An annotator's gold mean as an exact fraction: the sum of their gold scores in millionths
/// over the number of scores. Integer sums come out the same whatever order the database adds
/// them in, so equal means stay equal from one page to the next.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GoldMean {
    pub micros: i64,
    pub scored: i64,
}

impl GoldMean {
    /// An annotator without gold: a middling risk, as `review-queue`'s `risk` weighs them.
    pub(crate) const UNKNOWN: GoldMean = GoldMean { micros: 500_000, scored: 1 };

    fn key(self) -> (i128, i128) {
        (i128::from(self.micros), i128::from(self.scored.max(1)))
    }
}

impl Ord for GoldMean {
    fn cmp(&self, other: &GoldMean) -> Ordering {
        let ((a, b), (c, d)) = (self.key(), other.key());
        (a * d).cmp(&(c * b))
    }
}

impl PartialOrd for GoldMean {
    fn partial_cmp(&self, other: &GoldMean) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GoldMean {
    fn eq(&self, other: &GoldMean) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GoldMean {}

/// Where an entry sits in its strategy's order; the next page starts after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueuePosition {
    Random {
        id: i64,
    },
    /// In the group of annotators whose gold mean is `mean`.
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

/// The order of one walk: a strategy and a seed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QueueOrder {
    pub strategy: QueueStrategy,
    pub seed: u64,
}

/// Ids fall into `1 << BLOCK_BITS` blocks by their top bits (ids are positive, 63 bits).
const BLOCK_BITS: u32 = 4;
const BLOCKS: usize = 1 << BLOCK_BITS;
const BLOCK_SIZE: i64 = 1 << (63 - BLOCK_BITS);

impl QueueOrder {
    /// Where a stratified annotator's submissions start in id order: ids from here up, then
    /// the ids below.
    pub(crate) fn start(self) -> i64 {
        i64::try_from(mix(self.seed) >> 1).unwrap_or(0)
    }

    /// The order of annotators in a stratified round.
    fn annotator_key(self, user_id: i64) -> (u64, i64) {
        (mix(mix(self.seed) ^ user_id as u64), user_id)
    }

    /// The whole walk of `random` and `risk` as id ranges in order: the blocks in a seeded
    /// order (Fisher–Yates), each from a seeded offset up, then below it.
    fn sequence(self) -> Vec<IdRange> {
        let mut state = self.seed;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            mix(state)
        };
        let mut blocks: Vec<i64> = (0..BLOCKS as i64).collect();
        for i in (1..BLOCKS).rev() {
            let j = usize::try_from(next() % (i as u64 + 1)).unwrap_or(0);
            blocks.swap(i, j);
        }
        let offset = i64::try_from(next() % BLOCK_SIZE as u64).unwrap_or(0);
        blocks
            .into_iter()
            .flat_map(|block| {
                let low = block * BLOCK_SIZE;
                let turn = low + offset;
                [IdRange { after: turn - 1, upto: low + (BLOCK_SIZE - 1) }, IdRange { after: low - 1, upto: turn - 1 }]
            })
            .filter(|range| !range.is_empty())
            .collect()
    }

    /// The ranges of the walk after `after` (from its start without), in walk order.
    fn ranges(self, after: Option<i64>) -> Vec<IdRange> {
        let sequence = self.sequence();
        let Some(id) = after else { return sequence };
        match sequence.iter().position(|r| r.after < id && id <= r.upto) {
            Some(at) => {
                let mut rest = vec![IdRange { after: id, upto: sequence[at].upto }];
                rest.extend_from_slice(&sequence[at + 1..]);
                rest
            }
            // Not an id (a cursor names only listed ones): nothing follows it.
            None => Vec::new(),
        }
    }
}

/// SplitMix64's finaliser: a seed or an id spread over all 64 bits.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Ids `after < id <= upto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IdRange {
    after: i64,
    upto: i64,
}

impl IdRange {
    fn is_empty(self) -> bool {
        self.after >= self.upto
    }
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

/// An annotator's submissions in the scope: all of them, the reviewed ones, and those at or
/// above the walk's start (the first part of their walk).
#[derive(Clone, Copy, Debug)]
struct AnnotatorCount {
    user_id: i64,
    total: u64,
    reviewed: u64,
    from_start: u64,
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

/// The distinct labels of `regions` (a choice's labels included), sorted.
pub(crate) fn region_labels(regions: &[Region]) -> Vec<String> {
    let labels: BTreeSet<&str> = regions.iter().flat_map(|r| r.value.labels()).collect();
    labels.into_iter().map(String::from).collect()
}

/// A statement under construction: parameters are numbered as they are bound.
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn new(text: &str) -> Sql {
        Sql { text: text.to_string(), args: Vec::new() }
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Binds `arg` and returns its placeholder.
    fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    async fn fetch_all(&self, pool: &AnyPool) -> sqlx::Result<Vec<AnyRow>> {
        bind_all(sqlx::query(&self.text), &self.args).fetch_all(pool).await
    }
}

/// The table a scope reads: the submissions, or with a label filter that label's rows, which
/// carry the columns every filter needs.
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

    /// `FROM … WHERE …` of the scope's rows, `s` being the table, of `user` alone if given.
    fn from_where(&self, sql: &mut Sql, user: Option<i64>) {
        let source = self.source();
        let project = sql.bind(Arg::Text(self.project_id.clone()));
        sql.push(&format!(" FROM {} WHERE s.project_id = {project}", source.table));
        if let Some(label) = &self.label {
            let label = sql.bind(Arg::Text(label.clone()));
            sql.push(&format!(" AND s.label = {label}"));
        }
        let as_of = sql.bind(Arg::I64(self.as_of_ms));
        let caller = sql.bind(Arg::I64(self.caller_id));
        sql.push(&format!(" AND s.created_at_ms <= {as_of} AND s.user_id <> {caller}"));
        for vendor in [&self.caller_vendor, &self.vendor].into_iter().flatten() {
            let vendor = sql.bind(Arg::Text(vendor.clone()));
            sql.push(&format!(" AND s.user_id IN (SELECT u.id FROM users u WHERE u.vendor = {vendor})"));
        }
        for user in [self.annotator, user].into_iter().flatten() {
            let user = sql.bind(Arg::I64(user));
            sql.push(&format!(" AND s.user_id = {user}"));
        }
        if let Some(gold) = self.gold {
            let gold = sql.bind(Arg::Bool(gold));
            sql.push(&format!(" AND s.is_gold = {gold}"));
        }
    }
}

/// Upper bound of rows one filtered walk fetches at a time.
const MAX_BATCH: usize = 2000;

/// How many stratified rounds to read at once for `want` entries from `active` annotators:
/// enough if the status filter leaves out no more than the counts say, and one more for a
/// page that starts within a round.
fn rounds_for(want: usize, active: &[&AnnotatorCount], status: QueueStatus) -> u64 {
    let (matching, total) = active.iter().fold((0u64, 0u64), |(m, t), c| (m + c.matching(status), t + c.total.max(1)));
    let per_round = active.len() as f64 * (matching as f64 / total.max(1) as f64);
    ((want as f64 / per_round.max(0.01)).ceil() as u64 + 1).clamp(1, 256)
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
        let counts = self.annotator_counts(scope, order.start()).await?;
        let want = limit + 1;
        let mut found = match order.strategy {
            QueueStrategy::Random => {
                let after = match after {
                    Some(QueuePosition::Random { id }) => Some(id),
                    _ => None,
                };
                let ids = self.walk(&Walk::of_scope(scope, status, order), after, want).await?;
                ids.into_iter().map(|id| (id, QueuePosition::Random { id })).collect()
            }
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

    /// Each annotator's submissions in the scope, every status counted.
    async fn annotator_counts(&self, scope: &QueueScope, start: i64) -> anyhow::Result<Vec<AnnotatorCount>> {
        let source = scope.source();
        let mut sql = Sql::new("");
        let start = sql.bind(Arg::I64(start));
        sql.push(&format!(
            "SELECT s.user_id, CAST(COUNT(*) AS BIGINT) AS total,
                    CAST(SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS BIGINT) AS reviewed,
                    CAST(SUM(CASE WHEN {} >= {start} THEN 1 ELSE 0 END) AS BIGINT) AS from_start",
            source.reviewed, source.id
        ));
        scope.from_where(&mut sql, None);
        sql.push(" GROUP BY s.user_id");
        let count = |row: &AnyRow, column: &str| -> sqlx::Result<u64> {
            Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0))
        };
        let rows = sql.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(AnnotatorCount {
                    user_id: row.try_get("user_id")?,
                    total: count(row, "total")?,
                    reviewed: count(row, "reviewed")?,
                    from_start: count(row, "from_start")?,
                })
            })
            .collect()
    }

    /// Up to `want` ids of `walk` after `after`, in walk order.
    async fn walk(&self, walk: &Walk<'_>, after: Option<i64>, want: usize) -> anyhow::Result<Vec<i64>> {
        let mut ids = Vec::new();
        for range in walk.order.ranges(after) {
            let mut range = range;
            while ids.len() < want && !range.is_empty() {
                let batch = walk.batch(want - ids.len());
                let rows = self.walk_range(walk, range, batch).await?;
                let exhausted = rows.len() < batch;
                if let Some(&(last, _)) = rows.last() {
                    range.after = last;
                }
                let kept = rows.into_iter().filter(|(_, user)| walk.members.as_ref().is_none_or(|m| m.contains(user)));
                ids.extend(kept.map(|(id, _)| id).take(want - ids.len()));
                if exhausted {
                    break;
                }
            }
        }
        Ok(ids)
    }

    /// Up to `limit` (id, annotator) of `walk`'s scope and status in `range`, in id order.
    async fn walk_range(&self, walk: &Walk<'_>, range: IdRange, limit: usize) -> anyhow::Result<Vec<(i64, i64)>> {
        let source = walk.scope.source();
        let mut sql = Sql::new(&format!("SELECT {} AS id, s.user_id", source.id));
        walk.scope.from_where(&mut sql, walk.user);
        let (after, upto) = (sql.bind(Arg::I64(range.after)), sql.bind(Arg::I64(range.upto)));
        sql.push(&format!(" AND {id} > {after} AND {id} <= {upto}", id = source.id));
        match walk.status {
            QueueStatus::Awaiting => sql.push(&format!(" AND NOT ({})", source.reviewed)),
            QueueStatus::Reviewed => sql.push(&format!(" AND {}", source.reviewed)),
            QueueStatus::All => {}
        }
        let limit = sql.bind(Arg::I64(i64::try_from(limit)?));
        sql.push(&format!(" ORDER BY {} LIMIT {limit}", source.id));
        let rows = sql.fetch_all(&self.read).await?;
        rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("user_id")?))).collect()
    }

    /// `risk`: annotators grouped by gold mean, lowest first; each group walked in the seeded
    /// order, its annotators' submissions mixed.
    async fn risk_page(
        &self,
        scope: &QueueScope,
        status: QueueStatus,
        order: QueueOrder,
        counts: &[AnnotatorCount],
        after: Option<QueuePosition>,
        want: usize,
    ) -> anyhow::Result<Vec<(i64, QueuePosition)>> {
        let means = self.gold_means_as_of(&scope.project_id, scope.as_of_ms).await?;
        let mut groups: Vec<(GoldMean, Vec<&AnnotatorCount>)> = Vec::new();
        let mut sorted: Vec<(GoldMean, &AnnotatorCount)> =
            counts.iter().map(|c| (means.get(&c.user_id).copied().unwrap_or(GoldMean::UNKNOWN), c)).collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (mean, count) in sorted {
            match groups.last_mut() {
                Some((last, members)) if *last == mean => members.push(count),
                _ => groups.push((mean, vec![count])),
            }
        }
        let mut found = Vec::new();
        for (mean, group) in &groups {
            let resume = match after {
                Some(QueuePosition::Risk { mean: at, id }) if at == *mean => Some(id),
                Some(QueuePosition::Risk { mean: at, .. }) if at > *mean => continue,
                _ => None,
            };
            // A group with nothing to list would be read to its end for nothing.
            if group.iter().all(|c| c.matching(status) == 0) {
                continue;
            }
            let walk = Walk::of_group(scope, status, order, group, counts);
            let ids = self.walk(&walk, resume, want - found.len()).await?;
            found.extend(ids.into_iter().map(|id| (id, QueuePosition::Risk { mean: *mean, id })));
            if found.len() >= want {
                break;
            }
        }
        Ok(found)
    }

    /// Each annotator's gold mean over their scored submissions up to `as_of_ms`.
    async fn gold_means_as_of(&self, project_id: &str, as_of_ms: i64) -> anyhow::Result<HashMap<i64, GoldMean>> {
        // A score of 1.0 is a million millionths; a sum fits an i64 up to 9e12 gold scores.
        let rows = sqlx::query(
            "SELECT user_id, CAST(SUM(CAST(gold_score * 1000000 AS BIGINT)) AS BIGINT) AS micros,
                    CAST(COUNT(*) AS BIGINT) AS scored
             FROM submissions WHERE project_id = $1 AND gold_score IS NOT NULL AND created_at_ms <= $2
             GROUP BY user_id",
        )
        .bind(project_id)
        .bind(as_of_ms)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                let mean = GoldMean { micros: row.try_get("micros")?, scored: row.try_get("scored")? };
                Ok((row.try_get("user_id")?, mean))
            })
            .collect()
    }

    /// `stratified`: round r lists the r-th submission (in the seeded order) of every annotator
    /// who has one, annotators in a seeded order.
    async fn stratified_page(
        &self,
        scope: &QueueScope,
        status: QueueStatus,
        order: QueueOrder,
        counts: &[AnnotatorCount],
        after: Option<QueuePosition>,
        want: usize,
    ) -> anyhow::Result<Vec<(i64, QueuePosition)>> {
        // Annotators with nothing the status filter lists are left out: they would only be read.
        let mut annotators: Vec<&AnnotatorCount> = counts.iter().filter(|c| c.matching(status) > 0).collect();
        annotators.sort_by_key(|c| order.annotator_key(c.user_id));
        let (mut round, mut skip_to) = match after {
            Some(QueuePosition::Stratified { round, annotator }) => (round, Some(order.annotator_key(annotator))),
            _ => (0, None),
        };
        let mut found = Vec::new();
        while found.len() < want {
            let active: Vec<&AnnotatorCount> = annotators.iter().copied().filter(|c| c.total > round).collect();
            if active.is_empty() {
                break;
            }
            let rounds = rounds_for(want - found.len(), &active, status);
            let mut ranked = Vec::with_capacity(active.len());
            for count in &active {
                ranked.push(self.ranked(scope, order, count, round, rounds).await?);
            }
            for step in 0..rounds {
                for (count, entries) in active.iter().zip(&ranked) {
                    if skip_to.is_some_and(|at| order.annotator_key(count.user_id) <= at) {
                        continue;
                    }
                    let Some(&(id, reviewed)) = usize::try_from(step).ok().and_then(|s| entries.get(s)) else {
                        continue;
                    };
                    if status.admits(reviewed) && found.len() < want {
                        found.push((id, QueuePosition::Stratified { round: round + step, annotator: count.user_id }));
                    }
                }
                skip_to = None;
            }
            round += rounds;
        }
        Ok(found)
    }

    /// The annotator's submissions ranked `first..first + rounds` in the walk's order, each with
    /// whether it is reviewed. The first `from_start` of them have ids at or above the start.
    async fn ranked(
        &self,
        scope: &QueueScope,
        order: QueueOrder,
        count: &AnnotatorCount,
        first: u64,
        rounds: u64,
    ) -> anyhow::Result<Vec<(i64, bool)>> {
        let start = order.start();
        let end = (first + rounds).min(count.total);
        let mut entries = Vec::new();
        if first < count.from_start {
            let upper = IdRange { after: start - 1, upto: i64::MAX };
            let take = end.min(count.from_start) - first;
            entries.extend(self.rank_range(scope, count.user_id, upper, first, take).await?);
        }
        if end > count.from_start {
            let lower = IdRange { after: 0, upto: start - 1 };
            let skip = first.saturating_sub(count.from_start);
            let take = end - first.max(count.from_start);
            entries.extend(self.rank_range(scope, count.user_id, lower, skip, take).await?);
        }
        Ok(entries)
    }

    async fn rank_range(
        &self,
        scope: &QueueScope,
        user: i64,
        range: IdRange,
        skip: u64,
        take: u64,
    ) -> anyhow::Result<Vec<(i64, bool)>> {
        let source = scope.source();
        let mut sql = Sql::new(&format!(
            "SELECT {} AS id, CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) AS reviewed",
            source.id, source.reviewed
        ));
        scope.from_where(&mut sql, Some(user));
        let (after, upto) = (sql.bind(Arg::I64(range.after)), sql.bind(Arg::I64(range.upto)));
        let (limit, offset) = (sql.bind(Arg::I64(i64::try_from(take)?)), sql.bind(Arg::I64(i64::try_from(skip)?)));
        sql.push(&format!(
            " AND {id} > {after} AND {id} <= {upto} ORDER BY {id} LIMIT {limit} OFFSET {offset}",
            id = source.id
        ));
        let rows = sql.fetch_all(&self.read).await?;
        rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get::<i64, _>("reviewed")? != 0))).collect()
    }

    /// The queue's entries for `ids`, in that order (ids no longer there are left out).
    pub(crate) async fn queue_entries(&self, project_id: &str, ids: &[i64]) -> anyhow::Result<Vec<QueueEntryRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("");
        let project = sql.bind(Arg::Text(project_id.to_string()));
        let list: Vec<String> = ids.iter().map(|&id| sql.bind(Arg::I64(id))).collect();
        let list = list.join(", ");
        sql.push(&format!(
            "SELECT s.id, s.item_id, s.created_at_ms, s.status,
                    CAST(CASE WHEN s.is_gold THEN 1 ELSE 0 END AS BIGINT) AS gold, u.username, u.vendor
             FROM submissions s JOIN users u ON u.id = s.user_id
             WHERE s.project_id = {project} AND s.id IN ({list})"
        ));
        let mut labels = self.labels_of(ids).await?;
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

    /// The labels of the submissions `ids`, each list sorted.
    async fn labels_of(&self, ids: &[i64]) -> anyhow::Result<HashMap<i64, Vec<String>>> {
        let mut sql = Sql::new("");
        let list: Vec<String> = ids.iter().map(|&id| sql.bind(Arg::I64(id))).collect();
        sql.push(&format!(
            "SELECT submission_id, label FROM submission_labels WHERE submission_id IN ({})",
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

    /// The annotators, vendors and labels of the project's submissions the caller may see
    /// (`scope`'s filters other than the caller's own are ignored).
    pub(crate) async fn queue_facets(&self, scope: &QueueScope) -> anyhow::Result<QueueFacets> {
        // Distinct values by skipping along an index (one seek per value), not by reading
        // every submission.
        let mut sql = Sql::new("");
        let project = sql.bind(Arg::Text(scope.project_id.clone()));
        let caller = sql.bind(Arg::I64(scope.caller_id));
        sql.push(&format!(
            "WITH RECURSIVE a (user_id) AS (
                 SELECT MIN(user_id) FROM submissions WHERE project_id = {project}
                 UNION ALL
                 SELECT (SELECT MIN(s.user_id) FROM submissions s WHERE s.project_id = {project} AND s.user_id > a.user_id)
                 FROM a WHERE a.user_id IS NOT NULL)
             SELECT u.username, u.vendor FROM a JOIN users u ON u.id = a.user_id WHERE u.id <> {caller}"
        ));
        if let Some(vendor) = &scope.caller_vendor {
            let vendor = sql.bind(Arg::Text(vendor.clone()));
            sql.push(&format!(" AND u.vendor = {vendor}"));
        }
        let mut facets = QueueFacets::default();
        let mut vendors = BTreeSet::new();
        for row in sql.fetch_all(&self.read).await? {
            facets.annotators.push(text(&row, "username")?);
            vendors.extend(row.try_get::<Option<String>, _>("vendor")?);
        }
        facets.annotators.sort();
        facets.vendors = vendors.into_iter().collect();
        facets.labels = self.label_facet(scope).await?;
        Ok(facets)
    }

    /// The labels of submissions the caller may see, sorted.
    async fn label_facet(&self, scope: &QueueScope) -> anyhow::Result<Vec<String>> {
        let mut sql = Sql::new("");
        let project = sql.bind(Arg::Text(scope.project_id.clone()));
        let caller = sql.bind(Arg::I64(scope.caller_id));
        sql.push(&format!(
            "WITH RECURSIVE l (label) AS (
                 SELECT MIN(label) FROM submission_labels WHERE project_id = {project}
                 UNION ALL
                 SELECT (SELECT MIN(x.label) FROM submission_labels x WHERE x.project_id = {project} AND x.label > l.label)
                 FROM l WHERE l.label IS NOT NULL)
             SELECT l.label FROM l WHERE l.label IS NOT NULL AND EXISTS (
                 SELECT 1 FROM submission_labels v
                 WHERE v.project_id = {project} AND v.label = l.label AND v.user_id <> {caller}"
        ));
        if let Some(vendor) = &scope.caller_vendor {
            let vendor = sql.bind(Arg::Text(vendor.clone()));
            sql.push(&format!(" AND v.user_id IN (SELECT u.id FROM users u WHERE u.vendor = {vendor})"));
        }
        sql.push(")");
        let mut labels: Vec<String> =
            sql.fetch_all(&self.read).await?.iter().map(|r| text(r, "label")).collect::<Result<_, _>>()?;
        labels.sort();
        Ok(labels)
    }

    /// Fills the label rows of submissions stored before migration 0010 (listed in
    /// `submission_labels_backlog`), a batch per transaction, with the labels a submit would
    /// have written. Run when the server starts; returns how many submissions it indexed.
    pub async fn index_submission_labels(&self) -> anyhow::Result<u64> {
        let mut indexed = 0;
        loop {
            let rows = sqlx::query(
                "SELECT b.submission_id, s.regions FROM submission_labels_backlog b
                 JOIN submissions s ON s.id = b.submission_id ORDER BY b.submission_id LIMIT 500",
            )
            .fetch_all(&self.write)
            .await?;
            if rows.is_empty() {
                // Rows whose submission is gone (the join above skips them) go too.
                sqlx::query("DELETE FROM submission_labels_backlog").execute(&self.write).await?;
                return Ok(indexed);
            }
            let mut batch = Vec::with_capacity(rows.len());
            for row in &rows {
                let id: i64 = row.try_get("submission_id")?;
                let regions: String = row.try_get("regions")?;
                let labels = match serde_json::from_str::<Vec<Region>>(&regions) {
                    Ok(regions) => region_labels(&regions),
                    Err(e) => {
                        tracing::warn!("submission {id}: stored regions are not valid ({e}); indexed without labels");
                        Vec::new()
                    }
                };
                batch.push((id, labels));
            }
            self.insert_backlog_labels(&batch).await?;
            indexed += batch.len() as u64;
        }
    }

    async fn insert_backlog_labels(&self, batch: &[(i64, Vec<String>)]) -> anyhow::Result<()> {
        let mut tx = self.write.begin().await?;
        let pairs: Vec<(i64, &String)> =
            batch.iter().flat_map(|(id, labels)| labels.iter().map(|l| (*id, l))).collect();
        // Bounded so a statement stays well under both databases' parameter limits.
        for chunk in pairs.chunks(400) {
            let mut sql = Sql::new("");
            let values: Vec<String> = chunk
                .iter()
                .map(|(id, label)| {
                    let (id, label) = (sql.bind(Arg::I64(*id)), sql.bind(Arg::Text((*label).clone())));
                    format!("({id}, {label})")
                })
                .collect();
            // `ON CONFLICT DO NOTHING`: another replica starting at the same time may have
            // indexed the same submission.
            sql.push(&format!(
                "INSERT INTO submission_labels (submission_id, label, project_id, user_id, is_gold, reviewed, created_at_ms)
                 SELECT s.id, v.column2, s.project_id, s.user_id, s.is_gold, s.status <> 'submitted', s.created_at_ms
                 FROM submissions s, (VALUES {}) v WHERE s.id = v.column1
                 ON CONFLICT DO NOTHING",
                values.join(", ")
            ));
            bind_all(sqlx::query(&sql.text), &sql.args).execute(&mut *tx).await?;
        }
        for chunk in batch.chunks(400) {
            let list: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let text = format!("DELETE FROM submission_labels_backlog WHERE submission_id IN ({})", list.join(", "));
            let args: Vec<Arg> = chunk.iter().map(|(id, _)| Arg::I64(*id)).collect();
            bind_all(sqlx::query(&text), &args).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// What one walk reads: the scope's submissions of one status in the seeded order, of one
/// annotator (`user`) or of some (`members`, picked out of the scope's rows as they are read).
struct Walk<'a> {
    scope: &'a QueueScope,
    status: QueueStatus,
    order: QueueOrder,
    user: Option<i64>,
    members: Option<HashSet<i64>>,
    /// The members' share of the scope's rows of that status, to size the reads.
    share: f64,
}

impl<'a> Walk<'a> {
    fn of_scope(scope: &'a QueueScope, status: QueueStatus, order: QueueOrder) -> Walk<'a> {
        Walk { scope, status, order, user: None, members: None, share: 1.0 }
    }

    /// The walk over a group of the scope's annotators: along the annotator's own index for
    /// one, along the scope's for several, keeping theirs.
    fn of_group(
        scope: &'a QueueScope,
        status: QueueStatus,
        order: QueueOrder,
        group: &[&AnnotatorCount],
        counts: &[AnnotatorCount],
    ) -> Walk<'a> {
        let walk = Walk::of_scope(scope, status, order);
        match group {
            [one] => Walk { user: Some(one.user_id), ..walk },
            _ => {
                let matching = |c: &AnnotatorCount| c.matching(status) as f64;
                let share = group.iter().map(|c| matching(c)).sum::<f64>() / counts.iter().map(matching).sum::<f64>();
                Walk { members: Some(group.iter().map(|c| c.user_id).collect()), share, ..walk }
            }
        }
    }

    /// How many rows to read for `want` entries.
    fn batch(&self, want: usize) -> usize {
        if self.members.is_none() {
            return want;
        }
        let rows = (want as f64 / self.share.max(1e-6) * 1.25).ceil();
        if rows >= MAX_BATCH as f64 {
            MAX_BATCH.max(want)
        } else {
            (rows as usize).max(want)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{IdRange, QueueOrder, QueueStrategy, BLOCK_SIZE};

    fn order(seed: u64) -> QueueOrder {
        QueueOrder { strategy: QueueStrategy::Random, seed }
    }

    #[test]
    fn a_walk_covers_every_positive_id_once() {
        for seed in [0, 1, 7, u64::MAX] {
            let mut ranges = order(seed).sequence();
            ranges.sort_by_key(|r| r.after);
            assert_eq!(ranges.first().map(|r| r.after), Some(-1), "seed {seed}: from the smallest id");
            assert_eq!(ranges.last().map(|r| r.upto), Some(i64::MAX), "seed {seed}: to the largest");
            assert!(ranges.windows(2).all(|w| w[0].upto == w[1].after), "seed {seed}: no gap, no overlap");
        }
    }

    #[test]
    fn a_walk_resumes_right_after_an_id() {
        let walk = order(3);
        let sequence = walk.sequence();
        let inside = sequence[5].after + 10;
        let rest = walk.ranges(Some(inside));
        assert_eq!(rest[0], IdRange { after: inside, upto: sequence[5].upto });
        assert_eq!(&rest[1..], &sequence[6..]);
        assert_eq!(walk.ranges(None), sequence);
        assert!(walk.ranges(Some(-5)).is_empty(), "no id is negative: nothing follows");
    }

    #[test]
    fn seeds_order_the_blocks_differently() {
        let firsts: std::collections::HashSet<i64> =
            (0..64).map(|seed| order(seed).sequence()[0].upto / BLOCK_SIZE).collect();
        assert!(firsts.len() > 8, "first blocks {firsts:?}");
    }
}
