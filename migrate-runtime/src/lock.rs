//! The migration lock as a value: taken before work that needs it, released
//! by [`Lock::release`] on every path the future completes, and reported if
//! the future is dropped or panics first.

use std::time::{Duration, Instant};

use crate::backend::Backend;
use crate::history::{sql_str, HistoryTable};
use crate::Error;

/// A held migration lock (or, where the database has no session lock, the
/// promise that each step takes the database's own write lock).
#[derive(Debug)]
pub(crate) struct Lock {
    table: String,
    held: bool,
}

impl Lock {
    /// Polls the database's non-blocking lock with backoff up to `timeout`:
    /// a session blocked in a waiting lock call can deadlock another
    /// session's `CREATE INDEX CONCURRENTLY`, and polling keeps the wait
    /// cancellable and logged.
    pub async fn acquire<B: Backend>(
        conn: &mut B,
        table: &HistoryTable,
        timeout: Duration,
    ) -> Result<Lock, Error> {
        let Some(try_lock) = table.dialect().try_lock(table.name()) else {
            // Each step takes the database's write lock instead; an
            // interrupted run is still worth reporting.
            return Ok(Lock {
                table: table.name().to_owned(),
                held: true,
            });
        };
        let started = Instant::now();
        let mut delay = Duration::from_millis(5);
        let mut announced = false;
        loop {
            let taken = conn
                .fetch_integer(sql_str(try_lock.clone()))
                .await
                .map_err(|source| Error::Lock { source })?;
            if taken == 1 {
                if announced {
                    tracing::info!(target: "migrate", waited_ms = started.elapsed().as_millis() as u64, "took the migration lock");
                }
                return Ok(Lock {
                    table: table.name().to_owned(),
                    held: true,
                });
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(timeout_error(conn, table, timeout).await);
            }
            if !announced {
                tracing::info!(target: "migrate", backend = %B::KIND, "waiting for another migrator to release the lock");
                announced = true;
            }
            tokio::time::sleep(delay.min(timeout - waited)).await;
            delay = (delay * 2).min(Duration::from_millis(200));
        }
    }

    /// Releases the lock.
    pub async fn release<B: Backend>(mut self, conn: &mut B) -> Result<(), Error> {
        let unlock = B::KIND.dialect().unlock(&self.table);
        // Whatever the server says, this value no longer stands for a lock.
        self.held = false;
        match unlock {
            Some(sql) => conn
                .execute(sql_str(sql))
                .await
                .map(drop)
                .map_err(|source| Error::Lock { source }),
            None => Ok(()),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if self.held {
            tracing::error!(
                target: "migrate",
                table = %self.table,
                "migration interrupted while holding the lock; the lock is released when its connection closes"
            );
        }
    }
}

/// The lock-timeout error, naming the database (one extra query, on this
/// failure path only).
pub(crate) async fn timeout_error<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
    timeout: Duration,
) -> Error {
    let sql = table.dialect().database_name();
    let name = conn
        .fetch_text(sql_str(sql.to_owned()))
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    Error::LockTimeout {
        database: format!(
            "{} database `{name}` (version table {})",
            B::KIND,
            table.name()
        ),
        timeout,
    }
}
