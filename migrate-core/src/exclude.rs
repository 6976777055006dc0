use crate::Error;

/// Files and directories of a migrations directory to leave out, so that a
/// seed script or notes beside the migrations are not read as migrations.
///
/// A pattern matches a path inside the migrations directory, with `/`
/// between its parts: a file (`seed.sql`), a subdirectory with everything in
/// it (`seeds`), or a file in a subdirectory (`*/notes.sql`). `*` matches any
/// run of characters and `?` exactly one, neither crossing a `/`; every other
/// character stands for itself (`[` too, since names like `[2.0.0]` exist).
///
/// ```
/// let exclude = migrata_core::Exclude::new(["seed*.sql", "*/notes.sql"])?;
/// assert!(exclude.matches("seed_users.sql"));
/// assert!(exclude.matches("2019-11-15-182353_users/notes.sql"));
/// assert!(!exclude.matches("0001_seed.sql"));
/// assert!(!exclude.matches("archive/seed.sql"));
/// # Ok::<(), migrata_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclude {
    patterns: Vec<String>,
}

impl Exclude {
    /// No patterns: nothing is left out.
    pub const NONE: Exclude = Exclude {
        patterns: Vec::new(),
    };

    /// Checks and collects `patterns`; the first invalid one is an error
    /// naming it and the rule it breaks.
    pub fn new<I>(patterns: I) -> Result<Exclude, Error>
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let mut exclude = Exclude::default();
        for pattern in patterns {
            exclude.push(pattern)?;
        }
        Ok(exclude)
    }

    /// Adds one pattern, if it is valid.
    pub fn push(&mut self, pattern: impl Into<String>) -> Result<(), Error> {
        let pattern = pattern.into();
        if let Some(rule) = pattern_rule(&pattern) {
            return Err(Error::BadExcludePattern { pattern, rule });
        }
        self.patterns.push(pattern);
        Ok(())
    }

    /// The patterns, as given.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether any pattern matches `path` (relative to the migrations
    /// directory, `/`-separated).
    pub fn matches(&self, path: &str) -> bool {
        self.patterns.iter().any(|pattern| {
            pattern.split('/').count() == path.split('/').count()
                && pattern
                    .split('/')
                    .zip(path.split('/'))
                    .all(|(pattern, part)| wildcard_matches(pattern, part))
        })
    }
}

/// Patterns that would never match what they seem to, or that promise
/// syntax this matcher does not have.
fn pattern_rule(pattern: &str) -> Option<&'static str> {
    if pattern.is_empty() {
        Some("it is empty")
    } else if pattern.starts_with('/') {
        Some("it starts with `/`; patterns are relative to the migrations directory")
    } else if pattern.ends_with('/') {
        Some("it ends with `/`; a directory is matched by its name alone")
    } else if pattern.contains("//") {
        Some("it has an empty part between two `/`")
    } else if pattern.contains('\\') {
        Some("it contains `\\`; parts are separated by `/` on every platform")
    } else if pattern.contains("**") {
        Some("`**` is not supported; `*` never crosses a `/`, so write each level (`*/notes.sql`)")
    } else if pattern.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of
/// characters and `?` exactly one (the usual backtracking to the last `*`);
/// an [`Exclude`] pattern matches each part of a path this way.
///
/// ```
/// assert!(migrata_core::wildcard_matches("audit_*", "audit_log"));
/// assert!(!migrata_core::wildcard_matches("audit_?", "audit_log"));
/// ```
pub fn wildcard_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // The last `*` seen and the text position it currently stops at.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    star = Some((star_p, star_t + 1));
                    p = star_p + 1;
                    t = star_t + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        Exclude::new([pattern]).unwrap().matches(path)
    }

    #[test]
    fn wildcards() {
        assert!(matches("seed*.sql", "seed.sql"));
        assert!(matches("seed*.sql", "seed_users.sql"));
        assert!(!matches("seed*.sql", "0001_seed.sql"));
        assert!(matches("*seed*", "0001_seed.sql"));
        assert!(matches("000?_*.sql", "0007_x.sql"));
        assert!(!matches("000?_*.sql", "07_x.sql"));
        assert!(matches("*a*b", "xaxxab"));
        assert!(!matches("*a*b", "xaxxa"));
        assert!(matches("*", "anything at all.sql"));
        assert!(matches("[2.0.0]*", "[2.0.0]_x.sql"));
        assert!(!matches("[2]*", "2_x.sql"));
        assert!(matches("ü?.sql", "üx.sql"));
        assert!(!matches("README.md", "readme.md"));
    }

    #[test]
    fn stars_stay_within_one_part() {
        assert!(!matches("*", "dir/up.sql"));
        assert!(!matches("*.sql", "dir/seed.sql"));
        assert!(matches("*/seed.sql", "dir/seed.sql"));
        assert!(matches("dir", "dir"));
        assert!(!matches("dir", "dir/up.sql"));
        assert!(!matches("d?r", "d/r"));
    }

    #[test]
    fn invalid_patterns_name_the_rule() {
        for (pattern, rule) in [
            ("", "empty"),
            ("/seed.sql", "starts with `/`"),
            ("seeds/", "ends with `/`"),
            ("a//b", "empty part"),
            ("seeds\\x.sql", "`\\`"),
            ("**/x.sql", "`**`"),
            ("seed\n.sql", "control"),
        ] {
            let err = Exclude::new([pattern]).unwrap_err();
            assert!(
                matches!(&err, Error::BadExcludePattern { rule: r, .. } if r.contains(rule)),
                "{pattern:?}: {err}"
            );
        }
        assert_eq!(
            Exclude::new(["ok.sql", ""]).unwrap_err().to_string(),
            "exclude pattern `` is invalid: it is empty; a pattern matches a path inside the migrations directory \
             (`seed.sql`, `seeds`, `2019-11-15-182353_x/notes.sql`), with `*` for any characters and `?` for one, neither crossing `/`"
        );
    }
}
