use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::DirEntry;
use std::path::Path;

use crate::diesel::{self, DOWN, METADATA, UP};
use crate::transaction_control::transaction_control;
use crate::{
    checksum, code, is_repeatable_version, parse_code_directives, parse_directives,
    parse_file_name, Directives, Error, Errors, Exclude, FileKind, Language, Migration, Phase,
    Script,
};

/// Problems found so far, each with the file it is about (for ordering).
type Problems = Vec<(String, Error)>;

/// Reads every migration in `dir`, validates it and returns them ordered by
/// version, then the repeatable ones (`R__<name>.sql`) ordered by name.
///
/// Two layouts are read: files (`<version>_<name>.sql`, `.up.sql` +
/// `.down.sql`, `V<version>__<name>.sql`, as sqlx and refinery name them)
/// and diesel's directories (`<version>_<name>/up.sql`, optionally
/// `down.sql` and `metadata.toml`), one layout per directory. Dotfiles,
/// files that are not `.sql` and subdirectories that neither hold `up.sql`
/// nor are named like a migration are ignored; so is, beside diesel's
/// directories, every file not named like a migration (a data script, as
/// diesel ignores every file there).
///
/// Every problem in the directory is reported, in file-name order, so one
/// build shows them all.
pub fn load_dir(dir: &Path) -> Result<Vec<Migration>, Errors> {
    load_dir_excluding(dir, &Exclude::default())
}

/// [`load_dir`], leaving out every file and subdirectory that `exclude`
/// matches, as if it were not there.
///
/// ```
/// # let dir = tempfile::tempdir().expect("a temporary directory");
/// # std::fs::write(dir.path().join("0001_init.sql"), "CREATE TABLE t (id INTEGER);").expect("written");
/// std::fs::write(dir.path().join("seed_dev.sql"), "INSERT INTO t VALUES (1);")?;
/// assert!(migrata_core::load_dir(dir.path()).is_err()); // not a migration file name
///
/// let exclude = migrata_core::Exclude::new(["seed*.sql"])?;
/// let migrations = migrata_core::load_dir_excluding(dir.path(), &exclude)?;
/// assert_eq!(migrations.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_dir_excluding(dir: &Path, exclude: &Exclude) -> Result<Vec<Migration>, Errors> {
    read_dir(dir, exclude).map(|directory| directory.migrations)
}

/// What [`read_dir`] found in a migrations directory.
#[derive(Debug)]
#[non_exhaustive]
pub struct Directory {
    /// The migrations, as [`load_dir_excluding`] returns them.
    pub migrations: Vec<Migration>,
    /// The entries that are not migrations, in name order: what a user who
    /// expected one to run can look for (`migrata status --verbose`).
    pub ignored: Vec<Ignored>,
}

/// An entry of a migrations directory that is not a migration, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// Its path relative to the directory; a directory's ends with `/`.
    pub path: String,
    /// Why it is not a migration.
    pub reason: IgnoredBecause,
}

/// Why an entry of a migrations directory is not read as a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IgnoredBecause {
    /// A pattern of `exclude` matches it.
    Excluded,
    /// A file that is neither `.sql` nor `.rs`.
    NotSqlOrRust,
    /// A file not named like a migration beside diesel's directories, which
    /// diesel ignores.
    BesideDieselDirectories,
    /// A subdirectory without `up.sql`, not named like a migration.
    NoUpScript,
}

impl std::fmt::Display for IgnoredBecause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IgnoredBecause::Excluded => "matched by an exclude pattern",
            IgnoredBecause::NotSqlOrRust => "neither a .sql nor a .rs file",
            IgnoredBecause::BesideDieselDirectories => {
                "not named like a migration, beside diesel's directories (diesel ignores it too)"
            }
            IgnoredBecause::NoUpScript => "a directory without up.sql",
        })
    }
}

/// [`load_dir_excluding`], also telling which entries were left out and why.
///
/// ```
/// # let dir = tempfile::tempdir().expect("a temporary directory");
/// std::fs::create_dir(dir.path().join("2024-03-06-170000_init"))?;
/// std::fs::write(dir.path().join("2024-03-06-170000_init/up.sql"), "CREATE TABLE t (id INTEGER);")?;
/// std::fs::write(dir.path().join("seed.sql"), "INSERT INTO t VALUES (1);")?;
/// let directory = migrata_core::read_dir(dir.path(), &migrata_core::Exclude::default())?;
/// assert_eq!(directory.migrations.len(), 1);
/// assert_eq!(directory.ignored[0].path, "seed.sql");
/// assert_eq!(directory.ignored[0].reason, migrata_core::IgnoredBecause::BesideDieselDirectories);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_dir(dir: &Path, exclude: &Exclude) -> Result<Directory, Errors> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::MissingDir {
                path: dir.to_owned(),
            }
            .into())
        }
        Err(source) => {
            return Err(Error::Io {
                path: dir.to_owned(),
                error: source,
            }
            .into())
        }
    };
    let mut listing = Listing::default();
    for entry in entries {
        let Some((entry, name)) = listing.name(dir, entry) else {
            continue;
        };
        let is_dir = entry.path().is_dir();
        if exclude.matches(&name) {
            let path = if is_dir { format!("{name}/") } else { name };
            listing.ignore(path, IgnoredBecause::Excluded);
            continue;
        }
        if is_dir {
            listing.read_subdir(&entry, name, exclude);
            continue;
        }
        match parse_file_name(&name) {
            Ok(Some(_)) => listing.read(&entry, name),
            Ok(None) => listing.ignore(name, IgnoredBecause::NotSqlOrRust),
            Err(error) => listing.misnamed.push((name, error)),
        }
    }
    let mut ignored = std::mem::take(&mut listing.ignored);
    let (migrations, beside_diesel) = validate(listing)?;
    ignored.extend(beside_diesel.into_iter().map(|path| Ignored {
        path,
        reason: IgnoredBecause::BesideDieselDirectories,
    }));
    ignored.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Directory {
        migrations,
        ignored,
    })
}

/// Validates a set of `(file name, contents)` pairs, as [`load_dir`] does for
/// a directory, and returns the migrations ordered by version, or every
/// problem found, in file-name order (the same on every platform); the
/// order is [`load_dir`]'s. A name
/// `<directory>/<file>` is a file in a subdirectory (diesel's layout).
pub fn load_files(
    files: impl IntoIterator<Item = (String, Vec<u8>)>,
) -> Result<Vec<Migration>, Errors> {
    validate(Listing {
        files: files.into_iter().collect(),
        ..Listing::default()
    })
    .map(|(migrations, _)| migrations)
}

/// What [`load_dir_excluding`] found: the files to validate, every
/// subdirectory (an empty one named like a migration is an error too), what
/// could not be read, and the files whose names are not migrations' (not
/// read: errors unless the directory turns out to be diesel's).
#[derive(Default)]
struct Listing {
    files: Vec<(String, Vec<u8>)>,
    dirs: BTreeSet<String>,
    problems: Problems,
    misnamed: Problems,
    ignored: Vec<Ignored>,
}

impl Listing {
    fn ignore(&mut self, path: String, reason: IgnoredBecause) {
        self.ignored.push(Ignored { path, reason });
    }

    /// The entry and its name, or `None` for a dotfile, an unreadable entry
    /// (reported) or a name that is not UTF-8 (reported when it would be a
    /// migration, which `include_str!` could then not name).
    fn name(&mut self, dir: &Path, entry: std::io::Result<DirEntry>) -> Option<(DirEntry, String)> {
        let entry = match entry {
            Ok(entry) => entry,
            Err(source) => {
                // Sorts before every file name: the listing itself broke.
                let path = dir.to_owned();
                self.problems.push((
                    String::new(),
                    Error::Io {
                        path,
                        error: source,
                    },
                ));
                return None;
            }
        };
        let name = match entry.file_name().into_string() {
            Ok(name) => name,
            Err(name) => {
                let name = name.to_string_lossy().into_owned();
                let path = entry.path();
                let error = if path.join(UP).is_file() {
                    Error::BadDirName {
                        dir: name.clone(),
                        rule: "the name is not valid UTF-8",
                    }
                } else if (is_sql(&name) || name.to_ascii_lowercase().ends_with(".rs"))
                    && !path.is_dir()
                {
                    Error::BadFileName {
                        file: name.clone(),
                        rule: "the name is not valid UTF-8",
                    }
                } else {
                    return None;
                };
                self.problems.push((name, error));
                return None;
            }
        };
        (!name.starts_with('.')).then_some((entry, name))
    }

    fn read(&mut self, entry: &DirEntry, name: String) {
        match std::fs::read(entry.path()) {
            Ok(bytes) => self.files.push((name, bytes)),
            Err(source) => {
                let path = entry.path();
                self.problems.push((
                    name,
                    Error::Io {
                        path,
                        error: source,
                    },
                ));
            }
        }
    }

    /// Records a subdirectory, and reads its scripts and `metadata.toml`
    /// only when it holds `up.sql`: other subdirectories (`seeds/`) are not
    /// migrations, however big their files.
    fn read_subdir(&mut self, entry: &DirEntry, dir: String, exclude: &Exclude) {
        self.dirs.insert(dir.clone());
        let entries = match std::fs::read_dir(entry.path()) {
            Ok(entries) => entries,
            Err(source) => {
                let path = entry.path();
                self.problems.push((
                    dir,
                    Error::Io {
                        path,
                        error: source,
                    },
                ));
                return;
            }
        };
        let mut found = Vec::new();
        let mut has_up = false;
        for file in entries {
            let Some((file, name)) = self.name(&entry.path(), file) else {
                continue;
            };
            let path = format!("{dir}/{name}");
            let wanted = name == METADATA || is_sql(&name);
            if wanted && !exclude.matches(&path) && !file.path().is_dir() {
                has_up |= name == UP;
                found.push((file, path));
            }
        }
        if has_up {
            for (file, path) in found {
                self.read(&file, path);
            }
        } else if !diesel::named_like_migration(&dir) {
            // One named like a migration is an error: a missing up.sql.
            self.ignore(format!("{dir}/"), IgnoredBecause::NoUpScript);
        }
    }
}

/// An up (or plain) file, whether or not its content was valid: versions and
/// pairs are checked for every file, so a bad script does not also make its
/// down script look orphaned.
struct UpFile {
    file: String,
    name: String,
}

/// The migrations of a directory as they are validated.
#[derive(Default)]
struct Set {
    problems: Problems,
    up_files: BTreeMap<i64, UpFile>,
    ups: BTreeMap<i64, Migration>,
    /// Repeatable migrations, by name: the order they run in.
    repeatables: BTreeMap<String, Migration>,
    /// The first migration file and the first migration directory, in
    /// name order: one layout per directory.
    first_file: Option<String>,
    first_dir: Option<String>,
    /// Top-level files whose names are not migrations': errors, unless a
    /// subdirectory holds `up.sql`, as diesel ignores every file there.
    misnamed: Problems,
    diesel_layout: bool,
}

/// The migrations, and the top-level files diesel's layout left out.
fn validate(listing: Listing) -> Result<(Vec<Migration>, Vec<String>), Errors> {
    let mut flat = Vec::new();
    let mut subdirs: BTreeMap<String, BTreeMap<String, Vec<u8>>> = listing
        .dirs
        .into_iter()
        .map(|dir| (dir, BTreeMap::new()))
        .collect();
    for (path, bytes) in listing.files {
        match path.split_once('/') {
            None => flat.push((path, bytes)),
            // Hidden, as `load_dir` skips them.
            Some((dir, file)) if dir.starts_with('.') || file.starts_with('.') => {}
            Some((dir, file)) if !file.contains('/') => {
                let files = subdirs.entry(dir.to_owned()).or_default();
                files.insert(file.to_owned(), bytes);
            }
            // diesel reads one level deep, and so does this.
            Some(_) => {}
        }
    }
    let mut set = Set {
        problems: listing.problems,
        misnamed: listing.misnamed,
        ..Set::default()
    };
    set.add_files(flat);
    set.add_dirs(subdirs);
    set.finish()
}

impl Set {
    /// Records `file` as the up script of `version`, unless another script
    /// has it (reported).
    fn claim(&mut self, version: i64, file: &str, name: &str) -> bool {
        if let Some(existing) = self.up_files.get(&version) {
            // A repeatable migration's version is an internal hash of its
            // name, meaningless to whoever reads the error.
            let error = if is_repeatable_version(version) && existing.name == name {
                let (file, other) = in_name_order(&existing.file, file);
                Error::DuplicateRepeatable {
                    name: name.to_owned(),
                    file: file.to_owned(),
                    other: other.to_owned(),
                }
            } else {
                duplicate(version, &existing.file, file)
            };
            self.problems.push((file.to_owned(), error));
            return false;
        }
        let up_file = UpFile {
            file: file.to_owned(),
            name: name.to_owned(),
        };
        self.up_files.insert(version, up_file);
        true
    }

    /// The flat layout: `<version>_<name>.sql`, `.up.sql` + `.down.sql`.
    fn add_files(&mut self, mut files: Vec<(String, Vec<u8>)>) {
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut downs = Vec::new();
        for (file, bytes) in files {
            let parsed = match parse_file_name(&file) {
                Ok(Some(parsed)) => parsed,
                Ok(None) => continue,
                Err(error) => {
                    self.misnamed.push((file, error));
                    continue;
                }
            };
            self.first_file.get_or_insert_with(|| file.clone());
            if parsed.kind != FileKind::Down && !self.claim(parsed.version, &file, &parsed.name) {
                continue;
            }
            if parsed.kind == FileKind::Code {
                match code_migration(&file, parsed.version, parsed.name, bytes) {
                    Ok(migration) => {
                        self.ups.insert(migration.version, migration);
                    }
                    Err(error) => self.problems.push((file, error)),
                }
                continue;
            }
            let is_down = parsed.kind == FileKind::Down;
            let script = match script(&file, bytes, false, is_down) {
                Ok(script) => Some(script),
                Err(errors) => {
                    let about = errors.into_iter().map(|error| (file.clone(), error));
                    self.problems.extend(about);
                    None
                }
            };
            match (parsed.kind, script) {
                (FileKind::Down, script) => downs.push((
                    parsed.version,
                    parsed.name,
                    file,
                    script.map(|(script, _)| script),
                )),
                (FileKind::Repeatable, Some((_, directives)))
                    if directives.phase == Phase::Contract =>
                {
                    // Applied again whenever it changes, it has no release
                    // to wait for: holding one would hold it forever.
                    let error = Error::PhaseInRepeatable { file: file.clone() };
                    self.problems.push((file, error));
                }
                (FileKind::Repeatable, Some((_, directives))) if directives.baseline => {
                    let error = Error::BaselineMisuse {
                        file: file.clone(),
                        problem: "cannot mark a repeatable migration, which runs after the versioned ones",
                    };
                    self.problems.push((file, error));
                }
                (FileKind::Repeatable, Some((script, directives))) => {
                    let mut migration =
                        migration(parsed.version, parsed.name, script, None, None, &directives);
                    migration.repeatable = true;
                    self.repeatables
                        .insert(migration.name.to_string(), migration);
                }
                (_, Some((script, directives))) => {
                    let migration =
                        migration(parsed.version, parsed.name, script, None, None, &directives);
                    self.ups.insert(parsed.version, migration);
                }
                (_, None) => {}
            }
        }

        for (version, name, file, script) in downs {
            let expected = format!("{}.up.sql", strip_down_suffix(&file));
            match self.up_files.get(&version) {
                Some(up) if up.file == expected => {
                    // Absent when the up script itself was rejected.
                    let (Some(script), Some(up)) = (script, self.ups.get_mut(&version)) else {
                        continue;
                    };
                    match &up.down {
                        Some(existing) => {
                            let error = duplicate(version, &existing.file, &file);
                            self.problems.push((file, error));
                        }
                        None => up.down = Some(script),
                    }
                }
                Some(other) if other.name != name => {
                    let error = duplicate(version, &other.file, &file);
                    self.problems.push((file, error));
                }
                _ => {
                    let error = Error::DownWithoutUp {
                        file: file.clone(),
                        expected,
                    };
                    self.problems.push((file, error));
                }
            }
        }
    }

    /// diesel's layout: `<version>_<name>/up.sql`, `down.sql`, `metadata.toml`.
    fn add_dirs(&mut self, dirs: BTreeMap<String, BTreeMap<String, Vec<u8>>>) {
        for (dir, mut files) in dirs {
            let Some(up) = files.remove(UP) else {
                if diesel::named_like_migration(&dir) {
                    let error = Error::MissingUpScript { dir: dir.clone() };
                    self.problems.push((format!("{dir}/"), error));
                }
                continue;
            };
            self.diesel_layout = true;
            let parsed = match diesel::parse_dir_name(&dir) {
                Ok(parsed) => parsed,
                Err(error) => {
                    self.problems.push((format!("{dir}/"), error));
                    continue;
                }
            };
            self.first_dir.get_or_insert_with(|| dir.clone());
            let up_file = format!("{dir}/{UP}");
            let claimed = self.claim(parsed.version, &up_file, &parsed.name);
            for file in files.keys() {
                if file != DOWN && is_sql(file) {
                    let file = format!("{dir}/{file}");
                    let error = Error::StrayScript { file: file.clone() };
                    self.problems.push((file, error));
                }
            }
            let metadata_file = format!("{dir}/{METADATA}");
            let outside_transaction = match files.remove(METADATA).map(|bytes| {
                let text = utf8(&metadata_file, bytes)?;
                diesel::runs_outside_transaction(&metadata_file, &text)
            }) {
                Some(Err(error)) => {
                    self.problems.push((metadata_file, error));
                    continue;
                }
                Some(Ok(outside)) => outside,
                None => false,
            };
            let up = self.script(&up_file, up, outside_transaction, false);
            let down = files.remove(DOWN).map(|bytes| {
                let down_file = format!("{dir}/{DOWN}");
                self.script(&down_file, bytes, outside_transaction, true)
            });
            let (true, Some((up, directives))) = (claimed, up) else {
                continue;
            };
            let down = match down {
                Some(None) => continue,
                Some(Some((down, _))) => Some(down),
                None => None,
            };
            let diesel_version = Some(parsed.diesel_version);
            let migration = migration(
                parsed.version,
                parsed.name,
                up,
                down,
                diesel_version,
                &directives,
            );
            self.ups.insert(migration.version, migration);
        }
    }

    /// A script and its directives, or `None` after reporting its problems.
    fn script(
        &mut self,
        file: &str,
        bytes: Vec<u8>,
        outside_transaction: bool,
        down: bool,
    ) -> Option<(Script, Directives)> {
        script(file, bytes, outside_transaction, down)
            .map_err(|errors| {
                let about = errors.into_iter().map(|error| (file.to_owned(), error));
                self.problems.extend(about);
            })
            .ok()
    }

    fn finish(mut self) -> Result<(Vec<Migration>, Vec<String>), Errors> {
        let beside_diesel = if self.diesel_layout {
            self.misnamed.drain(..).map(|(file, _)| file).collect()
        } else {
            self.problems.append(&mut self.misnamed);
            Vec::new()
        };
        if let (Some(file), Some(dir)) = (self.first_file.take(), self.first_dir.take()) {
            let error = Error::MixedLayouts {
                file: file.clone(),
                dir,
            };
            self.problems.push((file, error));
        }
        self.check_diesel_order();
        self.check_baseline();
        match Errors::sorted(self.problems) {
            Some(errors) => Err(errors),
            None => Ok((
                self.ups
                    .into_values()
                    .chain(self.repeatables.into_values())
                    .collect(),
                beside_diesel,
            )),
        }
    }

    /// A baseline stands for every migration up to its version, so it is
    /// the oldest, and the only one; reverting past it is refused, so it has
    /// no down script.
    fn check_baseline(&mut self) {
        let oldest = self.ups.values().next().map(|m| m.up.file.to_string());
        for migration in self.ups.values().filter(|m| m.is_baseline()) {
            let file = migration.up.file.to_string();
            if let Some(down) = &migration.down {
                let error = Error::BaselineMisuse {
                    file: file.clone(),
                    problem: "cannot have a down script: reverting past a baseline is refused, as the migrations it replaced are gone",
                };
                self.problems.push((down.file.to_string(), error));
            }
            match &oldest {
                Some(older) if *older != file => {
                    let error = Error::BaselineNotOldest {
                        file: file.clone(),
                        older: older.clone(),
                    };
                    self.problems.push((file, error));
                }
                _ => {}
            }
        }
    }

    /// diesel runs migrations in the order of their version text; the
    /// numbers here must agree, or a switch would reorder a history.
    fn check_diesel_order(&mut self) {
        let diesel: Vec<(&Migration, &str)> = self
            .ups
            .values()
            .filter_map(|m| Some((m, m.diesel_version.as_deref()?)))
            .collect();
        for pair in diesel.windows(2) {
            let [(first, first_text), (second, second_text)] = pair else {
                continue;
            };
            if second_text < first_text {
                let dir = |m: &Migration| {
                    let file = &m.up.file;
                    file.rsplit_once('/')
                        .map_or(file.as_ref(), |(dir, _)| dir)
                        .to_owned()
                };
                let error = Error::DieselOrder {
                    dir: dir(second),
                    text: (*second_text).to_owned(),
                    version: second.version,
                    other: dir(first),
                    other_text: (*first_text).to_owned(),
                    other_version: first.version,
                };
                self.problems.push((second.up.file.to_string(), error));
            }
        }
    }
}

/// A versioned migration, marked as its up script's `directives` say.
fn migration(
    version: i64,
    name: String,
    up: Script,
    down: Option<Script>,
    diesel_version: Option<String>,
    directives: &Directives,
) -> Migration {
    Migration {
        version,
        name: Cow::Owned(name),
        checksum: checksum(&up.sql),
        up,
        down,
        diesel_version: diesel_version.map(Cow::Owned),
        repeatable: false,
        phase: directives.phase,
        baseline: directives.baseline,
    }
}

fn utf8(file: &str, bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        file: file.to_owned(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Reads a code migration: UTF-8, `// migrate:` directives, and an `up`
/// function (a `down` function makes it reversible). Its checksum is its
/// source's, normalised like a script's.
fn code_migration(
    file: &str,
    version: i64,
    name: String,
    bytes: Vec<u8>,
) -> Result<Migration, Error> {
    let source = utf8(file, bytes)?;
    let directives = parse_code_directives(file, &source)?;
    let entry_points = code::entry_points(file, &source)?;
    if !entry_points.up {
        return Err(Error::CodeWithoutUp {
            file: file.to_owned(),
        });
    }
    let script = Script {
        file: Cow::Owned(file.to_owned()),
        sql: Cow::Owned(source),
        no_transaction: directives.no_transaction,
        language: Language::Rust,
    };
    let down = entry_points.down.then(|| script.clone());
    Ok(migration(version, name, script, down, None, &directives))
}

/// Reads one script: UTF-8 without NUL bytes, directives, and no
/// transaction control in a script that runs inside its migration's
/// transaction; with its directives (a phase or a baseline mark is refused
/// in a `down` script, where it would decide nothing, and a baseline runs
/// in a transaction).
/// `outside_transaction` is set by diesel's `metadata.toml`.
fn script(
    file: &str,
    bytes: Vec<u8>,
    outside_transaction: bool,
    down: bool,
) -> Result<(Script, Directives), Vec<Error>> {
    let sql = utf8(file, bytes).map_err(|error| vec![error])?;
    if let Some(offset) = sql.find('\0') {
        return Err(vec![Error::NulByte {
            file: file.to_owned(),
            line: sql[..offset].matches('\n').count() + 1,
        }]);
    }
    let directives = parse_directives(file, &sql).map_err(|error| vec![error])?;
    if down && directives.phase == Phase::Contract {
        return Err(vec![Error::PhaseInDown {
            file: file.to_owned(),
        }]);
    }
    let no_transaction = directives.no_transaction || outside_transaction;
    let baseline_problem = match (directives.baseline, down, no_transaction) {
        (false, _, _) => None,
        (true, true, _) => Some("belongs in the up script"),
        (true, false, true) => Some("cannot run outside a transaction: the schema it creates is applied whole or not at all"),
        (true, false, false) => None,
    };
    if let Some(problem) = baseline_problem {
        return Err(vec![Error::BaselineMisuse {
            file: file.to_owned(),
            problem,
        }]);
    }
    if !no_transaction {
        let found: Vec<Error> = transaction_control(&sql)
            .into_iter()
            .map(|found| Error::TransactionControl {
                file: file.to_owned(),
                line: found.line,
                statement: found.statement,
            })
            .collect();
        if !found.is_empty() {
            return Err(found);
        }
    }
    let script = Script {
        file: Cow::Owned(file.to_owned()),
        sql: Cow::Owned(sql),
        no_transaction,
        language: Language::Sql,
    };
    Ok((script, directives))
}

/// Whether a file is a script by its extension, in any case (`.SQL` is an
/// error where `.sql` would be read, never silently skipped).
fn is_sql(file: &str) -> bool {
    file.to_ascii_lowercase().ends_with(".sql")
}

fn strip_down_suffix(file: &str) -> &str {
    file.strip_suffix(".down.sql").unwrap_or(file)
}

fn in_name_order<'a>(first: &'a str, second: &'a str) -> (&'a str, &'a str) {
    if first <= second {
        (first, second)
    } else {
        (second, first)
    }
}

fn duplicate(version: i64, first: &str, second: &str) -> Error {
    let (file, other) = in_name_order(first, second);
    Error::DuplicateVersion {
        version,
        file: file.to_owned(),
        other: other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(files: &[(&str, &str)]) -> Result<Vec<Migration>, Errors> {
        load_files(
            files
                .iter()
                .map(|(name, sql)| (name.to_string(), sql.as_bytes().to_vec())),
        )
    }

    /// Issue 23: the up script's `phase contract` marks the migration, in
    /// SQL, code and diesel's layout; in a down script it is refused.
    #[test]
    fn contract_phase() {
        let loaded = load(&[
            ("0001_a.sql", "CREATE TABLE t (a INT, b INT);"),
            (
                "0002_b.up.sql",
                "-- migrate:phase contract\nALTER TABLE t DROP COLUMN b;",
            ),
            ("0002_b.down.sql", "ALTER TABLE t ADD COLUMN b INT;"),
            (
                "0003_c.rs",
                "// migrate:phase contract\npub async fn up() {}",
            ),
        ])
        .unwrap();
        let phases: Vec<bool> = loaded.iter().map(Migration::is_contract).collect();
        assert_eq!(phases, [false, true, true]);
        let down = only_error(load(&[
            ("0002_b.up.sql", "SELECT 1;"),
            ("0002_b.down.sql", "-- migrate:phase contract\nSELECT 1;"),
        ]));
        assert!(
            matches!(down, Error::PhaseInDown { ref file } if file == "0002_b.down.sql"),
            "{down}"
        );
        let repeatable = only_error(load(&[(
            "R__views.sql",
            "-- migrate:phase contract\nDROP VIEW IF EXISTS v;",
        )]));
        assert!(
            matches!(repeatable, Error::PhaseInRepeatable { ref file } if file == "R__views.sql"),
            "{repeatable}"
        );
        let expand = load(&[("R__views.sql", "-- migrate:phase expand\nSELECT 1;")]).unwrap();
        assert!(!expand[0].is_contract());
        let dir = tree(&[
            (
                "2025-01-02-030405_drop/up.sql",
                "-- migrate:phase contract\nALTER TABLE t DROP COLUMN b;",
            ),
            (
                "2025-01-02-030405_drop/down.sql",
                "ALTER TABLE t ADD COLUMN b INT;",
            ),
        ]);
        assert!(load_dir(dir.path()).unwrap()[0].is_contract());
    }

    /// Issue 21, item 2: `-- migrate:baseline` marks the oldest migration,
    /// in files and in diesel's layout; anywhere else it is refused.
    #[test]
    fn baseline() {
        let loaded = load(&[
            (
                "0005_baseline.sql",
                "-- migrate:baseline\nCREATE TABLE t (a INT);",
            ),
            ("0006_b.sql", "ALTER TABLE t ADD b INT;"),
        ])
        .unwrap();
        let marks: Vec<bool> = loaded.iter().map(Migration::is_baseline).collect();
        assert_eq!(marks, [true, false]);
        let dir = tree(&[(
            "2025-01-02-030405_baseline/up.sql",
            "-- migrate:baseline\nCREATE TABLE t (a INT);",
        )]);
        assert!(load_dir(dir.path()).unwrap()[0].is_baseline());

        let late = only_error(load(&[
            ("0001_a.sql", "CREATE TABLE t (a INT);"),
            (
                "0005_baseline.sql",
                "-- migrate:baseline\nCREATE TABLE t (a INT);",
            ),
        ]));
        assert_eq!(
            late.to_string(),
            "`0005_baseline.sql` is a baseline (`-- migrate:baseline`), but `0001_a.sql` is older: a baseline replaces every migration up to its version, so it must be the oldest migration and the only baseline; delete the migrations it replaced"
        );
        let two = only_error(load(&[
            ("0001_baseline.sql", "-- migrate:baseline\nSELECT 1;"),
            ("0005_baseline.sql", "-- migrate:baseline\nSELECT 1;"),
        ]));
        assert!(
            matches!(two, Error::BaselineNotOldest { ref file, .. } if file == "0005_baseline.sql"),
            "{two}"
        );
        let misuse = |files: &[(&str, &str)]| only_error(load(files)).to_string();
        assert_eq!(
            misuse(&[
                ("0005_baseline.up.sql", "-- migrate:baseline\nCREATE TABLE t (a INT);"),
                ("0005_baseline.down.sql", "DROP TABLE t;"),
            ]),
            "`0005_baseline.up.sql`: `-- migrate:baseline` cannot have a down script: reverting past a baseline is refused, as the migrations it replaced are gone"
        );
        assert_eq!(
            misuse(&[
                ("0005_baseline.up.sql", "CREATE TABLE t (a INT);"),
                (
                    "0005_baseline.down.sql",
                    "-- migrate:baseline\nDROP TABLE t;"
                ),
            ]),
            "`0005_baseline.down.sql`: `-- migrate:baseline` belongs in the up script"
        );
        assert_eq!(
            misuse(&[(
                "0005_baseline.sql",
                "-- migrate:baseline\n-- migrate:no-transaction\nCREATE TABLE t (a INT);"
            )]),
            "`0005_baseline.sql`: `-- migrate:baseline` cannot run outside a transaction: the schema it creates is applied whole or not at all"
        );
        assert_eq!(
            misuse(&[("R__views.sql", "-- migrate:baseline\nCREATE VIEW v AS SELECT 1;")]),
            "`R__views.sql`: `-- migrate:baseline` cannot mark a repeatable migration, which runs after the versioned ones"
        );
        assert!(matches!(
            only_error(load(&[(
                "0005_fill.rs",
                "// migrate:baseline\npub async fn up() {}"
            )])),
            Error::UnknownDirective { .. }
        ));
    }

    #[test]
    fn orders_and_pairs() {
        let migrations = load(&[
            ("0010_b.sql", "B"),
            ("0002_a.down.sql", "DROP"),
            ("0002_a.up.sql", "CREATE"),
            ("V3__c.sql", "-- migrate:no-transaction\nC"),
        ])
        .unwrap();
        let versions: Vec<_> = migrations.iter().map(|m| m.version).collect();
        assert_eq!(versions, [2, 3, 10]);
        assert_eq!(migrations[0].down.as_ref().unwrap().sql, "DROP");
        assert_eq!(migrations[0].checksum, checksum("CREATE"));
        assert!(migrations[1].up.no_transaction);
        assert!(migrations[2].down.is_none());
    }

    #[test]
    fn duplicate_versions_name_both_files() {
        let err = load(&[("0001_a.sql", ""), ("1_b.sql", "")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0001_a.sql` and `1_b.sql` both have version 1; each version must be unique"
        );
        assert!(matches!(
            only_error(load(&[("0001_a.sql", ""), ("0001_a.up.sql", "")])),
            Error::DuplicateVersion { .. }
        ));
    }

    #[test]
    fn down_needs_its_up() {
        let err = load(&[("0001_a.down.sql", "")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0001_a.down.sql` has no matching up script: expected `0001_a.up.sql`"
        );
        assert!(matches!(
            only_error(load(&[("0001_a.sql", ""), ("0001_a.down.sql", "")])),
            Error::DownWithoutUp { .. }
        ));
        assert!(matches!(
            only_error(load(&[("0001_a.up.sql", ""), ("0001_b.down.sql", "")])),
            Error::DuplicateVersion { .. }
        ));
    }

    #[test]
    fn non_utf8_is_rejected() {
        let err = load_files([("0001_a.sql".to_string(), b"SELECT \xff;".to_vec())]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0001_a.sql` is not valid UTF-8 (invalid byte at offset 7)"
        );
    }

    #[test]
    fn missing_dir() {
        let err = load_dir(Path::new("/definitely/not/here")).unwrap_err();
        assert!(err.is_missing_dir(), "{err}");
    }

    /// A temporary migrations directory with `files` (`dir/file` paths
    /// make subdirectories; a path ending in `/` an empty one).
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        for (path, sql) in files {
            let path = root.path().join(path);
            if path.to_string_lossy().ends_with('/') {
                std::fs::create_dir_all(&path).unwrap();
                continue;
            }
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, sql).unwrap();
        }
        root
    }

    /// Issue 12, item 3: diesel's directory-per-migration layout is read:
    /// diesel's versions and order, `down.sql`, and `metadata.toml`'s
    /// `run_in_transaction = false` for both scripts.
    #[test]
    fn diesel_layout_loads() {
        let dir = tree(&[
            (
                "2025-01-02-030405-0000_index users/up.sql",
                "CREATE INDEX CONCURRENTLY i ON users (id);",
            ),
            (
                "2025-01-02-030405-0000_index users/down.sql",
                "DROP INDEX CONCURRENTLY i;\nCOMMIT;",
            ),
            (
                "2025-01-02-030405-0000_index users/metadata.toml",
                "run_in_transaction = false\n",
            ),
            ("2025-01-02-030405-0000_index users/README.md", "notes"),
            (
                "2019-11-15-182353_create_users/up.sql",
                "CREATE TABLE users (id INT);",
            ),
            (
                "2019-11-15-182353_create_users/down.sql",
                "DROP TABLE users;",
            ),
            (
                "00000000000000_diesel_initial_setup/up.sql",
                "-- nothing yet",
            ),
            (
                "2025-01-02-030405_same_second_no_subversion/up.sql",
                "SELECT 1;",
            ),
            ("README.md", "diesel migrations"),
        ]);
        let migrations = load_dir(dir.path()).unwrap();
        let summary: Vec<(i64, &str, Option<&str>, bool)> = migrations
            .iter()
            .map(|m| {
                (
                    m.version,
                    m.name.as_ref(),
                    m.diesel_version.as_deref(),
                    m.up.no_transaction,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (0, "diesel_initial_setup", Some("00000000000000"), false),
                (
                    2019111518235300000,
                    "create_users",
                    Some("20191115182353"),
                    false
                ),
                (
                    2025010203040500000,
                    "same_second_no_subversion",
                    Some("20250102030405"),
                    false
                ),
                (
                    2025010203040500001,
                    "index users",
                    Some("202501020304050000"),
                    true
                ),
            ]
        );
        let index = &migrations[3];
        assert_eq!(index.up.file, "2025-01-02-030405-0000_index users/up.sql");
        assert_eq!(
            index.checksum,
            checksum("CREATE INDEX CONCURRENTLY i ON users (id);")
        );
        let down = index.down.as_ref().unwrap();
        assert_eq!(down.file, "2025-01-02-030405-0000_index users/down.sql");
        assert!(down.no_transaction, "metadata.toml covers the revert too");
        assert_eq!(
            migrations[1].down.as_ref().unwrap().sql,
            "DROP TABLE users;"
        );
        assert!(migrations[0].down.is_none());
        assert_eq!(load_files(files_of(dir.path())).unwrap(), migrations);
    }

    /// Every file under `root`, as `load_files` takes them.
    fn files_of(root: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(root).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if path.is_dir() {
                for inner in std::fs::read_dir(&path).unwrap() {
                    let inner = inner.unwrap().path();
                    let file = inner.file_name().unwrap().to_str().unwrap().to_owned();
                    files.push((format!("{name}/{file}"), std::fs::read(inner).unwrap()));
                }
            } else {
                files.push((name, std::fs::read(path).unwrap()));
            }
        }
        files
    }

    /// Issue 12, item 3: a directory whose subdirectories hold `up.sql` is
    /// never silently empty, and a subdirectory named like a migration
    /// without `up.sql` is an error naming it; other subdirectories are
    /// left alone, as before.
    #[test]
    fn subdirectories_are_never_silently_skipped() {
        let dir = tree(&[
            ("2019-11-15-182353_a/up.sql", "SELECT 1;"),
            ("seeds/0001_x.sql", "junk"),
        ]);
        assert_eq!(load_dir(dir.path()).unwrap().len(), 1);

        let dir = tree(&[
            ("2019-11-15-182353_a/up.sql", "SELECT 1;"),
            ("2019-11-16-000000_no_up/down.sql", "SELECT 1;"),
            ("2019-11-17-000000_empty/", ""),
            ("notes/up.sql", "SELECT 1;"),
            ("seeds/0001_x.sql", "junk"),
            (".git/up.sql", "hidden"),
        ]);
        let errors: Vec<String> = load_dir(dir.path())
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "`2019-11-16-000000_no_up/` is named like a diesel-style migration directory but has no `up.sql`; \
                 add `2019-11-16-000000_no_up/up.sql`, or leave the directory out with an `exclude` pattern",
                "`2019-11-17-000000_empty/` is named like a diesel-style migration directory but has no `up.sql`; \
                 add `2019-11-17-000000_empty/up.sql`, or leave the directory out with an `exclude` pattern",
                "`notes/` holds `up.sql`, so it is a diesel-style migration directory, but its name is invalid: \
                 the name must start with a version; expected `<version>_<name>`, e.g. `2019-11-15-182353_create_users`",
            ]
        );
    }

    /// Issue 12, item 3: what diesel would skip or misread in a migration
    /// directory is an error naming the file and the rule.
    #[test]
    fn stray_scripts_and_bad_metadata() {
        let errors = load(&[
            ("2019-11-15-182353_a/up.sql", "SELECT 1;"),
            ("2019-11-15-182353_a/seed.sql", "INSERT 1;"),
            ("2019-11-15-182353_a/Down.SQL", "SELECT 1;"),
            ("2019-11-16-000000_b/up.sql", "COMMIT;"),
            (
                "2019-11-16-000000_b/metadata.toml",
                "run_in_transactoin = false",
            ),
            ("2019-11-17-000000_c/up.sql", "COMMIT;"),
        ])
        .unwrap_err();
        let described: Vec<String> = errors
            .iter()
            .map(|error| match error {
                Error::StrayScript { file } => format!("stray {file}"),
                Error::BadMetadata { file, line, .. } => format!("metadata {file}:{line}"),
                Error::TransactionControl { file, .. } => format!("transaction {file}"),
                other => panic!("unexpected {other}"),
            })
            .collect();
        assert_eq!(
            described,
            [
                "stray 2019-11-15-182353_a/Down.SQL",
                "stray 2019-11-15-182353_a/seed.sql",
                "metadata 2019-11-16-000000_b/metadata.toml:1",
                "transaction 2019-11-17-000000_c/up.sql",
            ]
        );
    }

    /// Issue 12, item 3: files and migration directories side by side is
    /// an error naming one of each (see `Error::MixedLayouts` for why).
    #[test]
    fn mixed_layouts_are_an_error() {
        let err = load(&[
            ("0002_b.sql", "SELECT 1;"),
            ("0001_a.up.sql", "SELECT 1;"),
            ("2019-11-15-182353_users/up.sql", "SELECT 1;"),
            ("2018-01-01-000000_older/up.sql", "SELECT 1;"),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0001_a.up.sql` is a migration file and `2018-01-01-000000_older/` a diesel-style migration directory: \
             one migrations directory uses one layout, because diesel skips the files, sqlx and refinery skip the directories, \
             and the two record versions differently; move one of them, or leave it out with an `exclude` pattern"
        );
    }

    /// Issue 12, item 3: versions diesel orders as text differently from
    /// their numbers here are an error, not a silent reordering (only
    /// versions longer than 14 digits, taken as they are, can be); two
    /// directories with one diesel version are duplicates.
    #[test]
    fn diesel_order_and_duplicates() {
        let err = load(&[
            ("20191115182353_users/up.sql", ""),
            ("2019111518235300_emails/up.sql", ""),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`20191115182353_users/` (diesel version `20191115182353`) runs before `2019111518235300_emails/` (`2019111518235300`) in diesel, \
             which compares versions as text, but after it here, where versions are numbers \
             (2019111518235300000 > 2019111518235300); rename one so both orders agree"
        );
        let err = only_error(load(&[
            ("2019-01-01-000000_a/up.sql", ""),
            ("20190101000000_b/up.sql", ""),
        ]));
        assert_eq!(
            err.to_string(),
            "`2019-01-01-000000_a/up.sql` and `20190101000000_b/up.sql` both have version 2019010100000000000; each version must be unique"
        );
    }

    /// Issue 25, item 13: diesel runs versions of different lengths (a
    /// date-only `2024-03-13` beside `2024-03-06-170000`, `9` beside `10`)
    /// in the order of their text, and so does this, keeping the text.
    #[test]
    fn diesel_versions_of_different_lengths_run_in_diesels_order() {
        let loaded = load(&[
            ("2024-03-13_date_only/up.sql", "SELECT 3;"),
            ("2024-03-06-170000_full/up.sql", "SELECT 1;"),
            ("2024-03-12-120000-0000_sub/up.sql", "SELECT 2;"),
            ("9_nine/up.sql", "SELECT 5;"),
            ("10_ten/up.sql", "SELECT 0;"),
            ("2024-03-13-000000_padded/up.sql", "SELECT 4;"),
        ])
        .unwrap();
        let texts: Vec<&str> = loaded
            .iter()
            .map(|m| m.diesel_version.as_deref().unwrap())
            .collect();
        assert_eq!(
            texts,
            [
                "10",
                "20240306170000",
                "202403121200000000",
                "20240313",
                "20240313000000",
                "9"
            ]
        );
    }

    /// Issue 25, item 13: beside diesel's directories, top-level files not
    /// named like migrations (a data script, notes) are ignored, as diesel
    /// ignores them; in the files layout they stay errors, and a file named
    /// like a migration beside the directories stays a mixed layout.
    #[test]
    fn files_beside_diesel_directories_are_ignored() {
        let loaded = load(&[
            ("2024-03-06-170000_a/up.sql", "SELECT 1;"),
            ("seed.sql", "INSERT INTO t VALUES (1);"),
            ("Notes.SQL", "junk"),
            ("helpers.rs", "fn main() {}"),
        ])
        .unwrap();
        assert_eq!(loaded.len(), 1);
        let dir = tree(&[
            ("2024-03-06-170000_a/up.sql", "SELECT 1;"),
            ("data.sql", "\0 binary"),
            ("README.md", ""),
            ("seeds/users.sql", ""),
            ("wip.sql", ""),
        ]);
        assert_eq!(load_dir(dir.path()).unwrap().len(), 1);
        // `status --verbose` lists them, each with its reason.
        let directory = read_dir(dir.path(), &Exclude::new(["wip.sql"]).unwrap()).unwrap();
        let ignored: Vec<(&str, IgnoredBecause)> = directory
            .ignored
            .iter()
            .map(|ignored| (ignored.path.as_str(), ignored.reason))
            .collect();
        assert_eq!(
            ignored,
            [
                ("README.md", IgnoredBecause::NotSqlOrRust),
                ("data.sql", IgnoredBecause::BesideDieselDirectories),
                ("seeds/", IgnoredBecause::NoUpScript),
                ("wip.sql", IgnoredBecause::Excluded),
            ]
        );
        assert!(matches!(
            only_error(load(&[("0001_a.sql", ""), ("seed.sql", "")])),
            Error::BadFileName { file, .. } if file == "seed.sql"
        ));
        let dir = tree(&[("2019-01-01-000000_wip/", ""), ("seed.sql", "")]);
        assert_eq!(load_dir(dir.path()).unwrap_err().iter().count(), 2);
        assert!(matches!(
            only_error(load(&[
                ("2024-03-06-170000_a/up.sql", ""),
                ("0001_a.sql", ""),
                ("seed.sql", "")
            ])),
            Error::MixedLayouts { .. }
        ));
    }

    /// Issue 12, item 3: sqlx's `-- no-transaction` first line is the same
    /// directive as `-- migrate:no-transaction`.
    #[test]
    fn sqlx_no_transaction_first_line() {
        let loaded = load(&[("0001_a.sql", "-- no-transaction\nBEGIN;\nCOMMIT;\n")]).unwrap();
        assert!(loaded[0].up.no_transaction);
        assert!(matches!(
            only_error(load(&[(
                "0001_a.sql",
                "-- note\n-- no-transaction\nCOMMIT;\n"
            )])),
            Error::TransactionControl { line: 3, .. }
        ));
    }

    /// Issue 12, item 3: sqlx's names are kept as written, pairs included.
    #[test]
    fn sqlx_names() {
        let loaded = load(&[
            (
                "20251218140442_[2.0.0]_initial.up.sql",
                "CREATE TABLE t (id INT);",
            ),
            ("20251218140442_[2.0.0]_initial.down.sql", "DROP TABLE t;"),
            ("20251219000000_add users, emails.sql", "SELECT 1;"),
        ])
        .unwrap();
        assert_eq!(loaded[0].name, "[2.0.0]_initial");
        assert_eq!(loaded[0].down.as_ref().unwrap().sql, "DROP TABLE t;");
        assert_eq!(loaded[1].name, "add users, emails");
        assert!(loaded.iter().all(|m| m.diesel_version.is_none()));
    }

    /// Issue 12, item 3: `exclude` leaves files and directories out as if
    /// they were not there; without it they are errors.
    #[test]
    fn exclude() {
        let dir = tree(&[
            ("0001_a.sql", "SELECT 1;"),
            ("seed_dev.sql", "INSERT 1;"),
            ("2019-01-01-000000_wip/", ""),
            ("0002_b.sql", "SELECT 2;"),
        ]);
        let errors = load_dir(dir.path()).unwrap_err();
        assert_eq!(errors.iter().count(), 2, "{errors}");
        let exclude = Exclude::new(["seed*.sql", "*_wip"]).unwrap();
        let loaded = load_dir_excluding(dir.path(), &exclude).unwrap();
        assert_eq!(loaded.iter().map(|m| m.version).collect::<Vec<_>>(), [1, 2]);

        let dir = tree(&[
            ("2019-01-01-000000_a/up.sql", "SELECT 1;"),
            ("2019-01-01-000000_a/notes.sql", "junk"),
            ("2019-01-02-000000_b/up.sql", "COMMIT;"),
        ]);
        let exclude = Exclude::new(["*/notes.sql", "2019-01-02-*"]).unwrap();
        let loaded = load_dir_excluding(dir.path(), &exclude).unwrap();
        assert_eq!(loaded.len(), 1);
        // An excluded `up.sql` leaves a directory without one.
        let exclude = Exclude::new(["*/notes.sql", "*/up.sql"]).unwrap();
        let errors = load_dir_excluding(dir.path(), &exclude).unwrap_err();
        assert!(
            errors
                .iter()
                .all(|e| matches!(e, Error::MissingUpScript { .. })),
            "{errors}"
        );
    }

    /// Issue 14: code migrations take their place in the version sequence,
    /// are hashed like scripts, and are checked for `up`, `down` and
    /// directives; a version held by a script and a code file is a
    /// duplicate.
    #[test]
    fn code_migrations() {
        let backfill = "// Fills users.domain.\r\n// migrate:no-transaction\r\nuse migrata::CodeConnection;\r\npub async fn up(conn: &mut CodeConnection<'_>) -> R { Ok(()) }\r\n";
        let loaded = load(&[
            ("0001_users.sql", "CREATE TABLE users (id INT);"),
            (
                "0003_seed.rs",
                "pub async fn up() {}\npub async fn down() {}\n",
            ),
            ("0002_backfill.rs", backfill),
            ("0004_more.sql", "SELECT 1;"),
        ])
        .unwrap();
        let summary: Vec<(i64, &str, bool, bool)> = loaded
            .iter()
            .map(|m| (m.version, m.up.file.as_ref(), m.is_code(), m.down.is_some()))
            .collect();
        assert_eq!(
            summary,
            [
                (1, "0001_users.sql", false, false),
                (2, "0002_backfill.rs", true, false),
                (3, "0003_seed.rs", true, true),
                (4, "0004_more.sql", false, false),
            ]
        );
        assert!(loaded[1].up.no_transaction && !loaded[2].up.no_transaction);
        assert_eq!(loaded[1].up.language, Language::Rust);
        assert_eq!(
            loaded[1].checksum,
            checksum(&backfill.replace("\r\n", "\n"))
        );
        assert_eq!(loaded[2].down.as_ref(), Some(&loaded[2].up));

        let errors = load(&[
            ("0001_a.sql", "SELECT 1;"),
            ("0001_a.rs", "pub async fn up() {}"),
            ("0002_no_up.rs", "pub async fn down() {}"),
            (
                "0003_late.rs",
                "pub async fn up() {}\n// migrate:no-transaction\n",
            ),
            ("0004_x.up.rs", "pub async fn up() {}"),
            ("0005_bad.rs", "pub async fn up() { \"unterminated }"),
        ])
        .unwrap_err();
        let described: Vec<String> = errors
            .iter()
            .map(|error| match error {
                Error::DuplicateVersion { file, other, .. } => format!("{file}={other}"),
                Error::CodeWithoutUp { file }
                | Error::BadCodeFileName { file, .. }
                | Error::NotRust { file, .. } => file.clone(),
                Error::MisplacedDirective { file, line, .. } => format!("{file}:{line}"),
                other => panic!("unexpected {other}"),
            })
            .collect();
        assert_eq!(
            described,
            [
                "0001_a.rs=0001_a.sql",
                "0002_no_up.rs",
                "0003_late.rs:2",
                "0004_x.up.rs",
                "0005_bad.rs",
            ]
        );
    }

    /// Issue 14: repeatable migrations come after the versioned ones, in
    /// name order, as SQL scripts with their directives; both spellings of
    /// one name are a duplicate, named by both files and the rule (issue
    /// 25, item 16: not by the internal negative version).
    #[test]
    fn repeatable_migrations() {
        let loaded = load(&[
            ("R__views.sql", "CREATE VIEW v AS SELECT 1;"),
            ("0002_b.sql", "SELECT 2;"),
            (
                "repeatable_grants.sql",
                "-- migrate:no-transaction\nGRANT SELECT ON v TO app;",
            ),
            ("0001_a.sql", "SELECT 1;"),
        ])
        .unwrap();
        let summary: Vec<(&str, bool)> = loaded
            .iter()
            .map(|m| (m.up.file.as_ref(), m.is_repeatable()))
            .collect();
        assert_eq!(
            summary,
            [
                ("0001_a.sql", false),
                ("0002_b.sql", false),
                ("repeatable_grants.sql", true),
                ("R__views.sql", true),
            ]
        );
        assert_eq!(loaded[3].version, crate::repeatable_version("views"));
        assert_eq!(loaded[3].checksum, checksum("CREATE VIEW v AS SELECT 1;"));
        assert!(loaded[2].up.no_transaction && loaded[2].down.is_none());
        let err = only_error(load(&[
            ("R__views.sql", "SELECT 1;"),
            ("repeatable_views.sql", "SELECT 2;"),
        ]));
        assert_eq!(
            err.to_string(),
            "`R__views.sql` and `repeatable_views.sql` are both the repeatable migration `views` \
             (`R__<name>.sql` and `repeatable_<name>.sql` are two spellings of one name); \
             each repeatable migration's name must be unique"
        );
        let err = only_error(load(&[("R__views.sql", "SELECT 1;\nCOMMIT;")]));
        assert!(
            matches!(err, Error::TransactionControl { line: 2, .. }),
            "{err}"
        );
    }

    /// Issue 25, item 7: a NUL byte in any script (SQLite spun on it, and
    /// PostgreSQL refused the message) is refused when loading, naming the
    /// file and the line, whichever way the files arrive.
    #[test]
    fn nul_bytes_are_refused_naming_file_and_line() {
        let err = only_error(load(&[("0001_a.sql", "SELECT 1;\nSELECT '\0';\n")]));
        assert_eq!(
            err.to_string(),
            "`0001_a.sql` line 2: the script holds a NUL byte, which no database accepts in a query's text; remove it"
        );
        let errors = load(&[
            ("2019-01-01-000000_a/up.sql", "SELECT 1;"),
            ("2019-01-01-000000_a/down.sql", "\n\n\0"),
            ("2019-01-02-000000_b/up.sql", "\0"),
        ])
        .unwrap_err();
        let described: Vec<String> = errors
            .iter()
            .map(|error| match error {
                Error::NulByte { file, line } => format!("{file}:{line}"),
                other => panic!("unexpected {other}"),
            })
            .collect();
        assert_eq!(
            described,
            [
                "2019-01-01-000000_a/down.sql:3",
                "2019-01-02-000000_b/up.sql:1"
            ]
        );
        let dir = tree(&[
            ("0001_a.sql", "SELECT 1;"),
            ("R__views.sql", "-- a\0b\nSELECT 1;"),
        ]);
        assert!(matches!(
            only_error(load_dir(dir.path())),
            Error::NulByte { file, line: 1 } if file == "R__views.sql"
        ));
        // A code migration is compiled, never sent: its source is not checked.
        assert!(load(&[("0001_a.rs", "// \0\npub async fn up() {}")]).is_ok());
    }

    /// A file name that is not UTF-8 could not be named by `include_str!`.
    #[cfg(unix)]
    #[test]
    fn non_utf8_names_of_migrations_are_rejected() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tree(&[("0001_a.sql", "SELECT 1;")]);
        let bad = std::ffi::OsStr::from_bytes(b"0002_\xff.sql");
        std::fs::write(dir.path().join(bad), "SELECT 2;").unwrap();
        std::fs::write(
            dir.path()
                .join(std::ffi::OsStr::from_bytes(b"notes\xff.txt")),
            "",
        )
        .unwrap();
        let err = only_error(load_dir(dir.path()));
        assert!(
            matches!(&err, Error::BadFileName { rule, .. } if rule.contains("UTF-8")),
            "{err}"
        );
    }

    fn only_error(loaded: Result<Vec<Migration>, Errors>) -> Error {
        let errors: Vec<Error> = loaded.unwrap_err().into_iter().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.into_iter().next().unwrap()
    }

    /// Issue 10, item 13: every problem of every file is reported, in name
    /// order, and a rejected script does not make its pair look orphaned.
    #[test]
    fn every_file_error_in_name_order() {
        let errors = load_files([
            ("0009_z.sql".to_string(), b"SELECT 1;".to_vec()),
            ("0003_c.up.sql".to_string(), b"\xff".to_vec()),
            ("0003_c.down.sql".to_string(), b"DROP TABLE c;".to_vec()),
            (
                "0002_b.sql".to_string(),
                b"BEGIN;\nSELECT 1;\nCOMMIT;".to_vec(),
            ),
            ("bad.sql".to_string(), Vec::new()),
            ("0001_a.sql".to_string(), b"-- migrate:bogus\n".to_vec()),
            ("9_z.sql".to_string(), Vec::new()),
            ("0004_d.down.sql".to_string(), Vec::new()),
            ("0005_e.SQL".to_string(), Vec::new()),
        ])
        .unwrap_err();
        let described: Vec<String> = errors
            .iter()
            .map(|error| match error {
                Error::TransactionControl { file, line, .. } => format!("{file}:{line}"),
                Error::DuplicateVersion { file, other, .. } => format!("{file}={other}"),
                Error::UnknownDirective { file, .. }
                | Error::NotUtf8 { file, .. }
                | Error::DownWithoutUp { file, .. }
                | Error::BadFileName { file, .. } => file.clone(),
                other => panic!("unexpected {other}"),
            })
            .collect();
        assert_eq!(
            described,
            [
                "0001_a.sql",
                "0002_b.sql:1",
                "0002_b.sql:3",
                "0003_c.up.sql",
                "0004_d.down.sql",
                "0005_e.SQL",
                "0009_z.sql=9_z.sql",
                "bad.sql",
            ]
        );
        assert_eq!(errors.to_string().lines().count(), described.len());
    }

    /// Issue 10, item 5: transaction control in a transactional script is an
    /// error naming the file, the line and the directive; with the directive
    /// it is allowed, and down scripts are checked too.
    #[test]
    fn transaction_control_needs_no_transaction() {
        let err = load(&[("0001_a.sql", "CREATE TABLE t (id INT);\n\nCOMMIT;\n")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0001_a.sql` line 3: `COMMIT` is transaction control, but this script runs inside its migration's transaction, \
             which also records it in the version table; remove the statement, or add `-- migrate:no-transaction` \
             to the file's leading comments to run the script outside a transaction"
        );
        let allowed = load(&[(
            "0001_a.sql",
            "-- migrate:no-transaction\nBEGIN;\nCREATE TABLE t (id INT);\nCOMMIT;\n",
        )])
        .unwrap();
        assert!(allowed[0].up.no_transaction);
        assert!(matches!(
            only_error(load(&[
                ("0001_a.up.sql", ""),
                ("0001_a.down.sql", "ROLLBACK;")
            ])),
            Error::TransactionControl {
                line: 1,
                statement: "ROLLBACK",
                ..
            }
        ));
    }
}
