//! Test databases on SQLite: copies of a template file, or in-memory
//! databases filled from it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{Connection, SqliteConnection};

use super::database::{ready, Place, Template, TestDatabase, TestPrefix};
use crate::driver::Backend;
use crate::error::Error;
use crate::migrator::Migrator;
use crate::sql::sql_str;
use crate::sql::testing::sqlite as sql;
use crate::url::redact_url;

/// What a SQLite base URL asks for.
enum Base {
    /// `sqlite://DIR`: template and test databases are files in `DIR`.
    Directory(PathBuf),
    /// `sqlite://` alone: files in the [`scratch_directory`].
    Scratch,
    /// `sqlite::memory:`: in-memory test databases, the template a file in
    /// the temporary directory.
    Memory,
}

impl Base {
    fn parse(base_url: &str) -> Base {
        let after_scheme = base_url.split_once(':').map_or("", |(_, rest)| rest);
        let after_slashes = after_scheme.strip_prefix("//").unwrap_or(after_scheme);
        let (path, query) = after_slashes.split_once('?').unwrap_or((after_slashes, ""));
        let in_memory = path == ":memory:"
            || (path.is_empty() && query.split('&').any(|param| param == "mode=memory"));
        match (in_memory, path.is_empty()) {
            (true, _) => Base::Memory,
            (false, true) => Base::Scratch,
            (false, false) => Base::Directory(PathBuf::from(path)),
        }
    }

    fn directory(&self) -> PathBuf {
        match self {
            Base::Directory(dir) => dir.clone(),
            Base::Scratch | Base::Memory => scratch_directory(),
        }
    }

    /// Creates the directory unless it exists (the scratch directory
    /// private to this user).
    fn prepare(&self) -> Result<PathBuf, Error> {
        let dir = self.directory();
        match self {
            Base::Directory(_) => {
                std::fs::create_dir_all(&dir).map_err(io_error("create", &dir))?
            }
            Base::Scratch | Base::Memory => private_directory(&dir)?,
        }
        Ok(dir)
    }
}

/// Where templates of in-memory test databases, and in-memory databases
/// saved after a failure, are written: `migrate-testing-<user>` in the
/// system's temporary directory. A test copies whatever template it finds
/// there, so on unix it must be this user's alone: a test database creates
/// it owner-only (mode 700) and refuses one that is a link, is another
/// user's or gives group or others any access, naming it in the error.
pub fn scratch_directory() -> PathBuf {
    let user: String = ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|variable| std::env::var(variable).ok())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    std::env::temp_dir().join(format!("migrate-testing-{user}"))
}

/// Creates `dir` readable and writable by this user alone, or checks that
/// the one already there is: a real directory (not a link), owned by this
/// user, with no permission for group or others. Anything else is refused,
/// never used: another local user could have planted a template in it.
#[cfg(unix)]
fn private_directory(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => return Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(io_error("create", dir)(error)),
    }
    let refuse = |why: String| {
        io_error("use as the private scratch directory", dir)(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{why}; remove it, or set TMPDIR to a directory of your own"),
        ))
    };
    let found = std::fs::symlink_metadata(dir).map_err(io_error("inspect", dir))?;
    if !found.file_type().is_dir() {
        return Err(refuse("it is not a directory (a link?)".into()));
    }
    let mode = found.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(refuse(format!(
            "its mode is {mode:03o}: group or others have access (it must be 700)"
        )));
    }
    // Std cannot tell this process's uid: a file it creates carries it.
    let probe = dir.join(format!(".owner-{}", super::database::unique_suffix()));
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|file| file.metadata());
    let _ = std::fs::remove_file(&probe);
    let mine =
        created.map_err(|error| refuse(format!("it is not writable by this user ({error})")))?;
    if found.uid() != mine.uid() {
        return Err(refuse(format!(
            "it is owned by uid {}, not by this user (uid {})",
            found.uid(),
            mine.uid()
        )));
    }
    Ok(())
}

/// Elsewhere the temporary directory is the user's own.
#[cfg(not(unix))]
fn private_directory(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(io_error("create", dir))
}

pub(super) async fn test_database(
    migrator: &Migrator<'_>,
    template: &Template,
    base_url: &str,
) -> Result<TestDatabase, Error> {
    let base = Base::parse(base_url);
    let dir = base.prepare()?;
    let template_path = dir.join(format!("{}.sqlite3", template.name));
    let key = (dir.display().to_string(), template.name.clone());
    if !ready().contains_key(&key) {
        build_template(migrator, template, &dir, &template_path).await?;
        ready().insert(key, Arc::default());
    }
    let name = template.test_database_name();
    match base {
        Base::Directory(_) | Base::Scratch => {
            let path = dir.join(format!("{name}.sqlite3"));
            std::fs::copy(&template_path, &path)
                .map_err(io_error("copy the template to", &path))?;
            Ok(TestDatabase {
                url: file_url(&path),
                template: template.name.clone(),
                name,
                place: Some(Place::File(path)),
            })
        }
        Base::Memory => {
            // The memdb VFS shares a database whose name starts with `/`
            // among the connections of the process, for as long as one is
            // open: `keeper` is.
            let url = format!("sqlite:///{name}?vfs=memdb");
            let keeper = open(&format!("{url}&mode=rwc")).await?;
            let mut source = open(&format!("{}?mode=ro", file_url(&template_path))).await?;
            let copied = source
                .execute(sql_str(sql::copy_into(&memdb_uri(&name))))
                .await;
            let _ = source.close().await;
            copied.map_err(|source| Error::TestDatabase {
                action: format!("copy template {} into memory", template.name),
                database: name.clone(),
                error: source,
            })?;
            Ok(TestDatabase {
                url,
                template: template.name.clone(),
                name,
                place: Some(Place::Memory(keeper)),
            })
        }
    }
}

/// Builds the template unless it exists, once across processes: under a
/// lock on `<template>.lock`, at `<building>.sqlite3`, renamed to the
/// template's name when every migration has succeeded.
async fn build_template(
    migrator: &Migrator<'_>,
    template: &Template,
    dir: &Path,
    template_path: &Path,
) -> Result<(), Error> {
    if template_path.exists() {
        return Ok(());
    }
    let lock_path = dir.join(format!("{}.lock", template.name));
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io_error("open", &lock_path))?;
    wait_for_lock(&lock, &lock_path).await?;
    // Another process may have built it while this one waited.
    if template_path.exists() {
        return Ok(());
    }
    let building = dir.join(format!("{}.sqlite3", template.building));
    // A build that was cut off left this; nobody else builds now.
    remove_database_file(&building)?;
    migrator
        .run(&format!("{}?mode=rwc", file_url(&building)))
        .await?;
    std::fs::rename(&building, template_path).map_err(io_error("rename to the template", &building))
    // `lock` is released when dropped here.
}

/// Polls, so that tasks waiting in one runtime thread do not block the one
/// holding the lock.
async fn wait_for_lock(lock: &File, path: &Path) -> Result<(), Error> {
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(TryLockError::Error(error)) => return Err(io_error("lock", path)(error)),
        }
    }
}

/// Removes a database file and the files SQLite keeps beside it.
pub(super) fn remove_database_file(path: &Path) -> Result<(), Error> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                return Err(io_error("remove", Path::new(&file))(error));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Saves an in-memory test database to a file of the same name in the
/// temporary directory (`keeper` keeps it alive until then); returns the
/// file's URL.
pub(super) async fn save_to_file(
    mut keeper: SqliteConnection,
    name: &str,
) -> Result<String, Error> {
    let dir = scratch_directory();
    private_directory(&dir)?;
    let path = dir.join(format!("{name}.sqlite3"));
    let image = keeper.serialize(None).await;
    let _ = keeper.close().await;
    let image = image.map_err(|source| Error::TestDatabase {
        action: "read from memory".into(),
        database: name.to_owned(),
        error: source,
    })?;
    std::fs::write(&path, &*image).map_err(io_error("write", &path))?;
    Ok(file_url(&path))
}

/// The SQLite URI of in-memory test database `name`.
fn memdb_uri(name: &str) -> String {
    format!("file:/{name}?vfs=memdb")
}

/// See [`super::drop_all`]: removes the files of `prefix`'s test databases
/// and templates in the base URL's directory.
pub(super) fn drop_all(prefix: &TestPrefix, base_url: &str) -> Result<Vec<String>, Error> {
    let prefixes = [
        prefix.test_databases(),
        prefix.building(),
        prefix.templates(),
    ];
    let dir = Base::parse(base_url).directory();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io_error("list", &dir)(error)),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let name = entry.map_err(io_error("list", &dir))?.file_name();
        let name = name.to_string_lossy();
        if prefixes
            .iter()
            .any(|prefix| name.starts_with(prefix.as_str()))
        {
            let path = dir.join(&*name);
            std::fs::remove_file(&path).map_err(io_error("remove", &path))?;
            removed.push(name.into_owned());
        }
    }
    removed.sort();
    Ok(removed)
}

/// A `sqlite://` URL for `path`; the characters sqlx would read as the
/// start of the query, or decode, are escaped.
fn file_url(path: &Path) -> String {
    let path = path.to_string_lossy();
    let mut url = String::from("sqlite://");
    for c in path.chars() {
        match c {
            '%' => url.push_str("%25"),
            '?' => url.push_str("%3F"),
            '#' => url.push_str("%23"),
            c => url.push(c),
        }
    }
    url
}

async fn open(url: &str) -> Result<SqliteConnection, Error> {
    <SqliteConnection as Backend>::open(url, Duration::from_secs(30))
        .await
        .map_err(|source| Error::Connect {
            url: redact_url(url),
            error: source,
        })
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
    move |source| Error::TestDatabaseFile {
        action,
        path: path.to_owned(),
        error: source,
    }
}
