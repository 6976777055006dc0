//! Password redaction for URLs that end up in messages and logs.

/// Returns `url` with the password of its user-info part and any `password=`
/// query parameter replaced by `***`.
///
/// ```
/// use migrate_runtime::redact_url;
/// assert_eq!(redact_url("postgres://app:s3cret@db:5432/app"), "postgres://app:***@db:5432/app");
/// assert_eq!(redact_url("mysql://db/app?password=s3cret&ssl-mode=required"), "mysql://db/app?password=***&ssl-mode=required");
/// assert_eq!(redact_url("sqlite://app.db?mode=rwc"), "sqlite://app.db?mode=rwc");
/// ```
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
                    None => base.to_owned(),
                },
                None => base.to_owned(),
            }
        }
        None => base.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => param.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn password_with_at_and_slash_characters() {
        assert_eq!(
            redact_url("postgres://u:p%40ss@w:rd@host/db"),
            "postgres://u:***@host/db"
        );
        assert_eq!(redact_url("postgres://u@host/db"), "postgres://u@host/db");
        assert_eq!(redact_url("not a url"), "not a url");
    }
}
