//! Lock waits: how long a migration that gave up waiting for a lock waits
//! before its next try ([`Retry`]), and what held the lock, seen from a
//! second connection while a try runs ([`Watch`]).

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::driver::Backend;
use crate::sql::sql_str;

/// The first pause between tries, doubled after each up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// The longest pause: long enough for the queue behind the lock to drain,
/// short enough to catch a blocker that ends.
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

/// The tries of one migration within the retry budget.
#[derive(Debug)]
pub(crate) struct Retry {
    started: Instant,
    budget: Duration,
    /// Tries that ended waiting for a lock so far.
    failures: u32,
    pause: Duration,
}

impl Retry {
    pub fn new(budget: Duration) -> Self {
        Retry {
            started: Instant::now(),
            budget,
            failures: 0,
            pause: FIRST_PAUSE,
        }
    }

    /// How many times the migration was tried again so far.
    pub fn retries(&self) -> u32 {
        self.failures
    }

    /// How many times it ran, counting the one that just failed.
    pub fn attempts(&self) -> u32 {
        self.failures + 1
    }

    /// After a try that gave up waiting for a lock: the pause before the
    /// next one (exponential, with jitter so that migrators and the
    /// application's retries do not fall into step), or `None` once the
    /// budget is spent.
    pub fn next_pause(&mut self) -> Option<Duration> {
        let left = self.budget.checked_sub(self.started.elapsed())?;
        if left.is_zero() {
            return None;
        }
        let half = self.pause / 2;
        let jitter = half.mul_f64(random_fraction());
        self.pause = (self.pause * 2).min(LONGEST_PAUSE);
        self.failures += 1;
        Some((half + jitter).min(left))
    }
}

/// A number in [0, 1) from the process's random hash keys: jitter needs no
/// more.
fn random_fraction() -> f64 {
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Watches, from a connection of its own, what keeps a migration's session
/// waiting for a lock while one try runs: the dialect's
/// [`blockers`](crate::sql::Dialect::blockers) query, asked from half the
/// lock wait on (a try that finishes sooner never opens the connection),
/// then every quarter of it. Stops, closing its connection, when dropped.
#[derive(Debug)]
pub(crate) struct Watch {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Option<String>>>,
}

impl Watch {
    pub fn start<B: Backend>(url: &str, query: String, lock_wait: Duration) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(None));
        let (url, stopped, found) = (url.to_owned(), stop.clone(), seen.clone());
        let every = (lock_wait / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
        tokio::spawn(async move {
            tokio::time::sleep(lock_wait / 2).await;
            if stopped.load(Ordering::SeqCst) {
                return;
            }
            // The busy timeout is SQLite's, which has no watch.
            let Ok(mut conn) = B::open(&url, lock_wait).await else {
                return;
            };
            while !stopped.load(Ordering::SeqCst) {
                if let Ok(Some(blockers)) = conn.fetch_text(sql_str(query.clone())).await {
                    if let Ok(mut seen) = found.lock() {
                        *seen = Some(blockers);
                    }
                }
                tokio::time::sleep(every).await;
            }
            let _ = conn.close().await;
        });
        Watch { stop, seen }
    }

    /// What held the lock when last seen.
    pub fn seen(&self) -> Option<String> {
        self.seen.lock().ok().and_then(|seen| seen.clone())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_with_jitter_and_stop_at_the_budget() {
        let mut retry = Retry::new(Duration::from_secs(3600));
        let pauses: Vec<Duration> = (0..8).map(|_| retry.next_pause().unwrap()).collect();
        for (pause, full) in pauses
            .iter()
            .zip([100, 200, 400, 800, 1600, 3200, 5000, 5000])
        {
            let full = Duration::from_millis(full);
            assert!(
                *pause >= full / 2 && *pause <= full,
                "{pause:?} for {full:?}"
            );
        }
        assert_eq!(retry.retries(), 8);
        assert_eq!(retry.attempts(), 9);
        assert!(Retry::new(Duration::ZERO).next_pause().is_none());
        let mut short = Retry::new(Duration::from_millis(30));
        assert!(short.next_pause().unwrap() <= Duration::from_millis(30));
    }
}
