//! Counting the statements a tool really sends.
//!
//! - SQLite: `sqlite3_trace_v2(SQLITE_TRACE_STMT)` on the connection's own
//!   handle, so every statement SQLite starts is logged (each statement of a
//!   multi-statement script separately), whichever library prepared it.
//! - PostgreSQL: a TCP proxy between the tool and the server that parses the
//!   frontend protocol. A statement is one `Execute` message (extended
//!   protocol) or one statement inside a `Query` message (simple protocol,
//!   split at top-level semicolons); a round trip is one `Query` or `Sync`
//!   message (each is answered by its own `ReadyForQuery`).

#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Statements seen on one SQLite connection.
#[derive(Clone)]
pub struct SqliteTrace(Arc<Mutex<Vec<String>>>);

impl SqliteTrace {
    /// Starts logging the statements of a sqlx connection.
    pub async fn attach_sqlx(conn: &mut sqlx::SqliteConnection) -> Result<Self, sqlx::Error> {
        let mut handle = conn.lock_handle().await?;
        let raw = handle.as_raw_handle().as_ptr();
        Ok(Self::attach_raw(raw))
    }

    /// Starts logging the statements of a rusqlite connection (the same
    /// libsqlite3: rusqlite and sqlx share libsqlite3-sys 0.37).
    pub fn attach_rusqlite(conn: &rusqlite::Connection) -> Self {
        // SAFETY: the handle is only used to register the trace callback
        // while `conn` is alive and not in use elsewhere.
        let raw = unsafe { conn.handle() };
        Self::attach_raw(raw)
    }

    fn attach_raw(raw: *mut libsqlite3_sys::sqlite3) -> Self {
        let log = Arc::new(Mutex::new(Vec::new()));
        // The callback may run until the connection closes, which can be after
        // this value is dropped: one reference is deliberately leaked to it.
        let context = Arc::into_raw(log.clone()) as *mut c_void;
        // SAFETY: `raw` is a live connection handle; `context` stays valid
        // forever; `on_statement` matches the callback signature.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_trace_v2(
                raw,
                libsqlite3_sys::SQLITE_TRACE_STMT as c_uint,
                Some(on_statement),
                context,
            )
        };
        assert_eq!(rc, libsqlite3_sys::SQLITE_OK, "sqlite3_trace_v2 failed");
        SqliteTrace(log)
    }

    /// The statements logged since the last call.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

unsafe extern "C" fn on_statement(
    _mask: c_uint,
    context: *mut c_void,
    _statement: *mut c_void,
    sql: *mut c_void,
) -> c_int {
    // SAFETY: `context` is the leaked Arc from `attach_raw`; for
    // SQLITE_TRACE_STMT `sql` is the statement's NUL-terminated text.
    let (log, sql) = unsafe {
        (
            &*(context as *const Mutex<Vec<String>>),
            CStr::from_ptr(sql as *const c_char),
        )
    };
    log.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(sql.to_string_lossy().into_owned());
    0
}

/// What the proxy saw clients send.
#[derive(Debug, Default, Clone)]
pub struct PgLog {
    /// Every statement executed, in order.
    pub statements: Vec<String>,
    /// `Query` + `Sync` messages: each waits for the server's `ReadyForQuery`.
    pub round_trips: u64,
}

/// A counting TCP proxy in front of a PostgreSQL server.
pub struct PgProxy {
    addr: SocketAddr,
    log: Arc<Mutex<PgLog>>,
}

impl PgProxy {
    /// Listens on a free loopback port and forwards every connection to `upstream`.
    pub async fn start(upstream: String) -> io::Result<PgProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Mutex::new(PgLog::default()));
        let shared = log.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let log = shared.clone();
                tokio::spawn(async move {
                    if let Err(e) = forward(client, &upstream, log).await {
                        if e.kind() != io::ErrorKind::UnexpectedEof {
                            eprintln!("proxy connection ended: {e}");
                        }
                    }
                });
            }
        });
        Ok(PgProxy { addr, log })
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let userinfo = authority
            .rsplit_once('@')
            .map(|(user, _)| format!("{user}@"))
            .unwrap_or_default();
        format!("{scheme}://{userinfo}{}{path}", self.addr)
    }

    /// Everything logged since the last call.
    pub fn take(&self) -> PgLog {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// `host:port` of a database URL, `default_port` where it names none.
pub fn host_port(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:{default_port}")
    }
}

const SSL_REQUEST: u32 = 80877103;
const GSSENC_REQUEST: u32 = 80877104;

async fn forward(client: TcpStream, upstream: &str, log: Arc<Mutex<PgLog>>) -> io::Result<()> {
    client.set_nodelay(true)?;
    let server = TcpStream::connect(upstream).await?;
    server.set_nodelay(true)?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    });

    let mut statements: HashMap<Vec<u8>, String> = HashMap::new();
    let mut portals: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    // Startup-phase messages have no type byte; SSL/GSS requests (answered
    // with one byte, `N` here) are followed by the real startup message.
    loop {
        let len = client_read.read_u32().await?;
        let mut body = vec![0; (len as usize).saturating_sub(4)];
        client_read.read_exact(&mut body).await?;
        server_write.write_u32(len).await?;
        server_write.write_all(&body).await?;
        let code = body
            .get(..4)
            .map_or(0, |c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
        if code != SSL_REQUEST && code != GSSENC_REQUEST {
            break;
        }
    }
    loop {
        let kind = match client_read.read_u8().await {
            Ok(kind) => kind,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        };
        let len = client_read.read_u32().await?;
        let mut body = vec![0; (len as usize).saturating_sub(4)];
        client_read.read_exact(&mut body).await?;
        {
            let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
            let mut fields = body.split(|b| *b == 0);
            match kind {
                b'Q' => {
                    let sql = String::from_utf8_lossy(fields.next().unwrap_or_default());
                    log.statements.extend(
                        migrata_core::split_statements(&sql)
                            .into_iter()
                            .map(|s| s.trim().to_owned()),
                    );
                    log.round_trips += 1;
                }
                b'P' => {
                    let name = fields.next().unwrap_or_default().to_vec();
                    let sql = String::from_utf8_lossy(fields.next().unwrap_or_default());
                    statements.insert(name, sql.trim().to_owned());
                }
                b'B' => {
                    let portal = fields.next().unwrap_or_default().to_vec();
                    let statement = fields.next().unwrap_or_default().to_vec();
                    portals.insert(portal, statement);
                }
                b'E' => {
                    let portal = fields.next().unwrap_or_default();
                    let sql = portals
                        .get(portal)
                        .and_then(|statement| statements.get(statement))
                        .cloned()
                        .unwrap_or_else(|| "<unknown prepared statement>".to_owned());
                    log.statements.push(sql);
                }
                b'S' => log.round_trips += 1,
                _ => {}
            }
        }
        server_write.write_u8(kind).await?;
        server_write.write_u32(len).await?;
        server_write.write_all(&body).await?;
    }
}
