//! What a code migration's file defines, found without compiling it: the
//! loader needs to know whether there is a `down` (so the migration is
//! reversible) and that there is an `up`, both in the macro and in the
//! standalone tool, which cannot compile the file.

use proc_macro2::{TokenStream, TokenTree};

use crate::Error;

/// The functions a code migration's file defines at its top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryPoints {
    pub up: bool,
    pub down: bool,
}

/// Finds `fn up` and `fn down` among the file's top-level tokens (items in
/// an `impl`, a `mod` or a function body are inside a group, so they are
/// not mistaken for them; comments and strings are not tokens).
pub(crate) fn entry_points(file: &str, source: &str) -> Result<EntryPoints, Error> {
    let tokens: TokenStream =
        crate::strip_bom(source)
            .parse()
            .map_err(|_: proc_macro2::LexError| Error::NotRust {
                file: file.to_owned(),
            })?;
    let mut found = EntryPoints {
        up: false,
        down: false,
    };
    let mut after_fn = false;
    for token in tokens {
        let TokenTree::Ident(ident) = token else {
            after_fn = false;
            continue;
        };
        if after_fn {
            found.up |= ident == "up";
            found.down |= ident == "down";
        }
        after_fn = ident == "fn";
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(source: &str) -> (bool, bool) {
        let points = entry_points("f.rs", source).unwrap();
        (points.up, points.down)
    }

    #[test]
    fn top_level_functions_only() {
        assert_eq!(
            found("pub async fn up(c: &mut C<'_>) -> R { down() }\npub(crate) async fn down(c: &mut C<'_>) -> R { Ok(()) }"),
            (true, true)
        );
        assert_eq!(
            found("async fn up() {}\n// fn down()\nconst S: &str = \"fn down\";"),
            (true, false)
        );
        assert_eq!(
            found("impl X { fn up() {} }\nmod m { pub fn down() {} }\nfn helper() { fn up() {} }"),
            (false, false)
        );
        assert_eq!(found("fn upgrade() {}\nfn up_to() {}"), (false, false));
        assert!(matches!(
            entry_points("f.rs", "fn up() { \"unterminated }"),
            Err(Error::NotRust { .. })
        ));
    }
}
