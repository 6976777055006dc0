//! Property tests: the parser never panics, line endings never change a
//! checksum, and a script of only comments and whitespace has no statements.
#![allow(clippy::unwrap_used)]

use migrata_core::{
    checksum, has_no_statements, load_files, parse_dir_name, parse_file_name, split_statements,
    split_statements_for, statement_batches, Exclude, SqlFlavor,
};
use proptest::prelude::*;

fn file_name() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{0,22}[_.]{0,3}[a-zA-Z0-9_ -]{0,8}(\\.up|\\.down)?\\.sql",
        "V[0-9]{0,21}__[a-z_]{0,6}\\.sql",
        "[0-9a-f-]{0,24}_[a-z .]{0,5}/(up\\.sql|down\\.sql|metadata\\.toml|x\\.sql|a/up\\.sql)",
    ]
}

/// A diesel version as diesel's generator or a person writes one: any
/// number of digits up to a timestamp's 14, or a timestamp with diesel's
/// subversion.
fn diesel_version() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,14}",
        "[0-9]{14}-[0-9a-f]{4}",
        "20[0-9]{2}-[01][0-9]-[0-3][0-9](-[0-9]{6}(-[0-9a-f]{4})?)?",
    ]
}

proptest! {
    /// Issue 25, item 13: every version diesel accepts is accepted (but a
    /// few short ones that cannot be numbered), and two versions' numbers
    /// order them as diesel's text does.
    #[test]
    fn diesel_numbers_follow_diesels_text_order(a in diesel_version(), b in diesel_version()) {
        let parse = |version: &str| parse_dir_name(&format!("{version}_x"));
        // The versions refused: a short run of zeros (below version 0) and
        // those whose (zero-padded) timestamp does not fit in an i64.
        let refused = |version: &str| {
            let version = version.replace('-', "");
            let timestamp = format!("{:0<14}", &version[..version.len().min(14)]);
            (version.len() < 14 && version.bytes().all(|b| b == b'0'))
                || timestamp.as_str() > "92233720368547"
        };
        match (parse(&a), parse(&b)) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.version.cmp(&b.version), a.diesel_version.cmp(&b.diesel_version));
                prop_assert!(a.version >= 0);
            }
            (a_parsed, b_parsed) => {
                prop_assert!(a_parsed.is_ok() || refused(&a), "{}", a);
                prop_assert!(b_parsed.is_ok() || refused(&b), "{}", b);
            }
        }
    }

    #[test]
    fn file_names_never_panic(name in file_name()) {
        let _ = parse_file_name(&name);
    }

    #[test]
    fn exclude_patterns_never_panic(pattern in "[*?a/.\\\\]{0,8}|\\PC{0,8}", path in "[ab/.*]{0,10}|\\PC{0,10}") {
        if let Ok(exclude) = Exclude::new([pattern]) {
            let _ = exclude.matches(&path);
        }
    }

    /// Without `*` and `?` a pattern matches exactly itself.
    #[test]
    fn exclude_literal_patterns_match_only_themselves(a in "[ab./]{1,6}", b in "[ab./]{1,6}") {
        if let Ok(exclude) = Exclude::new([a.clone()]) {
            prop_assert_eq!(exclude.matches(&b), a == b);
        }
    }

    #[test]
    fn loading_never_panics(
        files in prop::collection::vec((file_name(), any::<Vec<u8>>()), 0..8),
        scripts in prop::collection::vec(("[0-9]{1,3}_[a-z]{1,3}(\\.up|\\.down)?\\.sql", "(-- migrate:[a-z-]{0,16}\n)?[ -~\r\n]{0,40}"), 0..8),
    ) {
        let all = files.into_iter().chain(scripts.into_iter().map(|(n, s)| (n, s.into_bytes())));
        let _ = load_files(all);
    }

    // "Plain" statements have no parentheses and no vowels, so no keyword
    // (`BEGIN`, `CASE`, `END`, `DELIMITER`) that opens or closes a body.
    #[test]
    fn splitting_never_panics_and_keeps_plain_statements(
        sql in any::<String>(),
        plain in prop::collection::vec("[b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z0-9 ,=]{1,20}", 1..6),
    ) {
        let _ = split_statements(&sql);
        let _ = split_statements_for(&sql, SqlFlavor::MySql);
        let _ = has_no_statements(&sql, SqlFlavor::MySql);
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

    /// Issue 10, item 4: whatever mix of BOM, whitespace, comments and empty
    /// statements a script is made of, it has no statements, in both flavors.
    #[test]
    fn comment_only_scripts_have_no_statements(
        bom in any::<bool>(),
        pieces in prop::collection::vec(no_op_piece(), 0..12),
    ) {
        let sql = format!("{}{}", if bom { "\u{feff}" } else { "" }, pieces.concat());
        for flavor in [SqlFlavor::Standard, SqlFlavor::MySql] {
            prop_assert!(has_no_statements(&sql, flavor), "{:?} {:?}", flavor, sql);
            prop_assert!(split_statements_for(&sql, flavor).is_empty());
        }
    }

    /// Issue 10, item 4: one statement among the no-op pieces is found.
    #[test]
    fn one_statement_among_comments_is_found(
        before in prop::collection::vec(no_op_piece(), 0..6),
        after in prop::collection::vec(no_op_piece(), 0..6),
        statement in "[a-zA-Z_][a-zA-Z0-9_ ,=]{0,20}",
    ) {
        let sql = format!("{}\n{statement}\n;{}", before.concat(), after.concat());
        for flavor in [SqlFlavor::Standard, SqlFlavor::MySql] {
            prop_assert!(!has_no_statements(&sql, flavor), "{:?} {:?}", flavor, sql);
            // Leading comments stay with the statement they precede.
            let statements = split_statements_for(&sql, flavor);
            prop_assert_eq!(statements.len(), 1);
            prop_assert!(statements[0].ends_with(statement.trim()));
        }
    }

    /// `has_no_statements` agrees with the splitter on any text.
    #[test]
    fn no_statements_means_nothing_to_split(sql in any::<String>()) {
        for flavor in [SqlFlavor::Standard, SqlFlavor::MySql] {
            prop_assert_eq!(has_no_statements(&sql, flavor), split_statements_for(&sql, flavor).is_empty());
        }
    }

    /// Batches are the script cut at statement starts: together they are
    /// the script, they split into the script's statements, and only a
    /// batch of one statement exceeds the size.
    #[test]
    fn batches_cut_only_between_statements(
        parts in prop::collection::vec(prop_oneof![
            "INSERT INTO t VALUES \\('[a-z;]{0,8}'\\)",
            "-- [a-z ;]{0,8}\nSELECT 1",
            "CREATE TRIGGER g AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END",
            "SELECT \"[a-z;]{0,4}\" /\\* ; \\*/",
        ], 0..40),
        max_bytes in 1usize..200,
    ) {
        let sql: String = parts.iter().map(|p| format!("{p};\n")).collect();
        let batches = statement_batches(&sql, max_bytes);
        prop_assert_eq!(batches.concat(), sql.clone());
        let rejoined: Vec<&str> = batches.iter().flat_map(|b| split_statements(b)).collect();
        prop_assert_eq!(rejoined, split_statements(&sql));
        for batch in &batches {
            prop_assert!(batch.len() <= max_bytes || split_statements(batch).len() <= 1, "{:?}", batch);
        }
    }
}

/// Text that is a comment, whitespace or an empty statement in every flavor.
fn no_op_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ \t\r\n]{1,4}",
        Just(";".to_owned()),
        "-- [^\n]{0,20}\n",
        // Not `/*!` or `/*+`: MySQL runs those.
        "/\\* [^*/]{0,20}\\*/",
    ]
}
