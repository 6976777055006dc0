//! How database errors read in migration failures.

use crate::common::{migrations, TestDb};
use migrata::{BackendKind, Migrator};

/// Issue 10, item 10: a PostgreSQL error names the problem, not the line of
/// the server's C source that reported it (`... at line 1454`), which reads
/// like a line of the script.
#[tokio::test]
async fn postgres_errors_do_not_end_in_a_server_source_line() {
    let Some(db) = TestDb::create(
        BackendKind::Postgres,
        "database_errors::postgres_errors_do_not_end_in_a_server_source_line",
    )
    .await
    else {
        return;
    };
    let files = migrations(&[(
        "0001_broken.sql",
        "CREATE TABLE a (id INT);\nSELECT * FROM no_such_table;\n",
    )]);
    let error = Migrator::new(&files).run(&db.url).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("relation \"no_such_table\" does not exist"),
        "{message}"
    );
    assert!(!message.contains(" at line "), "{message}");
}

/// Issue 11, item 5: one convention for wrapped errors. The message
/// includes the driver's text and `source()` does not return it again, so a
/// report that prints the whole chain (anyhow's `{:#}`) shows it once.
#[tokio::test]
async fn a_wrapped_error_is_printed_once_along_the_chain() {
    let db = TestDb::create(
        BackendKind::Sqlite,
        "database_errors::a_wrapped_error_is_printed_once_along_the_chain",
    )
    .await
    .unwrap();
    let files = migrations(&[("0001_broken.sql", "SELEC 1;")]);
    let errors = [
        Migrator::new(&files).run(&db.url).await.unwrap_err(),
        Migrator::new(&files)
            .run("sqlite:///no/such/dir/app.db")
            .await
            .unwrap_err(),
    ];
    for error in errors {
        let mut chain = vec![error.to_string()];
        let mut source = std::error::Error::source(&error);
        while let Some(next) = source {
            chain.push(next.to_string());
            source = next.source();
        }
        let report = chain.join(": ");
        let driver_text = match &error {
            migrata::Error::Migration { error, .. } | migrata::Error::Connect { error, .. } => {
                error.to_string()
            }
            other => panic!("unexpected error: {other}"),
        };
        assert!(report.contains(&driver_text), "{report}");
        assert_eq!(report.matches(&driver_text).count(), 1, "{report}");
    }
}

/// Issue 25, item 22: a proxy with no healthy primary behind it accepts
/// the connection, then closes it (or answers a zero byte) when asked for
/// TLS; sqlx says only "unexpected response from SSLRequest: 0x00".
#[tokio::test]
async fn a_connection_closed_during_the_tls_handshake_says_so() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for answer in [Some(0u8), None] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut ssl_request = [0u8; 8];
            socket.read_exact(&mut ssl_request).await.unwrap();
            if let Some(byte) = answer {
                socket.write_all(&[byte]).await.unwrap();
            }
        });
        let url = format!("postgres://app:s3cret@127.0.0.1:{port}/app?sslmode=prefer");
        let error = Migrator::new(&migrations(&[])).run(&url).await.unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, migrata::Error::ClosedDuringTlsHandshake { .. }),
            "{answer:?}: {message}"
        );
        assert!(
            message.contains("closed the connection during the TLS handshake")
                && message.contains("no primary behind a proxy"),
            "{message}"
        );
        assert!(!message.contains("s3cret"), "{message}");
        proxy.await.unwrap();
    }
}
