//! Projects, their items and settings.

use annoqa_api::{AssignmentPolicy, ProjectSummary, Role};
use annoqa_core::{Gold, Item, ItemSource, Project, Region, TaskSpec};
use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json, text, u32_of, Store};

/// An item as stored: the item, for gold items its gold, and the model's predictions its
/// drafts start from (empty when it has none).
#[derive(Clone, Debug)]
pub struct StoredItem {
    pub item: Item,
    pub gold: Option<Gold>,
    pub predictions: Vec<Region>,
}

/// An item about to be stored: its source (item and gold), the model's predictions, checked
/// like an annotation (`import::ItemChecker`), and its probed media metadata (annoqa-media's
/// JSON) when its file was probed.
#[derive(Clone, Debug)]
pub struct NewItem {
    pub source: ItemSource,
    pub predictions: Vec<Region>,
    pub media_info: Option<String>,
}

/// A project with its assignment policy.
#[derive(Clone, Debug)]
pub struct ProjectSettings {
    pub project: Project,
    pub assignment: AssignmentPolicy,
}

/// The item of a row with the columns `item`, `gold` and `predictions`.
pub(super) fn stored_item(row: &AnyRow) -> anyhow::Result<StoredItem> {
    let item = json(row, "item")?;
    let gold = row
        .try_get::<Option<String>, _>("gold")?
        .map(|g| serde_json::from_str(&g))
        .transpose()
        .context("stored gold is not valid")?;
    let predictions = row
        .try_get::<Option<String>, _>("predictions")?
        .map(|p| serde_json::from_str(&p))
        .transpose()
        .context("stored predictions are not valid")?
        .unwrap_or_default();
    Ok(StoredItem { item, gold, predictions })
}

impl Store {
    pub async fn project_count(&self) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM projects").fetch_one(&self.read).await
    }

    /// Stores a project and its items in one transaction: all or nothing.
    pub async fn insert_project(
        &self,
        project: &Project,
        assignment: &AssignmentPolicy,
        items: &[NewItem],
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO projects
               (id, title, guidelines, spec, overlap, lease_ms, gold_onboarding, gold_rate, created_at_ms, gold_max_exposure)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&project.id)
        .bind(&project.title)
        .bind(&project.guidelines)
        .bind(serde_json::to_string(&project.spec)?)
        .bind(i64::from(assignment.overlap))
        .bind(i64::try_from(assignment.lease_ms).unwrap_or(i64::MAX))
        .bind(i64::from(assignment.gold_onboarding))
        .bind(assignment.gold_rate)
        .bind(now_ms)
        .bind(assignment.gold_max_exposure)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("cannot store project `{}`", project.id))?;
        insert_items(&mut tx, &project.id, 0, items).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends items to a project in one transaction: all or nothing. Fails on an id the
    /// project already has.
    pub async fn append_items(&self, project_id: &str, items: &[NewItem]) -> anyhow::Result<()> {
        let mut tx = self.write.begin().await?;
        let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position) + 1, 0) FROM items WHERE project_id = $1")
            .bind(project_id)
            .fetch_one(&mut *tx)
            .await?;
        insert_items(&mut tx, project_id, next, items).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every item id of the project.
    pub async fn existing_item_ids(&self, project_id: &str) -> anyhow::Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM items WHERE project_id = $1")
            .bind(project_id)
            .fetch_all(&self.read)
            .await?)
    }

    /// Bytes of media uploads the project holds.
    pub async fn media_bytes(&self, project_id: &str) -> anyhow::Result<u64> {
        let bytes: Option<i64> = sqlx::query_scalar("SELECT media_bytes FROM projects WHERE id = $1")
            .bind(project_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(u64::try_from(bytes.unwrap_or(0)).unwrap_or(0))
    }

    /// Counts an upload of `bytes` against the project's `quota`: false, counting nothing, when
    /// the project's uploads would exceed it. One statement, so concurrent uploads (on any
    /// replica) cannot pass the quota together.
    pub async fn add_media_bytes(&self, project_id: &str, bytes: u64, quota: u64) -> anyhow::Result<bool> {
        let done =
            sqlx::query("UPDATE projects SET media_bytes = media_bytes + $1 WHERE id = $2 AND media_bytes + $1 <= $3")
                .bind(i64::try_from(bytes)?)
                .bind(project_id)
                .bind(i64::try_from(quota).unwrap_or(i64::MAX))
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes back an upload counted by [`Store::add_media_bytes`] whose file was not kept.
    pub async fn remove_media_bytes(&self, project_id: &str, bytes: u64) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE projects SET media_bytes = CASE WHEN media_bytes > $1 THEN media_bytes - $1 ELSE 0 END WHERE id = $2",
        )
        .bind(i64::try_from(bytes)?)
        .bind(project_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Projects the user may see: every project for `all`, else those they are a member of.
    pub async fn projects_for(&self, user_id: i64, all: bool) -> anyhow::Result<Vec<ProjectSummary>> {
        let rows = sqlx::query(
            "SELECT p.id, p.title, p.spec, (SELECT COUNT(*) FROM items i WHERE i.project_id = p.id) AS n
             FROM projects p
             WHERE $1 OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = $2)
             ORDER BY p.title, p.id",
        )
        .bind(all)
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                let spec: TaskSpec = json(row, "spec")?;
                Ok(ProjectSummary {
                    id: text(row, "id")?,
                    title: text(row, "title")?,
                    media: spec.media,
                    items: u32_of(row.try_get("n")?),
                })
            })
            .collect()
    }

    pub async fn project(&self, id: &str) -> anyhow::Result<Option<ProjectSettings>> {
        Ok(self.project_with_role(id, 0).await?.map(|(settings, _)| settings))
    }

    /// The project and the user's role in it (if they are a member), in one query: every
    /// project request starts here.
    pub async fn project_with_role(
        &self,
        id: &str,
        user_id: i64,
    ) -> anyhow::Result<Option<(ProjectSettings, Option<Role>)>> {
        let Some(row) = sqlx::query(
            "SELECT p.id, p.title, p.guidelines, p.spec, p.overlap, p.lease_ms, p.gold_onboarding, p.gold_rate,
                    p.gold_max_exposure,
                    (SELECT m.role FROM project_members m WHERE m.project_id = p.id AND m.user_id = $2) AS member_role
             FROM projects p WHERE p.id = $1",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.read)
        .await?
        else {
            return Ok(None);
        };
        let project = Project {
            id: text(&row, "id")?,
            title: text(&row, "title")?,
            guidelines: text(&row, "guidelines")?,
            spec: json(&row, "spec")?,
        };
        let assignment = AssignmentPolicy {
            overlap: u32_of(row.try_get("overlap")?),
            lease_ms: u64::try_from(row.try_get::<i64, _>("lease_ms")?).unwrap_or(0),
            gold_onboarding: u32_of(row.try_get("gold_onboarding")?),
            gold_rate: row.try_get("gold_rate")?,
            gold_max_exposure: row.try_get("gold_max_exposure")?,
        };
        let role = row
            .try_get::<Option<String>, _>("member_role")?
            .map(|r| Role::parse(&r).ok_or_else(|| anyhow::anyhow!("stored member role `{r}` is unknown")))
            .transpose()?;
        Ok(Some((ProjectSettings { project, assignment }, role)))
    }

    pub async fn item(&self, project_id: &str, item_id: &str) -> anyhow::Result<Option<StoredItem>> {
        let row = sqlx::query("SELECT item, gold, predictions FROM items WHERE project_id = $1 AND id = $2")
            .bind(project_id)
            .bind(item_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| stored_item(&row)).transpose()
    }

    /// Every item of the project, in order (export, review).
    pub async fn items(&self, project_id: &str) -> anyhow::Result<Vec<StoredItem>> {
        let rows = sqlx::query("SELECT item, gold, predictions FROM items WHERE project_id = $1 ORDER BY position")
            .bind(project_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(stored_item).collect()
    }
}

async fn insert_items(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    project_id: &str,
    first_position: i64,
    items: &[NewItem],
) -> anyhow::Result<()> {
    for (offset, NewItem { source, predictions, media_info }) in items.iter().enumerate() {
        let gold = source.gold.as_ref().map(serde_json::to_string).transpose()?;
        let predictions = if predictions.is_empty() { None } else { Some(serde_json::to_string(predictions)?) };
        sqlx::query(
            "INSERT INTO items (project_id, id, position, item, gold, is_gold, media_info, predictions)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(project_id)
        .bind(&source.item.id)
        .bind(first_position + i64::try_from(offset)?)
        .bind(serde_json::to_string(&source.item)?)
        .bind(gold)
        .bind(source.gold.is_some())
        .bind(media_info.as_deref())
        .bind(predictions)
        .execute(&mut **tx)
        .await
        .with_context(|| format!("cannot store item `{}`", source.item.id))?;
    }
    Ok(())
}
