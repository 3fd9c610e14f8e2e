//! Storage: every SQL statement of the server lives here.

use std::path::Path;
use std::str::FromStr;

use annoqa_core::api::{Progress, ProjectSummary};
use annoqa_core::{Gold, GoldReport, Item, ItemSource, Project, Region, TaskSpec};
use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

/// The server's database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

/// An item as stored: the item and, for gold items, its gold.
#[derive(Clone, Debug)]
pub struct StoredItem {
    pub item: Item,
    pub gold: Option<Gold>,
}

/// A submission about to be stored, with its gold result when the item is gold.
#[derive(Debug)]
pub struct NewSubmission<'a> {
    pub project_id: &'a str,
    pub item_id: &'a str,
    pub annotator: &'a str,
    pub regions: &'a [Region],
    pub lead_time_ms: u64,
    pub created_at_ms: i64,
    pub gold_report: Option<&'a GoldReport>,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("this annotator has already submitted this item")]
    AlreadySubmitted,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Store {
    /// Opens (creating when missing) the SQLite file at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> anyhow::Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open database {}", path.display()))?;
        sqlx::migrate!("./migrations").run(&pool).await.context("cannot migrate the database")?;
        Ok(Store { pool })
    }

    pub async fn project_count(&self) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM projects").fetch_one(&self.pool).await
    }

    /// Stores a project and its items in one transaction: all or nothing.
    pub async fn insert_project(&self, project: &Project, items: &[ItemSource], now_ms: i64) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO projects (id, title, guidelines, spec, created_at_ms) VALUES (?, ?, ?, ?, ?)")
            .bind(&project.id)
            .bind(&project.title)
            .bind(&project.guidelines)
            .bind(serde_json::to_string(&project.spec)?)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("cannot store project `{}`", project.id))?;
        for (position, source) in items.iter().enumerate() {
            let gold = source.gold.as_ref().map(serde_json::to_string).transpose()?;
            sqlx::query("INSERT INTO items (project_id, id, position, item, gold) VALUES (?, ?, ?, ?, ?)")
                .bind(&project.id)
                .bind(&source.item.id)
                .bind(i64::try_from(position)?)
                .bind(serde_json::to_string(&source.item)?)
                .bind(gold)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("cannot store item `{}`", source.item.id))?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn projects(&self) -> anyhow::Result<Vec<ProjectSummary>> {
        let rows = sqlx::query(
            "SELECT p.id, p.title, p.spec, (SELECT COUNT(*) FROM items i WHERE i.project_id = p.id) AS n
             FROM projects p ORDER BY p.title, p.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let spec: TaskSpec = serde_json::from_str(row.get("spec"))?;
                Ok(ProjectSummary {
                    id: row.get("id"),
                    title: row.get("title"),
                    media: spec.media,
                    items: u32::try_from(row.get::<i64, _>("n"))?,
                })
            })
            .collect()
    }

    pub async fn project(&self, id: &str) -> anyhow::Result<Option<Project>> {
        let Some(row) = sqlx::query("SELECT id, title, guidelines, spec FROM projects WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Project {
            id: row.get("id"),
            title: row.get("title"),
            guidelines: row.get("guidelines"),
            spec: serde_json::from_str(row.get("spec")).context("stored spec is not valid")?,
        }))
    }

    pub async fn item(&self, project_id: &str, item_id: &str) -> anyhow::Result<Option<StoredItem>> {
        let row = sqlx::query("SELECT item, gold FROM items WHERE project_id = ? AND id = ?")
            .bind(project_id)
            .bind(item_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| stored_item(&row)).transpose()
    }

    /// The first item, in project order, that `annotator` has not submitted, and their progress.
    pub async fn next_item(&self, project_id: &str, annotator: &str) -> anyhow::Result<(Option<StoredItem>, Progress)> {
        let row = sqlx::query(
            "SELECT i.item, i.gold FROM items i
             WHERE i.project_id = ?1 AND NOT EXISTS (
                 SELECT 1 FROM submissions s
                 WHERE s.project_id = i.project_id AND s.item_id = i.id AND s.annotator = ?2)
             ORDER BY i.position LIMIT 1",
        )
        .bind(project_id)
        .bind(annotator)
        .fetch_optional(&self.pool)
        .await?;
        let counts = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM submissions WHERE project_id = ?1 AND annotator = ?2) AS done,
                    (SELECT COUNT(*) FROM items WHERE project_id = ?1) AS total",
        )
        .bind(project_id)
        .bind(annotator)
        .fetch_one(&self.pool)
        .await?;
        let progress = Progress {
            done: u32::try_from(counts.get::<i64, _>("done"))?,
            total: u32::try_from(counts.get::<i64, _>("total"))?,
        };
        Ok((row.map(|row| stored_item(&row)).transpose()?, progress))
    }

    /// Stores a submission; returns its id.
    pub async fn insert_submission(&self, s: &NewSubmission<'_>) -> Result<i64, SubmitError> {
        let regions = serde_json::to_string(s.regions).map_err(|e| sqlx::Error::Encode(e.into()))?;
        let report = s.gold_report.map(serde_json::to_string).transpose().map_err(|e| sqlx::Error::Encode(e.into()))?;
        let result = sqlx::query(
            "INSERT INTO submissions
               (project_id, item_id, annotator, regions, lead_time_ms, created_at_ms, gold_score, gold_passed, gold_report)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(s.project_id)
        .bind(s.item_id)
        .bind(s.annotator)
        .bind(regions)
        .bind(i64::try_from(s.lead_time_ms).unwrap_or(i64::MAX))
        .bind(s.created_at_ms)
        .bind(s.gold_report.map(|r| r.score))
        .bind(s.gold_report.map(|r| r.passed))
        .bind(report)
        .execute(&self.pool)
        .await;
        match result {
            Ok(done) => Ok(done.last_insert_rowid()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(SubmitError::AlreadySubmitted),
            Err(e) => Err(e.into()),
        }
    }

    /// The underlying pool, for tests and tools that inspect the database.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn stored_item(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<StoredItem> {
    let item = serde_json::from_str(row.get("item")).context("stored item is not valid")?;
    let gold = row
        .get::<Option<String>, _>("gold")
        .map(|g| serde_json::from_str(&g))
        .transpose()
        .context("stored gold is not valid")?;
    Ok(StoredItem { item, gold })
}
