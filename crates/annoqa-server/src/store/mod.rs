//! Storage: every SQL statement of the server lives under this module.
//!
//! One set of queries for SQLite and PostgreSQL through sqlx's `Any` driver: `$n` placeholders
//! (SQLite reads `$1` as parameter 1), portable DDL, ids made here rather than by the database,
//! times as `i64` milliseconds. On SQLite every write goes through a single connection, so
//! writers queue in-process instead of retrying `SQLITE_BUSY`; reads use a small pool of their
//! own (WAL lets them run beside the writer). On PostgreSQL both are the same pool.

mod accounts;
mod gold;
mod group;
mod projects;
mod qa;
mod queue;
pub(crate) mod trust;
mod work;
mod writer;

use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

pub(crate) use accounts::UserError;
pub use accounts::{StoredToken, StoredUser};
#[cfg(test)]
pub(crate) use gold::gold_preference;
pub use projects::NewItem;
pub(crate) use projects::{ProjectSettings, StoredItem};
pub(crate) use qa::{NewFeedback, NewReview};
pub(crate) use queue::{
    agreements, GoldMean, Paired, PeerAgreement, QueueEntryRow, QueueOrder, QueuePosition, QueueScope, QueueStatus,
    QueueStrategy,
};
pub(crate) use work::{IdempotentOutcome, NewSubmission, SubmissionRow, SubmitClearance, SubmitOutcome};

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The server's database.
#[derive(Clone, Debug)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    /// The hot writes (assignment, submission) go through here: batched on SQLite.
    writer: writer::Writer,
    backend: Backend,
}

impl Store {
    /// Connects to `url` (`sqlite://FILE` or `postgres://…`), creating a missing SQLite file
    /// and its folder, and brings the schema up to date.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .with_context(|| format!("cannot connect to {}", redact_url(url)))?;
            Store {
                read: pool.clone(),
                write: pool.clone(),
                writer: writer::Writer::Pool(pool),
                backend: Backend::Postgres,
            }
        } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let file = path.split('?').next().unwrap_or_default();
            if file.is_empty() || file == ":memory:" {
                anyhow::bail!("`{url}`: the SQLite database must be a file (several connections share it)");
            }
            if let Some(dir) = std::path::Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let url = if path.contains("mode=") { url.to_string() } else { sqlite_url_with_mode(url) };
            let write = sqlite_pool(&url, 1).await?;
            // The schema must exist before the readers open (and check) it.
            sqlx::migrate!("./migrations").run(&write).await.context("cannot migrate the database")?;
            let read = sqlite_pool(&url, 4).await?;
            let writer = writer::Writer::batched(write.clone());
            let store = Store { read, write, writer, backend: Backend::Sqlite };
            store
                .index_earlier_submissions()
                .await
                .context("cannot index the submissions stored before the review queue")?;
            return Ok(store);
        } else {
            anyhow::bail!("`{url}` is neither a sqlite:// nor a postgres:// URL");
        };
        sqlx::migrate!("./migrations").run(&store.write).await.context("cannot migrate the database")?;
        store
            .index_earlier_submissions()
            .await
            .context("cannot index the submissions stored before the review queue")?;
        Ok(store)
    }

    /// A SQLite file as a [`Store`]: the `--database FILE` shorthand.
    pub async fn open(path: &std::path::Path) -> anyhow::Result<Store> {
        Store::connect(&sqlite_url(path)).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for writes (the only SQLite writer connection), for tests and tools.
    pub fn pool(&self) -> &AnyPool {
        &self.write
    }

    /// Closes every connection (tests drop their PostgreSQL database afterwards).
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// `sqlite://PATH` for a file path, escaping what the URL parser would cut at.
pub fn sqlite_url(path: &std::path::Path) -> String {
    let text = path.display().to_string().replace('%', "%25").replace('?', "%3F").replace('#', "%23");
    format!("sqlite://{text}")
}

fn sqlite_url_with_mode(url: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}

async fn sqlite_pool(url: &str, connections: u32) -> anyhow::Result<AnyPool> {
    AnyPoolOptions::new()
        .max_connections(connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| {
            Box::pin(async move {
                // WAL: readers never block the writer. FULL: a commit is on disk before the
                // client hears 2xx, which the crash test relies on.
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .with_context(|| format!("cannot open database {url}"))
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A random positive 63-bit id. Made here, not by the database, so the same statements work on
/// both backends and replicas never coordinate.
pub fn new_id() -> i64 {
    let mut bytes = [0u8; 8];
    fill_random(&mut bytes);
    let id = i64::from_le_bytes(bytes) & i64::MAX;
    id.max(1)
}

/// Bytes from the operating system's random source.
pub(crate) fn fill_random(bytes: &mut [u8]) {
    // Without an OS random source nothing about sessions or ids is safe: stop rather than
    // continue with predictable values.
    if let Err(e) = getrandom::getrandom(bytes) {
        panic!("the operating system's random source failed: {e}");
    }
}

pub(crate) fn text(row: &AnyRow, column: &str) -> sqlx::Result<String> {
    row.try_get(column)
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> anyhow::Result<T> {
    let raw: String = row.try_get(column)?;
    serde_json::from_str(&raw).with_context(|| format!("stored {column} is not valid"))
}

/// Whether `e` is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub(crate) fn u32_of(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

/// A one-connection SQLite pool in `dir` holding table `t (id BIGINT PRIMARY KEY, s TEXT)`, for
/// the writer's and statement groups' unit tests.
#[cfg(test)]
pub(crate) async fn scratch_sqlite(dir: &std::path::Path) -> AnyPool {
    sqlx::any::install_default_drivers();
    let url = format!("{}?mode=rwc", sqlite_url(&dir.join("scratch.sqlite3")));
    let pool = AnyPoolOptions::new().max_connections(1).connect(&url).await.expect("a scratch SQLite file opens");
    pool.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, s TEXT)").await.expect("the scratch table is created");
    pool
}
