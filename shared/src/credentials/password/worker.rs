//! Where hashes are computed: on tokio's blocking pool, at most `ARGON2_MAX_CONCURRENT`
//! at a time. A caller that waits longer than [`PERMIT_WAIT`] for a turn gets
//! [`Error::Busy`] (503): refused, never queued without bound. The permit travels with
//! the job, so a cancelled request still holds it until its hash is done, and the
//! memory in use never exceeds the limit times the hash's memory.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// Longest wait for a turn before the request is refused.
pub const PERMIT_WAIT: Duration = Duration::from_secs(2);

/// The bounded pool of hash computations.
#[derive(Debug, Clone)]
pub(crate) struct Worker {
    permits: Arc<Semaphore>,
}

impl Worker {
    /// A worker running at most `max_concurrent` jobs (at least 1).
    pub(crate) fn new(max_concurrent: usize) -> Self {
        Worker {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
    }

    /// Runs `job` on the blocking pool once a permit is free.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let permit = tokio::time::timeout(PERMIT_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| Error::Busy("password_hasher"))?
            .map_err(|_| Error::Internal("password worker closed".into()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|e| Error::Internal(format!("password worker: {e}")))
    }

    /// Takes every permit (tests: a worker with no free turn).
    #[cfg(test)]
    pub(crate) async fn occupy(&self) -> tokio::sync::OwnedSemaphorePermit {
        let all = u32::try_from(self.permits.available_permits()).unwrap();
        self.permits.clone().acquire_many_owned(all).await.unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_caller_waiting_more_than_two_seconds_for_a_turn_gets_503() {
        let worker = Worker::new(2);
        let _all = worker.occupy().await;
        let started = tokio::time::Instant::now();
        let err = worker.run(|| 1).await.unwrap_err();
        assert!(matches!(err, Error::Busy("password_hasher")), "{err:?}");
        assert_eq!(err.status().as_u16(), 503);
        assert_eq!(err.code(), "temporarily_unavailable");
        assert_eq!(started.elapsed(), PERMIT_WAIT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_freed_within_two_seconds_runs_the_job() {
        let worker = Worker::new(1);
        let held = worker.occupy().await;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1_900)).await;
            drop(held);
        });
        assert_eq!(worker.run(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn at_most_the_limit_runs_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let worker = Worker::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let jobs = (0..6).map(|_| {
            let (running, peak) = (running.clone(), peak.clone());
            let worker = worker.clone();
            async move {
                worker
                    .run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(50));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
            }
        });
        for r in futures_join_all(jobs).await {
            r.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    /// Runs the futures concurrently on this task.
    async fn futures_join_all<F: std::future::Future + Send + 'static>(
        futures: impl Iterator<Item = F>,
    ) -> Vec<F::Output>
    where
        F::Output: Send + 'static,
    {
        let handles: Vec<_> = futures.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }
}
