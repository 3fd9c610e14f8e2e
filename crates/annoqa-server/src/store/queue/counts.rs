//! What the queue keeps beside the submissions, and reads instead of counting them: each
//! submission's labels (`submission_labels`) and each annotator's counts per label, kind of
//! item and review (`review_queue_counts`), written in the transaction of the submit or review
//! that changes them; progress counts, the `risk` sums (gold and agreement, `agreement.rs`) and
//! facets read from there.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use annoqa_core::Region;
use sqlx::{AnyConnection, Row};

use super::agreement::PeerAgreement;
use super::order::{score_micros, RiskSums};
use super::{AnnotatorCount, QueueFacets, QueueScope, Sql};
use crate::store::group::{bind_all, Arg};
use crate::store::{text, Store};

/// The distinct labels of `regions` (a choice's labels included), sorted.
pub(crate) fn region_labels(regions: &[Region]) -> Vec<String> {
    let labels: BTreeSet<&str> = regions.iter().flat_map(|r| r.value.labels()).collect();
    labels.into_iter().map(String::from).collect()
}

/// Adds a row's counts to the row with its key.
pub(super) const ADD_COUNTS: &str = "ON CONFLICT (project_id, label, user_id, is_gold, reviewed) DO UPDATE SET
     submissions = review_queue_counts.submissions + excluded.submissions,
     gold_micros = review_queue_counts.gold_micros + excluded.gold_micros,
     gold_scored = review_queue_counts.gold_scored + excluded.gold_scored,
     agree_micros = review_queue_counts.agree_micros + excluded.agree_micros,
     agree_pairs = review_queue_counts.agree_pairs + excluded.agree_pairs";

const INSERT_COUNTS: &str =
    "INSERT INTO review_queue_counts (project_id, label, user_id, is_gold, reviewed, submissions, gold_micros, gold_scored)";

pub(super) const INSERT_COUNTS_WITH_AGREEMENT: &str = "INSERT INTO review_queue_counts
     (project_id, label, user_id, is_gold, reviewed, submissions, gold_micros, gold_scored, agree_micros, agree_pairs)";

/// The first parameter of a submit's group that [`submit_statements`] numbers.
const FIRST_QUEUE_PARAMETER: usize = 19;

/// The queue's statements in a submit's group (`store_submission`) with the parameters they
/// add: the submission's label rows, its annotator's counts and the agreement of each pair it
/// makes with an earlier submission of its item (`peers`, from `agreement.rs`), added to both
/// annotators' sums. They read the group's parameters $1 (submission id), $2 (project), $4
/// (annotator), $7 (time), $16 (gold item), $17 (gold score in millionths) and $18 (1 if
/// scored, else 0); the ones returned follow from $19.
///
/// The pairs are computed before the submit's transaction (`routes::work`), so the overlays
/// never hold SQLite's one writer: two submits of one item in flight at the same moment may
/// not see each other, and that pair goes uncounted (the sums are a sample of the pairs, a
/// little short under load).
pub(crate) fn submit_writes(regions: &[Region], user_id: i64, peers: &[PeerAgreement]) -> (Vec<String>, Vec<Arg>) {
    submit_statements(&region_labels(regions), user_id, peers)
}

/// [`submit_writes`]' statements and parameters for the submission's `labels` and the pairs
/// it makes.
fn submit_statements(labels: &[String], user_id: i64, peers: &[PeerAgreement]) -> (Vec<String>, Vec<Arg>) {
    let mut args = Vec::new();
    let mut bind = |arg: Arg| {
        args.push(arg);
        format!("${}", FIRST_QUEUE_PARAMETER + args.len() - 1)
    };
    let labels: Vec<String> = labels.iter().map(|l| bind(Arg::Text(l.clone()))).collect();
    // Each annotator's sums ([micros, pairs]) under label '', the submitter's own included.
    let mut sums: BTreeMap<i64, [i64; 2]> = BTreeMap::from([(user_id, [0, 0])]);
    for peer in peers {
        for user in [user_id, peer.peer_id] {
            let sum = sums.entry(user).or_default();
            sum[0] += peer.micros;
            sum[1] += 1;
        }
    }
    // Label '' rows in user order, then the labels in order: every submit and review locks
    // these rows in key order, so that on PostgreSQL none waits for another in a cycle.
    let mut rows = Vec::new();
    for (user, [micros, pairs]) in sums {
        let (micros, pairs) = (bind(Arg::I64(micros)), bind(Arg::I64(pairs)));
        rows.push(if user == user_id {
            format!("($2, '', $4, $16, FALSE, 1, $17, $18, {micros}, {pairs})")
        } else {
            format!("($2, '', {}, $16, FALSE, 0, 0, 0, {micros}, {pairs})", bind(Arg::I64(user)))
        });
    }
    rows.extend(labels.iter().map(|label| format!("($2, {label}, $4, $16, FALSE, 1, 0, 0, 0, 0)")));
    let pairs: Vec<String> =
        peers.iter().map(|p| format!("($1, {}, {})", bind(Arg::I64(p.peer_id)), bind(Arg::I64(p.micros)))).collect();
    let mut statements = Vec::new();
    if !labels.is_empty() {
        let rows: Vec<String> = labels.iter().map(|label| format!("($1, {label}, $2, $4, $16, FALSE, $7)")).collect();
        statements.push(format!(
            "INSERT INTO submission_labels (submission_id, label, project_id, user_id, is_gold, reviewed, created_at_ms)
             VALUES {}",
            rows.join(", ")
        ));
    }
    statements.push(format!("{INSERT_COUNTS_WITH_AGREEMENT} VALUES {} {ADD_COUNTS}", rows.join(", ")));
    if !pairs.is_empty() {
        statements.push(format!(
            "INSERT INTO queue_agreement_pairs (submission_id, peer_id, micros) VALUES {}",
            pairs.join(", ")
        ));
    }
    (statements, args)
}

/// The queue's writes in a review's transaction, after the submission's status changed from
/// `submitted`: its label rows and its counts become reviewed. Its labels are found by key
/// among the labels its annotator has (from the counts). Counts are moved one key at a time,
/// '' first and then the labels in order, the order a submit adds to them in, so that a review
/// and a submit of the same annotator lock those rows in the same order on PostgreSQL and
/// never wait for each other in a cycle.
pub(crate) async fn review_submission(tx: &mut Transaction<'_>, submission_id: i64) -> anyhow::Result<()> {
    let candidates = sqlx::query(
        "SELECT DISTINCT c.label FROM review_queue_counts c JOIN submissions s
           ON c.project_id = s.project_id AND c.user_id = s.user_id
         WHERE s.id = $1 AND c.label <> ''",
    )
    .bind(submission_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut candidates: Vec<String> = candidates.iter().map(|row| text(row, "label")).collect::<Result<_, _>>()?;
    candidates.sort();
    let mut labels = vec![String::new()];
    for label in candidates {
        let marked = sqlx::query(
            "UPDATE submission_labels SET reviewed = TRUE
             WHERE project_id = (SELECT project_id FROM submissions WHERE id = $1) AND label = $2 AND submission_id = $1",
        )
        .bind(submission_id)
        .bind(&label)
        .execute(&mut **tx)
        .await?;
        if marked.rows_affected() > 0 {
            labels.push(label);
        }
    }
    for label in labels {
        sqlx::query(
            "UPDATE review_queue_counts SET submissions = submissions - 1
             WHERE label = $2 AND reviewed = FALSE
               AND (project_id, user_id, is_gold) = (SELECT project_id, user_id, is_gold FROM submissions WHERE id = $1)",
        )
        .bind(submission_id)
        .bind(&label)
        .execute(&mut **tx)
        .await?;
        sqlx::query(&format!(
            "{INSERT_COUNTS} SELECT project_id, $2, user_id, is_gold, TRUE, 1, 0, 0 FROM submissions WHERE id = $1
             {ADD_COUNTS}"
        ))
        .bind(submission_id)
        .bind(&label)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Each annotator's submissions in `scope`, every status counted: the counts less the
    /// submissions made after the walk's first page, in one statement so that both halves see
    /// the same database.
    pub(super) async fn annotator_counts(&self, scope: &QueueScope) -> anyhow::Result<Vec<AnnotatorCount>> {
        let mut sql = Sql::new("SELECT c.user_id AS user_id, c.reviewed AS reviewed, c.submissions AS n");
        let project = sql.bind(Arg::Text(scope.project_id.clone()));
        let label = sql.bind(Arg::Text(scope.label.clone().unwrap_or_default()));
        sql.push(&format!(" FROM review_queue_counts c WHERE c.project_id = {project} AND c.label = {label}"));
        scope.people(&mut sql, "c", None);
        sql.push(" UNION ALL SELECT s.user_id, s.status <> 'submitted', -1");
        scope.made_since(&mut sql);
        let sql = Sql {
            text: format!(
                "SELECT user_id, CAST(CASE WHEN reviewed THEN 1 ELSE 0 END AS BIGINT) AS reviewed,
                        CAST(SUM(n) AS BIGINT) AS n
                 FROM ({}) t GROUP BY user_id, reviewed",
                sql.text
            ),
            args: sql.args,
        };
        let mut counts: HashMap<i64, AnnotatorCount> = HashMap::new();
        for row in sql.fetch_all(&self.read).await? {
            let user_id: i64 = row.try_get("user_id")?;
            let n = u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0);
            let count = counts.entry(user_id).or_insert(AnnotatorCount { user_id, total: 0, reviewed: 0 });
            count.total += n;
            if row.try_get::<i64, _>("reviewed")? != 0 {
                count.reviewed += n;
            }
        }
        let mut counts: Vec<AnnotatorCount> = counts.into_values().filter(|c| c.total > 0).collect();
        counts.sort_by_key(|c| c.user_id);
        Ok(counts)
    }

    /// Each annotator's sums for the `risk` key as of the walk's first page: the sums kept,
    /// less what the submissions made since added (read in the same statement): their gold
    /// scores, and the pairs they made, from both annotators of each.
    pub(super) async fn risk_sums_as_of(&self, scope: &QueueScope) -> anyhow::Result<HashMap<i64, RiskSums>> {
        // Gold that counts against nobody leaves the sums as a submit added it; those made
        // after the first page have left already.
        let uncounted = if scope.uncounted_gold.is_empty() {
            String::new()
        } else {
            let places: Vec<String> = (3..3 + scope.uncounted_gold.len()).map(|n| format!("${n}")).collect();
            format!(
                " UNION ALL
                   SELECT s.user_id, 0, 0, 0, 0, s.gold_score FROM submissions s
                   WHERE s.project_id = $1 AND s.created_at_ms <= $2 AND s.gold_score IS NOT NULL
                     AND s.item_id IN ({})",
                places.join(", ")
            )
        };
        let sql = format!(
            "SELECT user_id, gold_micros AS micros, gold_scored AS scored, agree_micros, agree_pairs, gold_score AS since
             FROM (SELECT c.user_id, c.gold_micros, c.gold_scored, c.agree_micros, c.agree_pairs,
                          CAST(NULL AS DOUBLE PRECISION) AS gold_score
                   FROM review_queue_counts c WHERE c.project_id = $1 AND c.label = ''
                   UNION ALL
                   SELECT s.user_id, 0, 0, 0, 0, s.gold_score FROM submissions s
                   WHERE s.project_id = $1 AND s.created_at_ms > $2 AND s.gold_score IS NOT NULL
                   UNION ALL
                   SELECT s.user_id, 0, 0, -p.micros, -1, NULL
                   FROM submissions s JOIN queue_agreement_pairs p ON p.submission_id = s.id
                   WHERE s.project_id = $1 AND s.created_at_ms > $2
                   UNION ALL
                   SELECT p.peer_id, 0, 0, -p.micros, -1, NULL
                   FROM submissions s JOIN queue_agreement_pairs p ON p.submission_id = s.id
                   WHERE s.project_id = $1 AND s.created_at_ms > $2{uncounted}) t"
        );
        let mut query = sqlx::query(&sql).bind(&scope.project_id).bind(scope.as_of_ms);
        for item in &scope.uncounted_gold {
            query = query.bind(item);
        }
        let rows = query.fetch_all(&self.read).await?;
        let mut sums: HashMap<i64, RiskSums> = HashMap::new();
        for row in &rows {
            let sum = sums.entry(row.try_get("user_id")?).or_default();
            match row.try_get::<Option<f64>, _>("since")? {
                // Made after the first page: its score leaves the sums as a submit added it.
                Some(score) => {
                    sum.gold_micros -= score_micros(score);
                    sum.gold_scored -= 1;
                }
                // Kept sums, or (negative) the pairs made since.
                None => {
                    sum.gold_micros += row.try_get::<i64, _>("micros")?;
                    sum.gold_scored += row.try_get::<i64, _>("scored")?;
                    sum.agree_micros += row.try_get::<i64, _>("agree_micros")?;
                    sum.agree_pairs += row.try_get::<i64, _>("agree_pairs")?;
                }
            }
        }
        Ok(sums)
    }

    /// The annotators, vendors and labels of the project's submissions the caller may see
    /// (the scope's filters are ignored), from the counts.
    pub(crate) async fn queue_facets(&self, scope: &QueueScope) -> anyhow::Result<QueueFacets> {
        let mut sql = Sql::new("");
        let project = sql.bind(Arg::Text(scope.project_id.clone()));
        let caller = sql.bind(Arg::I64(scope.caller_id));
        sql.push(&format!(
            "SELECT DISTINCT u.username, u.vendor FROM review_queue_counts c JOIN users u ON u.id = c.user_id
             WHERE c.project_id = {project} AND c.label = '' AND c.submissions > 0 AND u.id <> {caller}"
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
        // Sorted here rather than by SQL: PostgreSQL's collation may differ from SQLite's.
        facets.annotators.sort();
        facets.vendors = vendors.into_iter().collect();
        let mut sql = Sql::new("SELECT DISTINCT c.label FROM review_queue_counts c");
        let project = sql.bind(Arg::Text(scope.project_id.clone()));
        sql.push(&format!(" WHERE c.project_id = {project} AND c.label <> '' AND c.submissions > 0"));
        let visible = QueueScope { annotator: None, vendor: None, label: None, gold: None, ..scope.clone() };
        visible.people(&mut sql, "c", None);
        facets.labels = sql.fetch_all(&self.read).await?.iter().map(|r| text(r, "label")).collect::<Result<_, _>>()?;
        facets.labels.sort();
        Ok(facets)
    }

    /// Writes the label rows and counts of the submissions stored before migration 0010
    /// (listed in `submission_labels_backlog`) as their submits would have, a batch per
    /// transaction, then the agreement sums of those stored before migration 0012
    /// (`queue_agreement_backlog`, `agreement.rs`). Run when the server starts; returns how
    /// many entries of both backlogs it took.
    pub async fn index_earlier_submissions(&self) -> anyhow::Result<u64> {
        let mut indexed = 0;
        loop {
            let batch = self.index_backlog_batch().await?;
            if batch == 0 {
                break;
            }
            indexed += batch;
        }
        Ok(indexed + self.pair_earlier_submissions().await?)
    }

    /// One batch of the backlog; 0 when it is empty.
    async fn index_backlog_batch(&self) -> anyhow::Result<u64> {
        let mut tx = self.write.begin().await?;
        let rows = take_backlog(
            &mut tx,
            "submission_labels_backlog",
            500,
            "id, project_id, user_id, CAST(CASE WHEN is_gold THEN 1 ELSE 0 END AS BIGINT) AS gold,
             status, gold_score, created_at_ms, regions",
        )
        .await?;
        let Some(rows) = rows else {
            tx.commit().await?;
            return Ok(0);
        };
        let mut earlier = Vec::with_capacity(rows.len());
        for row in &rows {
            earlier.push(Earlier::read(row)?);
        }
        insert_label_rows(&mut tx, &earlier).await?;
        add_counts(&mut tx, &earlier).await?;
        tx.commit().await?;
        // At least one: a submission deleted meanwhile left the backlog with it.
        Ok(rows.len().max(1) as u64)
    }
}

/// A submission from before migration 0010, as its submit would have counted it.
struct Earlier {
    id: i64,
    project_id: String,
    user_id: i64,
    gold: bool,
    reviewed: bool,
    gold_score: Option<f64>,
    created_at_ms: i64,
    labels: Vec<String>,
}

impl Earlier {
    fn read(row: &sqlx::any::AnyRow) -> anyhow::Result<Earlier> {
        let id: i64 = row.try_get("id")?;
        let regions: String = row.try_get("regions")?;
        let labels = match serde_json::from_str::<Vec<Region>>(&regions) {
            Ok(regions) => region_labels(&regions),
            Err(e) => {
                tracing::warn!("submission {id}: stored regions are not valid ({e}); indexed without labels");
                Vec::new()
            }
        };
        Ok(Earlier {
            id,
            project_id: text(row, "project_id")?,
            user_id: row.try_get("user_id")?,
            gold: row.try_get::<i64, _>("gold")? != 0,
            reviewed: text(row, "status")? != "submitted",
            gold_score: row.try_get("gold_score")?,
            created_at_ms: row.try_get("created_at_ms")?,
            labels,
        })
    }
}

type Transaction<'c> = sqlx::Transaction<'c, sqlx::Any>;

async fn insert_label_rows(tx: &mut Transaction<'_>, earlier: &[Earlier]) -> anyhow::Result<()> {
    let rows: Vec<(&Earlier, &String)> = earlier.iter().flat_map(|e| e.labels.iter().map(move |l| (e, l))).collect();
    // Bounded so a statement stays well under both databases' parameter limits.
    for chunk in rows.chunks(200) {
        let mut sql = Sql::new("");
        let values: Vec<String> = chunk
            .iter()
            .map(|(e, label)| {
                let args = [
                    Arg::I64(e.id),
                    Arg::Text((*label).clone()),
                    Arg::Text(e.project_id.clone()),
                    Arg::I64(e.user_id),
                    Arg::Bool(e.gold),
                    Arg::Bool(e.reviewed),
                    Arg::I64(e.created_at_ms),
                ];
                let placeholders: Vec<String> = args.into_iter().map(|a| sql.bind(a)).collect();
                format!("({})", placeholders.join(", "))
            })
            .collect();
        sql.push(&format!(
            "INSERT INTO submission_labels (submission_id, label, project_id, user_id, is_gold, reviewed, created_at_ms)
             VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        ));
        bind_all(sqlx::query(&sql.text), &sql.args).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Adds the submissions to their annotators' counts: every submission under label '' (with
/// its gold score), and under each of its labels.
async fn add_counts(tx: &mut Transaction<'_>, earlier: &[Earlier]) -> anyhow::Result<()> {
    // One row per key: PostgreSQL refuses to update a row twice in one statement.
    let mut counts: HashMap<(&str, &str, i64, bool, bool), [i64; 3]> = HashMap::new();
    for e in earlier {
        let whole = counts.entry((&e.project_id, "", e.user_id, e.gold, e.reviewed)).or_default();
        whole[0] += 1;
        if let Some(score) = e.gold_score {
            whole[1] += score_micros(score);
            whole[2] += 1;
        }
        for label in &e.labels {
            counts.entry((&e.project_id, label, e.user_id, e.gold, e.reviewed)).or_default()[0] += 1;
        }
    }
    // In key order, the order submits and reviews lock these rows in.
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for chunk in counts.chunks(100) {
        let mut sql = Sql::new("");
        let values: Vec<String> = chunk
            .iter()
            .map(|((project, label, user, gold, reviewed), [n, micros, scored])| {
                let args = [
                    Arg::Text(project.to_string()),
                    Arg::Text(label.to_string()),
                    Arg::I64(*user),
                    Arg::Bool(*gold),
                    Arg::Bool(*reviewed),
                    Arg::I64(*n),
                    Arg::I64(*micros),
                    Arg::I64(*scored),
                ];
                let placeholders: Vec<String> = args.into_iter().map(|a| sql.bind(a)).collect();
                format!("({})", placeholders.join(", "))
            })
            .collect();
        sql.push(&format!("{INSERT_COUNTS} VALUES {} {ADD_COUNTS}", values.join(", ")));
        bind_all(sqlx::query(&sql.text), &sql.args).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Takes up to `batch` submissions out of `backlog` (a table of `submission_id`s) and reads
/// `columns` of them, in `tx`; `None` when the backlog is empty. Taken out first, so that a
/// replica starting at the same time takes other submissions, not the same ones twice.
pub(super) async fn take_backlog(
    tx: &mut AnyConnection,
    backlog: &str,
    batch: i64,
    columns: &str,
) -> anyhow::Result<Option<Vec<sqlx::any::AnyRow>>> {
    let taken = sqlx::query(&format!(
        "DELETE FROM {backlog} WHERE submission_id IN
             (SELECT submission_id FROM {backlog} ORDER BY submission_id LIMIT $1)
         RETURNING submission_id"
    ))
    .bind(batch)
    .fetch_all(&mut *tx)
    .await?;
    if taken.is_empty() {
        return Ok(None);
    }
    let mut sql = Sql::new(&format!("SELECT {columns} FROM submissions WHERE id IN ("));
    let list: Vec<String> =
        taken.iter().map(|row| Ok(sql.bind(Arg::I64(row.try_get("submission_id")?)))).collect::<sqlx::Result<_>>()?;
    sql.push(&format!("{})", list.join(", ")));
    Ok(Some(bind_all(sqlx::query(&sql.text), &sql.args).fetch_all(&mut *tx).await?))
}
