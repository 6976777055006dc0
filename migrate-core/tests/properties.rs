//! Property tests: the parser never panics, and line endings never change a checksum.
#![allow(clippy::unwrap_used)]

use migrate_core::{checksum, load_files, parse_file_name, split_statements};
use proptest::prelude::*;

fn file_name() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{0,22}[_.]{0,3}[a-zA-Z0-9_ -]{0,8}(\\.up|\\.down)?\\.sql",
        "V[0-9]{0,21}__[a-z_]{0,6}\\.sql",
    ]
}

proptest! {
    #[test]
    fn file_names_never_panic(name in file_name()) {
        let _ = parse_file_name(&name);
    }

    #[test]
    fn loading_never_panics(
        files in prop::collection::vec((file_name(), any::<Vec<u8>>()), 0..8),
        scripts in prop::collection::vec(("[0-9]{1,3}_[a-z]{1,3}(\\.up|\\.down)?\\.sql", "(-- migrate:[a-z-]{0,16}\n)?[ -~\r\n]{0,40}"), 0..8),
    ) {
        let all = files.into_iter().chain(scripts.into_iter().map(|(n, s)| (n, s.into_bytes())));
        let _ = load_files(all);
    }

    #[test]
    fn splitting_never_panics_and_keeps_plain_statements(
        sql in any::<String>(),
        plain in prop::collection::vec("[a-zA-Z0-9 ,()=]{1,20}", 1..6),
    ) {
        let _ = split_statements(&sql);
        let plain: Vec<String> = plain.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        let script = plain.join(";\n");
        prop_assert_eq!(split_statements(&script), plain.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn crlf_and_lf_hash_equal(lines in prop::collection::vec("[^\r\n\u{feff}]{0,30}", 0..10), bom in any::<bool>()) {
        let lf = lines.join("\n");
        let crlf = format!("{}{}", if bom { "\u{feff}" } else { "" }, lines.join("\r\n"));
        prop_assert_eq!(checksum(&lf), checksum(&crlf));
    }
}
