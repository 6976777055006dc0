//! A MySQL script with `DELIMITER` lines does the same whether the `mysql`
//! client runs it verbatim (offline SQL) or the statements from
//! `migrata_core::split_statements_for` are sent one by one (online).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::TestDb;
use migrata::BackendKind;
use migrata_core::{split_statements_for, SqlFlavor};

const SCRIPT: &str = "CREATE TABLE counter (n INT NOT NULL);\n\
# routines need their own delimiter in the mysql client\n\
DELIMITER $$\n\
CREATE PROCEDURE bump(IN by_n INT)\n\
BEGIN\n\
  IF by_n > 0 THEN\n\
    UPDATE counter SET n = n + by_n;\n\
  END IF;\n\
END$$\n\
CREATE FUNCTION doubled(x INT) RETURNS INT DETERMINISTIC\n\
BEGIN\n\
  RETURN CASE WHEN x IS NULL THEN 0 ELSE x * 2 END;\n\
END $$\n\
delimiter //\n\
CREATE TRIGGER counter_floor BEFORE UPDATE ON counter FOR EACH ROW\n\
BEGIN\n\
  IF NEW.n < 0 THEN SET NEW.n = 0; END IF;\n\
END//\n\
DELIMITER ;\n\
INSERT INTO counter VALUES (1);\n\
CALL bump(doubled(2));\n";

/// Issue 10, item 6: the `mysql` client and the splitter agree on a script
/// with `DELIMITER` lines: same routines, trigger and data.
#[tokio::test]
async fn delimiter_scripts_agree_between_client_and_splitter() {
    let test = "mysql_delimiter::delimiter_scripts_agree_between_client_and_splitter";
    let Some(client_db) = TestDb::create(BackendKind::MySql, test).await else {
        return;
    };
    let Some(split_db) = TestDb::create(BackendKind::MySql, test).await else {
        return;
    };
    run_mysql_client(&client_db.url, SCRIPT);
    let statements = split_statements_for(SCRIPT, SqlFlavor::MySql);
    assert_eq!(statements.len(), 6, "{statements:#?}");
    let mut conn = split_db.conn().await;
    for statement in statements {
        assert!(!statement.contains("DELIMITER") && !statement.ends_with("$$"));
        conn.execute(statement).await;
    }
    conn.close().await;

    let routines =
        "SELECT CONCAT(routine_name, ': ', routine_definition) FROM information_schema.routines \
                    WHERE routine_schema = DATABASE() ORDER BY routine_name";
    let triggers =
        "SELECT CONCAT(trigger_name, ': ', action_statement) FROM information_schema.triggers \
                    WHERE trigger_schema = DATABASE() ORDER BY trigger_name";
    let counter = "SELECT CAST(n AS CHAR) FROM counter";
    for query in [routines, triggers, counter] {
        let by_client = client_db.strings_of(query).await;
        assert!(!by_client.is_empty(), "{query}");
        assert_eq!(by_client, split_db.strings_of(query).await, "{query}");
    }
    assert_eq!(split_db.strings_of(counter).await, ["5"]);
}

/// A migration with `DELIMITER` lines, whose body ends `END;` before the
/// custom delimiter (a piece ending in `;`), runs through the migrator:
/// applied and settled, its trigger in place. Such a script keeps a round
/// trip per statement; joined into one string, the `;` would end the
/// piece early and leave an empty statement the server refuses.
#[tokio::test]
async fn a_migration_with_delimiter_lines_is_applied_and_settled() {
    let test = "mysql_delimiter::a_migration_with_delimiter_lines_is_applied_and_settled";
    let Some(db) = TestDb::create(BackendKind::MySql, test).await else {
        return;
    };
    let set = crate::common::migrations(&[
        ("0001_counter.sql", "CREATE TABLE counter (n INT NOT NULL);\n"),
        (
            "0002_floor.sql",
            "DELIMITER $$\nCREATE TRIGGER counter_floor BEFORE UPDATE ON counter FOR EACH ROW\nBEGIN\n  IF NEW.n < 0 THEN SET NEW.n = 0; END IF;\nEND;\n$$\nDELIMITER ;\nINSERT INTO counter VALUES (3);\n",
        ),
    ]);
    let report = migrata::Migrator::new(&set).run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), 2);
    let rows: Vec<(i64, bool)> = db.history().await.iter().map(|r| (r.0, r.3)).collect();
    assert_eq!(rows, [(1, true), (2, true)]);
    db.execute("UPDATE counter SET n = -1").await;
    assert_eq!(
        db.strings_of("SELECT CAST(n AS CHAR) FROM counter").await,
        ["0"]
    );
}

/// Pipes `sql` into the `mysql` client connected to `url`
/// (`mysql://user[:password]@host[:port]/database`).
fn run_mysql_client(url: &str, sql: &str) {
    let rest = url.split_once("://").unwrap().1;
    let (auth, location) = rest.rsplit_once('@').unwrap_or(("root", rest));
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    let (host_port, database) = location.split_once('/').unwrap();
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "3306"));
    let mut command = Command::new("mysql");
    command.args([
        format!("-h{host}"),
        format!("-P{port}"),
        format!("-u{user}"),
    ]);
    if !password.is_empty() {
        command.arg(format!("-p{password}"));
    }
    let mut child = command
        .arg(database.split('?').next().unwrap())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mysql client is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "mysql failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
