//! Group commit for SQLite. A single task owns writing: it takes every write job waiting in the
//! queue (up to [`MAX_BATCH`]), runs each inside its own SAVEPOINT of one transaction, commits
//! once, and only then tells each job's caller its result. One fsync then covers a whole batch,
//! which is what lets SQLite with `synchronous = FULL` take more than one commit's worth of
//! submissions per disk flush. A job that fails is rolled back to its savepoint alone; a job
//! that writes with one last statement needs none (see [`Writes`]).
//!
//! On PostgreSQL every job is simply its own transaction on the pool: the server does group
//! commit itself, across connections and replicas.

use std::future::Future;
use std::pin::Pin;

use sqlx::{AnyConnection, AnyPool, Executor};
use tokio::sync::{mpsc, oneshot};

/// Most jobs committed together.
pub(crate) const MAX_BATCH: usize = 256;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A job with its result type erased: runs, says whether it succeeded, and hands back what
/// delivers its result once the batch's commit is known.
type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;
type Run = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, (bool, Deliver)> + Send>;

/// A queued write and whether it needs a savepoint of its own.
pub(crate) struct Job {
    run: Run,
    savepoint: bool,
}

/// What a failed write may leave behind, which decides whether it needs a savepoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Writes {
    /// Several statements: a failure part-way must be rolled back to the job's savepoint.
    Several,
    /// Only the job's last step writes, and a failing step undoes itself (one statement, or a
    /// `group::Group`), so a failed job leaves nothing and a savepoint's two round trips are
    /// saved.
    AtMostOneLast,
}

/// Whether a write must be on disk before its caller hears of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Durability {
    /// Submissions, accounts, everything that must survive a crash once acknowledged.
    Flushed,
    /// State a crash may lose harmlessly: leases (a lost lease only returns its item to the
    /// pool). On PostgreSQL such a commit does not wait for the WAL flush; SQLite batches
    /// flush everything anyway.
    Soft,
}

/// Where writes go.
#[derive(Clone, Debug)]
pub(crate) enum Writer {
    /// PostgreSQL: one transaction per job on the pool.
    Pool(AnyPool),
    /// SQLite: the batching task.
    Batched(mpsc::UnboundedSender<Job>),
}

impl Writer {
    /// Starts the batching task on `pool` (whose one connection it borrows per batch).
    pub(crate) fn batched(pool: AnyPool) -> Writer {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, receiver));
        Writer::Batched(sender)
    }

    /// Runs `job` in a transaction (of its own, or shared with a batch) and returns its result
    /// once that transaction is committed, or, with [`Durability::Soft`], committed without
    /// waiting for the disk. The job's writes count only if it returns `Ok`; `writes` says what
    /// a failure can leave behind.
    pub(crate) async fn write<T, F>(&self, durability: Durability, writes: Writes, job: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, anyhow::Result<T>> + Send + 'static,
    {
        match self {
            Writer::Pool(pool) => {
                let mut tx = pool.begin().await?;
                if durability == Durability::Soft {
                    // PostgreSQL only (this arm): the commit returns before its WAL flush, so
                    // a row lock taken by the job is released without waiting for the disk.
                    tx.execute("SET LOCAL synchronous_commit TO OFF").await?;
                }
                let value = job(&mut tx).await?;
                tx.commit().await?;
                Ok(value)
            }
            Writer::Batched(sender) => {
                let (send, receive) = oneshot::channel::<anyhow::Result<T>>();
                let erased: Run = Box::new(move |conn: &mut AnyConnection| {
                    Box::pin(async move {
                        let result = job(conn).await;
                        let ok = result.is_ok();
                        let deliver: Deliver = Box::new(move |commit: Result<(), String>| {
                            let outcome = match commit {
                                Ok(()) => result,
                                Err(e) => Err(anyhow::anyhow!("the write was not committed: {e}")),
                            };
                            // The caller may have gone (client disconnected): nothing to tell.
                            let _ = send.send(outcome);
                        });
                        (ok, deliver)
                    })
                });
                let job = Job { run: erased, savepoint: writes == Writes::Several };
                sender.send(job).map_err(|_| anyhow::anyhow!("the database writer has stopped"))?;
                receive.await.map_err(|_| anyhow::anyhow!("the database writer dropped a write"))?
            }
        }
    }
}

async fn run(pool: AnyPool, mut receiver: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut delivers = Vec::with_capacity(batch.len());
        let commit = run_batch(&pool, batch, &mut delivers).await.map_err(|e| format!("{e:#}"));
        if let Err(e) = &commit {
            tracing::error!("write batch failed: {e}");
        }
        for deliver in delivers {
            deliver(commit.clone());
        }
    }
}

async fn run_batch(pool: &AnyPool, batch: Vec<Job>, delivers: &mut Vec<Deliver>) -> anyhow::Result<()> {
    // Jobs that never run (no connection, or a failure before their turn) are dropped, which
    // tells their callers the write was lost.
    let mut conn = pool.acquire().await?;
    conn.execute("BEGIN IMMEDIATE").await?;
    let result = run_jobs(&mut conn, batch, delivers).await;
    let result = match result {
        Ok(()) => conn.execute("COMMIT").await.map(|_| ()).map_err(anyhow::Error::from),
        Err(e) => Err(e),
    };
    if result.is_err() {
        // Whatever state the transaction is in, end it before the connection goes back.
        let _ = conn.execute("ROLLBACK").await;
    }
    result
}

async fn run_jobs(conn: &mut AnyConnection, batch: Vec<Job>, delivers: &mut Vec<Deliver>) -> anyhow::Result<()> {
    for job in batch {
        if !job.savepoint {
            let (ok, deliver) = (job.run)(conn).await;
            delivers.push(deliver);
            // A failed statement undoes itself, but some failures (I/O, a full disk) make SQLite
            // roll back the whole transaction. `BEGIN` succeeds only then: the batch is lost,
            // and the jobs after this one must not run outside a transaction.
            if !ok && conn.execute("BEGIN").await.is_ok() {
                anyhow::bail!("a failed write ended the batch's transaction");
            }
            continue;
        }
        conn.execute("SAVEPOINT job").await?;
        let (ok, deliver) = (job.run)(conn).await;
        delivers.push(deliver);
        if !ok {
            conn.execute("ROLLBACK TO SAVEPOINT job").await?;
        }
        conn.execute("RELEASE SAVEPOINT job").await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inserts `id` into `t`; with `then_fail`, inserts it once more, which fails.
    fn insert(
        id: i64,
        then_fail: bool,
    ) -> impl for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, anyhow::Result<()>> {
        move |conn| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (id) VALUES ($1)").bind(id).execute(&mut *conn).await?;
                if then_fail {
                    sqlx::query("INSERT INTO t (id) VALUES ($1)").bind(id).execute(&mut *conn).await?;
                }
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn a_failed_job_leaves_nothing_and_its_batch_commits_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::scratch_sqlite(dir.path()).await;
        let writer = Writer::batched(pool.clone());
        // Joined futures all queue their jobs before the writer task first runs (this runtime
        // has one thread), so the five land in one batch.
        let (a, b, c, d, e) = tokio::join!(
            writer.write(Durability::Flushed, Writes::Several, insert(1, false)),
            // Several writes: its first insert (2) must be rolled back with its failure.
            writer.write(Durability::Flushed, Writes::Several, insert(2, true)),
            // One last write that fails (1 exists): nothing to undo, no savepoint.
            writer.write(Durability::Soft, Writes::AtMostOneLast, insert(1, false)),
            writer.write(Durability::Soft, Writes::AtMostOneLast, insert(3, false)),
            writer.write(Durability::Flushed, Writes::Several, insert(4, false)),
        );
        assert!(a.is_ok() && d.is_ok() && e.is_ok(), "{a:?} {d:?} {e:?}");
        assert!(b.is_err() && c.is_err());
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM t ORDER BY id").fetch_all(&pool).await.unwrap();
        assert_eq!(ids, [1, 3, 4]);
    }
}
