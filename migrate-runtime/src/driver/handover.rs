//! What `run_on` and `Migrator::on` run over: a pool, a connection checked out of
//! one, or a plain connection, as a sqlx user holds them.

use sqlx::pool::PoolConnection;

use crate::driver::{Backend, BoxFuture};
use crate::error::Error;

/// A connection handed to the migrator: `&Pool<DB>`, `&mut PoolConnection<DB>`
/// or `&mut` a connection (`SqliteConnection`,
/// `PgConnection`,
/// `MySqlConnection`), the shapes sqlx's `Acquire`
/// takes. Sealed.
///
/// Nothing the migrator sets on the session reaches the pool afterwards: a
/// connection it checks out of a `&Pool` is closed when it is done, and a
/// `&mut PoolConnection` is closed when you drop it instead of going back to
/// the pool (one reconnect, once per deploy). A plain connection is yours:
/// the locks are released, `session_setup` stays in effect. A connection
/// inside a transaction (`&mut *tx`) is refused: migrations commit their
/// own transactions.
///
/// `C` is the connection type the migrator runs on (a parameter rather than
/// an associated type, so callers' futures are provably `Send`).
pub trait Handover<'c, C: Backend>: Send + sealed::Sealed + 'c {
    /// Boxed, for the same reason (rust-lang/rust#100013).
    #[doc(hidden)]
    fn take(self) -> BoxFuture<'c, Result<Taken<'c, C>, Error>>;
}

/// A handed-over connection while the migrator uses it.
#[doc(hidden)]
pub struct Taken<'c, C: Backend> {
    held: Held<'c, C>,
}

enum Held<'c, C: Backend> {
    Acquired(PoolConnection<C::Database>),
    Checkout(&'c mut PoolConnection<C::Database>),
    Plain(&'c mut C),
}

impl<'c, C: Backend> Taken<'c, C> {
    pub(crate) fn acquired(conn: PoolConnection<C::Database>) -> Result<Self, Error> {
        Self::new(Held::Acquired(conn))
    }

    pub(crate) fn checkout(conn: &'c mut PoolConnection<C::Database>) -> Result<Self, Error> {
        Self::new(Held::Checkout(conn))
    }

    fn new(held: Held<'c, C>) -> Result<Self, Error> {
        let mut taken = Taken { held };
        // sqlx counts the transactions it opened: `&mut *tx` is one.
        if taken.conn_ref().is_in_transaction() {
            return Err(Error::InTransaction);
        }
        // Marked now, not in `finish`: a run dropped midway (a timeout, a
        // shutdown) never gets there, and must not return its session state
        // to the pool either.
        match &mut taken.held {
            Held::Acquired(conn) => conn.close_on_drop(),
            Held::Checkout(conn) => conn.close_on_drop(),
            Held::Plain(_) => {}
        }
        Ok(taken)
    }

    fn conn_ref(&self) -> &C {
        match &self.held {
            Held::Acquired(conn) => conn,
            Held::Checkout(conn) => conn,
            Held::Plain(conn) => conn,
        }
    }

    pub(crate) fn conn(&mut self) -> &mut C {
        match &mut self.held {
            Held::Acquired(conn) => conn,
            Held::Checkout(conn) => conn,
            Held::Plain(conn) => conn,
        }
    }

    /// Keeps the session state of the run out of the pool.
    pub(crate) async fn finish(self) {
        match self.held {
            // A failed close cannot undo committed work.
            Held::Acquired(conn) => {
                let _ = conn.close().await;
            }
            Held::Checkout(_) | Held::Plain(_) => {}
        }
    }
}

/// `Handover` for a database's pool and pooled connection; invoked in each
/// backend's file.
macro_rules! pool_handover {
    ($database:ty) => {
        impl<'c> $crate::driver::handover::Handover<'c, <$database as sqlx::Database>::Connection>
            for &'c sqlx::Pool<$database>
        {
            fn take(
                self,
            ) -> $crate::driver::BoxFuture<
                'c,
                Result<
                    $crate::driver::handover::Taken<'c, <$database as sqlx::Database>::Connection>,
                    $crate::error::Error,
                >,
            > {
                Box::pin(async move {
                    let conn = self
                        .acquire()
                        .await
                        .map_err(|source| $crate::error::Error::Acquire { error: source })?;
                    $crate::driver::handover::Taken::acquired(conn)
                })
            }
        }

        impl<'c> $crate::driver::handover::Handover<'c, <$database as sqlx::Database>::Connection>
            for &'c mut sqlx::pool::PoolConnection<$database>
        {
            fn take(
                self,
            ) -> $crate::driver::BoxFuture<
                'c,
                Result<
                    $crate::driver::handover::Taken<'c, <$database as sqlx::Database>::Connection>,
                    $crate::error::Error,
                >,
            > {
                Box::pin(std::future::ready(
                    $crate::driver::handover::Taken::checkout(self),
                ))
            }
        }
    };
}
pub(crate) use pool_handover;

impl<'c, C: Backend> Handover<'c, C> for &'c mut C {
    fn take(self) -> BoxFuture<'c, Result<Taken<'c, C>, Error>> {
        Box::pin(std::future::ready(Taken::new(Held::Plain(self))))
    }
}

mod sealed {
    pub trait Sealed {}
    impl<DB: sqlx::Database> Sealed for &sqlx::Pool<DB> {}
    impl<DB: sqlx::Database> Sealed for &mut sqlx::pool::PoolConnection<DB> {}
    impl<C: crate::driver::Backend> Sealed for &mut C {}
}
