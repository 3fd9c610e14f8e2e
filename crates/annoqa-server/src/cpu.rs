//! A bounded pool for CPU-heavy work (validating and scoring annotations) off the async request
//! threads.
//!
//! `annoqa_core::validate` and `score_gold` are near-linear in an annotation's size, but one near
//! the project's limits still takes long enough that, run on a runtime worker, it would stall
//! every request scheduled behind it there; a few at once would stall the whole server. Jobs run
//! on tokio's blocking threads instead: at most `workers` at a time, at most `queue` more
//! waiting, each for at most [`MAX_WAIT`]. Anything beyond is refused at once with 503 `busy`
//! and `Retry-After`, so a flood of heavy requests costs CPU and memory in proportion to the
//! bound, not to the flood.

use std::sync::Arc;
use std::time::Duration;

use annoqa_api::ApiErrorCode;
use tokio::sync::Semaphore;

use crate::ServerError;

/// Longest a job waits for a worker before its request is refused as `busy`.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(10);

/// What a refused job's client is told to wait, in seconds (`Retry-After`).
pub(crate) const RETRY_AFTER_SECONDS: u32 = 1;

/// The pool's bounds: running jobs and jobs waiting for one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuLimits {
    pub workers: usize,
    pub queue: usize,
}

impl Default for CpuLimits {
    /// One worker fewer than the machine has cores (at least one, at most eight), so a core
    /// stays free for the async threads. 64 waiting: an ordinary annotation takes a
    /// millisecond, so a burst of submissions from a whole team drains at once, while a flood of
    /// heavy ones is refused before it holds more than 64 parsed annotations in memory.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        CpuLimits { workers: cores.saturating_sub(1).clamp(1, 8), queue: 64 }
    }
}

#[derive(Debug)]
pub(crate) struct CpuPool {
    /// One permit per job allowed to run.
    running: Arc<Semaphore>,
    /// One permit per job allowed in the pool at all, running or waiting.
    admitted: Arc<Semaphore>,
    limits: CpuLimits,
}

impl CpuPool {
    pub(crate) fn new(limits: CpuLimits) -> CpuPool {
        let limits = CpuLimits { workers: limits.workers.max(1), queue: limits.queue };
        CpuPool {
            running: Arc::new(Semaphore::new(limits.workers)),
            admitted: Arc::new(Semaphore::new(limits.workers + limits.queue)),
            limits,
        }
    }

    /// Jobs running now.
    pub(crate) fn running(&self) -> usize {
        self.limits.workers - self.running.available_permits()
    }

    /// Runs `job` on a blocking thread once a worker is free, or refuses it as `busy` when the
    /// queue is full or no worker freed up within [`MAX_WAIT`]. The permits move into the job:
    /// a job whose request was dropped meanwhile still counts until it ends.
    pub(crate) async fn run<T, F>(&self, job: F) -> Result<T, ServerError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let admitted = self.admitted.clone().try_acquire_owned().map_err(|_| busy())?;
        let running = tokio::time::timeout(MAX_WAIT, self.running.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|e| ServerError::Internal(e.into()))?;
        tokio::task::spawn_blocking(move || {
            let _permits = (admitted, running);
            job()
        })
        .await
        .map_err(|e| ServerError::Internal(anyhow::anyhow!("a validation job failed: {e}")))
    }
}

fn busy() -> ServerError {
    ServerError::new(
        ApiErrorCode::Busy,
        "the server is checking too many annotations at once; send the same request again shortly",
    )
}
