//! The one Argon2 pool: every client secret hashed or checked (client create and import,
//! secret add, dynamic registration, token endpoint authentication, the decoy check for
//! unknown clients) runs here.
//!
//! A fixed number of worker threads (one per core by default) each own their Argon2 working
//! memory and reuse it for every job, so memory stays at `workers × 19 MiB` however many
//! requests arrive, and give it back after 10 s without a job. At most `workers + queue` jobs are accepted at once; past that a caller is
//! told [`Busy`] at once (an HTTP 503 with `Retry-After`) instead of waiting behind the queue.

use std::sync::Arc;

use crate::domain::secret::{Argon2Memory, ClientSecret};

/// The pool is full: the job was not accepted. Retry shortly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the Argon2 pool is full")]
pub struct Busy;

/// Why a secret was not hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error("{0}")]
    Failed(String),
}

type Job = Box<dyn FnOnce(&mut Argon2Memory) + Send>;

/// A bounded pool of Argon2 worker threads. Dropping it lets the workers finish their jobs,
/// exit and free their memory.
pub struct Hasher {
    jobs: flume::Sender<Job>,
    /// One permit per job accepted and not yet finished: running or queued.
    slots: Arc<tokio::sync::Semaphore>,
    workers: usize,
    metrics: Arc<crate::metrics::Metrics>,
}

impl Hasher {
    /// `workers` threads (at least one) and room for `queue` waiting jobs besides the running ones.
    pub fn new(workers: usize, queue: usize, metrics: Arc<crate::metrics::Metrics>) -> Hasher {
        // Each worker waits on the channel itself (many receivers), so each notices on its own
        // when it has been idle long enough to release its memory.
        let (sender, receiver) = flume::unbounded::<Job>();
        let mut started = 0;
        for n in 0..workers.max(1) {
            let receiver = receiver.clone();
            match std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || work(&receiver)) {
                Ok(_) => started += 1,
                Err(e) => tracing::error!(error = %e, "cannot start an Argon2 worker thread"),
            }
        }
        Hasher {
            jobs: sender,
            slots: Arc::new(tokio::sync::Semaphore::new(started + queue)),
            workers: started,
            metrics,
        }
    }

    /// Worker threads running.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `job` on a worker with that worker's memory, in the caller's span; [`Busy`] at once
    /// when the pool holds as many jobs as it accepts.
    async fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Argon2Memory) -> R + Send + 'static,
    ) -> Result<R, Busy> {
        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
            self.metrics.argon2_jobs.miss();
            return Err(Busy);
        };
        self.metrics.argon2_jobs.hit();
        let (reply, answer) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |memory| {
            let result = span.in_scope(|| job(memory));
            // The slot is free before the caller hears back, so its next job finds room.
            drop(slot);
            let _ = reply.send(result);
        });
        self.jobs.send(job).map_err(|_| Busy)?;
        // A worker that died (it cannot panic, but) drops the reply: the caller retries.
        answer.await.map_err(|_| Busy)
    }

    /// The Argon2id PHC string of `secret`.
    pub async fn hash(&self, secret: &ClientSecret) -> Result<String, HashError> {
        let secret = secret.clone();
        self.run(move |memory| secret.hash_with(memory)).await?.map_err(HashError::Failed)
    }

    /// Whether `secret` matches one of `hashes`.
    pub async fn matches_any(&self, secret: &ClientSecret, hashes: Vec<String>) -> Result<bool, Busy> {
        if hashes.is_empty() {
            return Ok(false);
        }
        let secret = secret.clone();
        self.run(move |memory| hashes.iter().any(|hash| secret.verify_with(hash, memory))).await
    }
}

impl Hasher {
    /// Whether `secret` matches one of `hashes`, each checked even after a match, so the time
    /// taken tells only how many hashes there were (basic-auth passwords).
    pub async fn matches_any_checking_each(&self, secret: &ClientSecret, hashes: Vec<String>) -> Result<bool, Busy> {
        let secret = secret.clone();
        self.run(move |memory| hashes.iter().fold(false, |found, hash| secret.verify_with(hash, memory) | found)).await
    }

    /// The Argon2 work of checking a secret that has nothing to match (an unknown username),
    /// so the answer's timing does not tell it from a wrong password.
    pub async fn check_decoy(&self, secret: &ClientSecret) -> Result<(), Busy> {
        static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let decoy = match DECOY.get() {
            Some(decoy) => decoy.clone(),
            None => match self.hash(&ClientSecret::generate()).await {
                Ok(decoy) => DECOY.get_or_init(|| decoy).clone(),
                Err(HashError::Busy(busy)) => return Err(busy),
                Err(HashError::Failed(_)) => String::new(),
            },
        };
        self.matches_any_checking_each(secret, vec![decoy]).await.map(|_| ())
    }
}

/// How long a worker keeps its Argon2 memory without a job: a node whose clients' secrets are
/// all verified (remembered by the cache) gives the 19 MiB per worker back.
const IDLE_RELEASE: std::time::Duration = std::time::Duration::from_secs(10);

/// What the process's allocator needs to hand memory freed on this thread back to the system
/// at once: set by `main`, which chose the allocator. An idle worker makes no further
/// allocation that would otherwise prompt it.
static ON_RELEASE: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Sets what a worker calls after releasing its Argon2 memory (once per process).
pub fn on_release(hook: fn()) {
    let _ = ON_RELEASE.set(hook);
}

/// A worker: takes jobs until the pool is dropped, with memory kept from one job to the next
/// while jobs keep coming, and released after [`IDLE_RELEASE`] without one.
fn work(receiver: &flume::Receiver<Job>) {
    let mut memory = Argon2Memory::default();
    loop {
        match receiver.recv_timeout(IDLE_RELEASE) {
            Ok(job) => job(&mut memory),
            Err(flume::RecvTimeoutError::Timeout) if memory.is_held() => {
                memory = Argon2Memory::default();
                if let Some(release) = ON_RELEASE.get() {
                    release();
                }
            }
            Err(flume::RecvTimeoutError::Timeout) => {}
            Err(flume::RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_past_the_workers_and_the_queue_are_refused_at_once() {
        let hasher = Arc::new(Hasher::new(1, 1, Default::default()));
        let secret = ClientSecret::generate();
        let hashes: Vec<_> =
            (0..6).map(|_| (hasher.clone(), secret.clone())).map(|(h, s)| async move { h.hash(&s).await }).collect();
        let results = futures_join(hashes).await;
        let done = results.iter().filter(|r| r.is_ok()).count();
        let busy = results.iter().filter(|r| matches!(r, Err(HashError::Busy(_)))).count();
        assert_eq!((done, busy), (2, 4), "one running, one queued, the rest refused");
        // Once the pool is free again, it accepts work.
        let hash = hasher.hash(&secret).await.unwrap_or_default();
        assert_eq!(hasher.matches_any(&secret, vec![hash]).await, Ok(true));
        assert_eq!(hasher.matches_any(&secret, Vec::new()).await, Ok(false));
    }

    /// Starts every future before awaiting any, as concurrent requests would.
    async fn futures_join<F: std::future::Future + Send + 'static>(futures: Vec<F>) -> Vec<F::Output>
    where
        F::Output: Send,
    {
        let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
        let mut results = Vec::new();
        for handle in handles {
            if let Ok(result) = handle.await {
                results.push(result);
            }
        }
        results
    }
}
