//! Deciding, without side effects: where each migration stands
//! ([`classify`]), what the policies make of that ([`Entry::verdict`]), and
//! what a run or a revert will do ([`plan_up`], [`plan_revert`]). The online
//! runner, offline renderer, `status` and `verify` all consume these results;
//! nothing here logs. Its submodules decide the rest: the step program a
//! run executes ([`program`]), what `repair` does ([`repair`]) and what
//! adopting another tool's history records ([`adopt`]).

pub(crate) mod adopt;
pub(crate) mod program;
pub(crate) mod repair;
#[cfg(feature = "schema")]
pub(crate) mod squash;

use migrata_core::Migration;

use crate::code::CodeTable;
use crate::error::Error;
use crate::model::{Direction, HistoryRow, MigrationState, Replica};
use crate::options::{Options, Policy};
use crate::report::Held;

/// How long a replica's presence row lives after each refresh, unless
/// [`Migrator::presence_ttl`](crate::Migrator::presence_ttl) says otherwise.
pub(crate) const DEFAULT_PRESENCE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// What a migrator was asked to do: its migrations (the versioned ones by
/// version, the repeatable ones by name), the code compiled for them, and
/// how to run them. Everything the engine needs, built by
/// [`Migrator`](crate::Migrator). Public only as a sealed trait's
/// argument ([`Reach`](crate::Reach)); nothing outside can name it.
#[derive(Debug, Clone)]
pub struct Job<'m> {
    pub(crate) migrations: &'m [Migration],
    pub(crate) repeatables: &'m [Migration],
    pub(crate) code: CodeTable<'m>,
    pub(crate) options: Options,
    pub(crate) target: Option<i64>,
    pub(crate) session_setup: Option<String>,
    /// Apply contract migrations even while replicas of an older release
    /// run (`up --contract`).
    pub(crate) contract_now: bool,
    /// How long a replica's presence row lives after each refresh.
    pub(crate) presence_ttl: std::time::Duration,
}

impl<'m> Job<'m> {
    /// A job over `migrations`, ordered by version, then the repeatable
    /// ones by name.
    pub(crate) fn new(migrations: &'m [Migration], code: CodeTable<'m>) -> Self {
        let (migrations, repeatables) =
            migrations.split_at(migrations.partition_point(|m| !m.is_repeatable()));
        Job {
            migrations,
            repeatables,
            code,
            options: Options::default(),
            target: None,
            session_setup: None,
            contract_now: false,
            presence_ttl: DEFAULT_PRESENCE_TTL,
        }
    }

    /// Where every migration stands against `history`.
    pub(crate) fn classify(&self, history: Vec<HistoryRow>) -> Standing<'m> {
        Standing {
            repeatables: classify_repeatables(self.repeatables, &history),
            versioned: classify(self.migrations, history),
        }
    }

    /// What a run does from `standing` while `live` replicas run: see
    /// [`plan_up`].
    pub(crate) fn plan_up(
        &self,
        standing: &Standing<'m>,
        live: &[Replica],
    ) -> Result<Plan<'m>, Error> {
        let plan = self.select_up(standing, live)?;
        require_code(&plan.migrations, Direction::Up, self.code)?;
        Ok(plan)
    }

    /// [`plan_up`](Self::plan_up) without requiring the code migrations'
    /// functions: for rendering, which stops at the first code migration.
    pub(crate) fn select_up(
        &self,
        standing: &Standing<'m>,
        live: &[Replica],
    ) -> Result<Plan<'m>, Error> {
        let live = if self.contract_now { &[] } else { live };
        plan_up(
            &standing.versioned,
            &standing.repeatables,
            &self.options,
            self.target,
            live,
        )
    }

    /// Whether a pending contract migration may be held, so that a run
    /// must read the live replicas before deciding.
    pub(crate) fn may_hold(&self) -> bool {
        !self.contract_now && self.migrations.iter().any(Migration::is_contract)
    }
}

/// Where the versioned and the repeatable migrations stand.
#[derive(Debug, Clone)]
pub(crate) struct Standing<'m> {
    pub versioned: Vec<Entry<'m>>,
    pub repeatables: Vec<Entry<'m>>,
}

impl<'m> Standing<'m> {
    /// Every entry, versioned ones first.
    pub fn all(&self) -> impl Iterator<Item = &Entry<'m>> {
        self.versioned.iter().chain(&self.repeatables)
    }
}

/// One version known to the binary, the database, or both.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'m> {
    pub version: i64,
    pub migration: Option<&'m Migration>,
    pub row: Option<HistoryRow>,
    pub state: MigrationState,
}

/// What the policies make of an [`Entry`].
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Nothing to report.
    Fine,
    /// A finding the policy tolerates with a warning.
    Warn,
    /// A finding a run refuses.
    Refuse(Error),
}

/// Where every migration stands: the embedded migrations (sorted by
/// version, as the macro and `load_dir` produce them) merged with the
/// history rows, by version.
/// Rows of repeatable migrations, which `classify_repeatables` reads, are
/// left out unless `migrations` holds their migration.
///
/// A baseline (`-- migrate:baseline`, the oldest migration) stands for the
/// migrations it replaced: their rows, recorded before the squash, are
/// [`Squashed`](MigrationState::Squashed), and so is the baseline's entry
/// on such a database, which skips it. Its own row there is the newest
/// squashed migration's (same version, another checksum): told apart from
/// an edited baseline by the older rows, or by its name.
pub(crate) fn classify(migrations: &[Migration], mut history: Vec<HistoryRow>) -> Vec<Entry<'_>> {
    history.retain(|row| {
        !is_repeatable_row(row) || migrations.iter().any(|m| m.version == row.version)
    });
    history.sort_unstable_by_key(|row| row.version);
    let newest_recorded = history.last().map(|row| row.version);
    let baseline = migrations.first().filter(|m| m.is_baseline());
    let below_baseline = |version: i64| baseline.is_some_and(|b| version < b.version);
    let newest_squashed = history
        .iter()
        .filter(|row| !is_repeatable_row(row) && below_baseline(row.version))
        .map(|row| row.version)
        .max();
    let mut entries = Vec::with_capacity(migrations.len().max(history.len()));
    let mut rows = history.into_iter().peekable();
    let mut embedded = migrations.iter().peekable();
    loop {
        let next_row = rows.peek().map(|row| row.version);
        let next_migration = embedded.peek().map(|m| m.version);
        let (version, migration, row) = match (next_migration, next_row) {
            (None, None) => break,
            (None, Some(r)) => (r, None, rows.next()),
            (Some(m), Some(r)) if r < m => (r, None, rows.next()),
            (Some(m), Some(r)) if r == m => (m, embedded.next(), rows.next()),
            (Some(m), _) => (m, embedded.next(), None),
        };
        let state = match (migration, &row) {
            (_, Some(row)) if !row.success => MigrationState::Failed,
            (None, Some(_)) if below_baseline(version) => MigrationState::Squashed,
            (None, _) => MigrationState::Missing,
            (Some(m), Some(row)) if m.checksum.matches_hex(&row.checksum) => {
                MigrationState::Applied
            }
            (Some(m), Some(row))
                if m.is_baseline() && (newest_squashed.is_some() || row.name != m.name) =>
            {
                MigrationState::Squashed
            }
            (Some(_), Some(_)) => MigrationState::Divergent,
            (Some(m), None) if m.is_baseline() && newest_squashed.is_some() => {
                MigrationState::BehindBaseline
            }
            (Some(m), None) if newest_recorded.is_some_and(|newest| m.version < newest) => {
                MigrationState::OutOfOrder
            }
            (Some(_), None) => MigrationState::Pending,
        };
        entries.push(Entry {
            version,
            migration,
            row,
            state,
        });
    }
    entries
}

/// Whether a history row records a repeatable migration.
fn is_repeatable_row(row: &HistoryRow) -> bool {
    migrata_core::is_repeatable_version(row.version)
}

/// Where every repeatable migration stands (`repeatables` in name order):
/// applied with its current checksum, pending (never applied, or changed
/// since), failed, or recorded but missing from the binary (after the
/// others, by name).
pub(crate) fn classify_repeatables<'m>(
    repeatables: &'m [Migration],
    history: &[HistoryRow],
) -> Vec<Entry<'m>> {
    let row_of = |version| history.iter().find(|row| row.version == version).cloned();
    let mut entries: Vec<Entry<'m>> = repeatables
        .iter()
        .map(|m| {
            let row = row_of(m.version);
            let state = match &row {
                Some(row) if !row.success => MigrationState::Failed,
                Some(row) if m.checksum.matches_hex(&row.checksum) => MigrationState::Applied,
                _ => MigrationState::Pending,
            };
            Entry {
                version: m.version,
                migration: Some(m),
                row,
                state,
            }
        })
        .collect();
    let mut missing: Vec<&HistoryRow> = history
        .iter()
        .filter(|row| {
            is_repeatable_row(row) && repeatables.iter().all(|m| m.version != row.version)
        })
        .collect();
    missing.sort_by(|a, b| a.name.cmp(&b.name));
    entries.extend(missing.into_iter().map(|row| Entry {
        version: row.version,
        migration: None,
        row: Some(row.clone()),
        state: if row.success {
            MigrationState::Missing
        } else {
            MigrationState::Failed
        },
    }));
    entries
}

impl Entry<'_> {
    /// The file name when the binary has the migration, else the recorded name.
    pub fn label(&self) -> String {
        match (self.migration, &self.row) {
            (Some(m), _) => m.up.file.to_string(),
            (None, Some(row)) => row.name.clone(),
            (None, None) => String::new(),
        }
    }

    /// What a run makes of this entry under `options`. A contract
    /// migration applied after newer versions is not out of order: being
    /// held past them is what it is for.
    pub fn verdict(&self, options: &Options, newest_recorded: Option<i64>) -> Verdict {
        let (policy, error) = match self.state {
            MigrationState::Applied | MigrationState::Pending | MigrationState::Squashed => {
                return Verdict::Fine
            }
            MigrationState::BehindBaseline => (
                Policy::Error,
                Error::BehindBaseline {
                    version: self.version,
                    file: self.label(),
                    newest: newest_recorded.unwrap_or(self.version),
                },
            ),
            MigrationState::OutOfOrder if self.migration.is_some_and(Migration::is_contract) => {
                return Verdict::Fine
            }
            MigrationState::Failed => (Policy::Error, self.dirty()),
            MigrationState::Divergent => (options.on_divergent(), self.divergent()),
            MigrationState::Missing => (options.on_missing(), self.missing()),
            MigrationState::OutOfOrder => (
                options.on_out_of_order(),
                Error::OutOfOrder {
                    version: self.version,
                    file: self.label(),
                    newest: newest_recorded.unwrap_or(self.version),
                },
            ),
        };
        match policy {
            Policy::Error => Verdict::Refuse(error),
            Policy::Warn => Verdict::Warn,
            Policy::Ignore => Verdict::Fine,
        }
    }

    fn dirty(&self) -> Error {
        Error::Dirty {
            version: self.version,
            name: self
                .row
                .as_ref()
                .map_or_else(|| self.label(), |row| row.name.clone()),
        }
    }

    fn divergent(&self) -> Error {
        Error::Divergent {
            version: self.version,
            file: self.label(),
            applied: self
                .row
                .as_ref()
                .map(|row| row.checksum.clone())
                .unwrap_or_default(),
            embedded: self
                .migration
                .map(|m| m.checksum.to_string())
                .unwrap_or_default(),
        }
    }

    fn missing(&self) -> Error {
        Error::Missing {
            version: self.version,
            name: self.label(),
        }
    }
}

/// The newest version the history records.
pub(crate) fn newest_recorded(entries: &[Entry<'_>]) -> Option<i64> {
    entries
        .iter()
        .filter(|entry| entry.row.is_some())
        .map(|entry| entry.version)
        .max()
}

/// What a run will do: the migrations it applies (or reverts), in order,
/// the findings its policies tolerate with a warning, and the contract
/// migrations it holds back.
#[derive(Debug)]
pub(crate) struct Plan<'m> {
    pub migrations: Vec<&'m Migration>,
    pub warnings: Vec<Entry<'m>>,
    pub held: Vec<Held>,
}

/// The live replicas that hold `migration`: for a versioned contract
/// migration, those whose binaries embed only older versions (they may
/// still use what it removes); none for any other migration.
pub(crate) fn holders(migration: &Migration, live: &[Replica]) -> Vec<Replica> {
    if !migration.is_contract() || migration.is_repeatable() {
        return Vec::new();
    }
    live.iter()
        .filter(|replica| replica.newest_version < migration.version)
        .cloned()
        .collect()
}

/// The migrations a run applies, up to `target`: every pending one, and
/// out-of-order ones the policy allows, except contract migrations that
/// [`holders`] in `live` hold (in [`Plan::held`]), then, when the run goes through
/// the newest versioned migration, every pending repeatable one (from
/// [`classify_repeatables`]), in name order. Refuses with the first finding
/// the policies refuse (recorded rows first, then late pending migrations,
/// then repeatable ones), so a run never starts work it would have to
/// abandon ([`Job::plan_up`] also refuses code migrations it cannot run).
pub(crate) fn plan_up<'m>(
    entries: &[Entry<'m>],
    repeatables: &[Entry<'m>],
    options: &Options,
    target: Option<i64>,
    live: &[Replica],
) -> Result<Plan<'m>, Error> {
    let newest = newest_recorded(entries);
    let wanted =
        |entry: &&Entry<'m>| entry.row.is_some() || target.is_none_or(|t| entry.version <= t);
    let (recorded, unrecorded): (Vec<&Entry<'m>>, Vec<&Entry<'m>>) = entries
        .iter()
        .filter(wanted)
        .partition(|entry| entry.row.is_some());
    let mut plan = Plan {
        migrations: Vec::new(),
        warnings: Vec::new(),
        held: Vec::new(),
    };
    for entry in recorded.into_iter().chain(unrecorded) {
        if let (Some(m), None) = (entry.migration, &entry.row) {
            let replicas = holders(m, live);
            if !replicas.is_empty() {
                plan.held.push(Held {
                    version: m.version,
                    file: m.up.file.to_string(),
                    replicas,
                });
                continue;
            }
        }
        match entry.verdict(options, newest) {
            Verdict::Refuse(error) => return Err(error),
            Verdict::Warn => plan.warnings.push(entry.clone()),
            Verdict::Fine => {}
        }
        if entry.row.is_none() {
            plan.migrations.extend(entry.migration);
        }
    }
    let newest_embedded = entries
        .iter()
        .filter_map(|e| e.migration)
        .map(|m| m.version)
        .max();
    let through_newest = runs_repeatables(newest_embedded, target);
    for entry in repeatables {
        match entry.verdict(options, None) {
            Verdict::Refuse(error) => return Err(error),
            Verdict::Warn => plan.warnings.push(entry.clone()),
            Verdict::Fine => {}
        }
        if through_newest && entry.state == MigrationState::Pending {
            plan.migrations.extend(entry.migration);
        }
    }
    Ok(plan)
}

/// Whether a run up to `target` applies the pending repeatable migrations:
/// only one that goes through the newest versioned migration
/// (`newest_embedded`), as a repeatable one is written for the newest schema.
pub(crate) fn runs_repeatables(newest_embedded: Option<i64>, target: Option<i64>) -> bool {
    target.is_none_or(|t| newest_embedded.is_none_or(|newest| t >= newest))
}

/// The applied migrations newer than `target`, newest first, each with a
/// down script. Every obstacle is reported before anything is reverted: a
/// recorded version this binary lacks cannot be reverted whatever the
/// missing policy says.
pub(crate) fn plan_revert<'m>(
    entries: &[Entry<'m>],
    options: &Options,
    target: i64,
    code: CodeTable<'_>,
) -> Result<Plan<'m>, Error> {
    let mut plan = Plan {
        migrations: Vec::new(),
        warnings: Vec::new(),
        held: Vec::new(),
    };
    let baseline = entries
        .iter()
        .find_map(|entry| entry.migration.filter(|m| m.is_baseline()));
    let recorded = entries.iter().rev().filter(|entry| entry.row.is_some());
    for entry in recorded.filter(|entry| entry.version > target) {
        if let Some(baseline) = baseline.filter(|b| entry.version <= b.version) {
            return Err(Error::RevertPastBaseline {
                version: entry.version,
                baseline: baseline.version,
                file: baseline.up.file.to_string(),
            });
        }
        match (entry.state, entry.migration) {
            (MigrationState::Missing, _) | (_, None) => return Err(entry.missing()),
            _ => {}
        }
        match entry.verdict(options, None) {
            Verdict::Refuse(error) => return Err(error),
            Verdict::Warn => plan.warnings.push(entry.clone()),
            Verdict::Fine => {}
        }
        plan.migrations.extend(entry.migration);
    }
    require_down_scripts(&plan.migrations)?;
    require_code(&plan.migrations, Direction::Down, code)?;
    Ok(plan)
}

/// The revert target that reverts the newest recorded migration alone: the
/// version just below it. `None` when nothing is recorded.
pub(crate) fn revert_newest_target(entries: &[Entry<'_>]) -> Option<i64> {
    entries
        .iter()
        .rev()
        .find(|entry| entry.row.is_some())
        .map(|entry| entry.version.saturating_sub(1))
}

/// Refuses a run through a code migration whose code this binary lacks.
fn require_code(
    migrations: &[&Migration],
    direction: Direction,
    code: CodeTable<'_>,
) -> Result<(), Error> {
    for migration in migrations {
        code.function(migration, direction)?;
    }
    Ok(())
}

/// Refuses a revert of migrations without a down script, before anything runs.
pub(crate) fn require_down_scripts(migrations: &[&Migration]) -> Result<(), Error> {
    match migrations.iter().find(|m| m.down.is_none()) {
        Some(m) => Err(Error::Irreversible {
            version: m.version,
            file: m.up.file.to_string(),
        }),
        None => Ok(()),
    }
}

/// The migrations a stamp up to `version` records: the embedded ones not
/// recorded yet. Refuses a history with a row marked failed.
pub(crate) fn plan_stamp<'m>(
    entries: &[Entry<'m>],
    version: i64,
) -> Result<Vec<&'m Migration>, Error> {
    refuse_failed(entries)?;
    Ok(entries
        .iter()
        .filter(|entry| entry.row.is_none())
        .filter_map(|entry| entry.migration)
        .filter(|migration| migration.version <= version)
        .collect())
}

/// Refuses to work on a history with a row marked failed.
fn refuse_failed(entries: &[Entry<'_>]) -> Result<(), Error> {
    match entries
        .iter()
        .find(|entry| entry.state == MigrationState::Failed)
    {
        Some(entry) => Err(entry.dirty()),
        None => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use migrata_core::load_files;

    fn migrations() -> Vec<Migration> {
        load_files(
            ["0001_a.sql", "0002_b.sql", "0003_c.sql"]
                .map(|f| (f.to_string(), format!("-- {f}").into_bytes())),
        )
        .unwrap()
    }

    /// The history row a run writes for `m`.
    pub(crate) fn row(m: &Migration) -> HistoryRow {
        HistoryRow {
            version: m.version,
            name: m.name.to_string(),
            checksum: m.checksum.to_string(),
            success: true,
            applied_at: None,
            duration_ms: None,
        }
    }

    fn strict() -> Options {
        Options::default()
    }

    fn lenient(policy: Policy) -> Options {
        Options {
            on_divergent: Some(policy),
            on_missing: Some(policy),
            on_out_of_order: Some(policy),
            ..Options::default()
        }
    }

    fn up(
        ms: &[Migration],
        history: &[HistoryRow],
        options: &Options,
        target: Option<i64>,
    ) -> Result<Vec<i64>, Error> {
        let entries = classify(ms, history.to_vec());
        let plan = plan_up(&entries, &[], options, target, &[])?;
        Ok(plan.migrations.iter().map(|m| m.version).collect())
    }

    fn replica(newest_version: i64) -> Replica {
        Replica {
            owner: format!("host-a:1:{newest_version}"),
            host: "host-a".into(),
            pid: 1,
            newest_version,
            started_ago: std::time::Duration::from_secs(60),
            seen_ago: std::time::Duration::from_secs(4),
            alive: true,
        }
    }

    /// Issue 23: a pending contract migration is held while a live replica
    /// embeds only older versions; the expand migrations around it apply;
    /// applied later than newer versions it is not out of order, even
    /// under the strict policy; the override and a live replica of the new
    /// release hold nothing.
    #[test]
    fn contract_migrations_are_held_by_older_replicas() {
        let ms = load_files([
            ("0001_a.sql".to_string(), b"-- a".to_vec()),
            ("0002_b.sql".to_string(), b"-- b".to_vec()),
            (
                "0003_drop.sql".to_string(),
                b"-- migrate:phase contract\n-- drop".to_vec(),
            ),
            ("0004_d.sql".to_string(), b"-- d".to_vec()),
        ])
        .unwrap();
        let versions = |plan: &Plan<'_>| {
            plan.migrations
                .iter()
                .map(|m| m.version)
                .collect::<Vec<_>>()
        };
        let plan_with = |history: &[HistoryRow], live: &[Replica]| {
            let entries = classify(&ms, history.to_vec());
            plan_up(&entries, &[], &strict(), None, live).unwrap()
        };
        let old = [replica(1), replica(4)];
        let plan = plan_with(&[row(&ms[0])], &old);
        assert_eq!(versions(&plan), [2, 4]);
        assert_eq!(plan.held.len(), 1);
        assert_eq!((plan.held[0].version, plan.held[0].replicas.len()), (3, 1));
        assert_eq!(
            plan.held[0].to_string(),
            "held: 1 replica of a release without it, last seen 4 s ago on host-a"
        );
        let applied: Vec<HistoryRow> = [0, 1, 3].map(|i| row(&ms[i])).to_vec();
        assert_eq!(versions(&plan_with(&applied, &old)), Vec::<i64>::new());
        let late = plan_with(&applied, &[replica(3)]);
        assert_eq!((versions(&late), late.held.len()), (vec![3], 0));
        assert_eq!(versions(&plan_with(&[], &[replica(2)])), [1, 2, 4]);
        let mut job = Job::new(&ms, CodeTable::default());
        let standing = job.classify(vec![row(&ms[0])]);
        assert!(job.may_hold());
        job.contract_now = true;
        assert!(!job.may_hold());
        assert_eq!(versions(&job.plan_up(&standing, &old).unwrap()), [2, 3, 4]);
    }

    #[test]
    fn pending_respects_target() {
        let ms = migrations();
        let history = [row(&ms[0])];
        assert_eq!(up(&ms, &history, &strict(), None).unwrap(), [2, 3]);
        assert_eq!(up(&ms, &history, &strict(), Some(2)).unwrap(), [2]);
    }

    #[test]
    fn out_of_order_is_an_error_unless_allowed() {
        let ms = migrations();
        let history = [row(&ms[0]), row(&ms[2])];
        let err = up(&ms, &history, &strict(), None).unwrap_err();
        assert!(
            matches!(
                err,
                Error::OutOfOrder {
                    version: 2,
                    newest: 3,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            up(&ms, &history, &lenient(Policy::Warn), None).unwrap(),
            [2]
        );
        let entries = classify(&ms, history.to_vec());
        let plan = plan_up(&entries, &[], &lenient(Policy::Warn), None, &[]).unwrap();
        assert_eq!(plan.warnings.len(), 1);
        assert!(plan_up(&entries, &[], &lenient(Policy::Ignore), None, &[])
            .unwrap()
            .warnings
            .is_empty());
    }

    #[test]
    fn missing_and_divergent_follow_policy() {
        let ms = migrations();
        let mut ghost = row(&ms[0]);
        ghost.version = 99;
        let err = up(&ms, &[row(&ms[0]), ghost.clone()], &strict(), None).unwrap_err();
        assert!(matches!(err, Error::Missing { version: 99, .. }), "{err}");
        assert_eq!(
            up(&ms, &[ghost], &lenient(Policy::Ignore), None).unwrap(),
            [1, 2, 3]
        );

        let mut edited = row(&ms[0]);
        edited.checksum = "0".repeat(64);
        let err = up(&ms, &[edited], &strict(), None).unwrap_err();
        assert!(matches!(err, Error::Divergent { version: 1, .. }), "{err}");
    }

    #[test]
    fn classification_covers_every_state() {
        let ms = migrations();
        let mut edited = row(&ms[0]);
        edited.checksum = "0".repeat(64);
        let mut ghost = row(&ms[0]);
        ghost.version = 9;
        let history = vec![edited, row(&ms[2]), ghost];
        let states: Vec<(i64, MigrationState)> = classify(&ms, history)
            .iter()
            .map(|e| (e.version, e.state))
            .collect();
        assert_eq!(
            states,
            [
                (1, MigrationState::Divergent),
                (2, MigrationState::OutOfOrder),
                (3, MigrationState::Applied),
                (9, MigrationState::Missing),
            ]
        );
    }

    #[test]
    fn revert_needs_down_scripts_and_known_versions() {
        let ms = load_files([
            ("0001_a.up.sql".to_string(), b"A".to_vec()),
            ("0001_a.down.sql".to_string(), b"undo A".to_vec()),
            ("0002_b.sql".to_string(), b"B".to_vec()),
            ("0003_c.up.sql".to_string(), b"C".to_vec()),
            ("0003_c.down.sql".to_string(), b"undo C".to_vec()),
        ])
        .unwrap();
        let history: Vec<HistoryRow> = ms.iter().map(row).collect();
        let revert = |history: &[HistoryRow], target| {
            let entries = classify(&ms, history.to_vec());
            plan_revert(&entries, &strict(), target, CodeTable::default()).map(|plan| {
                plan.migrations
                    .iter()
                    .map(|m| m.version)
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(revert(&history, 2).unwrap(), [3]);
        let err = revert(&history, 0).unwrap_err();
        assert!(
            matches!(err, Error::Irreversible { version: 2, .. }),
            "{err}"
        );
        let mut ghost = row(&ms[0]);
        ghost.version = 9;
        let err = revert(&[row(&ms[0]), ghost], 0).unwrap_err();
        assert!(matches!(err, Error::Missing { version: 9, .. }), "{err}");
    }

    /// Issue 21, item 2: after a squash at version 3, a fresh database
    /// runs the baseline; one migrated before the squash skips it (its
    /// rows count as squashed, not missing); one migrated only part of the
    /// way is refused; reverting past the baseline is refused on both.
    #[test]
    fn baseline_stands_for_the_squashed_migrations() {
        let before = load_files(
            ["0001_a.sql", "0002_b.sql", "0003_c.sql"]
                .map(|f| (f.to_string(), format!("-- {f}").into_bytes())),
        )
        .unwrap();
        let after = load_files([
            (
                "0003_baseline.sql".to_string(),
                b"-- migrate:baseline\n-- a b c".to_vec(),
            ),
            ("0004_d.up.sql".to_string(), b"-- d".to_vec()),
            ("0004_d.down.sql".to_string(), b"-- undo d".to_vec()),
        ])
        .unwrap();
        let states = |history: Vec<HistoryRow>| {
            classify(&after, history)
                .iter()
                .map(|e| (e.version, e.state))
                .collect::<Vec<_>>()
        };
        let old: Vec<HistoryRow> = before.iter().map(row).collect();
        assert_eq!(
            states(old.clone()),
            [
                (1, MigrationState::Squashed),
                (2, MigrationState::Squashed),
                (3, MigrationState::Squashed),
                (4, MigrationState::Pending),
            ]
        );
        assert_eq!(up(&after, &old, &strict(), None).unwrap(), [4]);
        assert_eq!(up(&after, &[], &strict(), None).unwrap(), [3, 4]);
        let fresh = vec![row(&after[0]), row(&after[1])];
        assert_eq!(
            states(fresh.clone()),
            [(3, MigrationState::Applied), (4, MigrationState::Applied)]
        );
        // Only the newest squashed migration was applied before the squash:
        // its row has the baseline's version and its own name.
        assert_eq!(states(vec![row(&before[2])])[0].1, MigrationState::Squashed);
        let mut edited = row(&after[0]);
        edited.checksum = "0".repeat(64);
        assert_eq!(states(vec![edited])[0].1, MigrationState::Divergent);

        let partial = [row(&before[0])];
        assert_eq!(
            states(partial.to_vec())[1],
            (3, MigrationState::BehindBaseline)
        );
        let err = up(&after, &partial, &lenient(Policy::Ignore), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the baseline migration 3 (`0003_baseline.sql`) replaces the migrations up to version 3, but the database applied them only up to version 1: the ones between were squashed away; migrate it to version 3 with a release from before the squash, then run this one"
        );

        let revert = |history: &[HistoryRow], target| {
            let entries = classify(&after, history.to_vec());
            plan_revert(&entries, &strict(), target, CodeTable::default())
                .map(|plan| plan.migrations.len())
        };
        let mut old_done = old.clone();
        old_done.push(row(&after[1]));
        for history in [&old_done, &fresh] {
            assert_eq!(revert(history, 3).unwrap(), 1);
            let err = revert(history, 2).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::RevertPastBaseline {
                        version: 3,
                        baseline: 3,
                        ..
                    }
                ),
                "{err}"
            );
        }
        assert_eq!(
            revert(&fresh, 0).unwrap_err().to_string(),
            "cannot revert version 3: it is at or below the baseline migration 3 (`0003_baseline.sql`) and the migrations the baseline replaced are gone; revert to version 3 at the lowest; nothing was reverted"
        );
    }

    #[test]
    fn failed_row_always_blocks() {
        let ms = migrations();
        let mut failed = row(&ms[0]);
        failed.success = false;
        assert!(matches!(
            up(&ms, &[failed], &lenient(Policy::Ignore), None),
            Err(Error::Dirty { version: 1, .. })
        ));
    }
}
