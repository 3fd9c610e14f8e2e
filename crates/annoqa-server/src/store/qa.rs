//! Reviews and the revisions their fixes make, feedback (flags and reviewer notes, their
//! acknowledgement), the per-project error taxonomy, and an item's overlay of submissions.

use annoqa_api::{
    ErrorCode, FeedbackAnchor, FeedbackKind, FeedbackView, FlagReason, RegionError, ReviewVerdict, ReviewView, Role,
    UserView,
};
use annoqa_core::Region;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::queue::review_submission;
use super::work::{submission, SubmissionRow, REFRESH_IS_FULL, SUBMISSION_COLUMNS};
use super::{is_unique_violation, json, new_id, text, u32_of, Store};

#[derive(Debug)]
pub struct NewReview<'a> {
    pub project_id: &'a str,
    pub submission_id: i64,
    pub reviewer_id: i64,
    pub verdict: ReviewVerdict,
    pub regions: Option<&'a [Region]>,
    pub error_codes: &'a [String],
    pub errors: &'a [RegionError],
    pub comment: &'a str,
    pub now_ms: i64,
}

/// A revision after a submission's first (its annotator's), as stored.
#[derive(Debug)]
pub struct StoredRevision {
    pub revision: u32,
    pub author: UserView,
    pub regions: Vec<Region>,
    pub review_id: Option<i64>,
    pub created_at_ms: i64,
}

#[derive(Debug)]
pub struct NewFeedback<'a> {
    pub project_id: &'a str,
    pub kind: FeedbackKind,
    pub author_id: i64,
    pub recipient_id: Option<i64>,
    pub item_id: Option<&'a str>,
    pub guideline: Option<&'a str>,
    pub submission_id: Option<i64>,
    pub reason: Option<FlagReason>,
    pub error_codes: &'a [String],
    pub text: &'a str,
    pub anchor: Option<&'a FeedbackAnchor>,
    pub now_ms: i64,
}

fn user_view(row: &AnyRow, prefix: &str) -> anyhow::Result<Option<UserView>> {
    let Some(id) = row.try_get::<Option<i64>, _>(format!("{prefix}_id").as_str())? else { return Ok(None) };
    let role = text(row, &format!("{prefix}_role"))?;
    Ok(Some(UserView {
        id,
        username: text(row, &format!("{prefix}_username"))?,
        role: Role::parse(&role).ok_or_else(|| anyhow::anyhow!("stored role `{role}` is unknown"))?,
        vendor: row.try_get(format!("{prefix}_vendor").as_str())?,
    }))
}

const REVIEW_SELECT: &str =
    "SELECT r.id, r.submission_id, r.verdict, r.regions, r.error_codes, r.region_errors, r.comment, r.created_at_ms,
        u.id AS reviewer_id, u.username AS reviewer_username, u.role AS reviewer_role, u.vendor AS reviewer_vendor
     FROM reviews r JOIN users u ON u.id = r.reviewer_id";

fn review(row: &AnyRow) -> anyhow::Result<ReviewView> {
    let verdict = text(row, "verdict")?;
    let regions = row.try_get::<Option<String>, _>("regions")?.map(|r| serde_json::from_str(&r)).transpose()?;
    Ok(ReviewView {
        id: row.try_get("id")?,
        submission_id: row.try_get("submission_id")?,
        reviewer: user_view(row, "reviewer")?.ok_or_else(|| anyhow::anyhow!("review without reviewer"))?,
        verdict: ReviewVerdict::parse(&verdict)
            .ok_or_else(|| anyhow::anyhow!("stored verdict `{verdict}` is unknown"))?,
        regions,
        error_codes: json(row, "error_codes")?,
        errors: json(row, "region_errors")?,
        comment: text(row, "comment")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

const FEEDBACK_SELECT: &str = "SELECT f.id, f.project_id, f.kind, f.item_id, f.guideline, f.submission_id, f.reason,
        f.error_codes, f.body, f.anchor, f.created_at_ms, f.acknowledged_at_ms,
        a.id AS author_id, a.username AS author_username, a.role AS author_role, a.vendor AS author_vendor,
        r.id AS recipient_id, r.username AS recipient_username, r.role AS recipient_role, r.vendor AS recipient_vendor
     FROM feedback f JOIN users a ON a.id = f.author_id LEFT JOIN users r ON r.id = f.recipient_id";

fn feedback(row: &AnyRow) -> anyhow::Result<FeedbackView> {
    let kind = match text(row, "kind")?.as_str() {
        "flag" => FeedbackKind::Flag,
        "review" => FeedbackKind::Review,
        other => anyhow::bail!("stored feedback kind `{other}` is unknown"),
    };
    let reason = row
        .try_get::<Option<String>, _>("reason")?
        .map(|r| FlagReason::parse(&r).ok_or_else(|| anyhow::anyhow!("stored flag reason `{r}` is unknown")))
        .transpose()?;
    Ok(FeedbackView {
        id: row.try_get("id")?,
        project_id: text(row, "project_id")?,
        kind,
        author: user_view(row, "author")?.ok_or_else(|| anyhow::anyhow!("feedback without author"))?,
        recipient: user_view(row, "recipient")?,
        item_id: row.try_get("item_id")?,
        guideline: row.try_get("guideline")?,
        submission_id: row.try_get("submission_id")?,
        reason,
        error_codes: json(row, "error_codes")?,
        text: text(row, "body")?,
        anchor: row.try_get::<Option<String>, _>("anchor")?.map(|a| serde_json::from_str(&a)).transpose()?,
        created_at_ms: row.try_get("created_at_ms")?,
        acknowledged_at_ms: row.try_get("acknowledged_at_ms")?,
    })
}

/// A fix's regions as the submission's next revision (the annotator's own is 1), made by
/// review `review_id`. The caller's one-review guard keeps two fixes of one submission from
/// racing for the same number.
async fn insert_revision(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    r: &NewReview<'_>,
    review_id: i64,
    regions: &[Region],
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO submission_revisions (id, project_id, submission_id, revision, author_id, review_id, regions,
                                           created_at_ms)
         SELECT $1, $2, $3, COALESCE(MAX(revision), 1) + 1, $4, $5, $6, $7
         FROM submission_revisions WHERE submission_id = $3",
    )
    .bind(new_id())
    .bind(r.project_id)
    .bind(r.submission_id)
    .bind(r.reviewer_id)
    .bind(review_id)
    .bind(serde_json::to_string(regions)?)
    .bind(r.now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Stores a review and applies its verdict to the submission in one transaction; `None`
    /// when the submission is no longer awaiting review. A submission gets one review: the
    /// status change is guarded by the status it changes from, so of reviews racing each other
    /// exactly one finds the submission still `submitted` (the others wait for its row lock on
    /// PostgreSQL, or queue behind the one SQLite writer, and then find it reviewed), and a
    /// unique index on `reviews (submission_id)` backs that up. A rejection also frees the
    /// annotator's place on the item, so it goes to someone else; a fix stores its regions as
    /// the submission's next revision too.
    pub async fn insert_review(&self, r: &NewReview<'_>) -> anyhow::Result<Option<i64>> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        let status = match r.verdict {
            ReviewVerdict::Accept => "accepted",
            ReviewVerdict::Reject => "rejected",
            ReviewVerdict::Fix => "fixed",
        };
        let changed = sqlx::query(
            "UPDATE submissions SET status = $1 WHERE id = $2 AND project_id = $3 AND status = 'submitted'",
        )
        .bind(status)
        .bind(r.submission_id)
        .bind(r.project_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        // The review queue's copies of the status: its label rows and counts.
        review_submission(&mut tx, r.submission_id).await?;
        let inserted = sqlx::query(
            "INSERT INTO reviews (id, project_id, submission_id, reviewer_id, verdict, regions, error_codes,
                                  region_errors, comment, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(r.project_id)
        .bind(r.submission_id)
        .bind(r.reviewer_id)
        .bind(r.verdict.as_str())
        .bind(r.regions.map(serde_json::to_string).transpose()?)
        .bind(serde_json::to_string(r.error_codes)?)
        .bind(serde_json::to_string(r.errors)?)
        .bind(r.comment)
        .bind(r.now_ms)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                return Ok(None);
            }
            other => other?,
        };
        if let (ReviewVerdict::Fix, Some(regions)) = (r.verdict, r.regions) {
            insert_revision(&mut tx, r, id, regions).await?;
        }
        let state = if r.verdict == ReviewVerdict::Reject { "rejected" } else { "submitted" };
        sqlx::query(
            "UPDATE assignments SET state = $1
             WHERE (project_id, item_id, user_id) IN (SELECT project_id, item_id, user_id FROM submissions WHERE id = $2)",
        )
        .bind(state)
        .bind(r.submission_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "{REFRESH_IS_FULL} WHERE (project_id, id) IN (SELECT project_id, item_id FROM submissions WHERE id = $1)"
        ))
        .bind(r.submission_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    pub async fn review(&self, project_id: &str, review_id: i64) -> anyhow::Result<Option<ReviewView>> {
        let row = sqlx::query(&format!("{REVIEW_SELECT} WHERE r.project_id = $1 AND r.id = $2"))
            .bind(project_id)
            .bind(review_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| review(&row)).transpose()
    }

    /// Every review of the project, oldest first.
    pub async fn reviews(&self, project_id: &str) -> anyhow::Result<Vec<ReviewView>> {
        let rows = sqlx::query(&format!("{REVIEW_SELECT} WHERE r.project_id = $1 ORDER BY r.created_at_ms, r.id"))
            .bind(project_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(review).collect()
    }

    pub async fn insert_feedback(&self, f: &NewFeedback<'_>) -> anyhow::Result<i64> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO feedback (id, project_id, kind, author_id, recipient_id, item_id, guideline, submission_id,
                                   reason, error_codes, body, anchor, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(f.project_id)
        .bind(match f.kind {
            FeedbackKind::Flag => "flag",
            FeedbackKind::Review => "review",
        })
        .bind(f.author_id)
        .bind(f.recipient_id)
        .bind(f.item_id)
        .bind(f.guideline)
        .bind(f.submission_id)
        .bind(f.reason.map(FlagReason::as_str))
        .bind(serde_json::to_string(f.error_codes)?)
        .bind(f.text)
        .bind(f.anchor.map(serde_json::to_string).transpose()?)
        .bind(f.now_ms)
        .execute(&self.write)
        .await?;
        Ok(id)
    }

    pub async fn feedback_entry(&self, project_id: &str, id: i64) -> anyhow::Result<Option<FeedbackView>> {
        let row = sqlx::query(&format!("{FEEDBACK_SELECT} WHERE f.project_id = $1 AND f.id = $2"))
            .bind(project_id)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| feedback(&r)).transpose()
    }

    /// The project's flags and reviewer feedback, newest first.
    pub async fn inbox(&self, project_id: &str) -> anyhow::Result<Vec<FeedbackView>> {
        let rows =
            sqlx::query(&format!("{FEEDBACK_SELECT} WHERE f.project_id = $1 ORDER BY f.created_at_ms DESC, f.id"))
                .bind(project_id)
                .fetch_all(&self.read)
                .await?;
        rows.iter().map(feedback).collect()
    }

    /// Feedback addressed to the user, newest first.
    pub async fn feedback_for(&self, user_id: i64) -> anyhow::Result<Vec<FeedbackView>> {
        let rows =
            sqlx::query(&format!("{FEEDBACK_SELECT} WHERE f.recipient_id = $1 ORDER BY f.created_at_ms DESC, f.id"))
                .bind(user_id)
                .fetch_all(&self.read)
                .await?;
        rows.iter().map(feedback).collect()
    }

    /// The project's error taxonomy as its coordinators set it; empty when they never did (a
    /// taxonomy they set is never empty).
    pub async fn taxonomy(&self, project_id: &str) -> anyhow::Result<Vec<ErrorCode>> {
        let rows = sqlx::query(
            "SELECT code, title, description, guideline FROM error_codes WHERE project_id = $1 ORDER BY position",
        )
        .bind(project_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ErrorCode {
                    code: text(row, "code")?,
                    title: text(row, "title")?,
                    description: text(row, "description")?,
                    guideline: row.try_get("guideline")?,
                })
            })
            .collect()
    }

    /// Replaces the project's error taxonomy in one transaction.
    pub async fn set_taxonomy(&self, project_id: &str, codes: &[ErrorCode]) -> anyhow::Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM error_codes WHERE project_id = $1").bind(project_id).execute(&mut *tx).await?;
        for (position, code) in codes.iter().enumerate() {
            sqlx::query(
                "INSERT INTO error_codes (project_id, code, position, title, description, guideline)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(project_id)
            .bind(&code.code)
            .bind(i64::try_from(position)?)
            .bind(&code.title)
            .bind(&code.description)
            .bind(code.guideline.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Marks feedback to `recipient_id` acknowledged at `now_ms` unless it was already (the first
    /// time is kept), and returns it; `None` when there is no such entry to that recipient.
    pub async fn acknowledge_feedback(
        &self,
        recipient_id: i64,
        id: i64,
        now_ms: i64,
    ) -> anyhow::Result<Option<FeedbackView>> {
        sqlx::query(
            "UPDATE feedback SET acknowledged_at_ms = $1
             WHERE id = $2 AND recipient_id = $3 AND acknowledged_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(id)
        .bind(recipient_id)
        .execute(&self.write)
        .await?;
        let row = sqlx::query(&format!("{FEEDBACK_SELECT} WHERE f.id = $1 AND f.recipient_id = $2"))
            .bind(id)
            .bind(recipient_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| feedback(&r)).transpose()
    }

    /// How many feedback entries to the user are not acknowledged.
    pub async fn unread_feedback(&self, recipient_id: i64) -> anyhow::Result<u32> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM feedback WHERE recipient_id = $1 AND acknowledged_at_ms IS NULL")
                .bind(recipient_id)
                .fetch_one(&self.read)
                .await?;
        Ok(u32_of(count))
    }

    /// The revisions of a submission after its first, in order.
    pub async fn revisions(&self, project_id: &str, submission_id: i64) -> anyhow::Result<Vec<StoredRevision>> {
        let rows = sqlx::query(
            "SELECT v.revision, v.regions, v.review_id, v.created_at_ms,
                    u.id AS author_id, u.username AS author_username, u.role AS author_role, u.vendor AS author_vendor
             FROM submission_revisions v JOIN users u ON u.id = v.author_id
             WHERE v.project_id = $1 AND v.submission_id = $2 ORDER BY v.revision",
        )
        .bind(project_id)
        .bind(submission_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredRevision {
                    revision: u32_of(row.try_get("revision")?),
                    author: user_view(row, "author")?.ok_or_else(|| anyhow::anyhow!("revision without author"))?,
                    regions: json(row, "regions")?,
                    review_id: row.try_get("review_id")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    /// The latest `limit` submissions of an item, latest first; with `vendor`, only those of
    /// that vendor's annotators.
    pub async fn latest_submissions(
        &self,
        project_id: &str,
        item_id: &str,
        vendor: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<SubmissionRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions s JOIN users u ON u.id = s.user_id
             WHERE s.project_id = $1 AND s.item_id = $2 AND ($3 OR u.vendor = $4)
             ORDER BY s.created_at_ms DESC, s.id DESC LIMIT $5"
        ))
        .bind(project_id)
        .bind(item_id)
        .bind(vendor.is_none())
        .bind(vendor.unwrap_or_default())
        .bind(i64::try_from(limit)?)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(submission).collect()
    }
}
