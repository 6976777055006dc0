//! Writes `$OUT_DIR/snippets.rs`: one module per ```` ```rust ```` block of
//! the README, named after the line the block starts on.
//!
//! A block that parses as a file of items (a `main.rs`, a code migration, a
//! test file; not macro calls) is the module's body as it is, with its test functions marked
//! `#[ignore]`: compiled, not run. Any other block is a fragment of a
//! function body, as README snippets are; it becomes the body of an async
//! function returning `Result<(), Box<dyn Error>>`, where `url` is a
//! `String` and `MIGRATIONS` the crate's embedded set, unless the block
//! declares its own.

use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

fn main() -> Result<(), Box<dyn Error>> {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    println!("cargo:rerun-if-changed={}", readme.display());
    println!("cargo:rerun-if-changed=migrations");
    let text = std::fs::read_to_string(&readme)?;

    // For the fragments that use `MIGRATIONS` without declaring it; unused
    // when every block declares its own.
    let mut out = String::from(
        "#[allow(dead_code)]\nstatic MIGRATIONS: migrata::Migrations = migrata::embed_migrations!();\n",
    );
    for (line, code) in rust_blocks(&text) {
        let body = if is_items(&code) {
            ignore_tests(&code)
        } else {
            format!(
                "async fn snippet() -> Result<(), Box<dyn std::error::Error>> {{\n\
                 let url = String::from(\"sqlite::memory:\");\n\
                 {code}\n\
                 #[allow(unreachable_code)]\n\
                 Ok(())\n\
                 }}\n"
            )
        };
        writeln!(
            out,
            "/// README.md, the block at line {line}.\n\
             #[allow(unused, clippy::all, clippy::unwrap_used, clippy::expect_used)]\n\
             mod readme_line_{line} {{\n\
             use super::*;\n\
             {body}\n\
             }}"
        )?;
    }
    let target = Path::new(&std::env::var("OUT_DIR")?).join("snippets.rs");
    std::fs::write(target, out)?;
    Ok(())
}

/// Whether a block is a file of items. A macro call parses as an item too,
/// but in a snippet (`assert_eq!(…)`) it is a statement.
fn is_items(code: &str) -> bool {
    syn::parse_file(code).is_ok_and(|file| {
        file.items
            .iter()
            .all(|item| !matches!(item, syn::Item::Macro(call) if call.ident.is_none()))
    })
}

/// The ```` ```rust ```` blocks, each with the line its fence is on.
fn rust_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        match &mut open {
            None if line.trim_end() == "```rust" => open = Some((index + 1, String::new())),
            None => {}
            Some(_) if line.starts_with("```") => blocks.extend(open.take()),
            Some((_, code)) => {
                code.push_str(line);
                code.push('\n');
            }
        }
    }
    blocks
}

/// Marks each test function of a block `#[ignore]`: the attribute goes
/// right after the test attribute, which keeps the function's others.
fn ignore_tests(code: &str) -> String {
    let mut out = String::new();
    for line in code.lines() {
        out.push_str(line);
        out.push('\n');
        let attribute = line.trim_start();
        if attribute.starts_with("#[tokio::test") || attribute.starts_with("#[migrata::test") {
            out.push_str("#[ignore = \"a README snippet: compiled, not run\"]\n");
        }
    }
    out
}
