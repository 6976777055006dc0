//! URLs: which database one names, and password redaction for URLs that
//! end up in messages and logs.

use std::borrow::Cow;

use crate::error::Error;
use crate::model::BackendKind;

impl BackendKind {
    /// Picks the backend from a URL's scheme: the one place URLs are dispatched.
    ///
    /// An empty URL, or a SQLite URL with no file name, is an error: SQLite
    /// would open a temporary database that vanishes when the run ends.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        if is_blank(url) {
            return Err(Error::EmptyUrl {
                url: redact_url(url),
            });
        }
        let (scheme, rest) = url.split_once(':').unwrap_or(("", ""));
        let kind = BackendKind::ALL
            .into_iter()
            .find(|kind| {
                kind.schemes()
                    .iter()
                    .any(|known| known.eq_ignore_ascii_case(scheme))
            })
            .ok_or_else(|| Error::UnsupportedUrl {
                scheme: scheme.chars().take(32).collect(),
            })?;
        if kind == BackendKind::Sqlite && names_no_sqlite_file(rest) {
            return Err(Error::EmptyUrl {
                url: redact_url(url),
            });
        }
        Ok(kind)
    }
}

/// Whether `url` is empty or only blanks: it names no database, wherever it
/// came from (a flag, a variable, a config file).
pub(crate) fn is_blank(url: &str) -> bool {
    url.trim().is_empty()
}

/// Whether what follows `sqlite:` has no file name (`sqlite:`, `sqlite://`,
/// `sqlite:?mode=rwc`) and is not an in-memory database either.
fn names_no_sqlite_file(rest: &str) -> bool {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.strip_prefix("//").unwrap_or(path);
    path.is_empty() && !query.split('&').any(|param| param == "mode=memory")
}

/// The query parameters sqlx-postgres reads from a URL (sqlx-postgres 0.9,
/// `options/parse.rs`), besides `options[...]`. It logs every other one at
/// WARN with its value (`ignoring unrecognized connect parameter
/// key=sslpassword value=...`), a secret as often as not.
const POSTGRES_PARAMETERS: [&str; 18] = [
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

/// `url` as its driver should parse it: without the query parameters the
/// driver ignores, so it cannot log their values; and the names of those
/// taken out. Only sqlx-postgres logs what it ignores (sqlx-mysql ignores
/// silently, sqlx-sqlite refuses naming the key), so other URLs, and URLs
/// that do not parse (the driver reports those), are returned as they are.
pub(crate) fn without_ignored_parameters(url: &str) -> (Cow<'_, str>, Vec<String>) {
    let unchanged = (Cow::Borrowed(url), Vec::new());
    if BackendKind::from_url(url).ok() != Some(BackendKind::Postgres) {
        return unchanged;
    }
    let Ok(mut parsed) = sqlx_core::Url::parse(url) else {
        return unchanged;
    };
    let (kept, ignored): (Vec<_>, Vec<_>) =
        parsed.query_pairs().into_owned().partition(|(key, _)| {
            POSTGRES_PARAMETERS.contains(&key.as_str())
                || (key.starts_with("options[") && key.ends_with(']'))
        });
    if ignored.is_empty() {
        return unchanged;
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(&kept);
    }
    let ignored = ignored.into_iter().map(|(key, _)| key).collect();
    (Cow::Owned(parsed.into()), ignored)
}

/// Returns `url` with the password of its user-info part and any
/// `password=` / `sslpassword=` query parameter replaced by `***`.
///
/// The user-info part is everything between `scheme://` and the last `@`,
/// so a password containing `/`, `?` or `@` is still found. Redaction holds
/// for any string, URL or not: where the parts cannot be told apart (no
/// `//` after the scheme, a "port" that is not a number), only the scheme
/// and the host are shown.
///
/// ```
/// use migrata::redact_url;
/// assert_eq!(redact_url("postgres://app:s3cret@db:5432/app"), "postgres://app:***@db:5432/app");
/// assert_eq!(redact_url("postgres://app:pa/ss?w@db/app"), "postgres://app:***@db/app");
/// assert_eq!(redact_url("mysql://db/app?password=s3cret&ssl-mode=required"), "mysql://db/app?password=***&ssl-mode=required");
/// assert_eq!(redact_url("sqlite://app.db?mode=rwc"), "sqlite://app.db?mode=rwc");
/// assert_eq!(redact_url("postgres:app:s3cret@db/app"), "postgres:***@db");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = split_scheme(url) else {
        // Not a URL: show only what follows the last `@`, or nothing after
        // a `:` (`user:password`).
        return match url.rsplit_once('@') {
            Some((_, host_and_rest)) => format!("***@{}", host(host_and_rest)),
            None => match url.split_once(':') {
                Some((before, _)) => format!("{}:***", redact_query(before)),
                None => redact_query(url),
            },
        };
    };
    if let Some(after_slashes) = rest.strip_prefix("//") {
        return match after_slashes.rsplit_once('@') {
            Some((userinfo, host_and_rest)) => {
                let user = match userinfo.split_once(':') {
                    Some((user, _password)) if !user.contains(['/', '?', '#']) => {
                        format!("{user}:***")
                    }
                    None if !userinfo.contains(['/', '?', '#']) => userinfo.to_owned(),
                    // A user name with `/`, `?` or `#`: the `@` was in the
                    // path or query, and the split is a guess.
                    _ => "***".to_owned(),
                };
                format!("{scheme}://{user}@{}", redact_query(host_and_rest))
            }
            None => {
                let end = after_slashes
                    .find(['/', '?', '#'])
                    .unwrap_or(after_slashes.len());
                let (authority, rest) = after_slashes.split_at(end);
                let (path, query) = rest.split_at(rest.find('?').unwrap_or(rest.len()));
                // A `:` in the path is a password typed without `@host`
                // (`postgres:///app:secret`) as often as anything else.
                let path = match path.split_once(':') {
                    Some((before, _)) => format!("{before}:***"),
                    None => path.to_owned(),
                };
                format!(
                    "{scheme}://{}{path}{}",
                    redact_ports(authority),
                    redact_query(query)
                )
            }
        };
    }
    // No `//`: sqlx does not read a user, password or host from such a URL,
    // and which part is which is a guess.
    match rest.rsplit_once('@') {
        Some((_, host_and_rest)) => format!("{scheme}:***@{}", host(host_and_rest)),
        None if rest.is_empty() => format!("{scheme}:"),
        // `sqlite:app.db`, `sqlite::memory:`: a file name, shown.
        None if scheme.eq_ignore_ascii_case("sqlite")
            && (rest == ":memory:" || !rest.contains(':')) =>
        {
            format!("{scheme}:{}", redact_query(rest))
        }
        None => format!("{scheme}:***"),
    }
}

/// `(scheme, rest)` when `url` starts with a URL scheme and a `:`.
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

/// The host (and port) at the start of `host_and_rest`, without path or query.
fn host(host_and_rest: &str) -> &str {
    let end = host_and_rest
        .find(['/', '?', '#'])
        .unwrap_or(host_and_rest.len());
    &host_and_rest[..end]
}

/// `host:port[,host:port...]` with any "port" that is not a number (a
/// password given without `@host`) replaced by `***`.
fn redact_ports(authority: &str) -> String {
    let hosts: Vec<String> = authority
        .split(',')
        .map(|host| {
            let (name, port) = match host.strip_prefix('[').and_then(|h| h.split_once(']')) {
                Some((address, port)) => (&host[..address.len() + 2], port),
                None => host
                    .split_once(':')
                    .map_or((host, ""), |(name, _)| (name, &host[name.len()..])),
            };
            let port_digits = port.strip_prefix(':').unwrap_or(port);
            if port.is_empty()
                || (port.starts_with(':') && port_digits.bytes().all(|b| b.is_ascii_digit()))
            {
                host.to_owned()
            } else {
                format!("{name}:***")
            }
        })
        .collect();
    hosts.join(",")
}

fn redact_query(rest: &str) -> String {
    let Some((base, query)) = rest.split_once('?') else {
        return rest.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _)) if is_secret_key(key) => format!("{key}=***"),
            _ => param.to_owned(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// Whether a query parameter carries a password; the key is compared as
/// sqlx reads it, percent-decoded (`pass%77ord`).
fn is_secret_key(key: &str) -> bool {
    let mut decoded = Vec::with_capacity(key.len());
    let mut bytes = key.bytes();
    while let Some(byte) = bytes.next() {
        let hex = |b: Option<u8>| b.and_then(|b| char::from(b).to_digit(16));
        if byte == b'%' {
            let mut lookahead = bytes.clone();
            if let (Some(high), Some(low)) = (hex(lookahead.next()), hex(lookahead.next())) {
                decoded.push((high * 16 + low) as u8);
                bytes = lookahead;
                continue;
            }
        }
        decoded.push(byte);
    }
    decoded.eq_ignore_ascii_case(b"password") || decoded.eq_ignore_ascii_case(b"sslpassword")
}

#[cfg(test)]
mod tests {
    use super::redact_url;
    use crate::model::BackendKind;

    #[test]
    fn url_schemes() {
        assert_eq!(
            BackendKind::from_url("sqlite::memory:").ok(),
            Some(BackendKind::Sqlite)
        );
        assert_eq!(
            BackendKind::from_url("postgresql://h/db").ok(),
            Some(BackendKind::Postgres)
        );
        assert_eq!(
            BackendKind::from_url("MariaDB://h/db").ok(),
            Some(BackendKind::MySql)
        );
        assert!(BackendKind::from_url("oracle://u:secret@h").is_err());
        assert!(BackendKind::from_url("no scheme").is_err());
    }

    /// Issue 25, item 3: sqlx-postgres logs the parameters it ignores with
    /// their values; they are taken out before it parses the URL.
    #[test]
    fn parameters_postgres_ignores_are_taken_out() {
        let (url, ignored) = super::without_ignored_parameters(
            "postgres://u:p@h:5432/db?sslpassword=s3cret&sslmode=require&PASSWORD=s3cret&application_name=x&options[search_path]=a",
        );
        assert_eq!(ignored, ["sslpassword", "PASSWORD"]);
        assert_eq!(
            url,
            "postgres://u:p@h:5432/db?sslmode=require&application_name=x&options%5Bsearch_path%5D=a"
        );
        let (url, _) = super::without_ignored_parameters("postgres://h/db?PASSWORD=s3cret");
        assert_eq!(url, "postgres://h/db");
        for url in [
            "postgres://u:p@h/db?sslmode=require&password=x",
            "mysql://h/db?sslpassword=s3cret",
            "sqlite:app.db?mode=rwc",
        ] {
            assert_eq!(super::without_ignored_parameters(url), (url.into(), vec![]));
        }
    }

    /// Issue 25, item 14: an empty URL (`-d ''`) migrated a temporary
    /// SQLite database that vanished with the run.
    #[test]
    fn an_empty_url_names_no_database() {
        for url in ["", "  ", "sqlite:", "sqlite://", "sqlite:?mode=rwc"] {
            let error = BackendKind::from_url(url).unwrap_err();
            assert!(
                matches!(error, crate::Error::EmptyUrl { .. }),
                "{url:?}: {error}"
            );
        }
        for url in ["sqlite::memory:", "sqlite://?mode=memory", "sqlite:app.db"] {
            assert_eq!(
                BackendKind::from_url(url).ok(),
                Some(BackendKind::Sqlite),
                "{url}"
            );
        }
    }

    #[test]
    fn passwords_with_separator_characters() {
        for (url, redacted) in [
            (
                "postgres://u:p%40ss@w:rd@host/db",
                "postgres://u:***@host/db",
            ),
            ("postgres://app:pa/ss@db/app", "postgres://app:***@db/app"),
            (
                "postgres://u:p?ss@h/db?sslpassword=x",
                "postgres://u:***@h/db?sslpassword=***",
            ),
            ("postgres://u@host/db", "postgres://u@host/db"),
            ("mysql://:secret@h/db", "mysql://:***@h/db"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(redact_url(url), redacted, "{url}");
            assert!(
                !redact_url(url).contains("ss@") || !url.contains(":p"),
                "{url}"
            );
        }
    }

    /// Issue 10, item 11: URLs without `//` keep their password out too.
    #[test]
    fn urls_without_slashes_show_only_scheme_and_host() {
        for url in [
            "postgres:app:S3cret@host/db",
            "postgres:/app:S3cret@host/db",
            "mysql:app:S3cret@127.0.0.1:3306/db",
            "mysql:/app:S3cret@127.0.0.1/db?ssl-mode=disabled",
            "postgres://app:S3cret/db",
            "postgres:app:S3cret",
            "app:S3cret@host/db",
            "//app:S3cret@host/db",
            "postgres://h/db?pass%77ord=S3cret",
        ] {
            let redacted = redact_url(url);
            assert!(!redacted.contains("S3cret"), "{url} -> {redacted}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::redact_url;
    use proptest::prelude::*;

    /// The password is the only part that may hold `P`, so it is found in
    /// the output only if it leaked.
    fn password() -> impl Strategy<Value = String> {
        "P[a-zA-Z0-9/?@:#%&=!+,;\\[\\]$ ~-]{1,12}"
    }

    fn url_shape() -> impl Strategy<Value = (String, String)> {
        let scheme = prop_oneof![
            Just("postgres"),
            Just("postgresql"),
            Just("mysql"),
            Just("mariadb"),
            Just("sqlite"),
            Just("x-y.z+w"),
            Just(""),
        ];
        let separator = prop_oneof![
            Just(":"),
            Just(":/"),
            Just("://"),
            Just(":///"),
            Just("//"),
            Just("")
        ];
        let user = "[a-oq-z0-9_.]{0,8}";
        let host = prop_oneof![
            Just(String::new()),
            "[a-oq-z0-9.-]{1,12}",
            "[a-oq-z0-9.-]{1,12}:[0-9]{1,5}",
            Just("[::1]:5432".to_owned()),
            Just("h1:5432,h2:5433".to_owned()),
        ];
        let path = prop_oneof![Just(String::new()), "/[a-oq-z0-9_]{0,8}"];
        let query = prop_oneof![
            Just(String::new()),
            Just("?sslmode=require".to_owned()),
            Just("?ssl-mode=disabled&statement-cache-capacity=0".to_owned()),
        ];
        // Where the password goes: user-info (with or without `@`), or a
        // query parameter (spelled in any case, or percent-encoded).
        let place = 0..6u8;
        (
            scheme,
            separator,
            user,
            host,
            path,
            query,
            place,
            password(),
        )
            .prop_map(
                |(scheme, separator, user, host, path, query, place, password)| {
                    let colon = if scheme.is_empty() { "" } else { separator };
                    let url = match place {
                        0 => format!("{scheme}{colon}{user}:{password}@{host}{path}{query}"),
                        1 => format!("{scheme}{colon}:{password}@{host}{path}{query}"),
                        // `user:password` without `@host` (`u` keeps it from
                        // reading as a bare SQLite file name).
                        2 => format!("{scheme}{colon}u{user}:{password}{path}{query}"),
                        3 => format!("{scheme}{colon}{host}{path}?password={password}"),
                        4 => format!(
                            "{scheme}{colon}{host}{path}?sslmode=require&pASSWORD={password}"
                        ),
                        _ => format!("{scheme}{colon}{host}{path}?ssl%70assword={password}"),
                    };
                    (url, password)
                },
            )
    }

    proptest! {
        /// Issue 10, item 11: whatever the URL's shape, its password is not
        /// in the redacted text.
        #[test]
        fn redaction_never_shows_the_password((url, password) in url_shape()) {
            let redacted = redact_url(&url);
            prop_assert!(!redacted.contains(&password), "{} -> {}", url, redacted);
        }
    }
}
