//! Whom to trust: what annotator scorecards are computed from (per annotator: submissions by
//! status with their lead times, gold outcomes, prediction outcomes, reviews' error codes, and
//! for choice answers every submission's regions), and bad gold — annotators' "wrong gold"
//! flags, coordinators' decisions, and which gold items count.
//!
//! Each read aggregates per annotator in SQL (`string_agg`, which SQLite has since 3.44): a
//! row through sqlx costs far more than its bytes, so 200 rows of lists beat 100,000 rows.
//!
//! Which gold is suspect is never stored: [`GoldInputs::standing`] computes it from the gold
//! submissions with `annoqa_stats::trust::suspect_gold` whenever it is asked, so it follows the
//! submissions without upkeep. Only a coordinator's decision is stored (`gold_decisions`).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use annoqa_api::{BadGoldDecision, FlagReason, SubmissionStatus};
use annoqa_stats::trust::{suspect_gold, BadGoldRule, GoldAttempt, SuspectGold};
use anyhow::Context;
use serde::Deserialize;
use serde_json::value::RawValue;
use sqlx::Row;

use super::group::{Arg, Sql};
use super::{text, Store};

/// When a gold item is suspect on the server: at least 3 reliable annotators fail it with the
/// same answer, and at least half of the reliable annotators who did it failed it, reliable
/// meaning they passed at least 90 % of at least 5 other gold items.
/// annoqa-stats' default asks for 10 other items; a project's annotators often meet 5 honeypots
/// long before 10, and at 90 % five means all five passed, so the bar stays strict.
pub(crate) const BAD_GOLD_RULE: BadGoldRule =
    BadGoldRule { min_annotators: 3, min_other_pass_rate: 0.9, min_other_items: 5, min_failure_share: 0.5 };

/// Between the fields of one record in an aggregated column: stored JSON escapes control
/// characters and ids may not contain them, so neither separator occurs inside a field.
const UNIT: &str = "\u{1f}";
/// Between the records of an aggregated column.
const RECORD: &str = "\u{1e}";

/// One annotator's submissions of one status: how many, and their lead times.
#[derive(Debug)]
pub(crate) struct StatusCount {
    pub user_id: i64,
    pub annotator: Annotator,
    pub status: SubmissionStatus,
    pub count: u64,
    /// Decimal, comma-separated, in no particular order.
    lead_times: String,
}

impl StatusCount {
    pub(crate) fn lead_times(&self) -> anyhow::Result<Vec<u64>> {
        let times = self.lead_times.split(',').filter(|t| !t.is_empty());
        let parsed = times.map(|t| t.parse::<i64>().map(|t| u64::try_from(t).unwrap_or(0)));
        parsed.collect::<Result<_, _>>().context("stored lead times are not valid")
    }
}

/// One annotator's records of some kind, aggregated in SQL (see the module documentation).
#[derive(Debug)]
pub(crate) struct AnnotatorRecords {
    pub user_id: i64,
    records: String,
}

impl AnnotatorRecords {
    pub(crate) fn records(&self) -> impl Iterator<Item = &str> {
        records(&self.records)
    }

    /// The records as `first UNIT rest`.
    pub(crate) fn pairs(&self, what: &'static str) -> impl Iterator<Item = anyhow::Result<(&str, &str)>> {
        self.records().map(move |r| r.split_once(UNIT).with_context(|| format!("a stored {what} record is not valid")))
    }
}

fn records(aggregated: &str) -> impl Iterator<Item = &str> {
    aggregated.split(RECORD).filter(|r| !r.is_empty())
}

/// A project's annotator as scorecards name them.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Annotator {
    pub username: String,
    pub vendor: Option<String>,
}

/// An annotator's "wrong gold" flag on a gold item.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoredFlag {
    pub item_id: String,
    pub author: Annotator,
    pub text: String,
    pub at_ms: i64,
}

/// A coordinator's decision on a gold item.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoredDecision {
    pub item_id: String,
    pub decision: BadGoldDecision,
    pub decided_by: String,
    pub at_ms: i64,
}

/// One scored gold submission with its answer's key ([`answer_key`]).
#[derive(Clone, Debug)]
pub(crate) struct GoldSubmission {
    pub user_id: i64,
    pub item_id: String,
    pub passed: bool,
    pub score: f64,
    pub answer: String,
}

/// Everything bad-gold detection reads.
#[derive(Debug, Default)]
pub(crate) struct GoldInputs {
    pub submissions: Vec<GoldSubmission>,
    pub flags: Vec<StoredFlag>,
    pub decisions: Vec<StoredDecision>,
}

/// Which gold items are suspect, flagged or decided, and so which count.
#[derive(Debug)]
pub(crate) struct GoldStanding {
    /// `annotator` and each witness's `annotator` are user ids in decimal.
    pub suspects: Vec<SuspectGold>,
    pub flags: Vec<StoredFlag>,
    pub decisions: Vec<StoredDecision>,
}

impl GoldStanding {
    /// Found or flagged as bad and not decided yet.
    pub(crate) fn pending(&self) -> BTreeSet<String> {
        let decided: BTreeSet<&str> = self.decisions.iter().map(|d| d.item_id.as_str()).collect();
        let suspect = self.suspects.iter().map(|s| s.item.as_str());
        let flagged = self.flags.iter().map(|f| f.item_id.as_str());
        suspect.chain(flagged).filter(|item| !decided.contains(item)).map(str::to_string).collect()
    }

    /// Decided `retire`.
    pub(crate) fn retired(&self) -> BTreeSet<String> {
        let retired = self.decisions.iter().filter(|d| d.decision == BadGoldDecision::Retire);
        retired.map(|d| d.item_id.clone()).collect()
    }

    /// The gold items that count against nobody: pending and retired.
    pub(crate) fn uncounted(&self) -> BTreeSet<String> {
        let mut uncounted = self.pending();
        uncounted.extend(self.retired());
        uncounted
    }
}

impl GoldInputs {
    /// The standing of the project's gold: detection over every annotator's gold answers.
    pub(crate) fn standing(&self) -> anyhow::Result<GoldStanding> {
        standing(self.submissions.iter(), &self.flags, &self.decisions)
    }

    /// Each annotator's mean gold score over the items that count (`uncounted` left out).
    pub(crate) fn mean_scores(&self, uncounted: &BTreeSet<String>) -> Vec<(i64, f64)> {
        let mut sums: BTreeMap<i64, (f64, u64)> = BTreeMap::new();
        for s in self.submissions.iter().filter(|s| !uncounted.contains(&s.item_id)) {
            let sum = sums.entry(s.user_id).or_default();
            sum.0 += s.score;
            sum.1 += 1;
        }
        sums.into_iter().map(|(user, (total, n))| (user, total / n as f64)).collect()
    }
}

/// The standing of a project's gold from its scored gold submissions, flags and decisions.
pub(crate) fn standing<'a>(
    submissions: impl Iterator<Item = &'a GoldSubmission>,
    flags: &[StoredFlag],
    decisions: &[StoredDecision],
) -> anyhow::Result<GoldStanding> {
    let attempts: Vec<GoldAttempt> = submissions
        .map(|s| GoldAttempt {
            item: s.item_id.clone(),
            annotator: s.user_id.to_string(),
            passed: s.passed,
            answer: s.answer.clone(),
        })
        .collect();
    let suspects = suspect_gold(&attempts, &BAD_GOLD_RULE).context("bad-gold detection")?;
    Ok(GoldStanding { suspects, flags: flags.to_vec(), decisions: decisions.to_vec() })
}

/// The statement `template` with `args` bound as its `$1`, `$2`, … in order, and `{users}` in
/// it replaced by ` AND s.user_id IN (…)` for `users` (nothing for `None`: every annotator).
fn with_users(template: &str, args: Vec<Arg>, users: Option<&[i64]>) -> Sql {
    let mut sql = Sql::new("");
    for arg in args {
        sql.bind(arg);
    }
    let filter = match users {
        None => String::new(),
        // `IN ()` is no SQL on PostgreSQL.
        Some([]) => " AND 1 = 0".to_string(),
        Some(users) => {
            let places: Vec<String> = users.iter().map(|user| sql.bind(Arg::I64(*user))).collect();
            format!(" AND s.user_id IN ({})", places.join(", "))
        }
    };
    sql.push(&template.replace("{users}", &filter));
    sql
}

/// A region with only what a choice answer needs; the rest is skipped unread.
#[derive(Deserialize)]
pub(crate) struct RegionHead<'a> {
    #[serde(borrow)]
    pub control: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    #[serde(default, borrow)]
    pub labels: Vec<Cow<'a, str>>,
}

/// A comparable form of a stored answer (a JSON list of regions), equal for equal answers: a
/// JSON object from control name to that control's answer, keys sorted. A choice's answer is
/// its labels, sorted; any other control's is its regions without their `id` (which annotators'
/// tools name freely) and `control`, fields sorted, sorted by their JSON. So
/// `{"sentiment":["negative"]}`.
///
/// Each region is parsed one level deep: its fields' values stay the stored JSON text, which
/// serde wrote the same way for equal values, so nothing below the top is parsed or rebuilt.
pub(crate) fn answer_key(regions: &str) -> anyhow::Result<String> {
    type Fields<'a> = BTreeMap<Cow<'a, str>, &'a RawValue>;
    let regions: Vec<Fields<'_>> = serde_json::from_str(regions).context("stored regions are not valid")?;
    let mut answer: BTreeMap<Cow<'_, str>, Vec<String>> = BTreeMap::new();
    for mut fields in regions {
        let text = |fields: &Fields<'_>, name: &str| -> anyhow::Result<String> {
            let raw = fields.get(name).with_context(|| format!("a stored region has no `{name}`"))?;
            Ok(serde_json::from_str(raw.get())?)
        };
        let control = text(&fields, "control")?;
        let entry = answer.entry(Cow::Owned(control)).or_default();
        if text(&fields, "type")? == "choice" {
            let labels = fields.get("labels").map_or("[]", |raw| raw.get());
            let labels: Vec<Cow<'_, str>> = serde_json::from_str(labels).context("stored labels are not valid")?;
            // Each label as JSON, so the key's lists all hold JSON.
            entry.extend(labels.iter().map(serde_json::to_string).collect::<Result<Vec<_>, _>>()?);
        } else {
            fields.remove("id");
            fields.remove("control");
            entry.push(serde_json::to_string(&fields)?);
        }
    }
    let mut key = String::from("{");
    for (n, (control, mut list)) in answer.into_iter().enumerate() {
        list.sort_unstable();
        if n > 0 {
            key.push(',');
        }
        key.push_str(&serde_json::to_string(&control)?);
        key.push_str(":[");
        key.push_str(&list.join(","));
        key.push(']');
    }
    key.push('}');
    Ok(key)
}

impl Store {
    /// Per annotator and status: how many submissions, and their lead times. Reads the
    /// covering index `submissions_scorecards` (migration 0011), not the rows.
    /// `users`: only theirs (every annotator's with `None`).
    pub(crate) async fn status_counts(
        &self,
        project_id: &str,
        users: Option<&[i64]>,
    ) -> anyhow::Result<Vec<StatusCount>> {
        let sql = with_users(
            "SELECT c.user_id, u.username, u.vendor, c.status, c.n, c.lead_times
             FROM (SELECT s.user_id, s.status, COUNT(*) AS n, string_agg(CAST(s.lead_time_ms AS TEXT), ',') AS lead_times
                   FROM submissions s WHERE s.project_id = $1{users} GROUP BY s.user_id, s.status) c
             JOIN users u ON u.id = c.user_id",
            vec![Arg::Text(project_id.to_string())],
            users,
        );
        let rows = sql.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                let status = text(row, "status")?;
                Ok(StatusCount {
                    user_id: row.try_get("user_id")?,
                    annotator: Annotator { username: text(row, "username")?, vendor: row.try_get("vendor")? },
                    status: SubmissionStatus::parse(&status)
                        .ok_or_else(|| anyhow::anyhow!("stored status `{status}` is unknown"))?,
                    count: u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0),
                    lead_times: row.try_get::<Option<String>, _>("lead_times")?.unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Runs `sql`, which selects `user_id` and an aggregated `records` column with `$1` the
    /// project, `$2` [`RECORD`] and, with `units`, `$3` [`UNIT`]; `{users}` in it becomes the
    /// filter on `s.user_id` for `users`.
    async fn annotator_records(
        &self,
        sql: &str,
        project_id: &str,
        units: bool,
        users: Option<&[i64]>,
    ) -> anyhow::Result<Vec<AnnotatorRecords>> {
        let mut args = vec![Arg::Text(project_id.to_string()), Arg::Text(RECORD.to_string())];
        if units {
            args.push(Arg::Text(UNIT.to_string()));
        }
        let rows = with_users(sql, args, users).fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(AnnotatorRecords {
                    user_id: row.try_get("user_id")?,
                    records: row.try_get::<Option<String>, _>("records")?.unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Per annotator, the stored prediction outcomes (JSON), one record each.
    pub(crate) async fn prediction_outcomes(
        &self,
        project_id: &str,
        users: Option<&[i64]>,
    ) -> anyhow::Result<Vec<AnnotatorRecords>> {
        self.annotator_records(
            "SELECT s.user_id, string_agg(s.prediction_outcome, $2) AS records
             FROM submissions s WHERE s.project_id = $1 AND s.prediction_outcome IS NOT NULL{users} GROUP BY s.user_id",
            project_id,
            false,
            users,
        )
        .await
    }

    /// Per annotator, every submission as `item UNIT regions` (the stored JSON): the one read
    /// of a whole project's regions, for the choice answers.
    pub(crate) async fn answers(
        &self,
        project_id: &str,
        users: Option<&[i64]>,
    ) -> anyhow::Result<Vec<AnnotatorRecords>> {
        self.annotator_records(
            "SELECT s.user_id, string_agg(s.item_id || $3 || s.regions, $2) AS records
             FROM submissions s WHERE s.project_id = $1{users} GROUP BY s.user_id",
            project_id,
            true,
            users,
        )
        .await
    }

    /// Per reviewed annotator, the error codes of the reviews that have any, as `error_codes
    /// UNIT region_errors` (the stored JSON lists), in review order.
    pub(crate) async fn review_codes(
        &self,
        project_id: &str,
        users: Option<&[i64]>,
    ) -> anyhow::Result<Vec<AnnotatorRecords>> {
        self.annotator_records(
            "SELECT s.user_id, string_agg(r.error_codes || $3 || r.region_errors, $2 ORDER BY r.created_at_ms, r.id) AS records
             FROM reviews r JOIN submissions s ON s.id = r.submission_id
             WHERE r.project_id = $1 AND (r.error_codes <> '[]' OR r.region_errors <> '[]'){users}
             GROUP BY s.user_id",
            project_id,
            true,
            users,
        )
        .await
    }

    /// What bad-gold detection reads: every scored gold submission, the flags and the decisions.
    pub(crate) async fn gold_inputs(&self, project_id: &str) -> anyhow::Result<GoldInputs> {
        let ((submissions, _), flags, decisions) = tokio::try_join!(
            self.gold_submissions(project_id, None),
            self.wrong_gold_flags(project_id),
            self.gold_decisions(project_id)
        )?;
        Ok(GoldInputs { submissions, flags, decisions })
    }

    /// The ids of the (at most `limit`) projects with the most submissions, most first.
    pub(crate) async fn largest_projects(&self, limit: usize) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT project_id FROM review_queue_counts WHERE label = ''
             GROUP BY project_id ORDER BY SUM(submissions) DESC, project_id LIMIT $1",
        )
        .bind(i64::try_from(limit)?)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|row| text(row, "project_id")).collect::<sqlx::Result<_>>()?)
    }

    /// Each annotator's submissions and reviewed submissions in the project, from the queue's
    /// counts (`review_queue_counts`, kept in the transactions that submit and review).
    /// Submissions are never deleted, a review moves one submission once from unreviewed to
    /// reviewed, and a submission's lead time, answer, gold outcome and prediction outcome are
    /// fixed when it is stored: so an annotator's pair changes whenever anything scorecards
    /// read of their submissions and reviews does.
    pub(crate) async fn annotator_versions(&self, project_id: &str) -> anyhow::Result<BTreeMap<i64, (i64, i64)>> {
        let rows = sqlx::query(
            "SELECT user_id, CAST(SUM(submissions) AS BIGINT) AS total,
                    CAST(SUM(CASE WHEN reviewed THEN submissions ELSE 0 END) AS BIGINT) AS reviewed
             FROM review_queue_counts WHERE project_id = $1 AND label = '' GROUP BY user_id",
        )
        .bind(project_id)
        .fetch_all(&self.read)
        .await?;
        let versions =
            rows.iter().map(|row| Ok((row.try_get("user_id")?, (row.try_get("total")?, row.try_get("reviewed")?))));
        versions.filter(|v: &anyhow::Result<(i64, (i64, i64))>| !matches!(v, Ok((_, (0, _))))).collect()
    }

    /// Every scored gold submission of `users` (everyone's with `None`), in submission order
    /// per annotator (found through the partial index `submissions_gold`, migration 0011), and
    /// who submitted them.
    pub(crate) async fn gold_submissions(
        &self,
        project_id: &str,
        users: Option<&[i64]>,
    ) -> anyhow::Result<(Vec<GoldSubmission>, HashMap<i64, Annotator>)> {
        let sql = with_users(
            "SELECT g.user_id, u.username, u.vendor, g.records
             FROM (SELECT s.user_id,
                          string_agg(s.item_id || $3 || CASE WHEN s.gold_passed THEN '1' ELSE '0' END || $3
                                     || CAST(COALESCE(s.gold_score, 0) AS TEXT) || $3 || s.regions,
                                     $2 ORDER BY s.created_at_ms, s.id) AS records
                   FROM submissions s WHERE s.project_id = $1 AND s.gold_passed IS NOT NULL{users} GROUP BY s.user_id) g
             JOIN users u ON u.id = g.user_id",
            vec![Arg::Text(project_id.to_string()), Arg::Text(RECORD.to_string()), Arg::Text(UNIT.to_string())],
            users,
        );
        let rows = sql.fetch_all(&self.read).await?;
        // Equal stored answers have equal keys: many annotators answer a gold item alike.
        let mut keys: HashMap<String, String> = HashMap::new();
        let (mut submissions, mut annotators) = (Vec::new(), HashMap::new());
        for row in &rows {
            let user_id: i64 = row.try_get("user_id")?;
            annotators.insert(user_id, Annotator { username: text(row, "username")?, vendor: row.try_get("vendor")? });
            for record in records(&row.try_get::<Option<String>, _>("records")?.unwrap_or_default()) {
                let fields: Vec<&str> = record.splitn(4, UNIT).collect();
                let [item, passed, score, regions] = fields[..] else {
                    anyhow::bail!("a stored gold record is not valid");
                };
                let answer = match keys.get(regions) {
                    Some(key) => key.clone(),
                    None => {
                        let key = answer_key(regions)?;
                        keys.insert(regions.to_string(), key.clone());
                        key
                    }
                };
                submissions.push(GoldSubmission {
                    user_id,
                    item_id: item.to_string(),
                    passed: passed == "1",
                    score: score.parse().context("a stored gold score is not valid")?,
                    answer,
                });
            }
        }
        Ok((submissions, annotators))
    }

    /// Annotators' "wrong gold" flags on the project's gold items, oldest first. Flags on other
    /// items are left out: an annotator cannot tell a honeypot from a plain item, so such a
    /// flag is about nothing gold.
    pub(crate) async fn wrong_gold_flags(&self, project_id: &str) -> anyhow::Result<Vec<StoredFlag>> {
        let rows = sqlx::query(
            "SELECT f.item_id, f.body, f.created_at_ms, u.username, u.vendor
             FROM feedback f
             JOIN users u ON u.id = f.author_id
             JOIN items i ON i.project_id = f.project_id AND i.id = f.item_id
             WHERE f.project_id = $1 AND f.kind = 'flag' AND f.reason = $2 AND i.is_gold = $3
             ORDER BY f.created_at_ms, f.id",
        )
        .bind(project_id)
        .bind(FlagReason::WrongGold.as_str())
        .bind(true)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredFlag {
                    item_id: text(row, "item_id")?,
                    author: Annotator { username: text(row, "username")?, vendor: row.try_get("vendor")? },
                    text: text(row, "body")?,
                    at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    /// Coordinators' decisions on the project's gold, by item.
    pub(crate) async fn gold_decisions(&self, project_id: &str) -> anyhow::Result<Vec<StoredDecision>> {
        let rows = sqlx::query(
            "SELECT d.item_id, d.decision, d.decided_at_ms, u.username
             FROM gold_decisions d JOIN users u ON u.id = d.decided_by
             WHERE d.project_id = $1 ORDER BY d.item_id",
        )
        .bind(project_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                let decision = text(row, "decision")?;
                Ok(StoredDecision {
                    item_id: text(row, "item_id")?,
                    decision: BadGoldDecision::parse(&decision)
                        .ok_or_else(|| anyhow::anyhow!("stored gold decision `{decision}` is unknown"))?,
                    decided_by: text(row, "username")?,
                    at_ms: row.try_get("decided_at_ms")?,
                })
            })
            .collect()
    }

    /// Whether the project has a gold item `item_id`.
    pub(crate) async fn is_gold_item(&self, project_id: &str, item_id: &str) -> anyhow::Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM items WHERE project_id = $1 AND id = $2 AND is_gold = $3")
                .bind(project_id)
                .bind(item_id)
                .bind(true)
                .fetch_optional(&self.read)
                .await?;
        Ok(found.is_some())
    }

    /// Stores a coordinator's decision on a gold item, replacing an earlier one.
    pub(crate) async fn decide_gold(
        &self,
        project_id: &str,
        item_id: &str,
        decision: BadGoldDecision,
        user_id: i64,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO gold_decisions (project_id, item_id, decision, decided_by, decided_at_ms)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (project_id, item_id) DO UPDATE
             SET decision = excluded.decision, decided_by = excluded.decided_by, decided_at_ms = excluded.decided_at_ms",
        )
        .bind(project_id)
        .bind(item_id)
        .bind(decision.as_str())
        .bind(user_id)
        .bind(now_ms)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
