//! Users, sessions, API tokens, login attempts and project membership.

use annoqa_api::{MemberView, Role, TokenView, UserView};
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

/// An API token's row without its hash, which never leaves the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredToken {
    pub id: i64,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    /// To the minute: a request writes it only when the stored time is older than that.
    pub last_used_at_ms: Option<i64>,
}

impl StoredToken {
    pub fn view(&self) -> TokenView {
        TokenView {
            id: self.id,
            created_at_ms: self.created_at_ms,
            expires_at_ms: self.expires_at_ms,
            last_used_at_ms: self.last_used_at_ms,
        }
    }
}

const TOKEN_COLUMNS: &str =
    "t.id AS token_id, t.created_at_ms AS token_created_at_ms, t.expires_at_ms, t.last_used_at_ms";

fn token(row: &AnyRow) -> sqlx::Result<StoredToken> {
    Ok(StoredToken {
        id: row.try_get("token_id")?,
        created_at_ms: row.try_get("token_created_at_ms")?,
        expires_at_ms: row.try_get("expires_at_ms")?,
        last_used_at_ms: row.try_get("last_used_at_ms")?,
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

    /// Deletes sessions and API tokens that have expired by `now_ms`, idempotency keys first
    /// used before `keys_before_ms` and login attempts before `attempts_before_ms`; returns how
    /// many sessions and keys went. A retry with a purged key is a new request, which the store
    /// answers "already submitted" rather than storing twice.
    pub async fn purge_expired(
        &self,
        now_ms: i64,
        keys_before_ms: i64,
        attempts_before_ms: i64,
    ) -> sqlx::Result<(u64, u64)> {
        let sessions =
            sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1").bind(now_ms).execute(&self.write).await?;
        let keys = sqlx::query("DELETE FROM idempotency_keys WHERE created_at_ms < $1")
            .bind(keys_before_ms)
            .execute(&self.write)
            .await?;
        sqlx::query("DELETE FROM login_attempts WHERE at_ms < $1")
            .bind(attempts_before_ms)
            .execute(&self.write)
            .await?;
        sqlx::query("DELETE FROM api_tokens WHERE expires_at_ms <= $1").bind(now_ms).execute(&self.write).await?;
        Ok((sessions.rows_affected(), keys.rows_affected()))
    }

    /// Counts a login attempt of `username` (lowercased) from `client` as it starts.
    pub async fn insert_login_attempt(&self, id: i64, username: &str, client: &str, at_ms: i64) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO login_attempts (id, username, client, at_ms) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(username)
            .bind(client)
            .bind(at_ms)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Attempts for `username` (lowercased) from any address after `since_ms`: how many, and
    /// when the oldest was.
    pub async fn login_attempts_by_username(&self, username: &str, since_ms: i64) -> sqlx::Result<(i64, Option<i64>)> {
        sqlx::query_as("SELECT COUNT(*), MIN(at_ms) FROM login_attempts WHERE username = $1 AND at_ms > $2")
            .bind(username)
            .bind(since_ms)
            .fetch_one(&self.read)
            .await
    }

    /// Attempts from `client` for any username after `since_ms`: how many, and when the oldest
    /// was.
    pub async fn login_attempts_by_client(&self, client: &str, since_ms: i64) -> sqlx::Result<(i64, Option<i64>)> {
        sqlx::query_as("SELECT COUNT(*), MIN(at_ms) FROM login_attempts WHERE client = $1 AND at_ms > $2")
            .bind(client)
            .bind(since_ms)
            .fetch_one(&self.read)
            .await
    }

    pub async fn delete_login_attempt(&self, id: i64) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM login_attempts WHERE id = $1").bind(id).execute(&self.write).await?;
        Ok(())
    }

    /// Forgets the attempts of `username` (lowercased) from `client`.
    pub async fn clear_login_attempts(&self, username: &str, client: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM login_attempts WHERE username = $1 AND client = $2")
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

    /// Ends every session of the user but `keep` (the session token hash of the caller, if any).
    pub async fn delete_sessions_except(&self, user_id: i64, keep: Option<&str>) -> sqlx::Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }

    /// Replaces the user's password hash; `false` when there is no such user.
    pub async fn set_password_hash(&self, user_id: i64, password_hash: &str) -> sqlx::Result<bool> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn insert_api_token(&self, token_hash: &str, token: &StoredToken, user_id: i64) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, id, user_id, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(token.id)
        .bind(user_id)
        .bind(token.created_at_ms)
        .bind(token.expires_at_ms)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The user of an API token and the token, by the token's hash, expired or not.
    pub async fn token_user(&self, token_hash: &str) -> anyhow::Result<Option<(StoredUser, StoredToken)>> {
        let row = sqlx::query(&format!(
            "SELECT u.id, u.username, u.role, u.vendor, u.password_hash, {TOKEN_COLUMNS} FROM api_tokens t
             JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| Ok((user(&r)?, token(&r)?))).transpose()
    }

    /// The user's API tokens, oldest first.
    pub async fn api_tokens(&self, user_id: i64) -> anyhow::Result<Vec<StoredToken>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.created_at_ms, t.id"
        ))
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| Ok(token(r)?)).collect()
    }

    /// Notes that the token was used at `now_ms`.
    pub async fn touch_api_token(&self, id: i64, now_ms: i64) -> sqlx::Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at_ms = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Revokes the user's token `id`; `false` when the user has no such token.
    pub async fn delete_api_token(&self, user_id: i64, id: i64) -> sqlx::Result<bool> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Revokes every token of the user; how many there were.
    pub async fn delete_api_tokens(&self, user_id: i64) -> sqlx::Result<u64> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1").bind(user_id).execute(&self.write).await?;
        Ok(done.rows_affected())
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
