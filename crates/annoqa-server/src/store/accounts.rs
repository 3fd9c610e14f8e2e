//! Users, sessions, API tokens and project membership.

use annoqa_api::{MemberView, Role, UserView};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{is_unique_violation, new_id, text, Store};

/// A user row. `password_hash` stays inside the server: [`StoredUser::view`] is what leaves it.
#[derive(Clone)]
pub struct StoredUser {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub vendor: Option<String>,
    pub password_hash: String,
}

impl std::fmt::Debug for StoredUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredUser").field("id", &self.id).field("username", &self.username).finish_non_exhaustive()
    }
}

impl StoredUser {
    pub fn view(&self) -> UserView {
        UserView { id: self.id, username: self.username.clone(), role: self.role, vendor: self.vendor.clone() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("username `{0}` is taken")]
    Taken(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

const USER_COLUMNS: &str = "id, username, role, vendor, password_hash";

fn user(row: &AnyRow) -> anyhow::Result<StoredUser> {
    let role = text(row, "role")?;
    Ok(StoredUser {
        id: row.try_get("id")?,
        username: text(row, "username")?,
        role: Role::parse(&role).ok_or_else(|| anyhow::anyhow!("stored role `{role}` is unknown"))?,
        vendor: row.try_get("vendor")?,
        password_hash: text(row, "password_hash")?,
    })
}

impl Store {
    pub async fn user_count(&self) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.read).await
    }

    pub async fn insert_user(
        &self,
        username: &str,
        role: Role,
        vendor: Option<&str>,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<StoredUser, UserError> {
        let id = new_id();
        let result = sqlx::query(
            "INSERT INTO users (id, username, password_hash, role, vendor, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(username)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(vendor)
        .bind(now_ms)
        .execute(&self.write)
        .await;
        match result {
            Ok(_) => Ok(StoredUser {
                id,
                username: username.to_string(),
                role,
                vendor: vendor.map(str::to_string),
                password_hash: password_hash.to_string(),
            }),
            Err(e) if is_unique_violation(&e) => Err(UserError::Taken(username.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn user_by_name(&self, username: &str) -> anyhow::Result<Option<StoredUser>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"))
            .bind(username)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| user(&r)).transpose()
    }

    pub async fn user_by_id(&self, id: i64) -> anyhow::Result<Option<StoredUser>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| user(&r)).transpose()
    }

    pub async fn users(&self) -> anyhow::Result<Vec<StoredUser>> {
        let rows =
            sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY username")).fetch_all(&self.read).await?;
        rows.iter().map(user).collect()
    }

    /// Stores a new session of the user, dropping their sessions that have ended.
    pub async fn insert_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at_ms <= $2")
            .bind(user_id)
            .bind(now_ms)
            .execute(&self.write)
            .await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now_ms)
            .bind(expires_at_ms)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The user of a live session, by the session token's hash.
    pub async fn session_user(&self, token_hash: &str, now_ms: i64) -> anyhow::Result<Option<StoredUser>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.role, u.vendor, u.password_hash FROM sessions s
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at_ms > $2",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| user(&r)).transpose()
    }

    /// Deletes sessions that have expired by `now_ms`, idempotency keys first used before
    /// `keys_before_ms` and failed logins before `failures_before_ms`; returns how many
    /// sessions and keys went. A retry with a purged key is a new request, which the store
    /// answers "already submitted" rather than storing twice.
    pub async fn purge_expired(
        &self,
        now_ms: i64,
        keys_before_ms: i64,
        failures_before_ms: i64,
    ) -> sqlx::Result<(u64, u64)> {
        let sessions =
            sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1").bind(now_ms).execute(&self.write).await?;
        let keys = sqlx::query("DELETE FROM idempotency_keys WHERE created_at_ms < $1")
            .bind(keys_before_ms)
            .execute(&self.write)
            .await?;
        sqlx::query("DELETE FROM login_failures WHERE at_ms < $1")
            .bind(failures_before_ms)
            .execute(&self.write)
            .await?;
        Ok((sessions.rows_affected(), keys.rows_affected()))
    }

    /// Failed logins of `username` (lowercased) from `client` after `since_ms`.
    pub async fn login_failures_since(&self, username: &str, client: &str, since_ms: i64) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE username = $1 AND client = $2 AND at_ms > $3")
            .bind(username)
            .bind(client)
            .bind(since_ms)
            .fetch_one(&self.read)
            .await
    }

    pub async fn record_login_failure(&self, username: &str, client: &str, at_ms: i64) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO login_failures (username, client, at_ms) VALUES ($1, $2, $3)")
            .bind(username)
            .bind(client)
            .bind(at_ms)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn clear_login_failures(&self, username: &str, client: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1 AND client = $2")
            .bind(username)
            .bind(client)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> sqlx::Result<bool> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.write).await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn insert_api_token(&self, token_hash: &str, user_id: i64, now_ms: i64) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO api_tokens (token_hash, user_id, created_at_ms) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now_ms)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn token_user(&self, token_hash: &str) -> anyhow::Result<Option<StoredUser>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.role, u.vendor, u.password_hash FROM api_tokens t
             JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| user(&r)).transpose()
    }

    /// Adds `user_id` to the project with `role`, or changes their role there.
    pub async fn set_member(&self, project_id: &str, user_id: i64, role: Role) -> sqlx::Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2")
            .bind(project_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(project_id)
            .bind(user_id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    pub async fn remove_member(&self, project_id: &str, user_id: i64) -> sqlx::Result<bool> {
        let done = sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2")
            .bind(project_id)
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn members(&self, project_id: &str) -> anyhow::Result<Vec<MemberView>> {
        let rows = sqlx::query(
            "SELECT u.id, u.username, u.role, u.vendor, u.password_hash, m.role AS member_role
             FROM project_members m JOIN users u ON u.id = m.user_id
             WHERE m.project_id = $1 ORDER BY u.username",
        )
        .bind(project_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                let role = text(row, "member_role")?;
                Ok(MemberView {
                    user: user(row)?.view(),
                    role: Role::parse(&role)
                        .ok_or_else(|| anyhow::anyhow!("stored member role `{role}` is unknown"))?,
                })
            })
            .collect()
    }
}
