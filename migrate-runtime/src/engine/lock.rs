//! The migration lock as a value: taken before work that needs it, renewed
//! and checked while the work runs, released by [`Lock::release`] on every
//! path the future completes, and released from a new connection or
//! reported if the future is dropped or panics first.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::driver::Backend;
use crate::error::Error;
use crate::options::{LockStrategy, Options};
use crate::sql::history::HistoryTable;
use crate::sql::lease::session_owner;
use crate::sql::sql_str;

/// A held migration lock: always the lease row, so that any two migrators
/// on one version table exclude each other whatever their strategy; with
/// [`LockStrategy::Session`] where the database has a session lock, that
/// too, taken first and given up last.
#[derive(Debug)]
pub(crate) struct Lock {
    table: HistoryTable,
    /// The lease row names `owner` until another migrator takes it (which
    /// it may once it expires) or it is released.
    owner: String,
    ttl: Duration,
    heartbeat: Option<Heartbeat>,
    /// Where to release the lease from if the run is dropped or panics.
    url: Option<String>,
    session: Option<SessionLock>,
    armed: bool,
    /// When this connection last renewed the lease (see [`Lock::fence_condition`]).
    renewed: Mutex<Instant>,
}

/// The database's session lock, taken by `try_lock`.
#[derive(Debug)]
struct SessionLock {
    try_lock: String,
    held: bool,
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
    /// and logged. With a `url` to open a second connection, a heartbeat
    /// renews the lease while the work runs.
    pub async fn acquire<B: Backend>(
        conn: &mut B,
        table: &HistoryTable,
        options: &Options,
        url: Option<&str>,
    ) -> Result<Lock, Error> {
        let session = match options.lock() {
            LockStrategy::Lease => None,
            // SQLite has no session lock: the lease alone.
            LockStrategy::Session => {
                table
                    .dialect()
                    .try_lock(table.name())
                    .map(|try_lock| SessionLock {
                        try_lock,
                        held: false,
                    })
            }
        };
        let owner = match session {
            Some(_) => session_owner(&owner_id()),
            None => owner_id(),
        };
        let mut lock = Lock {
            table: table.clone(),
            owner,
            ttl: options.lease_ttl(),
            heartbeat: None,
            url: url.map(str::to_owned),
            session,
            armed: false,
            renewed: Mutex::new(Instant::now()),
        };
        if let Err(error) = lock.wait(conn, options.lock_timeout()).await {
            // Not left on a connection the caller may keep (`run_on`).
            if let Some(unlock) = lock.session_unlock() {
                let _ = conn.execute(sql_str(unlock)).await;
            }
            return Err(error);
        }
        lock.armed = true;
        lock.renewed_now();
        if let Some(sql) = table.dialect().after_lock() {
            // Not every server knows the setting; only cluster nodes need it.
            let _ = conn.execute(sql_str(sql.to_owned())).await;
        }
        if let Some(url) = url {
            lock.heartbeat = Some(Heartbeat::start::<B>(url, table, &lock.owner, lock.ttl));
        }
        Ok(lock)
    }

    /// Polls until the lock is taken or `timeout` has passed.
    async fn wait<B: Backend>(&mut self, conn: &mut B, timeout: Duration) -> Result<(), Error> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(5);
        let mut announced = None;
        loop {
            match self.attempt(conn).await? {
                Attempt::Taken => break,
                Attempt::Busy(holder) => {
                    let waited = started.elapsed();
                    if waited >= timeout {
                        return Err(timeout_error(conn, &self.table, timeout, holder).await);
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
        if announced.is_some() {
            tracing::info!(target: "migrata", waited_ms = started.elapsed().as_millis() as u64, "took the migration lock");
        }
        Ok(())
    }

    /// One try: the session lock first if there is one, then the lease.
    async fn attempt<B: Backend>(&mut self, conn: &mut B) -> Result<Attempt, Error> {
        let lock_error = |source| Error::Lock { error: source };
        if let Some(session) = self.session.as_mut().filter(|session| !session.held) {
            let taken = conn
                .fetch_integer(sql_str(session.try_lock.clone()))
                .await
                .map_err(lock_error)?;
            if taken != 1 {
                return Ok(Attempt::Busy(None));
            }
            session.held = true;
        }
        let take = match self.session {
            Some(_) => self
                .table
                .lease()
                .take_after_session_lock(&self.owner, self.ttl),
            None => self.table.lease().take(&self.owner, self.ttl),
        };
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

    /// The statement that gives up the session lock, if this lock holds one.
    fn session_unlock(&self) -> Option<String> {
        self.session
            .as_ref()
            .filter(|session| session.held)
            .and_then(|_| self.table.dialect().unlock(self.table.name()))
    }

    /// Renews the lease and fails if it was lost (it expired while this
    /// migrator was paused, and another took it): called before each history
    /// write, inside the transaction where there is one, so nothing is
    /// recorded by a migrator that no longer holds the lease.
    pub async fn confirm<B: Backend>(&self, conn: &mut B) -> Result<(), Error> {
        let renewed = conn
            .execute(sql_str(self.table.lease().renew(&self.owner, self.ttl)))
            .await
            .map_err(|source| Error::Lock { error: source })?;
        let lost_by_heartbeat = self.heartbeat.as_ref().is_some_and(Heartbeat::lost);
        if renewed == 1 && !lost_by_heartbeat {
            self.renewed_now();
            return Ok(());
        }
        Err(self.lost())
    }

    fn renewed_now(&self) {
        *self.renewed.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    /// [`Lock::confirm`] as a condition a history write inside the
    /// transaction requires (the caller checks that the row was written),
    /// which saves the renewal's statement: `Ok(None)` when a renewal is
    /// due (a third of the lease's lifetime has passed since this
    /// connection last renewed it), so a run of short steps keeps its lease
    /// live with a renewal now and then, not one per step. A loss the
    /// heartbeat already saw fails here.
    pub fn fence_condition(&self) -> Result<Option<String>, Error> {
        if self.heartbeat.as_ref().is_some_and(Heartbeat::lost) {
            return Err(self.lost());
        }
        let renewed = *self.renewed.lock().unwrap_or_else(PoisonError::into_inner);
        Ok((renewed.elapsed() < self.ttl / 3).then(|| self.fence()))
    }

    /// [`Lock::confirm`] as a statement that travels in the transaction's
    /// own query string ([`Dialect::lease_fence`](crate::sql::Dialect::lease_fence));
    /// `Ok(None)` where the database has none. A loss the heartbeat already
    /// saw fails here, before anything is sent.
    pub fn fence_statement(&self) -> Result<Option<String>, Error> {
        if self.heartbeat.as_ref().is_some_and(Heartbeat::lost) {
            return Err(self.lost());
        }
        let renew = self.table.lease().renew(&self.owner, self.ttl);
        Ok(self.table.dialect().lease_fence(&renew))
    }

    /// [`Lock::confirm`] as two statements for a query string whose
    /// statements the server runs one by one, each committed by itself,
    /// stopping at the first error (MySQL's multi-statement string): the
    /// renewal, then a query that fails unless the lease is held
    /// ([`Dialect::lease_held_check`](crate::sql::Dialect::lease_held_check)),
    /// so that nothing after them runs for a migrator whose lease another
    /// took. `Ok(None)` where the database has no such query. A loss the
    /// heartbeat already saw fails here, before anything is sent; the
    /// caller reports a string that got past them with
    /// [`Lock::confirmed`].
    pub fn confirm_in_string(&self) -> Result<Option<[String; 2]>, Error> {
        if self.heartbeat.as_ref().is_some_and(Heartbeat::lost) {
            return Err(self.lost());
        }
        let lease = self.table.lease();
        let check = self
            .table
            .dialect()
            .lease_held_check(&lease.while_held(&self.owner));
        Ok(check.map(|check| [lease.renew(&self.owner, self.ttl), check]))
    }

    /// The statements of [`Lock::confirm_in_string`] ran: the lease was
    /// renewed.
    pub fn confirmed(&self) {
        self.renewed_now();
    }

    /// The error of a migrator whose lease another took.
    pub fn lost(&self) -> Error {
        Error::LeaseLost {
            owner: self.owner.clone(),
            ttl: self.ttl,
            heartbeat: self.heartbeat.is_some(),
        }
    }

    /// Keeps the lease through a pause between tries: the heartbeat renews
    /// it where there is one (only whether it was lost is checked: a
    /// renewal from this connection would wait behind a lock that SQLite's
    /// blocking connection holds), else it is renewed here.
    pub async fn keep<B: Backend>(&self, conn: &mut B) -> Result<(), Error> {
        match &self.heartbeat {
            Some(heartbeat) if heartbeat.lost() => Err(self.lost()),
            Some(_) => Ok(()),
            None => self.confirm(conn).await,
        }
    }

    /// A condition history writes made outside a transaction add, so they
    /// affect no row once the lease is lost.
    pub fn fence(&self) -> String {
        self.table.lease().while_held(&self.owner)
    }

    /// Releases the lock: the lease, then the session lock (see
    /// [`LeaseTable::take_after_session_lock`](crate::sql::lease::LeaseTable::take_after_session_lock)).
    /// A lease the connection cannot release (the server ended it: a
    /// failover, `pg_terminate_backend`) is released from a new connection
    /// where the URL is known; else it is reported, since it keeps others
    /// out until it expires.
    pub async fn release<B: Backend>(mut self, conn: &mut B) -> Result<(), Error> {
        // Whatever the server says, this value no longer stands for a lock.
        self.armed = false;
        // Stop renewing before giving the lease up.
        self.heartbeat.take();
        let release = self.table.lease().release(&self.owner);
        if let Err(error) = conn.execute(sql_str(release.clone())).await {
            if let Some(unlock) = self.session_unlock() {
                // Fails on a dead connection, whose session lock died with it.
                let _ = conn.execute(sql_str(unlock)).await;
            }
            return self.release_elsewhere(release, error).await;
        }
        match self.session_unlock() {
            Some(unlock) => conn
                .execute(sql_str(unlock))
                .await
                .map(drop)
                .map_err(|source| Error::Lock { error: source }),
            None => Ok(()),
        }
    }

    /// Releases the lease from a new connection after the run's own
    /// connection failed to with `error`.
    async fn release_elsewhere(
        &mut self,
        release: String,
        error: sqlx::Error,
    ) -> Result<(), Error> {
        let released = match self.url.take() {
            Some(url) => release_from(&url, release, |error| Error::Lock { error }).await,
            None => Err(Error::Lock { error }),
        };
        if let Err(error) = &released {
            tracing::error!(target: "migrata", table = %self.table.name(), %error, "could not release the migration lease; other migrators proceed when it expires (within {:?})", self.ttl);
        }
        released
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.heartbeat.take();
        let release = self.table.lease().release(&self.owner);
        let released = self
            .url
            .take()
            .is_some_and(|url| release_later(url, release));
        let session = if self.session.is_some() {
            "; the session lock is released when its connection closes"
        } else {
            ""
        };
        if released {
            tracing::error!(target: "migrata", table = %self.table.name(), "migration interrupted while holding the lease; released it from a new connection{session}");
        } else {
            tracing::error!(target: "migrata", table = %self.table.name(), "migration interrupted while holding the lease; other migrators proceed when it expires (within {:?}){session}", self.ttl);
        }
    }
}

/// How long a dropped or panicking run waits for its lease's release.
const RELEASE_WAIT: Duration = Duration::from_secs(10);

/// Releases a lease from a new connection: what a dropped or panicking run
/// can still do. On a thread with a runtime of its own, not the caller's: a
/// panic in a `#[tokio::main]` app is tearing that runtime down, and would
/// cancel a task spawned on it. Waited for (up to [`RELEASE_WAIT`]), since
/// the process may exit right after the drop. `true` once released.
pub(super) fn release_later(url: String, release: String) -> bool {
    let (released, outcome) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("migrata-release".to_owned())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let outcome =
                runtime.block_on(release_from(&url, release, |error| Error::Lock { error }));
            let _ = released.send(outcome.is_ok());
        });
    spawned.is_ok() && outcome.recv_timeout(RELEASE_WAIT).unwrap_or(false)
}

/// Runs a lease's `release` (or a replica's removal) on a new connection
/// to `url`; `failed` names what a database error failed to release.
pub(super) async fn release_from(
    url: &str,
    release: String,
    failed: impl FnOnce(sqlx::Error) -> Error,
) -> Result<(), Error> {
    let mut conn = crate::driver::AnyConnection::open(url, Duration::from_secs(5)).await?;
    let released = crate::driver::with_backend!(&mut conn, |c| c.execute(sql_str(release)).await);
    conn.close().await;
    released.map(drop).map_err(failed)
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
            let mut conn = B::open(&url, ttl).await.ok();
            loop {
                tokio::time::sleep(ttl / 3).await;
                // A connection the server ended (a failover, a killed
                // session) is replaced at once, not only at the next beat:
                // the beats are a third of the lease apart.
                for _ in 0..2 {
                    let renewed = match conn.as_mut() {
                        Some(conn) => conn.execute(sql_str(renew.clone())).await,
                        None => match B::open(&url, ttl).await {
                            Ok(opened) => conn.insert(opened).execute(sql_str(renew.clone())).await,
                            // The next beat, and the migrator's own renewals
                            // before each write, try again.
                            Err(_) => break,
                        },
                    };
                    match renewed {
                        Ok(1) => break,
                        Ok(_) => {
                            flag.store(true, Ordering::SeqCst);
                            return;
                        }
                        Err(_) => conn = None,
                    }
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
pub(super) fn owner_id() -> String {
    owner_at(SystemTime::now())
}

/// This machine's name, for an operator reading who holds what.
pub(super) fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

fn owner_at(now: SystemTime) -> String {
    let host = host_name();
    let nonce = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!("{host}:{}:{nonce:08x}-{sequence}", std::process::id())
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
