//! TLS: the suite's own TLS-only PostgreSQL (rigs/tls-postgres: a CA of its
//! own signs the server certificate), reached through the `tls-rustls`
//! feature (or `tls-native-tls`, which `--all-features` adds and sqlx
//! prefers), with `sslmode=require` and with the certificate verified against
//! that CA (`verify-full`).

use crate::common::{owned_migrations, server_url, unique_name};
use std::process::Command;

use migrata::{Error, Migrator};

fn tls_url(test: &str) -> Option<String> {
    server_url("MIGRATE_TEST_PG_TLS_URL", test)
}

async fn migrate_over(url: &str) -> Result<usize, Error> {
    // Tables of its own per run: the rig's database outlives the test.
    let name = unique_name();
    let set = owned_migrations(&[(
        "0001_tls_probe.sql".to_owned(),
        format!("CREATE TABLE {name}_probe (id INT);"),
    )]);
    let migrator = Migrator::new(&set).table(format!("{name}_history"));
    let report = migrator.run(url).await?;
    assert_eq!(migrator.at(url).status().await?.pending().count(), 0);
    Ok(report.applied.len())
}

#[tokio::test]
async fn sslmode_require_connects_over_tls() {
    let Some(url) = tls_url("tls::sslmode_require_connects_over_tls") else {
        return;
    };
    // The rig refuses connections without TLS, so success means TLS.
    assert_eq!(migrate_over(&url).await.unwrap(), 1);
}

#[tokio::test]
async fn verify_full_checks_the_certificate_against_the_ca() {
    let test = "tls::verify_full_checks_the_certificate_against_the_ca";
    let (Some(url), Some(root)) = (
        tls_url(test),
        server_url("MIGRATE_TEST_PG_TLS_ROOT_CERT", test),
    ) else {
        return;
    };
    let base = url.split_once('?').map_or(url.as_str(), |(base, _)| base);
    let verified = format!("{base}?sslmode=verify-full&sslrootcert={root}");
    assert_eq!(migrate_over(&verified).await.unwrap(), 1);

    // A CA that did not sign the server's certificate: refused.
    let dir = tempfile::tempdir().unwrap();
    let stranger = dir.path().join("stranger.crt");
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=stranger", "-keyout"])
        .arg(dir.path().join("stranger.key"))
        .arg("-out")
        .arg(&stranger)
        .output()
        .unwrap();
    assert!(made.status.success(), "openssl: {made:?}");
    let refused = format!(
        "{base}?sslmode=verify-full&sslrootcert={}",
        stranger.display()
    );
    match migrate_over(&refused).await {
        Err(Error::Connect { error, .. }) => {
            // The verdict of whichever TLS library sqlx uses: rustls (this
            // suite's feature), or OpenSSL when `--all-features` also turns
            // on `tls-native-tls`, which sqlx then prefers.
            let text = error.to_string();
            assert!(
                text.contains("UnknownIssuer") || text.contains("certificate verify failed"),
                "{text}"
            );
        }
        other => panic!("a certificate of another CA was accepted: {other:?}"),
    }
}
