//! Replica presence: each process that opts in keeps a row in the presence
//! table (`<table>_replicas`) naming the newest migration its binary
//! embeds, refreshed on a task of its own until the [`Presence`] guard is
//! dropped or shut down. A run reads the live rows to decide which
//! contract migrations to hold ([`crate::plan::holders`]).

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::lock;
use crate::driver::{with_backend, AnyConnection, Backend};
use crate::error::Error;
use crate::model::Replica;
use crate::sql::history::HistoryTable;
use crate::sql::presence::Registration;
use crate::sql::sql_str;

/// How long a dead replica's row stays before a registration prunes it,
/// in TTLs: long enough for an operator to see what died.
const PRUNE_AFTER_TTLS: u32 = 10;

/// The live replicas recorded beside `table`; none while no process has
/// registered (the table does not exist).
pub(crate) async fn live<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
) -> Result<Vec<Replica>, Error> {
    let replicas = table.replicas()?;
    fetch(conn, table.name(), replicas.live()).await
}

/// Every replica recorded beside `table`, live or dead (until pruned);
/// none while no process has registered.
pub(crate) async fn all<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
) -> Result<Vec<Replica>, Error> {
    let replicas = table.replicas()?;
    fetch(conn, table.name(), replicas.all()).await
}

async fn fetch<B: Backend>(
    conn: &mut B,
    table: &str,
    listing: String,
) -> Result<Vec<Replica>, Error> {
    conn.fetch_replicas(sql_str(listing))
        .await
        .map(Option::unwrap_or_default)
        .map_err(|source| presence_error(table, source))
}

/// This process's presence, kept while the application runs: a row in the
/// replica presence table, refreshed every third of its TTL on a task and
/// a connection of its own, so that a deploy holds contract migrations
/// this binary does not embed while it serves
/// (see [the rolling deploys chapter](crate::guide::rolling_deploys)).
///
/// Returned by [`Migrator::run_with_presence`](crate::Migrator::run_with_presence).
/// Keep it for the process's lifetime. [`Presence::shutdown`] removes the
/// row; dropping the guard removes it too, from a thread of its own (so it
/// works while the runtime is shutting down). A process killed without
/// either is dead once its row's TTL passes.
#[derive(Debug)]
#[must_use = "the replica counts as live only while the guard is kept"]
pub struct Presence {
    task: Option<tokio::task::JoinHandle<()>>,
    url: String,
    remove: String,
    /// The version table's name, for errors.
    table: String,
}

impl Presence {
    /// Registers this process beside `table` at `url`, with `newest_version`
    /// the newest migration its binary embeds, live for `ttl` after each
    /// refresh.
    pub(crate) async fn register(
        url: &str,
        table: &str,
        newest_version: i64,
        ttl: Duration,
    ) -> Result<Presence, Error> {
        let mut conn = AnyConnection::open(url, ttl).await?;
        let registered = with_backend!(&mut conn, |c| {
            register_on(c, table, newest_version, ttl).await
        });
        let statements = match registered {
            Ok(statements) => statements,
            Err(error) => {
                conn.close().await;
                return Err(error);
            }
        };
        let task = tokio::spawn(refresh_forever(
            conn,
            url.to_owned(),
            statements.refresh,
            statements.register,
            ttl,
        ));
        Ok(Presence {
            task: Some(task),
            url: url.to_owned(),
            remove: statements.remove,
            table: table.to_owned(),
        })
    }

    /// Stops refreshing and removes this process's row, so the next run
    /// no longer counts it (call it on graceful shutdown).
    ///
    /// # Errors
    ///
    /// [`Error::Presence`] when the row could not be removed, or a
    /// connection error when the database could not be reached (the row
    /// then expires after its TTL).
    pub async fn shutdown(mut self) -> Result<(), Error> {
        self.stop().await;
        let remove = std::mem::take(&mut self.remove);
        let table = std::mem::take(&mut self.table);
        lock::release_from(&self.url, remove, |source| presence_error(&table, source)).await
    }

    async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // Waited for, so no refresh is in flight on this side once the
            // row is removed.
            let _ = task.await;
        }
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        let Some(task) = self.task.take() else {
            return;
        };
        task.abort();
        if !lock::release_later(self.url.clone(), std::mem::take(&mut self.remove)) {
            tracing::warn!(target: "migrata", "could not remove this replica's presence row; it expires after its TTL");
        }
    }
}

/// The statements that keep one process's row.
struct Statements {
    register: String,
    refresh: String,
    remove: String,
}

/// Registers this process over `conn`, creating the table (and pruning
/// long-dead rows) on the way.
async fn register_on<B: Backend>(
    conn: &mut B,
    table: &str,
    newest_version: i64,
    ttl: Duration,
) -> Result<Statements, Error> {
    let history = HistoryTable::new(B::KIND, table)?;
    let replicas = history.replicas()?;
    let owner = lock::owner_id();
    let host = lock::host_name();
    let who = Registration {
        instance: instance_of(&owner),
        owner: &owner,
        host: &host,
        pid: std::process::id(),
        newest_version,
    };
    let register = replicas.register(&who, ttl);
    for sql in [
        replicas.create(),
        replicas.prune(ttl * PRUNE_AFTER_TTLS),
        register.clone(),
    ] {
        conn.execute(sql_str(sql))
            .await
            .map_err(|source| presence_error(history.name(), source))?;
    }
    Ok(Statements {
        register,
        refresh: replicas.refresh(who.instance, ttl),
        remove: replicas.remove(who.instance),
    })
}

/// Refreshes the row every third of `ttl`; re-registers when it is gone
/// (pruned after a pause longer than the grace period) and reconnects
/// when the connection fails, so a failover costs at most one beat.
async fn refresh_forever(
    mut conn: AnyConnection,
    url: String,
    refresh: String,
    register: String,
    ttl: Duration,
) {
    loop {
        tokio::time::sleep(ttl / 3).await;
        let refreshed = with_backend!(&mut conn, |c| {
            match c.execute(sql_str(refresh.clone())).await {
                Ok(0) => c.execute(sql_str(register.clone())).await,
                other => other,
            }
        });
        if refreshed.is_err() {
            match AnyConnection::open(&url, ttl).await {
                Ok(opened) => conn = opened,
                Err(error) => {
                    tracing::warn!(target: "migrata", %error, "replica presence: cannot reconnect; retrying");
                }
            }
        }
    }
}

/// An instance id from the owner name (unique per process start): an
/// integer, which every database can key on.
fn instance_of(owner: &str) -> i64 {
    let digest = Sha256::digest(owner.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(bytes)
}

/// `source`, about the presence table beside the version table `table`.
fn presence_error(table: &str, source: sqlx::Error) -> Error {
    Error::Presence {
        table: format!("{table}_replicas"),
        error: source,
    }
}
