//! Work assignment (leases, overlap, gold mixing, skips) and submissions with their
//! idempotency keys.

use annoqa_api::{AssignmentPolicy, PredictionOutcome, Progress, Role, SubmissionStatus, UserView};
use annoqa_core::{GoldMode, GoldReport, Region};
use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::gold::{first_gold_in_user_order, gold_preference, place_in_run, COUNT_EXPOSURE};
use super::group::{Arg, Group};
use super::projects::stored_item;
use super::queue::{self, PeerAgreement};
use super::writer::{Durability, Writes};
use super::{is_unique_violation, json, text, u32_of, Backend, Store, StoredItem};

/// An item leased to an annotator.
#[derive(Clone, Debug)]
pub struct Assignment {
    pub item: StoredItem,
    pub expires_at_ms: i64,
}

/// A submission about to be stored, with its gold result when the item is gold.
#[derive(Clone, Debug)]
pub struct NewSubmission {
    pub id: i64,
    pub project_id: String,
    pub item_id: String,
    pub user_id: i64,
    pub regions: Vec<Region>,
    pub lead_time_ms: u64,
    pub created_at_ms: i64,
    pub gold_report: Option<GoldReport>,
    /// What the annotator did with the item's predictions, checked against them.
    pub prediction_outcome: Option<PredictionOutcome>,
    /// The overlap of the project, for a submit after the lease expired.
    pub overlap: u32,
    pub is_gold: bool,
    /// Its agreement with the latest earlier submissions of the item by others, for the
    /// review queue's `risk` order (`store::queue`'s agreement), computed before the write.
    pub(crate) peers: Vec<PeerAgreement>,
}

/// What became of a submit.
#[derive(Debug, PartialEq)]
pub enum SubmitOutcome {
    Stored,
    /// The idempotency key was used before: its verdict.
    Key(IdempotentOutcome),
    /// The user holds no lease on the item (never assigned, or skipped).
    NotAssigned,
    AlreadySubmitted,
    /// The lease expired and the item went to someone else meanwhile.
    LeaseLost,
}

/// What a submit may do, known before its annotation is looked at.
#[derive(Debug)]
pub enum SubmitClearance {
    /// The idempotency key was used before: its verdict.
    Key(IdempotentOutcome),
    /// The user holds no lease on the item: never given it, gave it back, or no such item.
    NotAssigned,
    AlreadySubmitted,
    /// The user holds a lease on the item, live or expired (whether an expired one still
    /// counts is decided when storing): the item, to check the annotation against.
    Leased(StoredItem),
}

/// What an idempotency key already stored says about a new request with that key.
#[derive(Debug, PartialEq)]
pub enum IdempotentOutcome {
    /// Same payload: the original response, to replay.
    Replay { status: u16, body: String },
    /// Same key, different payload.
    Mismatch,
}

/// A stored submission with its annotator.
#[derive(Clone, Debug)]
pub struct SubmissionRow {
    pub id: i64,
    pub project_id: String,
    pub item_id: String,
    pub annotator: UserView,
    pub regions: Vec<Region>,
    pub lead_time_ms: u64,
    pub created_at_ms: i64,
    pub gold_score: Option<f64>,
    pub gold_passed: Option<bool>,
    pub status: SubmissionStatus,
    pub prediction_outcome: Option<PredictionOutcome>,
}

/// Columns of a [`SubmissionRow`]. sqlx's `Any` driver cannot decode SQLite's BOOLEAN, so
/// `gold_passed` is read as a BIGINT 0/1 (NULL stays NULL) on both backends.
pub(super) const SUBMISSION_COLUMNS: &str = "s.id, s.project_id, s.item_id, s.regions, s.lead_time_ms, s.created_at_ms,
     s.gold_score, CAST(CASE WHEN s.gold_passed THEN 1 WHEN NOT s.gold_passed THEN 0 END AS BIGINT) AS gold_passed,
     s.status, s.prediction_outcome, u.id AS user_id, u.username, u.role, u.vendor";

pub(super) fn submission(row: &AnyRow) -> anyhow::Result<SubmissionRow> {
    let status = text(row, "status")?;
    let role = text(row, "role")?;
    Ok(SubmissionRow {
        id: row.try_get("id")?,
        project_id: text(row, "project_id")?,
        item_id: text(row, "item_id")?,
        annotator: UserView {
            id: row.try_get("user_id")?,
            username: text(row, "username")?,
            role: Role::parse(&role).ok_or_else(|| anyhow::anyhow!("stored role `{role}` is unknown"))?,
            vendor: row.try_get("vendor")?,
        },
        regions: json(row, "regions")?,
        lead_time_ms: u64::try_from(row.try_get::<i64, _>("lead_time_ms")?).unwrap_or(0),
        created_at_ms: row.try_get("created_at_ms")?,
        gold_score: row.try_get("gold_score")?,
        gold_passed: row.try_get::<Option<i64>, _>("gold_passed")?.map(|p| p != 0),
        status: SubmissionStatus::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("stored status `{status}` is unknown"))?,
        prediction_outcome: row
            .try_get::<Option<String>, _>("prediction_outcome")?
            .map(|o| serde_json::from_str(&o))
            .transpose()
            .context("a stored prediction outcome is not valid")?,
    })
}

impl Store {
    /// Leases the user's next item: their live lease if they hold one, else one they have
    /// never held that still has room (fewer than `overlap` live leases and kept submissions;
    /// gold items have no limit). Gold or not as [`gold_preference`] says: gold onboarding in
    /// project order, gold at the rate in the user's own random order, plain items in project
    /// order; a gold place falls back to a plain item when the gold runs out, never the other
    /// way (more gold than the rate would only expose it). Without gold mixing, project order.
    pub async fn next_item(
        &self,
        project_id: &str,
        user_id: i64,
        policy: &AssignmentPolicy,
        now_ms: i64,
    ) -> anyhow::Result<(Option<Assignment>, Progress)> {
        // SQLite's writer runs one job at a time, so a count read inside a job cannot change
        // before the job writes; PostgreSQL's concurrent transactions must lock and recount.
        let serialized = self.backend == Backend::Sqlite;
        // A lease lost in a crash just returns its item to the pool: no need to wait for the
        // disk while holding the item's row lock (PostgreSQL).
        // On SQLite the lease's only write is its last step (a statement group): no savepoint.
        let writes = if serialized { Writes::AtMostOneLast } else { Writes::Several };
        let lease = async {
            // Twice at most: a project that starts mixing gold gets its secret in between.
            for _ in 0..2 {
                let hint = if policy.gold_rate > 0.0 { self.gold_hint(project_id, user_id).await? } else { None };
                let (owned_project, policy) = (project_id.to_string(), policy.clone());
                let leased = self
                    .writer
                    .write(Durability::Soft, writes, move |conn| {
                        Box::pin(async move {
                            lease_next(conn, &owned_project, user_id, &policy, now_ms, serialized, hint).await
                        })
                    })
                    .await?;
                match leased {
                    Lease::Done(assignment) => return Ok(assignment.map(|a| *a)),
                    Lease::NeedsGoldSecret => self.create_gold_secret(project_id).await?,
                }
            }
            anyhow::bail!("project `{project_id}` did not keep its gold secret")
        };
        // Progress is for display only, so it is read beside the lease rather than inside the
        // writer's (serial) transaction.
        let (assignment, progress) = tokio::try_join!(lease, self.progress(project_id, user_id))?;
        Ok((assignment, progress))
    }

    /// How many items the user has finished in the project, and how many it has.
    async fn progress(&self, project_id: &str, user_id: i64) -> anyhow::Result<Progress> {
        let counts = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM assignments
                     WHERE project_id = $1 AND user_id = $2 AND state IN ('submitted', 'rejected')) AS done,
                    (SELECT COUNT(*) FROM items WHERE project_id = $1) AS total",
        )
        .bind(project_id)
        .bind(user_id)
        .fetch_one(&self.read)
        .await?;
        Ok(Progress { done: u32_of(counts.try_get("done")?), total: u32_of(counts.try_get("total")?) })
    }

    /// Gives a leased item back with a reason. `false` when the user holds no lease on it.
    pub async fn skip(
        &self,
        project_id: &str,
        item_id: &str,
        user_id: i64,
        reason: &str,
        now_ms: i64,
    ) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "UPDATE assignments SET state = 'skipped', skip_reason = $1, expires_at_ms = $2
             WHERE project_id = $3 AND item_id = $4 AND user_id = $5 AND state = 'leased'",
        )
        .bind(reason)
        .bind(now_ms)
        .bind(project_id)
        .bind(item_id)
        .bind(user_id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether the item was ever leased to the user.
    pub async fn was_assigned(&self, project_id: &str, item_id: &str, user_id: i64) -> sqlx::Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM assignments WHERE project_id = $1 AND item_id = $2 AND user_id = $3",
        )
        .bind(project_id)
        .bind(item_id)
        .bind(user_id)
        .fetch_one(&self.read)
        .await?;
        Ok(n > 0)
    }

    /// What a submit of `item_id` by the user with `key` may do, decided before anything reads
    /// its annotation: the key's earlier use if any, else the user's lease on the item. The
    /// item itself is read only through that lease, so a user learns nothing of an item they
    /// were not given, not even whether it exists.
    pub async fn submit_clearance(
        &self,
        project_id: &str,
        item_id: &str,
        user_id: i64,
        key: &str,
        request_hash: &str,
    ) -> anyhow::Result<SubmitClearance> {
        let row = sqlx::query(
            "SELECT k.request_hash, k.status, k.response, a.state, i.item, i.gold, i.predictions
             FROM (SELECT 1 AS one) o
             LEFT JOIN idempotency_keys k ON k.user_id = $1 AND k.idem_key = $2
             LEFT JOIN assignments a ON a.project_id = $3 AND a.item_id = $4 AND a.user_id = $1
             LEFT JOIN items i ON i.project_id = a.project_id AND i.id = a.item_id AND a.state = 'leased'",
        )
        .bind(user_id)
        .bind(key)
        .bind(project_id)
        .bind(item_id)
        .fetch_one(&self.read)
        .await?;
        if row.try_get::<Option<String>, _>("request_hash")?.is_some() {
            return Ok(SubmitClearance::Key(key_outcome(&row, request_hash)?));
        }
        let state = row.try_get::<Option<String>, _>("state")?;
        Ok(match state.as_deref() {
            Some("leased") => SubmitClearance::Leased(stored_item(&row)?),
            Some("submitted" | "rejected") => SubmitClearance::AlreadySubmitted,
            _ => SubmitClearance::NotAssigned,
        })
    }

    /// What a stored idempotency key says about a request with `request_hash`, if it exists.
    pub async fn idempotency_key(
        &self,
        user_id: i64,
        key: &str,
        request_hash: &str,
    ) -> anyhow::Result<Option<IdempotentOutcome>> {
        let row = sqlx::query(
            "SELECT request_hash, status, response FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| key_outcome(&row, request_hash)).transpose()
    }

    /// Stores a submission, marks the lease submitted and records the idempotency key with the
    /// response to replay, in one transaction: a 2xx the client saw is on disk, exactly once.
    pub async fn submit(
        &self,
        submission: NewSubmission,
        key: &str,
        request_hash: &str,
        response: &str,
    ) -> anyhow::Result<SubmitOutcome> {
        let (user_id, owned_key, owned_hash, response) =
            (submission.user_id, key.to_string(), request_hash.to_string(), response.to_string());
        let sqlite = self.backend == Backend::Sqlite;
        // Everything the job writes is one statement group at its end, which undoes itself if
        // it fails: no savepoint of its own needed.
        let stored = self
            .writer
            .write(Durability::Flushed, Writes::AtMostOneLast, move |conn| {
                Box::pin(async move {
                    store_submission(conn, &submission, &owned_key, &owned_hash, &response, sqlite).await
                })
            })
            .await;
        match stored {
            // Another request with the same key committed first (another replica, or a race
            // here): answer as that key now says.
            Err(e) if e.downcast_ref::<sqlx::Error>().is_some_and(is_unique_violation) => {
                match self.idempotency_key(user_id, key, request_hash).await? {
                    Some(outcome) => Ok(SubmitOutcome::Key(outcome)),
                    None => Ok(SubmitOutcome::AlreadySubmitted),
                }
            }
            other => other,
        }
    }

    pub async fn submission(&self, project_id: &str, submission_id: i64) -> anyhow::Result<Option<SubmissionRow>> {
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions s JOIN users u ON u.id = s.user_id
             WHERE s.project_id = $1 AND s.id = $2"
        ))
        .bind(project_id)
        .bind(submission_id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| submission(&r)).transpose()
    }

    /// Submissions of the project, oldest first; only `status` ones when given.
    pub async fn submissions(
        &self,
        project_id: &str,
        status: Option<SubmissionStatus>,
    ) -> anyhow::Result<Vec<SubmissionRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions s JOIN users u ON u.id = s.user_id
             WHERE s.project_id = $1 AND ($2 OR s.status = $3)
             ORDER BY s.created_at_ms, s.id"
        ))
        .bind(project_id)
        .bind(status.is_none())
        .bind(status.map_or("", SubmissionStatus::as_str))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(submission).collect()
    }

    /// Each annotator's mean gold score in the project, for risk-weighted review sampling. Gold
    /// items found or flagged as bad and not yet decided, or retired, are left out
    /// (`store::trust`): they must not make anyone look risky.
    pub async fn gold_means(&self, project_id: &str) -> anyhow::Result<Vec<(i64, f64)>> {
        let gold = self.gold_inputs(project_id).await?;
        Ok(gold.mean_scores(&gold.standing()?.uncounted()))
    }
}

fn key_outcome(row: &AnyRow, request_hash: &str) -> anyhow::Result<IdempotentOutcome> {
    if text(row, "request_hash")? != request_hash {
        return Ok(IdempotentOutcome::Mismatch);
    }
    let status: i64 = row.try_get("status")?;
    Ok(IdempotentOutcome::Replay { status: u16::try_from(status).unwrap_or(200), body: text(row, "response")? })
}

/// The first open item in project order after `($3, $4)` (position, id) that the user (`$2`)
/// never held and that still has room: fewer than `$6` live leases (`expires_at_ms > $5`) and
/// kept submissions; gold items have no limit. Full items (`is_full`) are skipped by the index.
const NEXT_ANY: &str = "SELECT i.id, i.position, i.item, i.gold, i.predictions FROM items i
     WHERE i.project_id = $1 AND i.is_full = FALSE AND (i.position, i.id) > ($3, $4)
       AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.project_id = i.project_id AND a.item_id = i.id AND a.user_id = $2)
       AND (i.is_gold OR (SELECT COUNT(*) FROM assignments a
                          WHERE a.project_id = i.project_id AND a.item_id = i.id
                            AND (a.state = 'submitted' OR (a.state = 'leased' AND a.expires_at_ms > $5))) < $6)
     ORDER BY i.position, i.id LIMIT 1";

/// [`NEXT_ANY`] among gold (`$7` true) or plain items only.
const NEXT_OF_KIND: &str = "SELECT i.id, i.position, i.item, i.gold, i.predictions FROM items i
     WHERE i.project_id = $1 AND i.is_gold = $7 AND i.is_full = FALSE AND (i.position, i.id) > ($3, $4)
       AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.project_id = i.project_id AND a.item_id = i.id AND a.user_id = $2)
       AND (i.is_gold OR (SELECT COUNT(*) FROM assignments a
                          WHERE a.project_id = i.project_id AND a.item_id = i.id
                            AND (a.state = 'submitted' OR (a.state = 'leased' AND a.expires_at_ms > $5))) < $6)
     ORDER BY i.position, i.id LIMIT 1";

/// Sets `is_full` of the items `WHERE` selects from their kept submissions and their project's
/// overlap. Run after every change of an assignment's state in the same transaction.
pub(super) const REFRESH_IS_FULL: &str = "UPDATE items SET is_full = (
         NOT is_gold
         AND (SELECT COUNT(*) FROM assignments a
              WHERE a.project_id = items.project_id AND a.item_id = items.id AND a.state = 'submitted')
             >= (SELECT p.overlap FROM projects p WHERE p.id = items.project_id))";

/// What [`lease_next`] did.
enum Lease {
    Done(Option<Box<Assignment>>),
    /// The project mixes gold but has no gold secret yet: make one, then ask again.
    NeedsGoldSecret,
}

/// Where [`lease_next`] looks for an item.
#[derive(Clone, Copy)]
enum Pick {
    /// The first in project order with room: gold (`Some(true)`), plain, or either (`None`).
    InOrder(Option<bool>),
    /// The gold item first in the user's own random order.
    GoldInUserOrder,
}

/// The body of [`Store::next_item`], run inside the writer's transaction.
///
/// Concurrency: the candidate is found without locks. On PostgreSQL its item row is then locked
/// (a no-op UPDATE that waits for any other transaction leasing the same item) and its room
/// counted again; if another annotator took the last place meanwhile, the search goes on after
/// it. So replicas contend only when they lease the same item, and overlap is never exceeded.
/// SQLite (`serialized`) has one writer running one job at a time, where the recount would
/// always agree, so it is skipped.
async fn lease_next(
    conn: &mut AnyConnection,
    project_id: &str,
    user_id: i64,
    policy: &AssignmentPolicy,
    now_ms: i64,
    serialized: bool,
    gold_hint: Option<String>,
) -> anyhow::Result<Lease> {
    // The user's live lease, if any, how many items they have held (their next one's `seq`)
    // and the project's gold secret, in one round trip.
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM assignments WHERE project_id = $1 AND user_id = $2) AS held,
                (SELECT gold_secret FROM projects WHERE id = $1) AS gold_secret,
                l.item, l.gold, l.predictions, l.expires_at_ms
         FROM (SELECT 1 AS one) o
         LEFT JOIN (SELECT i.item, i.gold, i.predictions, a.expires_at_ms FROM assignments a
                    JOIN items i ON i.project_id = a.project_id AND i.id = a.item_id
                    WHERE a.project_id = $1 AND a.user_id = $2 AND a.state = 'leased' AND a.expires_at_ms > $3
                    ORDER BY a.seq LIMIT 1) l ON 1 = 1",
    )
    .bind(project_id)
    .bind(user_id)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    let seq: i64 = row.try_get("held")?;
    if let Some(expires_at_ms) = row.try_get::<Option<i64>, _>("expires_at_ms")? {
        return Ok(Lease::Done(Some(Box::new(Assignment { item: stored_item(&row)?, expires_at_ms }))));
    }
    let secret: Option<String> = row.try_get("gold_secret")?;
    let jitter = |run| secret.as_deref().map_or(0, |secret| place_in_run(secret, user_id, run));
    let picks = match gold_preference(policy, seq, jitter) {
        None => vec![Pick::InOrder(None)],
        Some(_) if secret.is_none() => return Ok(Lease::NeedsGoldSecret),
        Some(true) if seq < i64::from(policy.gold_onboarding) => {
            vec![Pick::InOrder(Some(true)), Pick::InOrder(Some(false))]
        }
        Some(true) => vec![Pick::GoldInUserOrder, Pick::InOrder(Some(false))],
        Some(false) => vec![Pick::InOrder(Some(false))],
    };
    let overlap = i64::from(policy.overlap);
    for pick in picks {
        let found = match (pick, secret.as_deref()) {
            (Pick::GoldInUserOrder, Some(secret)) => {
                gold_in_user_order(conn, project_id, user_id, secret, gold_hint.as_deref()).await?
            }
            (Pick::InOrder(gold), _) => {
                next_in_order(conn, project_id, user_id, gold, now_ms, overlap, serialized).await?
            }
            (Pick::GoldInUserOrder, None) => None,
        };
        if let Some((item_id, item)) = found {
            let lease = NewLease { project_id, item_id: &item_id, user_id, seq, now_ms, lease_ms: policy.lease_ms };
            let expires_at_ms = insert_lease(conn, &lease, &item, serialized).await?;
            return Ok(Lease::Done(Some(Box::new(Assignment { item, expires_at_ms }))));
        }
    }
    Ok(Lease::Done(None))
}

/// The first item in project order — gold, plain, or either for `gold: None` — that the user
/// never held and that still has room.
async fn next_in_order(
    conn: &mut AnyConnection,
    project_id: &str,
    user_id: i64,
    gold: Option<bool>,
    now_ms: i64,
    overlap: i64,
    serialized: bool,
) -> anyhow::Result<Option<(String, StoredItem)>> {
    let mut after = (i64::MIN, String::new());
    loop {
        let query = match gold {
            None => sqlx::query(NEXT_ANY),
            Some(_) => sqlx::query(NEXT_OF_KIND),
        };
        let query = query.bind(project_id).bind(user_id).bind(after.0).bind(after.1.clone()).bind(now_ms).bind(overlap);
        let query = match gold {
            None => query,
            Some(gold) => query.bind(gold),
        };
        let Some(row) = query.fetch_optional(&mut *conn).await? else { return Ok(None) };
        let item_id = text(&row, "id")?;
        after = (row.try_get("position")?, item_id.clone());
        let item = stored_item(&row)?;
        if item.gold.is_none() && !serialized && !still_has_room(conn, project_id, &item_id, now_ms, overlap).await? {
            continue;
        }
        return Ok(Some((item_id, item)));
    }
}

/// Locks the item's row (PostgreSQL) and counts its places again: whether another annotator
/// took the last one since the candidate was found.
async fn still_has_room(
    conn: &mut AnyConnection,
    project_id: &str,
    item_id: &str,
    now_ms: i64,
    overlap: i64,
) -> anyhow::Result<bool> {
    sqlx::query("UPDATE items SET position = position WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(item_id)
        .execute(&mut *conn)
        .await?;
    let taken: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM assignments WHERE project_id = $1 AND item_id = $2
           AND (state = 'submitted' OR (state = 'leased' AND expires_at_ms > $3))",
    )
    .bind(project_id)
    .bind(item_id)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    Ok(taken < overlap)
}

/// The gold item first in the user's order: `hint`, read before this transaction, if the user
/// still has not held it (only their own concurrent request can have leased it since), else
/// searched again.
async fn gold_in_user_order(
    conn: &mut AnyConnection,
    project_id: &str,
    user_id: i64,
    secret: &str,
    hint: Option<&str>,
) -> anyhow::Result<Option<(String, StoredItem)>> {
    if let Some(id) = hint {
        let row = sqlx::query(
            "SELECT i.item, i.gold, i.predictions FROM items i
             WHERE i.project_id = $1 AND i.id = $2 AND i.is_gold = $4
               AND NOT EXISTS (SELECT 1 FROM assignments a
                               WHERE a.project_id = i.project_id AND a.item_id = i.id AND a.user_id = $3)",
        )
        .bind(project_id)
        .bind(id)
        .bind(user_id)
        .bind(true)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = row {
            return Ok(Some((id.to_string(), stored_item(&row)?)));
        }
    }
    match first_gold_in_user_order(&mut *conn, project_id, user_id, secret).await? {
        Some(id) => Ok(item_by_id(conn, project_id, &id).await?.map(|item| (id, item))),
        None => Ok(None),
    }
}

async fn item_by_id(conn: &mut AnyConnection, project_id: &str, item_id: &str) -> anyhow::Result<Option<StoredItem>> {
    let row = sqlx::query("SELECT item, gold, predictions FROM items WHERE project_id = $1 AND id = $2")
        .bind(project_id)
        .bind(item_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| stored_item(&row)).transpose()
}

/// A lease about to be stored.
struct NewLease<'a> {
    project_id: &'a str,
    item_id: &'a str,
    user_id: i64,
    seq: i64,
    now_ms: i64,
    lease_ms: u64,
}

/// Stores the lease, and for a honeypot one more annotator it was shown to, as one statement
/// group (the same statements for every item, honeypot or not). Returns when it expires.
async fn insert_lease(
    conn: &mut AnyConnection,
    lease: &NewLease<'_>,
    item: &StoredItem,
    sqlite: bool,
) -> anyhow::Result<i64> {
    let expires_at_ms = lease.now_ms.saturating_add(i64::try_from(lease.lease_ms).unwrap_or(i64::MAX));
    let honeypot = item.gold.as_ref().is_some_and(|gold| gold.mode == GoldMode::Honeypot);
    let statements = [
        "INSERT INTO assignments (project_id, item_id, user_id, seq, state, leased_at_ms, expires_at_ms)
         VALUES ($1, $2, $4, $5, 'leased', $6, $7)",
        COUNT_EXPOSURE,
    ];
    let args = vec![
        Arg::Text(lease.project_id.to_string()),
        Arg::Text(lease.item_id.to_string()),
        Arg::Bool(honeypot),
        Arg::I64(lease.user_id),
        Arg::I64(lease.seq),
        Arg::I64(lease.now_ms),
        Arg::I64(expires_at_ms),
    ];
    Group { statements: &statements, args }.run(conn, sqlite).await?;
    Ok(expires_at_ms)
}

/// The body of [`Store::submit`], run inside the writer's transaction.
async fn store_submission(
    conn: &mut AnyConnection,
    s: &NewSubmission,
    key: &str,
    request_hash: &str,
    response: &str,
    sqlite: bool,
) -> anyhow::Result<SubmitOutcome> {
    // The key's earlier use, if any, and the user's lease on the item, in one round trip.
    let row = sqlx::query(
        "SELECT k.request_hash, k.status, k.response, a.state, a.expires_at_ms
         FROM (SELECT 1 AS one) o
         LEFT JOIN idempotency_keys k ON k.user_id = $1 AND k.idem_key = $2
         LEFT JOIN assignments a ON a.project_id = $3 AND a.item_id = $4 AND a.user_id = $1",
    )
    .bind(s.user_id)
    .bind(key)
    .bind(&s.project_id)
    .bind(&s.item_id)
    .fetch_one(&mut *conn)
    .await?;
    if row.try_get::<Option<String>, _>("request_hash")?.is_some() {
        return Ok(SubmitOutcome::Key(key_outcome(&row, request_hash)?));
    }
    let Some(state) = row.try_get::<Option<String>, _>("state")? else { return Ok(SubmitOutcome::NotAssigned) };
    match state.as_str() {
        "leased" => {}
        "submitted" | "rejected" => return Ok(SubmitOutcome::AlreadySubmitted),
        _ => return Ok(SubmitOutcome::NotAssigned),
    }
    let expires_at_ms: i64 = row.try_get("expires_at_ms")?;
    if expires_at_ms <= s.created_at_ms && !s.is_gold {
        // An expired lease still counts if nobody took the place meanwhile.
        let taken: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM assignments
             WHERE project_id = $1 AND item_id = $2 AND user_id <> $3
               AND (state = 'submitted' OR (state = 'leased' AND expires_at_ms > $4))",
        )
        .bind(&s.project_id)
        .bind(&s.item_id)
        .bind(s.user_id)
        .bind(s.created_at_ms)
        .fetch_one(&mut *conn)
        .await?;
        if taken >= i64::from(s.overlap) {
            return Ok(SubmitOutcome::LeaseLost);
        }
    }
    let regions = serde_json::to_string(&s.regions)?;
    let report = s.gold_report.as_ref().map(serde_json::to_string).transpose()?;
    let outcome = s.prediction_outcome.as_ref().map(serde_json::to_string).transpose()?;
    // The submission, its lease marked submitted, the item's `is_full` and the idempotency key
    // with the response to replay, all or nothing. A unique violation (a concurrent submit of
    // the same item by the same user) goes up to `Store::submit`, which answers from the
    // idempotency key or with "already submitted".
    let refresh = format!("{REFRESH_IS_FULL} WHERE project_id = $2 AND id = $3");
    // The review queue's label rows, counts and agreement sums (`store::queue`).
    let (queue_statements, queue_args) = queue::submit_writes(&s.regions, s.user_id, &s.peers);
    let mut statements = vec![
        "INSERT INTO submissions
           (id, project_id, item_id, user_id, regions, lead_time_ms, created_at_ms, gold_score, gold_passed, gold_report,
            status, prediction_outcome, is_gold)
         VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $11 THEN $8 END, $9, $10, 'submitted', $15, $16)",
        "UPDATE assignments SET state = 'submitted' WHERE project_id = $2 AND item_id = $3 AND user_id = $4",
        &refresh,
        "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, response, created_at_ms)
         VALUES ($4, $12, $13, 200, $14, $7)",
    ];
    statements.extend(queue_statements.iter().map(String::as_str));
    let mut args = vec![
        Arg::I64(s.id),
        Arg::Text(s.project_id.clone()),
        Arg::Text(s.item_id.clone()),
        Arg::I64(s.user_id),
        Arg::Text(regions),
        Arg::I64(i64::try_from(s.lead_time_ms).unwrap_or(i64::MAX)),
        Arg::I64(s.created_at_ms),
        // A NULL f64 cannot be bound through `Any` on PostgreSQL (sqlx 0.8.6 sends it as a
        // float4): bind a number and let `$11` decide whether the column gets it.
        Arg::F64(s.gold_report.as_ref().map_or(0.0, |r| r.score)),
        Arg::OptBool(s.gold_report.as_ref().map(|r| r.passed)),
        Arg::OptText(report),
        Arg::Bool(s.gold_report.is_some()),
        Arg::Text(key.to_string()),
        Arg::Text(request_hash.to_string()),
        Arg::Text(response.to_string()),
        Arg::OptText(outcome),
        Arg::Bool(s.is_gold),
        Arg::I64(s.gold_report.as_ref().map_or(0, |r| queue::score_micros(r.score))),
        Arg::I64(i64::from(s.gold_report.is_some())),
    ];
    args.extend(queue_args);
    Group { statements: &statements, args }.run(conn, sqlite).await?;
    Ok(SubmitOutcome::Stored)
}
