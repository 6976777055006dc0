use std::fmt;

use super::Database;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Risky: it may lock or rewrite a busy table, or break the running
    /// version of the application during a rolling deploy.
    Warning,
    /// Certain to fail (or to break the migration's atomicity) when run.
    Error,
}

impl Severity {
    /// `"warning"` or `"error"`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! rules {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal, $severity:ident, [$($db:ident),*], generic: $generic:literal,
        why: $why:literal,
        fix: $fix:literal;
    )*) => {
        /// A lint rule. Its [`name`](Rule::name) is stable: it is what
        /// `-- migrate:allow <rule> <reason>` names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Rule {
            $($(#[$doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in documentation order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The stable kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            /// How serious a finding of this rule is.
            pub fn severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity,)* }
            }

            /// The databases the rule applies to.
            pub fn databases(self) -> &'static [Database] {
                match self { $(Rule::$variant => &[$(Database::$db),*],)* }
            }

            /// Whether the rule also runs when no target database is known:
            /// it holds wherever the statement exists and scripts run in a
            /// transaction (`vacuum-in-transaction` does not apply to MySQL, which runs every script outside a
            /// transaction; pass the database to lint for MySQL).
            pub fn generic(self) -> bool {
                match self { $(Rule::$variant => $generic,)* }
            }

            /// Why the statement is a problem.
            pub fn why(self) -> &'static str {
                match self { $(Rule::$variant => $why,)* }
            }

            /// The safe way to do the same thing.
            pub fn fix(self) -> &'static str {
                match self { $(Rule::$variant => $fix,)* }
            }
        }
    };
}

rules! {
    /// **Error, PostgreSQL.** `CREATE INDEX CONCURRENTLY`, `DROP INDEX
    /// CONCURRENTLY` or `REINDEX ... CONCURRENTLY` in a script that runs in a
    /// transaction: PostgreSQL refuses them inside a transaction block.
    ///
    /// Safe pattern: the statement alone in its own script, starting with the
    /// directive:
    ///
    /// ```sql
    /// -- migrate:no-transaction
    /// CREATE INDEX CONCURRENTLY users_email ON users (email);
    /// ```
    ConcurrentlyInTransaction = "concurrently-in-transaction", Error, [Postgres], generic: false,
        why: "PostgreSQL refuses to run it inside a transaction block, and the script runs in one",
        fix: "put the statement alone in its own script that starts with `-- migrate:no-transaction`";
    /// **Error, PostgreSQL and SQLite** (also without a target database).
    /// `VACUUM` in a script that runs in a transaction, which it cannot.
    ///
    /// Safe pattern: `VACUUM` in its own `-- migrate:no-transaction` script,
    /// or outside migrations.
    VacuumInTransaction = "vacuum-in-transaction", Error, [Postgres, Sqlite], generic: true,
        why: "VACUUM cannot run inside a transaction, and the script runs in one",
        fix: "put VACUUM in its own script that starts with `-- migrate:no-transaction`, or run it outside migrations";
    /// **Error, PostgreSQL.** `ALTER SYSTEM` in a script that runs in a
    /// transaction, which PostgreSQL refuses.
    ///
    /// Safe pattern: its own `-- migrate:no-transaction` script, or server
    /// settings managed outside migrations.
    AlterSystemInTransaction = "alter-system-in-transaction", Error, [Postgres], generic: false,
        why: "PostgreSQL refuses ALTER SYSTEM inside a transaction block, and the script runs in one",
        fix: "put it in its own script that starts with `-- migrate:no-transaction`, or manage server settings outside migrations";
    /// **Error, PostgreSQL.** `ALTER TYPE t ADD VALUE 'v'`, then the literal
    /// `'v'` anywhere in a later statement of the same transactional script:
    /// the new value cannot be used before the transaction that added it
    /// commits (PostgreSQL 12+; before 12, `ADD VALUE` itself fails in a
    /// transaction).
    ///
    /// ```sql
    /// ALTER TYPE mood ADD VALUE 'meh';
    /// UPDATE people SET mood = 'meh' WHERE mood IS NULL;   -- fails: unsafe use of new value
    /// ```
    ///
    /// Safe pattern: add the value in one migration, use it in the next.
    EnumValueUsedInTransaction = "enum-value-used-in-transaction", Error, [Postgres], generic: false,
        why: "a value added to an enum with ALTER TYPE ... ADD VALUE cannot be used until the transaction that added it commits (`unsafe use of new value`)",
        fix: "add the value in one migration and use it in a later one, or start the script with `-- migrate:no-transaction`";
    /// **Warning, PostgreSQL.** `CREATE INDEX` without `CONCURRENTLY` on an
    /// existing table: it blocks every write to the table until the index is
    /// built.
    ///
    /// Safe pattern: `CREATE INDEX CONCURRENTLY`, alone in a
    /// `-- migrate:no-transaction` script.
    IndexWithoutConcurrently = "index-without-concurrently", Warning, [Postgres], generic: false,
        why: "CREATE INDEX blocks every write to the table until the index is built, which can take minutes on a big table",
        fix: "CREATE INDEX CONCURRENTLY, alone in a script that starts with `-- migrate:no-transaction`";
    /// **Warning, every database** (also without a target database). `ADD
    /// COLUMN ... NOT NULL` (or `PRIMARY KEY`) without `DEFAULT`, identity,
    /// serial or auto-increment, on an existing table: it fails once the
    /// table has a row, and the running application's `INSERT`s do not set
    /// the column.
    ///
    /// Safe pattern: add it with a default, or nullable, backfill, then `SET
    /// NOT NULL`.
    NotNullWithoutDefault = "not-null-without-default", Warning, [Postgres, MySql, Sqlite], generic: true,
        why: "adding a NOT NULL column without a default fails as soon as the table has a row (SQLite refuses it even on an empty table), and the running application's INSERTs do not set the new column",
        fix: "add the column with a DEFAULT, or add it nullable, backfill it, then add the NOT NULL constraint";
    /// **Warning, PostgreSQL.** `ADD CONSTRAINT ... FOREIGN KEY` or `CHECK`
    /// without `NOT VALID` on an existing table: the whole table is scanned
    /// under a lock that blocks writes.
    ///
    /// Safe pattern:
    ///
    /// ```sql
    /// SET lock_timeout = '5s';
    /// ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
    /// ```
    ConstraintWithoutNotValid = "constraint-without-not-valid", Warning, [Postgres], generic: false,
        why: "adding a foreign key or check constraint scans the whole table while holding a lock that blocks writes (a foreign key also locks the referenced table)",
        fix: "ADD CONSTRAINT ... NOT VALID (instant), then ALTER TABLE ... VALIDATE CONSTRAINT ... in a later statement or migration, which does not block writes";
    /// **Warning, PostgreSQL and MySQL.** `ALTER COLUMN ... TYPE` (except to
    /// `text`/`varchar` on PostgreSQL, which does not rewrite from
    /// `varchar`), MySQL `MODIFY`/`CHANGE COLUMN`: the table is rewritten or
    /// copied while writes wait.
    ///
    /// Safe pattern: a new column, backfill, switch the application, drop the
    /// old column.
    ColumnTypeChange = "column-type-change", Warning, [Postgres, MySql], generic: false,
        why: "changing a column's type rewrites (PostgreSQL) or copies (MySQL) the whole table and its indexes while blocking writes, and the running application may not expect the new type",
        fix: "add a new column of the new type, backfill it in batches, switch the application over, then drop the old column";
    /// **Warning, PostgreSQL.** `ALTER COLUMN ... SET NOT NULL` on an
    /// existing table: a full scan under an `ACCESS EXCLUSIVE` lock. In an
    /// expand migration the message adds that the running release may
    /// still write NULLs and suggests the contract marker; in a contract
    /// migration it still fires, for the scan, which the marker does not
    /// change.
    ///
    /// Safe pattern (PostgreSQL 12+ uses the validated check and skips the
    /// scan):
    ///
    /// ```sql
    /// ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;
    /// ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;
    /// -- migrate:allow set-not-null the validated check above makes this a catalog-only change
    /// ALTER TABLE users ALTER COLUMN email SET NOT NULL;
    /// ALTER TABLE users DROP CONSTRAINT users_email_nn;
    /// ```
    SetNotNull = "set-not-null", Warning, [Postgres], generic: false,
        why: "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock that blocks reads and writes",
        fix: "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL (PostgreSQL 12+ uses the valid check and skips the scan) and DROP CONSTRAINT c";
    /// **Warning, every database** (also without a target database). `RENAME
    /// COLUMN`, or MySQL `CHANGE COLUMN` with a new name: during a rolling
    /// deploy the running version still uses the old name.
    ///
    /// Quiet in a contract migration (`-- migrate:phase contract`).
    ///
    /// Safe pattern: add the new column, write both, backfill, move readers,
    /// drop the old one in a contract migration.
    RenameColumn = "rename-column", Warning, [Postgres, MySql, Sqlite], generic: true,
        why: "during a rolling deploy the running version still uses the old column name and fails",
        fix: "add the new column, write both, backfill, move readers, then drop the old column in a contract migration (`-- migrate:phase contract`), which is held until no replica of an older release runs";
    /// **Warning, every database** (also without a target database). `ALTER
    /// TABLE ... RENAME TO`, MySQL `RENAME TABLE`: during a rolling deploy the
    /// running version still uses the old name.
    ///
    /// Quiet in a contract migration (`-- migrate:phase contract`).
    ///
    /// Safe pattern: a new table (or a view with the old name); drop the old
    /// name in a contract migration.
    RenameTable = "rename-table", Warning, [Postgres, MySql, Sqlite], generic: true,
        why: "during a rolling deploy the running version still uses the old table name and fails",
        fix: "create the new table (or a view with the old name), move readers and writers, then drop the old name in a contract migration (`-- migrate:phase contract`), which is held until no replica of an older release runs";
    /// **Warning, every database** (also without a target database). `DROP
    /// COLUMN` on an existing table: the running version still reads or
    /// writes it.
    ///
    /// Quiet in a contract migration (`-- migrate:phase contract`).
    ///
    /// Safe pattern: mark the migration `-- migrate:phase contract`, which
    /// the migrator holds until no replica of an older release runs.
    DropColumn = "drop-column", Warning, [Postgres, MySql, Sqlite], generic: true,
        why: "during a rolling deploy the running version still reads or writes the column and fails",
        fix: "mark the migration `-- migrate:phase contract`: it is then held until no replica of a release that uses the column runs (replicas started with run_with_presence)";
    /// **Warning, every database** (also without a target database). `DROP
    /// TABLE` of an existing table: the running version still uses it, and
    /// the data is gone.
    ///
    /// Quiet in a contract migration (`-- migrate:phase contract`).
    ///
    /// Safe pattern: mark the migration `-- migrate:phase contract`, which
    /// the migrator holds until no replica of an older release runs.
    DropTable = "drop-table", Warning, [Postgres, MySql, Sqlite], generic: true,
        why: "during a rolling deploy the running version still uses the table and fails, and the data is gone",
        fix: "mark the migration `-- migrate:phase contract`: it is then held until no replica of a release that uses the table runs (replicas started with run_with_presence)";
    /// **Warning, PostgreSQL.** `ADD COLUMN ... DEFAULT` calling `random()`,
    /// `clock_timestamp()`, `timeofday()`, `gen_random_uuid()`,
    /// `uuid_generate_v1/v1mc/v4()`, `uuidv4()`, `uuidv7()` or `nextval()`:
    /// computed per row, so the table is rewritten (constant and stable
    /// defaults such as `now()` are instant since PostgreSQL 11, which the
    /// rule assumes).
    ///
    /// Safe pattern: add the column without a default (or with a constant),
    /// backfill in batches, then `SET DEFAULT`.
    VolatileDefault = "volatile-default", Warning, [Postgres], generic: false,
        why: "a volatile default (random(), clock_timestamp(), gen_random_uuid(), ...) must be computed per row, so PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock (constant and stable defaults such as now() are instant since PostgreSQL 11)",
        fix: "add the column without a default (or with a constant one), backfill it in batches, then SET DEFAULT for new rows";
    /// **Warning, PostgreSQL; once per script.** The first DDL on an existing
    /// table (`ALTER TABLE`, a non-concurrent `CREATE INDEX`, `DROP TABLE`,
    /// `RENAME TABLE`) with no `SET [LOCAL] lock_timeout` earlier in the
    /// script: the DDL queues behind any long transaction, and every query
    /// on the table queues behind it.
    ///
    /// Safe pattern: `SET lock_timeout = '5s';` at the top, and retry on
    /// timeout. The rule cannot see a `lock_timeout` set in the migrator's
    /// session setup; then turn it off with `allow = ["missing-lock-timeout"]`.
    MissingLockTimeout = "missing-lock-timeout", Warning, [Postgres], generic: false,
        why: "DDL waits for its lock behind any long-running transaction, and every query on the table queues behind it: a stuck migration takes the application down",
        fix: "start the script with `SET lock_timeout = '5s';` (or set it in the migrator's session setup and turn this rule off with `allow = [\"missing-lock-timeout\"]`), and retry on timeout";
    /// **Warning, MySQL.** `ADD PRIMARY KEY`, `DROP PRIMARY KEY` or an
    /// explicit `ALGORITHM=COPY` on an existing table: MySQL copies the table
    /// while blocking writes. A deliberately small set: type changes are
    /// [`ColumnTypeChange`](Rule::ColumnTypeChange), and InnoDB's `CREATE
    /// INDEX` is online.
    ///
    /// Safe pattern: gh-ost or pt-online-schema-change for big tables, or a
    /// maintenance window.
    MysqlTableCopy = "mysql-table-copy", Warning, [MySql], generic: false,
        why: "MySQL rebuilds the table with ALGORITHM=COPY for this operation (adding or dropping the primary key, converting the character set, or an explicit ALGORITHM=COPY), blocking writes for the duration",
        fix: "use an online schema change tool (gh-ost, pt-online-schema-change) for big tables, or do it in a maintenance window";
}

impl Rule {
    /// The rule with this name, if any.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.name() == name)
    }

    /// Whether the rule warns about breaking the release still running
    /// during a rolling deploy, which a contract migration
    /// (`-- migrate:phase contract`) is held to avoid: such a rule is quiet
    /// in a contract migration. (`set-not-null` is not one: its full-table
    /// scan under an exclusive lock happens in either phase.)
    pub fn quiet_in_contract(self) -> bool {
        matches!(
            self,
            Rule::DropColumn | Rule::DropTable | Rule::RenameColumn | Rule::RenameTable
        )
    }

    /// Whether the rule runs for this target (`None`: unknown database, only
    /// the [`generic`](Rule::generic) rules run).
    pub fn applies_to(self, database: Option<Database>) -> bool {
        match database {
            Some(database) => self.databases().contains(&database),
            None => self.generic(),
        }
    }
}

/// A rule name [`Rule::from_str`](std::str::FromStr) does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown lint rule `{0}`")]
pub struct UnknownRule(pub String);

impl std::str::FromStr for Rule {
    type Err = UnknownRule;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Rule::from_name(name).ok_or_else(|| UnknownRule(name.to_owned()))
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
