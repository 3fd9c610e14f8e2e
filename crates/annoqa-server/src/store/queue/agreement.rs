//! Each annotator's agreement with their peers, for the `risk` strategy: when a submission is
//! stored, its agreement F1 with each of the few latest earlier submissions of the item by
//! other annotators (the reviewer's overlay's pairwise F1, `annoqa_stats::overlay`) is added
//! to both annotators' sums in `review_queue_counts` and recorded as a pair in
//! `queue_agreement_pairs`, so that a walk can take out the pairs made after its first page.
//! Submissions stored before migration 0012 are paired the same way when the server starts.

use std::collections::HashMap;

use annoqa_core::{Item, Region, TaskSpec};
use annoqa_stats::overlay::{overlay, Submission};
use sqlx::{AnyConnection, Row};

use super::counts::{take_backlog, ADD_COUNTS, INSERT_COUNTS_WITH_AGREEMENT};
use super::order::score_micros;
use super::Sql;
use crate::store::group::{bind_all, Arg};
use crate::store::{json, text, Store};

/// Most earlier submissions of an item a new one is compared with: the latest, so a submit's
/// cost stays bounded on items many annotators answer (gold). Two: an annotator's sums still
/// gather two pairs a submission (and more from later peers), and on the submit bench four
/// cost a few percent of the throughput that two do not measurably.
const MAX_PEERS: usize = 2;

/// Submissions of the backlog paired per transaction.
const BACKLOG_BATCH: i64 = 200;

/// The agreement of a submission with one earlier submission of its item by `peer_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PeerAgreement {
    pub peer_id: i64,
    /// The pair's F1 in millionths.
    pub micros: i64,
}

/// A submission to pair with the earlier ones of its item.
pub(crate) struct Paired<'a> {
    pub project_id: &'a str,
    pub item_id: &'a str,
    pub user_id: i64,
    pub regions: &'a [Region],
    /// Only submissions before this (time, id) count as earlier; `None` for a submission being
    /// stored, before which every stored one came.
    pub before: Option<(i64, i64)>,
}

/// The specs of the projects met so far, parsed once.
#[derive(Default)]
pub(crate) struct Specs(HashMap<String, TaskSpec>);

impl Specs {
    async fn get(&mut self, conn: &mut AnyConnection, project_id: &str) -> anyhow::Result<&TaskSpec> {
        if !self.0.contains_key(project_id) {
            let row =
                sqlx::query("SELECT spec FROM projects WHERE id = $1").bind(project_id).fetch_one(&mut *conn).await?;
            self.0.insert(project_id.to_string(), json(&row, "spec")?);
        }
        self.0.get(project_id).ok_or_else(|| anyhow::anyhow!("project `{project_id}` has no spec"))
    }
}

/// One of the latest earlier submissions of an item by another annotator, as stored.
pub(crate) struct EarlierSubmission {
    pub id: i64,
    pub user_id: i64,
    /// The stored JSON.
    pub regions: String,
}

/// The latest [`MAX_PEERS`] submissions of `paired`'s item by other annotators before it,
/// latest first.
pub(crate) async fn earlier_submissions(
    conn: &mut AnyConnection,
    paired: &Paired<'_>,
) -> anyhow::Result<Vec<EarlierSubmission>> {
    let before = paired.before.unwrap_or((i64::MAX, i64::MAX));
    // Every submission of the item by the key `(project_id, item_id, user_id)`, without their
    // regions, and the latest chosen here: with `ORDER BY created_at_ms … LIMIT` in SQL both
    // databases may walk the project's time index instead, reading the whole project's
    // submissions back to the item's latest (quadratic over a backlog).
    let of_item =
        sqlx::query("SELECT id, user_id, created_at_ms FROM submissions WHERE project_id = $1 AND item_id = $2")
            .bind(paired.project_id)
            .bind(paired.item_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut latest: Vec<(i64, i64)> = Vec::new();
    for row in &of_item {
        let (id, user_id, at): (i64, i64, i64) =
            (row.try_get("id")?, row.try_get("user_id")?, row.try_get("created_at_ms")?);
        if user_id != paired.user_id && (at, id) < before {
            latest.push((at, id));
        }
    }
    latest.sort_unstable_by(|a, b| b.cmp(a));
    latest.truncate(MAX_PEERS);
    if latest.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id, user_id, regions FROM submissions WHERE id IN (");
    let places: Vec<String> = latest.iter().map(|(_, id)| sql.bind(Arg::I64(*id))).collect();
    sql.push(&format!("{})", places.join(", ")));
    let rows = bind_all(sqlx::query(&sql.text), &sql.args).fetch_all(&mut *conn).await?;
    let mut earlier: Vec<EarlierSubmission> = rows
        .iter()
        .map(|row| {
            Ok(EarlierSubmission {
                id: row.try_get("id")?,
                user_id: row.try_get("user_id")?,
                regions: text(row, "regions")?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    // Latest first, as listed.
    let rank: HashMap<i64, usize> = latest.iter().enumerate().map(|(n, (_, id))| (*id, n)).collect();
    earlier.sort_by_key(|e| rank.get(&e.id).copied());
    Ok(earlier)
}

/// The agreement of `regions` (a new answer to `item`) with each earlier submission: the
/// overlay's pairwise F1 of the two. An earlier submission whose stored regions cannot be read,
/// or a pair the overlay refuses, is left out rather than counted as disagreement.
pub(crate) fn agreements(
    spec: &TaskSpec,
    item: &Item,
    regions: &[Region],
    earlier: &[EarlierSubmission],
) -> Vec<PeerAgreement> {
    let new = Submission { annotator: "new".into(), regions: regions.to_vec() };
    let mut agreements = Vec::with_capacity(earlier.len());
    for e in earlier {
        let regions = match serde_json::from_str::<Vec<Region>>(&e.regions) {
            Ok(regions) => regions,
            Err(error) => {
                tracing::warn!("submission {}: stored regions are not valid ({error}); not paired", e.id);
                continue;
            }
        };
        let pair = [Submission { annotator: "earlier".into(), regions }, new.clone()];
        match overlay(spec, item, &pair) {
            Ok(o) => {
                if let Some(f1) = o.pairs.first().map(|p| p.f1) {
                    agreements.push(PeerAgreement { peer_id: e.user_id, micros: score_micros(f1) });
                }
            }
            Err(error) => tracing::warn!("submission {}: no overlay with a later one ({error}); not paired", e.id),
        }
    }
    agreements
}

/// [`agreements`] of `paired` with the earlier submissions of its item, all read through
/// `conn` (the item and the project's spec too): the backlog's way.
async fn agreement_with_earlier(
    conn: &mut AnyConnection,
    specs: &mut Specs,
    paired: &Paired<'_>,
) -> anyhow::Result<Vec<PeerAgreement>> {
    let earlier = earlier_submissions(conn, paired).await?;
    if earlier.is_empty() {
        return Ok(Vec::new());
    }
    let row = sqlx::query("SELECT item FROM items WHERE project_id = $1 AND id = $2")
        .bind(paired.project_id)
        .bind(paired.item_id)
        .fetch_one(&mut *conn)
        .await?;
    let item: Item = json(&row, "item")?;
    let spec = specs.get(conn, paired.project_id).await?;
    Ok(agreements(spec, &item, paired.regions, &earlier))
}

impl Store {
    /// The latest earlier submissions of `paired`'s item by others, read outside any write:
    /// what a submit pairs its answer with (see `counts::submit_writes`).
    pub(crate) async fn earlier_submissions(&self, paired: &Paired<'_>) -> anyhow::Result<Vec<EarlierSubmission>> {
        let mut conn = self.read.acquire().await?;
        earlier_submissions(&mut conn, paired).await
    }
}

/// A submission of the backlog, with what its submit would have paired it with.
struct Backlogged {
    id: i64,
    project_id: String,
    user_id: i64,
    gold: bool,
    agreements: Vec<PeerAgreement>,
}

impl Store {
    /// Pairs the submissions stored before migration 0012 (listed in
    /// `queue_agreement_backlog`) with the earlier ones of their items as their submits would
    /// have, a batch per transaction; returns how many it paired.
    pub(super) async fn pair_earlier_submissions(&self) -> anyhow::Result<u64> {
        let mut specs = Specs::default();
        let mut paired = 0;
        loop {
            let batch = self.agreement_backlog_batch(&mut specs).await?;
            if batch == 0 {
                return Ok(paired);
            }
            paired += batch;
        }
    }

    /// One batch of the backlog; 0 when it is empty.
    async fn agreement_backlog_batch(&self, specs: &mut Specs) -> anyhow::Result<u64> {
        let mut tx = self.write.begin().await?;
        let rows = take_backlog(
            &mut tx,
            "queue_agreement_backlog",
            BACKLOG_BATCH,
            "id, project_id, item_id, user_id, CAST(CASE WHEN is_gold THEN 1 ELSE 0 END AS BIGINT) AS gold,
             created_at_ms, regions",
        )
        .await?;
        let Some(rows) = rows else {
            tx.commit().await?;
            return Ok(0);
        };
        let mut backlogged = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let regions = match serde_json::from_str::<Vec<Region>>(&text(row, "regions")?) {
                Ok(regions) => regions,
                Err(e) => {
                    tracing::warn!("submission {id}: stored regions are not valid ({e}); not paired");
                    continue;
                }
            };
            let (project_id, item_id) = (text(row, "project_id")?, text(row, "item_id")?);
            let user_id = row.try_get("user_id")?;
            let before = Some((row.try_get("created_at_ms")?, id));
            let paired = Paired { project_id: &project_id, item_id: &item_id, user_id, regions: &regions, before };
            let agreements = agreement_with_earlier(&mut tx, specs, &paired).await?;
            let gold = row.try_get::<i64, _>("gold")? != 0;
            backlogged.push(Backlogged { id, project_id, user_id, gold, agreements });
        }
        add_backlog_agreement(&mut tx, &backlogged).await?;
        tx.commit().await?;
        // At least one: a submission deleted meanwhile left the backlog with it.
        Ok(rows.len().max(1) as u64)
    }
}

/// Adds the backlog's pairs to both annotators' sums, in the rows a submit adds them to, and
/// records them.
async fn add_backlog_agreement(conn: &mut AnyConnection, backlogged: &[Backlogged]) -> anyhow::Result<()> {
    // One row per key: PostgreSQL refuses to update a row twice in one statement.
    let mut sums: HashMap<(&str, i64, bool), [i64; 2]> = HashMap::new();
    let mut pairs = Vec::new();
    for b in backlogged {
        for a in &b.agreements {
            for user in [b.user_id, a.peer_id] {
                let sum = sums.entry((&b.project_id, user, b.gold)).or_default();
                sum[0] += a.micros;
                sum[1] += 1;
            }
            pairs.push((b.id, *a));
        }
    }
    // In key order, the order submits and reviews lock these rows in.
    let mut sums: Vec<_> = sums.into_iter().collect();
    sums.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for chunk in sums.chunks(100) {
        let mut sql = Sql::new("");
        let values: Vec<String> = chunk
            .iter()
            .map(|((project, user, gold), [micros, count])| {
                let args = [
                    Arg::Text(project.to_string()),
                    Arg::I64(*user),
                    Arg::Bool(*gold),
                    Arg::I64(*micros),
                    Arg::I64(*count),
                ];
                let [p, u, g, m, c] = args.map(|a| sql.bind(a));
                format!("({p}, '', {u}, {g}, FALSE, 0, 0, 0, {m}, {c})")
            })
            .collect();
        sql.push(&format!("{INSERT_COUNTS_WITH_AGREEMENT} VALUES {} {ADD_COUNTS}", values.join(", ")));
        bind_all(sqlx::query(&sql.text), &sql.args).execute(&mut *conn).await?;
    }
    for chunk in pairs.chunks(200) {
        let mut sql = Sql::new("");
        let values: Vec<String> = chunk
            .iter()
            .map(|(id, a)| {
                let [i, p, m] = [Arg::I64(*id), Arg::I64(a.peer_id), Arg::I64(a.micros)].map(|a| sql.bind(a));
                format!("({i}, {p}, {m})")
            })
            .collect();
        sql.push(&format!(
            "INSERT INTO queue_agreement_pairs (submission_id, peer_id, micros) VALUES {}",
            values.join(", ")
        ));
        bind_all(sqlx::query(&sql.text), &sql.args).execute(&mut *conn).await?;
    }
    Ok(())
}
