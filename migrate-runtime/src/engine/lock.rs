//! The migration lock as a value: taken before work that needs it, renewed
//! and checked while the work runs, released by [`Lock::release`] on every
//! path the future completes, and reported if the future is dropped or
//! panics first.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::driver::Backend;
use crate::error::Error;
use crate::options::{LockStrategy, Options};
use crate::sql::history::HistoryTable;
use crate::sql::sql_str;

/// A held migration lock.
#[derive(Debug)]
pub(crate) struct Lock {
    table: HistoryTable,
    held: Held,
    armed: bool,
}

#[derive(Debug)]
enum Held {
    /// The lease row names `owner` until another migrator takes it (which
    /// it may once it expires) or it is released.
    Lease {
        owner: String,
        ttl: Duration,
        heartbeat: Option<Heartbeat>,
        /// Where to release the lease from if the run is dropped or panics.
        url: Option<String>,
    },
    /// The database's session lock, taken by this query.
    Session { try_lock: String },
    /// Nothing held: each step takes the database's write lock (SQLite with
    /// [`LockStrategy::Session`]).
    PerStep,
}

/// What one attempt to take the lock found.
enum Attempt {
    Taken,
    /// Held elsewhere; by whom, where the database can say.
    Busy(Option<String>),
}

impl Lock {
    /// Takes the lock, polling with backoff up to the lock timeout: a
    /// session blocked in a waiting lock call can deadlock another session's
    /// `CREATE INDEX CONCURRENTLY`, and polling keeps the wait cancellable
    /// and logged. With a lease and a `url` to open a second connection, a
    /// heartbeat renews the lease while the work runs.
    pub async fn acquire<B: Backend>(
        conn: &mut B,
        table: &HistoryTable,
        options: &Options,
        url: Option<&str>,
    ) -> Result<Lock, Error> {
        let held = match mechanism(options, table) {
            Mechanism::Lease => Held::Lease {
                owner: owner_id(),
                ttl: options.lease_ttl(),
                heartbeat: None,
                url: url.map(str::to_owned),
            },
            Mechanism::Session(try_lock) => Held::Session { try_lock },
            Mechanism::PerStep => Held::PerStep,
        };
        let mut lock = Lock {
            table: table.clone(),
            held,
            armed: false,
        };
        let timeout = options.lock_timeout();
        let started = Instant::now();
        let mut delay = Duration::from_millis(5);
        let mut announced = None;
        loop {
            match lock.attempt(conn).await? {
                Attempt::Taken => break,
                Attempt::Busy(holder) => {
                    let waited = started.elapsed();
                    if waited >= timeout {
                        return Err(timeout_error(conn, table, timeout, holder).await);
                    }
                    if announced != Some(holder.clone()) {
                        match &holder {
                            Some(holder) => {
                                tracing::info!(target: "migrata", backend = %B::KIND, holder, "waiting for another migrator to finish")
                            }
                            None => {
                                tracing::info!(target: "migrata", backend = %B::KIND, "waiting for another migrator to release the lock")
                            }
                        }
                        announced = Some(holder);
                    }
                    tokio::time::sleep(delay.min(timeout - waited)).await;
                    delay = (delay * 2).min(Duration::from_millis(200));
                }
            }
        }
        lock.armed = true;
        if announced.is_some() {
            tracing::info!(target: "migrata", waited_ms = started.elapsed().as_millis() as u64, "took the migration lock");
        }
        if let Some(sql) = table.dialect().after_lock() {
            // Not every server knows the setting; only cluster nodes need it.
            let _ = conn.execute(sql_str(sql.to_owned())).await;
        }
        if let (
            Held::Lease {
                owner,
                ttl,
                heartbeat,
                ..
            },
            Some(url),
        ) = (&mut lock.held, url)
        {
            *heartbeat = Some(Heartbeat::start::<B>(url, table, owner, *ttl));
        }
        Ok(lock)
    }

    async fn attempt<B: Backend>(&self, conn: &mut B) -> Result<Attempt, Error> {
        let lock_error = |source| Error::Lock { error: source };
        match &self.held {
            Held::PerStep => Ok(Attempt::Taken),
            Held::Session { try_lock } => {
                let taken = conn
                    .fetch_integer(sql_str(try_lock.clone()))
                    .await
                    .map_err(lock_error)?;
                Ok(if taken == 1 {
                    Attempt::Taken
                } else {
                    Attempt::Busy(None)
                })
            }
            Held::Lease { owner, ttl, .. } => {
                let take = self.table.lease().take(owner, *ttl);
                let taken = match conn.execute(sql_str(take.clone())).await {
                    Err(error) if self.is_undefined_table(&error) => {
                        // Only now: DDL on an existing table is not free on
                        // every server (Galera replicates it cluster-wide).
                        self.create_lease_table(conn).await?;
                        conn.execute(sql_str(take)).await
                    }
                    other => other,
                };
                let taken = match taken {
                    Ok(rows) => rows,
                    // Another session holds the write lock, or is creating
                    // the table (SQLite: busy): try again.
                    Err(error) if self.is_conflict(&error) || self.is_undefined_table(&error) => {
                        return Ok(Attempt::Busy(None))
                    }
                    Err(error) => return Err(lock_error(error)),
                };
                if taken == 1 {
                    return Ok(Attempt::Taken);
                }
                let holder = conn
                    .fetch_text(sql_str(self.table.lease().holder()))
                    .await
                    .map_err(lock_error)?;
                if holder.is_none() {
                    // No live lease and no row taken: the row is missing.
                    self.seed(conn).await?;
                }
                Ok(Attempt::Busy(holder))
            }
        }
    }

    async fn create_lease_table<B: Backend>(&self, conn: &mut B) -> Result<(), Error> {
        match conn.execute(sql_str(self.table.lease().create())).await {
            Ok(_) => self.seed(conn).await,
            Err(error) if self.is_conflict(&error) => Ok(()),
            Err(source) => Err(Error::Lock { error: source }),
        }
    }

    async fn seed<B: Backend>(&self, conn: &mut B) -> Result<(), Error> {
        match conn.execute(sql_str(self.table.lease().seed())).await {
            Err(error) if !self.is_conflict(&error) => Err(Error::Lock { error }),
            _ => Ok(()),
        }
    }

    fn is_conflict(&self, error: &sqlx::Error) -> bool {
        matches!(error, sqlx::Error::Database(e) if self.table.dialect().is_conflict(e.as_ref()))
    }

    fn is_undefined_table(&self, error: &sqlx::Error) -> bool {
        matches!(error, sqlx::Error::Database(e) if self.table.dialect().is_undefined_table(e.as_ref()))
    }

    /// Whether holding this lock keeps every other migrator out (see
    /// [`excludes_others`]). Without it (SQLite's per-step write lock),
    /// untransacted steps check and claim their row in one transaction.
    pub fn excludes_others(&self) -> bool {
        !matches!(self.held, Held::PerStep)
    }

    /// Renews the lease and fails if it was lost (it expired while this
    /// migrator was paused, and another took it): called before each history
    /// write, inside the transaction where there is one, so nothing is
    /// recorded by a migrator that no longer holds the lease.
    pub async fn confirm<B: Backend>(&self, conn: &mut B) -> Result<(), Error> {
        let Held::Lease {
            owner,
            ttl,
            heartbeat,
            ..
        } = &self.held
        else {
            return Ok(());
        };
        let renewed = conn
            .execute(sql_str(self.table.lease().renew(owner, *ttl)))
            .await
            .map_err(|source| Error::Lock { error: source })?;
        let lost_by_heartbeat = heartbeat.as_ref().is_some_and(Heartbeat::lost);
        if renewed == 1 && !lost_by_heartbeat {
            return Ok(());
        }
        Err(Error::LeaseLost {
            owner: owner.clone(),
            ttl: *ttl,
        })
    }

    /// A condition history writes made outside a transaction add, so they
    /// affect no row once the lease is lost.
    pub fn fence(&self) -> Option<String> {
        match &self.held {
            Held::Lease { owner, .. } => Some(self.table.lease().while_held(owner)),
            Held::Session { .. } | Held::PerStep => None,
        }
    }

    /// Releases the lock.
    pub async fn release<B: Backend>(mut self, conn: &mut B) -> Result<(), Error> {
        // Whatever the server says, this value no longer stands for a lock.
        self.armed = false;
        let sql = match &mut self.held {
            Held::Lease {
                owner, heartbeat, ..
            } => {
                // Stop renewing before giving the lease up.
                heartbeat.take();
                Some(self.table.lease().release(owner))
            }
            Held::Session { .. } => self.table.dialect().unlock(self.table.name()),
            Held::PerStep => None,
        };
        match sql {
            Some(sql) => conn
                .execute(sql_str(sql))
                .await
                .map(drop)
                .map_err(|source| Error::Lock { error: source }),
            None => Ok(()),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        match &mut self.held {
            Held::Lease {
                owner,
                ttl,
                heartbeat,
                url,
            } => {
                heartbeat.take();
                let release = self.table.lease().release(owner);
                let released = url.take().is_some_and(|url| release_later(url, release));
                if released {
                    tracing::error!(target: "migrata", table = %self.table.name(), "migration interrupted while holding the lease; releasing it from a new connection");
                } else {
                    tracing::error!(target: "migrata", table = %self.table.name(), "migration interrupted while holding the lease; other migrators proceed when it expires (within {ttl:?})");
                }
            }
            Held::Session { .. } | Held::PerStep => tracing::error!(
                target: "migrata",
                table = %self.table.name(),
                "migration interrupted while holding the lock; the lock is released when its connection closes"
            ),
        }
    }
}

/// Releases a lease from a new connection, in the background: what a
/// dropped or panicking run can still do. `false` without a runtime.
fn release_later(url: String, release: String) -> bool {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return false;
    };
    runtime.spawn(async move {
        let Ok(mut conn) = crate::driver::AnyConnection::open(&url, Duration::from_secs(5)).await
        else {
            return;
        };
        let _ = crate::driver::with_backend!(&mut conn, |c| c.execute(sql_str(release)).await);
        conn.close().await;
    });
    true
}

/// Renews a lease from a connection of its own while the migrator's
/// connection is busy with a long script; stops when dropped.
#[derive(Debug)]
struct Heartbeat {
    task: tokio::task::JoinHandle<()>,
    lost: Arc<AtomicBool>,
}

impl Heartbeat {
    fn start<B: Backend>(url: &str, table: &HistoryTable, owner: &str, ttl: Duration) -> Heartbeat {
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        let (url, renew) = (url.to_owned(), table.lease().renew(owner, ttl));
        let task = tokio::spawn(async move {
            let Ok(mut conn) = B::open(&url, ttl).await else {
                // The migrator's own renewals before each write still run.
                return;
            };
            loop {
                tokio::time::sleep(ttl / 3).await;
                match conn.execute(sql_str(renew.clone())).await {
                    Ok(1) => {}
                    Ok(_) => {
                        flag.store(true, Ordering::SeqCst);
                        return;
                    }
                    // A transient error: the next beat, or the migrator's
                    // own renewal, tries again.
                    Err(_) => {}
                }
            }
        });
        Heartbeat { task, lost }
    }

    fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `host:pid:id`: who holds a lease, readable by an operator. Two migrators
/// with one owner would both hold the lease, so `id` is the start time's
/// nanoseconds (a restarted process that got the same pid differs) and a
/// sequence number within the process (two migrators started in the same
/// nanosecond differ).
fn owner_id() -> String {
    owner_at(SystemTime::now())
}

fn owner_at(now: SystemTime) -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned());
    let nonce = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!("{host}:{}:{nonce:08x}-{sequence}", std::process::id())
}

/// What a lock strategy amounts to on one database.
enum Mechanism {
    Lease,
    /// The session lock, taken by this query.
    Session(String),
    /// No session lock exists (SQLite): each step takes the write lock.
    PerStep,
}

fn mechanism(options: &Options, table: &HistoryTable) -> Mechanism {
    match options.lock() {
        LockStrategy::Lease => Mechanism::Lease,
        LockStrategy::Session => match table.dialect().try_lock(table.name()) {
            Some(try_lock) => Mechanism::Session(try_lock),
            None => Mechanism::PerStep,
        },
    }
}

/// Whether a run under `options` on this database keeps other migrators
/// out for its whole length (so a failed row may be one in progress).
pub(crate) fn excludes_others(options: &Options, table: &HistoryTable) -> bool {
    !matches!(mechanism(options, table), Mechanism::PerStep)
}

/// The lock-timeout error, naming the database and, where known, the
/// migrator holding the lock.
pub(crate) async fn timeout_error<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
    timeout: Duration,
    holder: Option<String>,
) -> Error {
    Error::LockTimeout {
        database: describe_database(conn, table).await,
        timeout,
        holder,
    }
}

/// `postgres database `app` (version table migrate_history)`, for errors
/// (one extra query, on failure paths only).
pub(crate) async fn describe_database<B: Backend>(conn: &mut B, table: &HistoryTable) -> String {
    let sql = table.dialect().database_name();
    let name = conn
        .fetch_text(sql_str(sql.to_owned()))
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    format!(
        "{} database `{name}` (version table {})",
        B::KIND,
        table.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrators_started_in_the_same_nanosecond_have_different_owners() {
        let now = SystemTime::now();
        assert_ne!(owner_at(now), owner_at(now));
        assert_ne!(owner_id(), owner_id());
    }
}
