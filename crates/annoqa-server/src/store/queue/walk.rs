//! The strategies' walks: `random` and `risk` along the seeded id ranges, `stratified` by
//! rounds of one submission per annotator.

use std::collections::{BTreeMap, HashSet};

use sqlx::Row;

use super::order::{stretches, GoldMean, IdRange, QueueOrder};
use super::{AnnotatorCount, QueuePosition, QueueScope, QueueStatus, Sql};
use crate::store::group::Arg;
use crate::store::Store;

/// Most rows one filtered read fetches.
const MAX_BATCH: usize = 2000;
/// Most annotators whose ranks one statement reads.
const ANNOTATORS_PER_STATEMENT: usize = 32;

type Found = Vec<(i64, QueuePosition)>;

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
        if let [one] = group {
            return Walk { user: Some(one.user_id), ..walk };
        }
        let matching = |c: &AnnotatorCount| c.matching(status) as f64;
        let share = group.iter().map(|c| matching(c)).sum::<f64>() / counts.iter().map(matching).sum::<f64>().max(1.0);
        Walk { members: Some(group.iter().map(|c| c.user_id).collect()), share, ..walk }
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

impl Store {
    /// `random`: one walk over the scope.
    pub(super) async fn random_page(
        &self,
        scope: &QueueScope,
        status: QueueStatus,
        order: QueueOrder,
        after: Option<QueuePosition>,
        want: usize,
    ) -> anyhow::Result<Found> {
        let after = match after {
            Some(QueuePosition::Random { id }) => Some(id),
            _ => None,
        };
        let ids = self.walk(&Walk::of_scope(scope, status, order), after, want).await?;
        Ok(ids.into_iter().map(|id| (id, QueuePosition::Random { id })).collect())
    }

    /// Up to `want` ids of `walk` after `after`, in walk order.
    async fn walk(&self, walk: &Walk<'_>, after: Option<i64>, want: usize) -> anyhow::Result<Vec<i64>> {
        let mut ids = Vec::new();
        for mut range in walk.order.ranges(after) {
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
        walk.scope.rows_where(&mut sql, walk.user);
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

    /// `risk`: annotators grouped by risk key, lowest first; each group walked in the seeded
    /// order, its annotators' submissions mixed.
    pub(super) async fn risk_page(
        &self,
        scope: &QueueScope,
        status: QueueStatus,
        order: QueueOrder,
        counts: &[AnnotatorCount],
        after: Option<QueuePosition>,
        want: usize,
    ) -> anyhow::Result<Found> {
        let sums = self.risk_sums_as_of(scope).await?;
        let mut sorted: Vec<(GoldMean, &AnnotatorCount)> =
            counts.iter().map(|c| (sums.get(&c.user_id).copied().unwrap_or_default().risk_key(), c)).collect();
        sorted.sort_by_key(|(key, _)| *key);
        let mut groups: Vec<(GoldMean, Vec<&AnnotatorCount>)> = Vec::new();
        for (key, count) in sorted {
            match groups.last_mut() {
                Some((last, members)) if *last == key => members.push(count),
                _ => groups.push((key, vec![count])),
            }
        }
        let mut found = Vec::new();
        for (key, group) in &groups {
            let resume = match after {
                Some(QueuePosition::Risk { mean: at, id }) if at == *key => Some(id),
                Some(QueuePosition::Risk { mean: at, .. }) if at > *key => continue,
                _ => None,
            };
            // A group with nothing to list would be read to its end for nothing.
            if group.iter().all(|c| c.matching(status) == 0) {
                continue;
            }
            let walk = Walk::of_group(scope, status, order, group, counts);
            let ids = self.walk(&walk, resume, want - found.len()).await?;
            found.extend(ids.into_iter().map(|id| (id, QueuePosition::Risk { mean: *key, id })));
            if found.len() >= want {
                break;
            }
        }
        Ok(found)
    }

    /// `stratified`: round r lists the r-th submission of every annotator who has one,
    /// annotators in a seeded order.
    pub(super) async fn stratified_page(
        &self,
        scope: &QueueScope,
        status: QueueStatus,
        order: QueueOrder,
        counts: &[AnnotatorCount],
        after: Option<QueuePosition>,
        want: usize,
    ) -> anyhow::Result<Found> {
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
            let ranked = self.ranked(scope, order, &active, round, rounds).await?;
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

    /// For each of `annotators`, their submissions of ranks `first..first + rounds` with
    /// whether each is reviewed; a few statements for all of them.
    async fn ranked(
        &self,
        scope: &QueueScope,
        order: QueueOrder,
        annotators: &[&AnnotatorCount],
        first: u64,
        rounds: u64,
    ) -> anyhow::Result<Vec<Vec<(i64, bool)>>> {
        let mut ranked = Vec::with_capacity(annotators.len());
        for chunk in annotators.chunks(ANNOTATORS_PER_STATEMENT) {
            // Each stretch is a subquery whose rows carry its number; its rows come back in id
            // order once sorted, and an annotator's stretches in rank order.
            let mut sql = Sql::new("");
            let mut parts = Vec::new();
            let mut owner = Vec::new();
            for (n, count) in chunk.iter().enumerate() {
                let start = order.first_place(count.user_id, count.total);
                for stretch in stretches(start, count.total, first, rounds) {
                    parts.push(rank_stretch(&mut sql, scope, count.user_id, parts.len(), stretch.skip, stretch.take)?);
                    owner.push(n);
                }
            }
            let mut rows: BTreeMap<(usize, i64), bool> = BTreeMap::new();
            if !parts.is_empty() {
                sql.push(&parts.join(" UNION ALL "));
                for row in sql.fetch_all(&self.read).await? {
                    let part = usize::try_from(row.try_get::<i64, _>("part")?)?;
                    rows.insert((part, row.try_get("id")?), row.try_get::<i64, _>("reviewed")? != 0);
                }
            }
            let mut entries = vec![Vec::new(); chunk.len()];
            for ((part, id), reviewed) in rows {
                entries[owner[part]].push((id, reviewed));
            }
            ranked.extend(entries);
        }
        Ok(ranked)
    }
}

/// One stretch of an annotator's submissions in id order (`take` from place `skip`) as a
/// subquery tagged `part`.
fn rank_stretch(
    sql: &mut Sql,
    scope: &QueueScope,
    user: i64,
    part: usize,
    skip: u64,
    take: u64,
) -> anyhow::Result<String> {
    let source = scope.source();
    let mut inner = Sql { text: String::new(), args: std::mem::take(&mut sql.args) };
    inner.push(&format!(
        "SELECT {} AS id, CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) AS reviewed",
        source.id, source.reviewed
    ));
    scope.rows_where(&mut inner, Some(user));
    let (limit, offset) = (inner.bind(Arg::I64(i64::try_from(take)?)), inner.bind(Arg::I64(i64::try_from(skip)?)));
    inner.push(&format!(" ORDER BY {} LIMIT {limit} OFFSET {offset}", source.id));
    sql.args = inner.args;
    Ok(format!("SELECT CAST({part} AS BIGINT) AS part, q{part}.id, q{part}.reviewed FROM ({}) q{part}", inner.text))
}

/// How many stratified rounds to read at once for `want` entries from `active` annotators:
/// enough if the status filter leaves out no more than the counts say, and one more for a
/// page that starts within a round.
fn rounds_for(want: usize, active: &[&AnnotatorCount], status: QueueStatus) -> u64 {
    let (matching, total) = active.iter().fold((0u64, 0u64), |(m, t), c| (m + c.matching(status), t + c.total.max(1)));
    let per_round = active.len() as f64 * (matching as f64 / total.max(1) as f64);
    ((want as f64 / per_round.max(0.01)).ceil() as u64 + 1).clamp(1, 256)
}
