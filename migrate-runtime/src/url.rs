//! Password redaction for URLs that end up in messages and logs.

/// Returns `url` with the password of its user-info part and any
/// `password=` / `sslpassword=` query parameter replaced by `***`.
///
/// The user-info part is everything between `scheme://` and the last `@`,
/// so a password containing `/`, `?` or `@` is still found.
///
/// ```
/// use migrate_runtime::redact_url;
/// assert_eq!(redact_url("postgres://app:s3cret@db:5432/app"), "postgres://app:***@db:5432/app");
/// assert_eq!(redact_url("postgres://app:pa/ss?w@db/app"), "postgres://app:***@db/app");
/// assert_eq!(redact_url("mysql://db/app?password=s3cret&ssl-mode=required"), "mysql://db/app?password=***&ssl-mode=required");
/// assert_eq!(redact_url("sqlite://app.db?mode=rwc"), "sqlite://app.db?mode=rwc");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_query(url);
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host_and_rest)) => {
            let user = match userinfo.split_once(':') {
                Some((user, _password)) => format!("{user}:***"),
                None => userinfo.to_owned(),
            };
            format!("{scheme}://{user}@{}", redact_query(host_and_rest))
        }
        None => format!("{scheme}://{}", redact_query(rest)),
    }
}

fn redact_query(rest: &str) -> String {
    let Some((base, query)) = rest.split_once('?') else {
        return rest.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _))
                if key.eq_ignore_ascii_case("password")
                    || key.eq_ignore_ascii_case("sslpassword") =>
            {
                format!("{key}=***")
            }
            _ => param.to_owned(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

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
}
