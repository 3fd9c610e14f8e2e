//! Gold mixing and exposure: where gold falls in an annotator's sequence, which honeypot they
//! are given, how many annotators each honeypot was shown to, and the report of the
//! over-exposed ones.
//!
//! Both random choices are hashes keyed by the project's secret (`projects.gold_secret`, made
//! by the server and never sent anywhere) of the annotator and a place or an item: the same
//! answer on every replica and after a restart, and unpredictable without the secret, so an
//! annotator who reads this code still cannot tell from an item's id or its place in their
//! sequence whether it is gold, nor two annotators which honeypots they share.

use annoqa_api::{AssignmentPolicy, GoldExposure, GoldExposureReport, Role};
use sha2::{Digest, Sha256};
use sqlx::{Any, Executor, Row};

use super::writer::{Durability, Writes};
use super::{fill_random, text, u32_of, Store};

/// Whether the annotator's `seq`-th item (0-based) should be gold. The first `gold_onboarding`
/// are. After them the items form runs (run `j` holds the `n` with ⌊n · gold_rate⌋ = `j`, about
/// `1 / gold_rate` items), and one item of each run is gold, at the place `jitter(j)` picks: the
/// rate holds over any stretch of work, and the place says nothing. `None` when the policy
/// mixes no gold (no onboarding, rate 0): items then come in project order, gold or not.
pub(crate) fn gold_preference(policy: &AssignmentPolicy, seq: i64, jitter: impl Fn(i64) -> u64) -> Option<bool> {
    let onboarding = i64::from(policy.gold_onboarding);
    // NaN counts as no gold; project creation refuses rates outside 0–1 anyway.
    let rate = if policy.gold_rate > 0.0 { policy.gold_rate.min(1.0) } else { 0.0 };
    if onboarding == 0 && rate == 0.0 {
        return None;
    }
    if seq < onboarding {
        return Some(true);
    }
    if rate == 0.0 {
        return Some(false);
    }
    let n = seq - onboarding;
    let run = run_of(rate, n);
    let start = run_start(rate, run);
    let length = u64::try_from(run_start(rate, run.saturating_add(1)).saturating_sub(start)).unwrap_or(1).max(1);
    let place = i64::try_from(jitter(run) % length).unwrap_or(0);
    Some(n == start.saturating_add(place))
}

fn run_of(rate: f64, n: i64) -> i64 {
    (n as f64 * rate).floor() as i64
}

/// The first `n` of run `run`: ⌈run / rate⌉, corrected where floating point rounds across a
/// run's edge.
fn run_start(rate: f64, run: i64) -> i64 {
    let mut start = (run as f64 / rate).ceil() as i64;
    // Rounding is off by one at most; the bound keeps absurd rates from looping long.
    for _ in 0..4 {
        if start > 0 && run_of(rate, start - 1) >= run {
            start -= 1;
        }
    }
    for _ in 0..4 {
        if run_of(rate, start) < run {
            start = start.saturating_add(1);
        }
    }
    start
}

/// 64 bits of SHA-256 over the secret and `parts`, each part length-prefixed so that no two
/// different lists hash the same bytes.
fn keyed_hash(secret: &str, parts: &[&[u8]]) -> u64 {
    let mut hasher = Sha256::new();
    for part in std::iter::once(secret.as_bytes()).chain(parts.iter().copied()) {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// The `jitter` of [`gold_preference`] for one annotator.
pub(super) fn place_in_run(secret: &str, user_id: i64, run: i64) -> u64 {
    keyed_hash(secret, &[b"place", &user_id.to_le_bytes(), &run.to_le_bytes()])
}

/// The annotator's order of the project's gold items: lowest first.
fn gold_rank(secret: &str, user_id: i64, item_id: &str) -> u64 {
    keyed_hash(secret, &[b"gold", &user_id.to_le_bytes(), item_id.as_bytes()])
}

/// The gold item the user never held that comes first in their order. Reads the ids of every
/// gold item they have not held: the gold pool is a small part of a project.
pub(super) async fn first_gold_in_user_order<'e>(
    executor: impl Executor<'e, Database = Any>,
    project_id: &str,
    user_id: i64,
    secret: &str,
) -> anyhow::Result<Option<String>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT i.id FROM items i
         WHERE i.project_id = $1 AND i.is_gold = $3 AND i.is_full = FALSE
           AND NOT EXISTS (SELECT 1 FROM assignments a
                           WHERE a.project_id = i.project_id AND a.item_id = i.id AND a.user_id = $2)",
    )
    .bind(project_id)
    .bind(user_id)
    .bind(true)
    .fetch_all(executor)
    .await?;
    Ok(ids.into_iter().min_by_key(|id| gold_rank(secret, user_id, id)))
}

/// Counts one more annotator shown item `$2` of project `$1` when `$3` (it is a honeypot).
/// Every lease runs it, so leasing a honeypot takes the same statements as any other item.
pub(super) const COUNT_EXPOSURE: &str = "INSERT INTO gold_exposure (project_id, item_id, shown_to)
     SELECT $1, $2, 1 WHERE $3
     ON CONFLICT (project_id, item_id) DO UPDATE SET shown_to = gold_exposure.shown_to + 1";

impl Store {
    /// The gold item the user would be given if their next place is gold, read on the read
    /// pool beside the lease: the search over the gold pool stays out of the writer's (serial)
    /// transaction, and it runs for every lease of a project with a gold rate, gold place or
    /// not, so a gold place takes no longer to lease than a plain one. `None` before the
    /// project has its secret.
    pub(super) async fn gold_hint(&self, project_id: &str, user_id: i64) -> anyhow::Result<Option<String>> {
        let secret: Option<String> = sqlx::query_scalar("SELECT gold_secret FROM projects WHERE id = $1")
            .bind(project_id)
            .fetch_optional(&self.read)
            .await?
            .flatten();
        let Some(secret) = secret else { return Ok(None) };
        first_gold_in_user_order(&self.read, project_id, user_id, &secret).await
    }

    /// Gives the project its gold secret unless it has one (replicas racing here keep the
    /// first).
    pub(super) async fn create_gold_secret(&self, project_id: &str) -> anyhow::Result<()> {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes);
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let project_id = project_id.to_string();
        self.writer
            .write(Durability::Flushed, Writes::AtMostOneLast, move |conn| {
                Box::pin(async move {
                    sqlx::query("UPDATE projects SET gold_secret = $1 WHERE id = $2 AND gold_secret IS NULL")
                        .bind(secret)
                        .bind(project_id)
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    /// The honeypots shown to more than `max_share` of the project's annotators (its annotator
    /// members and everyone ever given one of its items), most shown first.
    pub(crate) async fn gold_exposure(&self, project_id: &str, max_share: f64) -> anyhow::Result<GoldExposureReport> {
        let workforce: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (
                 SELECT user_id FROM project_members WHERE project_id = $1 AND role = $2
                 UNION
                 SELECT user_id FROM assignments WHERE project_id = $1
             ) w",
        )
        .bind(project_id)
        .bind(Role::Annotator.as_str())
        .fetch_one(&self.read)
        .await?;
        // shown_to / workforce > max_share, in integers.
        let most_allowed = (max_share.clamp(0.0, 1.0) * workforce as f64).floor() as i64;
        let rows = sqlx::query(
            "SELECT item_id, shown_to FROM gold_exposure WHERE project_id = $1 AND shown_to > $2
             ORDER BY shown_to DESC, item_id",
        )
        .bind(project_id)
        .bind(most_allowed)
        .fetch_all(&self.read)
        .await?;
        let over_exposed = rows
            .iter()
            .map(|row| {
                let shown_to: i64 = row.try_get("shown_to")?;
                Ok(GoldExposure {
                    item_id: text(row, "item_id")?,
                    shown_to: u32_of(shown_to),
                    share: shown_to as f64 / workforce.max(1) as f64,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(GoldExposureReport { workforce: u32_of(workforce), max_share, over_exposed })
    }
}
