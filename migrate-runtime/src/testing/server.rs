//! Test databases on PostgreSQL and MySQL/MariaDB servers.

use std::sync::Arc;

#[cfg(feature = "mysql")]
use sqlx::MySqlConnection;
#[cfg(feature = "postgres")]
use sqlx::PgConnection;
#[cfg(feature = "mysql")]
use sqlx::Row;

#[cfg(feature = "mysql")]
use super::admin::open_mysql;
use super::admin::{names, run, run_integer};
#[cfg(feature = "postgres")]
use super::admin::{open_postgres, run_text};
use super::database::{not_compiled, ready, Place, Template, TestDatabase, TestPrefix};
#[cfg(feature = "postgres")]
use super::upkeep;
use crate::driver::{AnyConnection, Backend};
use crate::error::Error;
use crate::migrator::Migrator;
use crate::model::BackendKind;
#[cfg(feature = "mysql")]
use crate::sql::sql_str;
#[cfg(feature = "mysql")]
use crate::sql::testing::mysql as my_sql;
#[cfg(feature = "postgres")]
use crate::sql::testing::postgres as pg_sql;

#[cfg(feature = "postgres")]
/// A test database cloned from the template with `CREATE DATABASE …
/// TEMPLATE`, after building the template if nobody has.
pub(super) async fn postgres(
    migrator: &Migrator<'_>,
    template: &Template,
    base_url: &str,
) -> Result<TestDatabase, Error> {
    let mut admin = open_postgres(base_url).await?;
    let result = async {
        let key = (base_url.to_owned(), template.name.clone());
        if !ready().contains_key(&key) {
            // What earlier runs left in the trash goes first.
            upkeep::start_using(&mut admin, base_url, &template.prefix).await;
            if build_postgres_template(&mut admin, migrator, template, base_url).await? {
                // Made now, not by the thread, which a process that ends
                // at once would cut off: the next run claims them.
                upkeep::top_up(&mut admin, template).await?;
            }
            ready().insert(key, Arc::default());
        }
        let name = template.test_database_name();
        if !upkeep::claim_spare(&mut admin, template, &name).await? {
            run(
                &mut admin,
                pg_sql::clone_database(&name, &template.name),
                &name,
                || format!("create from template {}", template.name),
            )
            .await?;
        }
        upkeep::stock(base_url, template);
        Ok(server_database(
            BackendKind::Postgres,
            base_url,
            template,
            name,
        ))
    }
    .await;
    let _ = sqlx::Connection::close(admin).await;
    result
}

#[cfg(feature = "postgres")]
/// Builds the template unless it exists; `true` when this call built it.
async fn build_postgres_template(
    admin: &mut PgConnection,
    migrator: &Migrator<'_>,
    template: &Template,
    base_url: &str,
) -> Result<bool, Error> {
    if exists(
        admin,
        pg_sql::database_exists(&template.name),
        &template.name,
    )
    .await?
    {
        return Ok(false);
    }
    run_text(
        admin,
        pg_sql::lock_template(&template.name),
        &template.name,
        || "lock".into(),
    )
    .await?;
    let built = async {
        // Another process may have built it while this one waited.
        if exists(
            admin,
            pg_sql::database_exists(&template.name),
            &template.name,
        )
        .await?
        {
            return Ok(false);
        }
        // A build that was cut off left this; nobody else builds now.
        let building = &template.building;
        run(admin, pg_sql::drop_database(building), building, || {
            "drop".into()
        })
        .await?;
        run(admin, pg_sql::create_database(building), building, || {
            "create".into()
        })
        .await?;
        migrator.run(&url_with_database(base_url, building)).await?;
        for sql in pg_sql::seal_template(building, &template.name) {
            run(admin, sql, building, || {
                format!("make template {}", template.name)
            })
            .await?;
        }
        Ok(true)
    }
    .await;
    let unlocked = run_text(
        admin,
        pg_sql::unlock_template(&template.name),
        &template.name,
        || "unlock".into(),
    )
    .await;
    let built = built?;
    unlocked?;
    Ok(built)
}

#[cfg(feature = "mysql")]
/// A test database filled by the template's copy script, after building
/// the template if nobody has and reading the script if this process has
/// not.
pub(super) async fn mysql(
    migrator: &Migrator<'_>,
    template: &Template,
    base_url: &str,
) -> Result<TestDatabase, Error> {
    let mut admin = open_mysql(base_url).await?;
    let result = async {
        let key = (base_url.to_owned(), template.name.clone());
        let script = ready().get(&key).cloned();
        let script = match script {
            Some(script) => script,
            None => {
                let script = Arc::new(
                    prepare_mysql_template(&mut admin, migrator, template, base_url).await?,
                );
                ready().insert(key, Arc::clone(&script));
                script
            }
        };
        let name = template.test_database_name();
        let copied = run(
            &mut admin,
            format!("{}{script}", my_sql::begin_copy(&name)),
            &name,
            || format!("copy template {}", template.name),
        )
        .await;
        if let Err(error) = copied {
            // Whatever the script created before it failed.
            let _ = Backend::execute(&mut admin, sql_str(my_sql::drop_database(&name))).await;
            return Err(error);
        }
        Ok(server_database(
            BackendKind::MySql,
            base_url,
            template,
            name,
        ))
    }
    .await;
    let _ = sqlx::Connection::close(admin).await;
    result
}

#[cfg(feature = "mysql")]
/// Under the template's lock: builds the template or finishes a build that
/// was cut off (the migrator applies what is missing; a build left with a
/// failed migration is dropped and built again), then reads the script
/// that copies it.
async fn prepare_mysql_template(
    admin: &mut MySqlConnection,
    migrator: &Migrator<'_>,
    template: &Template,
    base_url: &str,
) -> Result<String, Error> {
    let name = &template.name;
    let locked = run_integer(admin, my_sql::lock_template(name), name, || "lock".into()).await?;
    if locked != 1 {
        return Err(Error::TestDatabase {
            action: "lock".into(),
            database: name.clone(),
            error: sqlx::Error::Protocol(format!("GET_LOCK returned {locked}, not 1")),
        });
    }
    let prepared = async {
        let url = url_with_database(base_url, name);
        if !exists(admin, my_sql::database_exists(name), name).await? {
            run(admin, my_sql::create_database(name), name, || {
                "create".into()
            })
            .await?;
        }
        match migrator.run(&url).await {
            Ok(_) => {}
            Err(Error::Dirty { .. }) => {
                run(admin, my_sql::drop_database(name), name, || "drop".into()).await?;
                run(admin, my_sql::create_database(name), name, || {
                    "create".into()
                })
                .await?;
                migrator.run(&url).await?;
            }
            Err(error) => return Err(error),
        }
        mysql_copy_script(admin, name).await
    }
    .await;
    let unlocked = run_integer(admin, my_sql::unlock_template(name), name, || {
        "unlock".into()
    })
    .await;
    let script = prepared?;
    unlocked?;
    Ok(script)
}

#[cfg(feature = "mysql")]
/// The statements that recreate the template's sequences (at their
/// position), tables, rows, triggers, routines, events and views in the
/// current database, each naming the copy's objects where the server
/// qualified the template's.
async fn mysql_copy_script(admin: &mut MySqlConnection, template: &str) -> Result<String, Error> {
    let failed = |source| Error::TestDatabase {
        action: "read the objects".into(),
        database: template.to_owned(),
        error: source,
    };
    let rows = sqlx::raw_sql(sql_str(my_sql::template_objects(template)))
        .fetch_all(&mut *admin)
        .await
        .map_err(failed)?;
    // (kind, name) in the server's order, and each table's stored columns.
    let mut objects: Vec<(String, String)> = Vec::new();
    let mut columns: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for row in &rows {
        let kind: String = row.try_get(0).map_err(failed)?;
        let name: String = row.try_get(1).map_err(failed)?;
        if kind == "table" {
            let column: String = row.try_get(2).map_err(failed)?;
            columns.entry(name).or_default().push(column);
        } else {
            objects.push((kind, name));
        }
    }
    // Sequences first: a table's `DEFAULT NEXTVAL(…)` names one.
    let mut sequences = Vec::new();
    let mut tables = Vec::new();
    let mut rows_copied = Vec::new();
    let mut views = Vec::new();
    let mut rest = Vec::new();
    for (table, stored) in &columns {
        let create = show_create(admin, "table", template, table).await?;
        tables.push(my_sql::unqualified(&create, template));
        rows_copied.push(my_sql::copy_rows(template, table, stored));
    }
    for (kind, name) in &objects {
        let create = show_create(admin, kind, template, name).await?;
        match kind.as_str() {
            "view" => views.push((name.clone(), my_sql::unqualified(&create, template))),
            "sequence" => {
                let next = run_integer(
                    admin,
                    my_sql::sequence_position(template, name),
                    template,
                    || format!("read the position of sequence {name}"),
                )
                .await?;
                sequences.push(create);
                sequences.push(my_sql::set_sequence(name, next));
            }
            _ => rest.push(create),
        }
    }
    let statements: Vec<String> = sequences
        .into_iter()
        .chain(tables)
        .chain(rows_copied)
        // Routines before the views that call them (a trigger's or an
        // event's body is not checked when it is made).
        .chain(rest)
        .chain(in_dependency_order(views))
        .collect();
    Ok(statements.join(";\n"))
}

#[cfg(feature = "mysql")]
async fn show_create(
    admin: &mut MySqlConnection,
    kind: &str,
    template: &str,
    name: &str,
) -> Result<String, Error> {
    let (sql, column) = my_sql::show_create(kind, template, name);
    let failed = |source| Error::TestDatabase {
        action: format!("read the definition of {kind} {name}"),
        database: template.to_owned(),
        error: source,
    };
    let row = sqlx::raw_sql(sql_str(sql))
        .fetch_one(&mut *admin)
        .await
        .map_err(failed)?;
    row.try_get(column).map_err(failed)
}

#[cfg(feature = "mysql")]
/// Views ordered so that each comes after the views its definition
/// mentions (`` `name` ``), as creating it needs them.
fn in_dependency_order(mut views: Vec<(String, String)>) -> Vec<String> {
    let mut ordered = Vec::with_capacity(views.len());
    while !views.is_empty() {
        let independent = views.iter().position(|(name, create)| {
            !views
                .iter()
                .any(|(other, _)| other != name && create.contains(&format!("`{other}`")))
        });
        // A cycle cannot be created; should one appear, keep the order.
        let (_, create) = views.remove(independent.unwrap_or(0));
        ordered.push(create);
    }
    ordered
}

/// Removes a passing test's database through the URL it was created
/// through: on PostgreSQL retired into the trash (see [`super::trash`]), on
/// MySQL dropped.
#[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
pub(super) async fn drop_database(
    kind: BackendKind,
    admin_url: &str,
    prefix: &TestPrefix,
    name: &str,
) -> Result<(), Error> {
    match kind {
        #[cfg(feature = "postgres")]
        BackendKind::Postgres => retire_postgres(admin_url, prefix, name).await,
        #[cfg(feature = "mysql")]
        BackendKind::MySql => {
            let mut admin = open_mysql(admin_url).await?;
            let result = run(&mut admin, my_sql::drop_database(name), name, || {
                "drop".into()
            })
            .await;
            let _ = sqlx::Connection::close(admin).await;
            result
        }
        // A test database is made through a compiled backend only.
        #[allow(unreachable_patterns)]
        other => Err(not_compiled(other)),
    }
}

#[cfg(feature = "postgres")]
async fn retire_postgres(admin_url: &str, prefix: &TestPrefix, name: &str) -> Result<(), Error> {
    let mut admin = open_postgres(admin_url).await?;
    let retired = async {
        for sql in pg_sql::retire_database(name, &upkeep::trash_name(prefix, name)) {
            run(&mut admin, sql, name, || "retire".into()).await?;
        }
        Ok::<_, Error>(())
    }
    .await;
    let result = match retired {
        Ok(()) => {
            upkeep::sweep(admin_url, prefix);
            Ok(())
        }
        // A session that did not end in time, say: drop it the slow way.
        Err(_) => {
            run(&mut admin, pg_sql::drop_database(name), name, || {
                "drop".into()
            })
            .await
        }
    };
    let _ = sqlx::Connection::close(admin).await;
    result
}

/// See [`super::drop_all`].
pub(super) async fn drop_all(
    test_prefix: &TestPrefix,
    base_url: &str,
) -> Result<Vec<String>, Error> {
    let mut admin = AnyConnection::open(base_url, std::time::Duration::from_secs(30)).await?;
    let templates = test_prefix.templates();
    let result = async {
        let mut dropped = Vec::new();
        for prefix in [
            test_prefix.test_databases(),
            test_prefix.trash(),
            test_prefix.spares(),
            test_prefix.building(),
            templates.clone(),
        ] {
            let prefix = prefix.as_str();
            match &mut admin {
                #[cfg(feature = "postgres")]
                AnyConnection::Postgres(conn) => {
                    for name in names(conn, pg_sql::databases_starting_with(prefix), prefix).await?
                    {
                        // A template cannot be dropped while it is one.
                        if prefix == templates {
                            run(conn, pg_sql::unmark_template(&name), &name, || {
                                "unmark".into()
                            })
                            .await?;
                        }
                        run(conn, pg_sql::drop_database(&name), &name, || "drop".into()).await?;
                        dropped.push(name);
                    }
                }
                #[cfg(feature = "mysql")]
                AnyConnection::MySql(conn) => {
                    for name in names(conn, my_sql::databases_starting_with(prefix), prefix).await?
                    {
                        run(conn, my_sql::drop_database(&name), &name, || "drop".into()).await?;
                        dropped.push(name);
                    }
                }
                #[cfg(feature = "sqlite")]
                AnyConnection::Sqlite(_) => {}
            }
        }
        Ok(dropped)
    }
    .await;
    admin.close().await;
    result
}

async fn exists<B: Backend>(conn: &mut B, sql: String, database: &str) -> Result<bool, Error> {
    Ok(run_integer(conn, sql, database, || "look up".into()).await? > 0)
}

/// `url` naming database `name` instead of its own: the path after the
/// host replaced, the query kept.
pub(super) fn url_with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_at(url.find('?').unwrap_or(url.len()));
    let authority_start = base.find("//").map_or(0, |at| at + 2);
    // The host follows the last `@` (a password may hold `/`).
    let host_start = base[authority_start..]
        .rfind('@')
        .map_or(authority_start, |at| authority_start + at + 1);
    let path_start = base[host_start..]
        .find('/')
        .map_or(base.len(), |at| host_start + at);
    format!("{}/{name}{query}", &base[..path_start])
}

fn server_database(
    kind: BackendKind,
    base_url: &str,
    template: &Template,
    name: String,
) -> TestDatabase {
    TestDatabase {
        url: url_with_database(base_url, &name),
        template: template.name.clone(),
        name,
        place: Some(Place::Server {
            kind,
            admin_url: base_url.to_owned(),
            prefix: template.prefix.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::{in_dependency_order, url_with_database};

    #[test]
    fn database_replaced_in_urls() {
        for (url, expected) in [
            ("postgres://u:p@h:5432/test", "postgres://u:p@h:5432/x"),
            (
                "postgres://u:p/w@h/test?sslmode=disable",
                "postgres://u:p/w@h/x?sslmode=disable",
            ),
            (
                "mysql://root@127.0.0.1:3306",
                "mysql://root@127.0.0.1:3306/x",
            ),
            (
                "mysql://root@127.0.0.1:3306/?ssl-mode=disabled",
                "mysql://root@127.0.0.1:3306/x?ssl-mode=disabled",
            ),
            ("postgres://h", "postgres://h/x"),
        ] {
            assert_eq!(url_with_database(url, "x"), expected, "{url}");
        }
    }

    #[test]
    fn views_follow_the_views_they_read() {
        let views = vec![
            (
                "a".to_owned(),
                "CREATE VIEW `a` AS select `b`.`x` from `b`".to_owned(),
            ),
            (
                "b".to_owned(),
                "CREATE VIEW `b` AS select `c`.`x` from `c`".to_owned(),
            ),
            (
                "c".to_owned(),
                "CREATE VIEW `c` AS select `t`.`x` from `t`".to_owned(),
            ),
        ];
        assert_eq!(
            in_dependency_order(views),
            [
                "CREATE VIEW `c` AS select `t`.`x` from `t`",
                "CREATE VIEW `b` AS select `c`.`x` from `c`",
                "CREATE VIEW `a` AS select `b`.`x` from `b`",
            ]
        );
    }
}
