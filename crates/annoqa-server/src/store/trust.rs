//! Whom to trust: what annotator scorecards are computed from (every submission's facts, the
//! error codes of reviews), and bad gold — annotators' "wrong gold" flags, coordinators'
//! decisions, and which gold items count.
//!
//! Which gold is suspect is never stored: [`GoldInputs::standing`] computes it from the gold
//! submissions with `annoqa_stats::trust::suspect_gold` whenever it is asked, so it follows the
//! submissions without upkeep. Only a coordinator's decision is stored (`gold_decisions`).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use annoqa_api::{BadGoldDecision, FlagReason};
use annoqa_stats::trust::{suspect_gold, BadGoldRule, GoldAttempt, SuspectGold};
use anyhow::Context;
use serde::Deserialize;
use sqlx::Row;

use super::{text, Store};

/// When a gold item is suspect on the server: at least 3 reliable annotators fail it with the
/// same answer, reliable meaning they passed at least 90 % of at least 5 other gold items.
/// annoqa-stats' default asks for 10 other items; a project's annotators often meet 5 honeypots
/// long before 10, and at 90 % five means all five passed, so the bar stays strict.
pub(crate) const BAD_GOLD_RULE: BadGoldRule =
    BadGoldRule { min_annotators: 3, min_other_pass_rate: 0.9, min_other_items: 5 };

/// Between the fields of one record in an aggregated column: stored JSON escapes control
/// characters and ids may not contain them, so neither separator occurs inside a field.
const UNIT: &str = "\u{1f}";
/// Between the records of an aggregated column.
const RECORD: &str = "\u{1e}";

/// One annotator's submissions in the project, aggregated in SQL: one row per annotator rather
/// than one per submission, because moving rows through sqlx costs far more than the bytes in
/// them. The lists are in submission order.
#[derive(Debug)]
pub(crate) struct AnnotatorWork {
    pub user_id: i64,
    pub annotator: Annotator,
    pub submissions: u64,
    pub accepted: u64,
    pub fixed: u64,
    pub rejected: u64,
    /// Decimal, comma-separated.
    lead_times: String,
    /// Records of `item UNIT passed UNIT regions`: `passed` 1, 0 or empty (not gold), `regions`
    /// the stored JSON or empty when not read.
    answers: String,
    /// The stored prediction outcomes (JSON), one record each.
    outcomes: String,
}

/// One submission of an [`AnnotatorWork`].
#[derive(Debug)]
pub(crate) struct WorkAnswer<'a> {
    pub item: &'a str,
    /// Whether it passed, for a gold item.
    pub passed: Option<bool>,
    /// The stored regions, when they were read.
    pub regions: Option<&'a str>,
}

impl AnnotatorWork {
    pub(crate) fn lead_times(&self) -> anyhow::Result<Vec<u64>> {
        let times = self.lead_times.split(',').filter(|t| !t.is_empty());
        times
            .map(|t| t.parse::<i64>().map(|t| u64::try_from(t).unwrap_or(0)))
            .collect::<Result<_, _>>()
            .context("stored lead times are not valid")
    }

    pub(crate) fn answers(&self) -> impl Iterator<Item = anyhow::Result<WorkAnswer<'_>>> {
        records(&self.answers).map(|record| {
            let mut fields = record.splitn(3, UNIT);
            let (Some(item), Some(passed), Some(regions)) = (fields.next(), fields.next(), fields.next()) else {
                anyhow::bail!("a stored answer record is not valid");
            };
            let passed = match passed {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            };
            Ok(WorkAnswer { item, passed, regions: (!regions.is_empty()).then_some(regions) })
        })
    }

    pub(crate) fn outcomes(&self) -> impl Iterator<Item = &str> {
        records(&self.outcomes)
    }
}

fn records(aggregated: &str) -> impl Iterator<Item = &str> {
    aggregated.split(RECORD).filter(|r| !r.is_empty())
}

/// A project's annotator as scorecards name them.
#[derive(Clone, Debug)]
pub(crate) struct Annotator {
    pub username: String,
    pub vendor: Option<String>,
}

/// The error codes of the reviews of one annotator's submissions, aggregated in SQL.
#[derive(Debug)]
pub(crate) struct ReviewCodes {
    pub user_id: i64,
    /// Records of `error_codes UNIT region_errors` (the stored JSON lists), in review order.
    codes: String,
}

impl ReviewCodes {
    /// Each review's `(error_codes, region_errors)`, as stored.
    pub(crate) fn reviews(&self) -> impl Iterator<Item = anyhow::Result<(&str, &str)>> {
        records(&self.codes).map(|record| record.split_once(UNIT).context("a stored review record is not valid"))
    }
}

/// An annotator's "wrong gold" flag on a gold item.
#[derive(Clone, Debug)]
pub(crate) struct StoredFlag {
    pub item_id: String,
    pub author: Annotator,
    pub text: String,
    pub at_ms: i64,
}

/// A coordinator's decision on a gold item.
#[derive(Clone, Debug)]
pub(crate) struct StoredDecision {
    pub item_id: String,
    pub decision: BadGoldDecision,
    pub decided_by: String,
    pub at_ms: i64,
}

/// One scored gold submission with its answer as stored.
#[derive(Debug)]
pub(crate) struct GoldSubmission {
    pub user_id: i64,
    pub item_id: String,
    pub passed: bool,
    pub score: f64,
    pub regions: String,
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
        let attempts = self
            .submissions
            .iter()
            .map(|s| Ok((s.user_id, s.item_id.as_str(), s.passed, answer_key(&s.regions)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        standing(attempts, self.flags.clone(), self.decisions.clone())
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

/// The standing from gold attempts `(user id, item, passed, answer key)`.
pub(crate) fn standing(
    attempts: Vec<(i64, &str, bool, String)>,
    flags: Vec<StoredFlag>,
    decisions: Vec<StoredDecision>,
) -> anyhow::Result<GoldStanding> {
    let attempts: Vec<GoldAttempt> = attempts
        .into_iter()
        .map(|(user, item, passed, answer)| GoldAttempt {
            item: item.to_string(),
            annotator: user.to_string(),
            passed,
            answer,
        })
        .collect();
    let suspects = suspect_gold(&attempts, &BAD_GOLD_RULE).context("bad-gold detection")?;
    Ok(GoldStanding { suspects, flags, decisions })
}

/// A region with only what an answer key or a choice answer needs; the rest is skipped unread.
#[derive(Deserialize)]
pub(crate) struct RegionHead<'a> {
    #[serde(borrow)]
    pub control: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    #[serde(default)]
    pub labels: Vec<String>,
}

/// A comparable form of a stored answer (a JSON list of regions), equal for equal answers: a
/// JSON object from control name to that control's answer, keys sorted. A choice's answer is
/// its labels, sorted; any other control's is its regions without their ids (which annotators'
/// tools name freely), sorted by their JSON. So `{"sentiment":["negative"]}`.
pub(crate) fn answer_key(regions: &str) -> anyhow::Result<String> {
    let values: Vec<serde_json::Value> = serde_json::from_str(regions).context("stored regions are not valid")?;
    let mut answer: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for mut value in values {
        let (control, is_choice, labels) = {
            let head = RegionHead::deserialize(&value).context("a stored region is not valid")?;
            (head.control.into_owned(), head.kind == "choice", head.labels)
        };
        let entry = answer.entry(control).or_default();
        if is_choice {
            entry.extend(labels.into_iter().map(serde_json::Value::String));
        } else if let Some(object) = value.as_object_mut() {
            object.remove("id");
            object.remove("control");
            entry.push(value);
        }
    }
    for list in answer.values_mut() {
        let mut keyed: Vec<(String, serde_json::Value)> = list.drain(..).map(|v| (v.to_string(), v)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        list.extend(keyed.into_iter().map(|(_, v)| v));
    }
    Ok(serde_json::to_string(&answer)?)
}

/// `gold_passed` as '1', '0' or '' (not gold), text to concatenate.
const PASSED_TEXT: &str = "CASE WHEN s.gold_passed THEN '1' WHEN NOT s.gold_passed THEN '0' ELSE '' END";

impl Store {
    /// Every annotator's submissions in the project, one row each (see [`AnnotatorWork`]).
    /// Regions are read for gold submissions, and for all when `all_regions` (the spec has a
    /// choice control).
    pub(crate) async fn annotator_work(
        &self,
        project_id: &str,
        all_regions: bool,
    ) -> anyhow::Result<Vec<AnnotatorWork>> {
        let no_order = std::env::var("TRUST_NO_ORDER").is_ok(); // TIMING
        let all_regions = all_regions && std::env::var("TRUST_NO_CHOICES").is_err(); // TIMING
        let sql = format!(
            "SELECT w.user_id, u.username, u.vendor, w.submissions, w.accepted, w.fixed, w.rejected, w.lead_times,
                    w.answers, w.outcomes
             FROM (SELECT s.user_id, COUNT(*) AS submissions,
                          SUM(CASE WHEN s.status = 'accepted' THEN 1 ELSE 0 END) AS accepted,
                          SUM(CASE WHEN s.status = 'fixed' THEN 1 ELSE 0 END) AS fixed,
                          SUM(CASE WHEN s.status = 'rejected' THEN 1 ELSE 0 END) AS rejected,
                          string_agg(CAST(s.lead_time_ms AS TEXT), ',' ORDER BY s.created_at_ms, s.id) AS lead_times,
                          string_agg(s.item_id || $2 || {PASSED_TEXT} || $2
                                     || CASE WHEN $4 OR s.gold_passed IS NOT NULL THEN s.regions ELSE '' END,
                                     $3 ORDER BY s.created_at_ms, s.id) AS answers,
                          string_agg(s.prediction_outcome, $3 ORDER BY s.created_at_ms, s.id) AS outcomes
                   FROM submissions s WHERE s.project_id = $1 GROUP BY s.user_id) w
             JOIN users u ON u.id = w.user_id"
        );
        let sql = if no_order { sql.replace(" ORDER BY s.created_at_ms, s.id", "") } else { sql }; // TIMING
        let rows =
            sqlx::query(&sql).bind(project_id).bind(UNIT).bind(RECORD).bind(all_regions).fetch_all(&self.read).await?;
        let count = |row: &sqlx::any::AnyRow, column: &str| -> anyhow::Result<u64> {
            Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0))
        };
        rows.iter()
            .map(|row| {
                Ok(AnnotatorWork {
                    user_id: row.try_get("user_id")?,
                    annotator: Annotator { username: text(row, "username")?, vendor: row.try_get("vendor")? },
                    submissions: count(row, "submissions")?,
                    accepted: count(row, "accepted")?,
                    fixed: count(row, "fixed")?,
                    rejected: count(row, "rejected")?,
                    lead_times: row.try_get::<Option<String>, _>("lead_times")?.unwrap_or_default(),
                    answers: row.try_get::<Option<String>, _>("answers")?.unwrap_or_default(),
                    outcomes: row.try_get::<Option<String>, _>("outcomes")?.unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Everyone with a submission in the project, by user id.
    pub(crate) async fn project_annotators(&self, project_id: &str) -> anyhow::Result<HashMap<i64, Annotator>> {
        let rows = sqlx::query(
            "SELECT u.id, u.username, u.vendor FROM users u
             WHERE u.id IN (SELECT s.user_id FROM submissions s WHERE s.project_id = $1)",
        )
        .bind(project_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                let annotator = Annotator { username: text(row, "username")?, vendor: row.try_get("vendor")? };
                Ok((row.try_get("id")?, annotator))
            })
            .collect()
    }

    /// The error codes of the project's reviews that have any, per reviewed annotator.
    pub(crate) async fn review_codes(&self, project_id: &str) -> anyhow::Result<Vec<ReviewCodes>> {
        let rows = sqlx::query(
            "SELECT s.user_id, string_agg(r.error_codes || $2 || r.region_errors, $3 ORDER BY r.created_at_ms, r.id) AS codes
             FROM reviews r JOIN submissions s ON s.id = r.submission_id
             WHERE r.project_id = $1 AND (r.error_codes <> '[]' OR r.region_errors <> '[]')
             GROUP BY s.user_id",
        )
        .bind(project_id)
        .bind(UNIT)
        .bind(RECORD)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ReviewCodes {
                    user_id: row.try_get("user_id")?,
                    codes: row.try_get::<Option<String>, _>("codes")?.unwrap_or_default(),
                })
            })
            .collect()
    }

    /// What bad-gold detection reads: every scored gold submission, the flags and the decisions.
    pub(crate) async fn gold_inputs(&self, project_id: &str) -> anyhow::Result<GoldInputs> {
        let (submissions, flags, decisions) = tokio::try_join!(
            self.gold_submissions(project_id),
            self.wrong_gold_flags(project_id),
            self.gold_decisions(project_id)
        )?;
        Ok(GoldInputs { submissions, flags, decisions })
    }

    /// Every scored gold submission, aggregated per annotator in SQL (see [`AnnotatorWork`]).
    async fn gold_submissions(&self, project_id: &str) -> anyhow::Result<Vec<GoldSubmission>> {
        let rows = sqlx::query(&format!(
            "SELECT s.user_id, string_agg(s.item_id || $2 || {PASSED_TEXT} || $2 || CAST(COALESCE(s.gold_score, 0) AS TEXT)
                                          || $2 || s.regions, $3 ORDER BY s.created_at_ms, s.id) AS gold
             FROM submissions s WHERE s.project_id = $1 AND s.gold_passed IS NOT NULL GROUP BY s.user_id"
        ))
        .bind(project_id)
        .bind(UNIT)
        .bind(RECORD)
        .fetch_all(&self.read)
        .await?;
        let mut submissions = Vec::new();
        for row in &rows {
            let user_id: i64 = row.try_get("user_id")?;
            let gold = row.try_get::<Option<String>, _>("gold")?.unwrap_or_default();
            for record in records(&gold) {
                let fields: Vec<&str> = record.splitn(4, UNIT).collect();
                let [item, passed, score, regions] = fields[..] else {
                    anyhow::bail!("a stored gold record is not valid");
                };
                submissions.push(GoldSubmission {
                    user_id,
                    item_id: item.to_string(),
                    passed: passed == "1",
                    score: score.parse().context("a stored gold score is not valid")?,
                    regions: regions.to_string(),
                });
            }
        }
        Ok(submissions)
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
