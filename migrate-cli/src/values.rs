//! The command line's spellings of the runtime's enums: clap parses these,
//! and each converts into the runtime's type, so the library's types carry
//! no command-line derives. The names are the runtime's own (`name()`),
//! which the tests below hold them to.

use clap::ValueEnum;
use migrata::BackendKind;
#[cfg(feature = "adopt")]
use migrata::Peer;

/// A value of `sql --backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BackendArg {
    /// SQLite, through `sqlite:` URLs
    Sqlite,
    /// PostgreSQL, through `postgres:` / `postgresql:` URLs
    Postgres,
    /// MySQL and MariaDB, through `mysql:` / `mariadb:` URLs
    #[value(name = "mysql")]
    MySql,
}

impl From<BackendArg> for BackendKind {
    fn from(backend: BackendArg) -> Self {
        match backend {
            BackendArg::Sqlite => BackendKind::Sqlite,
            BackendArg::Postgres => BackendKind::Postgres,
            BackendArg::MySql => BackendKind::MySql,
        }
    }
}

/// A value of `adopt --from`: a tool whose history `adopt` takes over.
#[cfg(feature = "adopt")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PeerArg {
    /// sqlx's migrator (`sqlx migrate run`, `sqlx::migrate!`): table
    /// `_sqlx_migrations`, recording each script's description, SHA-384 and
    /// whether it succeeded
    Sqlx,
    /// refinery: table `refinery_schema_history`, recording each migration's
    /// name and a SipHash-1-3 of its name, version and script
    Refinery,
    /// diesel_migrations: table `__diesel_schema_migrations`, recording
    /// versions only
    Diesel,
}

#[cfg(feature = "adopt")]
impl From<PeerArg> for Peer {
    fn from(peer: PeerArg) -> Self {
        match peer {
            PeerArg::Sqlx => Peer::Sqlx,
            PeerArg::Refinery => Peer::Refinery,
            PeerArg::Diesel => Peer::Diesel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value is spelled as the runtime names it in logs and JSON.
    #[test]
    fn values_are_the_runtime_names() {
        for backend in BackendArg::value_variants() {
            let spelled = backend.to_possible_value().map(|v| v.get_name().to_owned());
            assert_eq!(spelled.as_deref(), Some(BackendKind::from(*backend).name()));
        }
        #[cfg(feature = "adopt")]
        for peer in PeerArg::value_variants() {
            let spelled = peer.to_possible_value().map(|v| v.get_name().to_owned());
            assert_eq!(spelled.as_deref(), Some(Peer::from(*peer).name()));
        }
    }
}
