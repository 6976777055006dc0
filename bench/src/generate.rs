//! Writes N migrations in each tool's naming format, with identical scripts.

use std::io;
use std::path::{Path, PathBuf};

use crate::Tool;

/// The script of migration `v`: a small table with 3 columns, an index on
/// one of them, and one row. Valid SQL for SQLite and PostgreSQL alike.
pub fn script(v: usize) -> String {
    format!(
        "CREATE TABLE t{v} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);\n\
         CREATE INDEX t{v}_name ON t{v} (name);\n\
         INSERT INTO t{v} (id, name, created_at) VALUES (1, 'row {v}', '2026-01-01T00:00:00Z');\n"
    )
}

/// The file name of migration `v` in `tool`'s format.
pub fn file_name(tool: Tool, v: usize, n: usize) -> String {
    let width = n.to_string().len().max(4);
    match tool {
        // `<version>_<name>.sql` for this project and sqlx alike; the raw
        // runner reads this project's directory.
        Tool::Ours | Tool::Sqlx | Tool::Raw => format!("{v:0width$}_create_t{v}.sql"),
        // refinery: `V<version>__<name>.sql`.
        Tool::Refinery => format!("V{v}__create_t{v}.sql"),
    }
}

/// `root/<n>/<tool>/`: the directory holding `tool`'s `n` migrations.
pub fn dir(root: &Path, tool: Tool, n: usize) -> PathBuf {
    let folder = match tool {
        Tool::Raw => Tool::Ours.name(),
        other => other.name(),
    };
    root.join(n.to_string()).join(folder)
}

/// [`script`] with bounded text columns, which MySQL can index: valid on
/// PostgreSQL and MySQL alike (the latency benchmark).
pub fn portable_script(v: usize) -> String {
    format!(
        "CREATE TABLE t{v} (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, created_at VARCHAR(40) NOT NULL);\n\
         CREATE INDEX t{v}_name ON t{v} (name);\n\
         INSERT INTO t{v} (id, name, created_at) VALUES (1, 'row {v}', '2026-01-01T00:00:00Z');\n"
    )
}

/// Writes `n` migrations for each tool under `root` (replacing what was there).
pub fn write_all(root: &Path, n: usize) -> io::Result<()> {
    write_all_of(root, n, script)
}

/// [`write_all`] with [`portable_script`].
pub fn write_all_portable(root: &Path, n: usize) -> io::Result<()> {
    write_all_of(root, n, portable_script)
}

fn write_all_of(root: &Path, n: usize, script: fn(usize) -> String) -> io::Result<()> {
    for tool in [Tool::Ours, Tool::Sqlx, Tool::Refinery] {
        write(&dir(root, tool, n), tool, n, script)?;
    }
    Ok(())
}

/// Writes `n` migrations in `tool`'s format into `dir`, emptied first.
pub fn write(dir: &Path, tool: Tool, n: usize, script: fn(usize) -> String) -> io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    for v in 1..=n {
        std::fs::write(dir.join(file_name(tool, v, n)), script(v))?;
    }
    Ok(())
}

/// The scripts of `dir` in file-name order, for the raw runner.
pub fn read_scripts(dir: &Path) -> io::Result<Vec<String>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "sql"));
    files.sort();
    files.iter().map(std::fs::read_to_string).collect()
}
