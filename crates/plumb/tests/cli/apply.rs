//! `plumb apply` and `plumb status` on healthy and broken migration folders.

use crate::support::{Migrations, TestDb, apply, plumb};

const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/quickstart/migrations");

#[test]
fn apply_then_apply_again_does_nothing() {
    let db = TestDb::new();
    let status = plumb(&db.url(), &["status", "--dir", QUICKSTART, "--json"]);
    assert_eq!(status.code, 0, "{status:?}");
    let json: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(json["format"], 1);
    assert_eq!(json["summary"]["pending"], 4);
    assert!(json["migrations"].as_array().unwrap().iter().all(|m| m["state"] == "pending"));
    assert!(!db.exists("plumb.migrations"), "status must not create the history table");

    let first = apply(&db, QUICKSTART.as_ref(), &[]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(first.stdout.contains("applied 4 migration(s)"), "{first:?}");
    assert_eq!(
        db.history(),
        [("0001", "applied", 2), ("0002", "applied", 5), ("0003", "applied", 2), ("0004", "applied", 3)]
            .map(|(v, s, n)| (v.to_owned(), s.to_owned(), n))
    );
    assert!(db.exists("public.projects") && db.exists("public.idx_users_email"));

    let second = apply(&db, QUICKSTART.as_ref(), &["--json"]);
    assert_eq!(second.code, 0, "{second:?}");
    let json: serde_json::Value = serde_json::from_str(&second.stdout).unwrap();
    assert_eq!(json["applied"].as_array().unwrap().len(), 0);

    let status = plumb(&db.url(), &["status", "--dir", QUICKSTART]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains("4 applied, 0 pending"), "{status:?}");
}

#[test]
fn a_failing_migration_leaves_no_trace_and_points_at_the_line() {
    let db = TestDb::new();
    let dir = Migrations::new(&[
        ("001_first.sql", "CREATE TABLE first (id int);\n"),
        ("002_broken.sql", "CREATE TABLE second (id int);\nINSERT INTO second VALUES (1);\nSELECT nope FROM second;\n"),
        ("003_third.sql", "CREATE TABLE third (id int);\n"),
    ]);
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("42703"), "SQLSTATE shown: {run:?}");
    assert!(run.stderr.contains("column \"nope\" does not exist"), "{run:?}");
    assert!(run.stderr.contains("002_broken.sql:3:8"), "points at line 3, column 8: {run:?}");
    assert!(db.exists("public.first"));
    assert!(!db.exists("public.second"), "the failed migration left a table behind");
    assert!(!db.exists("public.third"), "a later migration ran");
    assert_eq!(db.history(), [("001".to_owned(), "applied".to_owned(), 1)]);

    // An error without a server position is located by replaying the statements.
    dir.write("002_broken.sql", "CREATE TABLE second (id int);\n\nCREATE TABLE first (id int);\n");
    let run = apply(&db, dir.path(), &["--json"]);
    assert_eq!(run.code, 2, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["error"]["sqlstate"], "42P07");
    assert_eq!(json["error"]["line"], 3);
    assert!(run.stderr.contains("002_broken.sql:3:1"), "{run:?}");
    assert!(!db.exists("public.second"));
    assert_eq!(db.history().len(), 1);
}

#[test]
fn modified_and_missing_files_are_refused() {
    let db = TestDb::new();
    let dir = Migrations::new(&[("1_a.sql", "CREATE TABLE a (id int);"), ("2_b.sql", "CREATE TABLE b (id int);")]);
    assert_eq!(apply(&db, dir.path(), &[]).code, 0);

    dir.write("1_a.sql", "CREATE TABLE a (id bigint);");
    dir.write("3_c.sql", "CREATE TABLE c (id int);");
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("1_a.sql changed after it was applied"), "{run:?}");
    assert!(!db.exists("public.c"), "nothing runs when a file changed");
    let status = plumb(&db.url(), &["status", "--dir", dir.path().to_str().unwrap(), "--json"]);
    assert_eq!(status.code, 1, "findings exit 1: {status:?}");
    let json: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let states: Vec<&str> =
        json["migrations"].as_array().unwrap().iter().map(|m| m["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["modified", "applied", "pending"]);

    let run = apply(&db, dir.path(), &["--allow-modified"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("warning: --allow-modified"), "loudly: {run:?}");
    assert!(db.exists("public.c"));

    dir.remove("2_b.sql");
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("migration 2 (b) is recorded as applied but no file has its version"), "{run:?}");
    let status = plumb(&db.url(), &["status", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(status.code, 1);
    assert!(status.stdout.contains("missing-file"), "{status:?}");
}

#[test]
fn files_that_cannot_run_are_rejected_with_their_position_before_anything_runs() {
    let db = TestDb::new();
    let dir = Migrations::new(&[
        ("1_ok.sql", "CREATE TABLE ok (id int);"),
        ("2_meta.sql", "CREATE TABLE m (id int);\n-- print something\n  \\echo done\n"),
    ]);
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("2_meta.sql:3:3"), "{run:?}");
    assert!(run.stderr.contains("psql meta-command \\echo"), "{run:?}");
    assert!(!db.exists("public.ok"), "nothing runs when a file is broken");

    // A transaction of its own mid-file cannot run inside plumb's (a whole-file
    // BEGIN; ... COMMIT; wrapper can: plumb's transaction takes its place).
    dir.write("2_meta.sql", "CREATE TABLE m (id int);\nCOMMIT;\nCREATE TABLE n (id int);\n");
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("2_meta.sql:2:1") && run.stderr.contains("COMMIT inside a migration"), "{run:?}");

    dir.write("2_meta.sql", "SELECT 1;");
    dir.write("02_dup.sql", "SELECT 2;");
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("version 2 is used twice"), "{run:?}");
    std::fs::remove_file(dir.path().join("02_dup.sql")).unwrap();

    std::fs::write(dir.path().join("3_latin1.sql"), b"SELECT 'caf\xe9';").unwrap();
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("3_latin1.sql:1:12") && run.stderr.contains("not valid UTF-8"), "{run:?}");
    assert!(!db.exists("plumb.migrations"));
}

#[test]
fn dry_run_prints_sql_that_runs_unchanged_and_changes_nothing() {
    let db = TestDb::new();
    let run = plumb(&db.url(), &["apply", "--dir", QUICKSTART, "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!db.exists("plumb.migrations") && !db.exists("public.organizations"), "dry run wrote");
    assert!(plumb_sql::split(&run.stdout).meta_commands.is_empty());
    // The script is the apply: run it as a SQL editor would (one string), then plumb agrees.
    let script = run.stdout.clone();
    let other = TestDb::new();
    crate::support::block_on(async {
        let conn = plumb_pg::connect(&other.info, None).await.unwrap();
        for statement in plumb_sql::split(&script).statements {
            conn.batch(&script[statement.range]).await.unwrap();
        }
    });
    let status = plumb(&other.url(), &["status", "--dir", QUICKSTART]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains("4 applied, 0 pending"), "{status:?}");
}

#[test]
fn a_missing_database_is_a_clear_error() {
    let db = TestDb::new();
    let url = db.info.with_dbname("no_such_db").to_url_with_password();
    let run = plumb(&url, &["status", "--dir", QUICKSTART]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("database \"no_such_db\" does not exist"), "{run:?}");
    assert!(run.stderr.contains("CREATE DATABASE"), "says what to do: {run:?}");
}

#[test]
fn a_corrupt_history_table_is_reported_not_trusted() {
    let db = TestDb::new();
    db.query("CREATE SCHEMA plumb; CREATE TABLE plumb.migrations (version text, note text)");
    let run = plumb(&db.url(), &["status", "--dir", QUICKSTART]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("history table plumb.migrations is not usable"), "{run:?}");
    let run = apply(&db, QUICKSTART.as_ref(), &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(!db.exists("public.organizations"));
}

/// A row plumb cannot read is named in plain words, and the advice given is one that works:
/// drop the table, and repair records what the schema holds.
#[test]
fn a_history_row_with_an_unknown_status_is_named_plainly_and_the_advice_works() {
    let db = TestDb::new();
    let run = apply(&db, QUICKSTART.as_ref(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    db.query(
        "ALTER TABLE plumb.migrations DROP CONSTRAINT migrations_status_check;
         UPDATE plumb.migrations SET status = 'weird' WHERE version = (SELECT min(version) FROM plumb.migrations)",
    );
    let run = plumb(&db.url(), &["status", "--dir", QUICKSTART]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("the status \"weird\", which is none of applied"), "{run:?}");
    assert!(!run.stderr.contains("Some("), "{run:?}");
    assert!(run.stderr.contains("DROP TABLE plumb.migrations"), "{run:?}");
    db.query("DROP TABLE plumb.migrations");
    let shadow = crate::support::cluster().url("postgres");
    let run = plumb(&db.url(), &["repair", "--dir", QUICKSTART, "--shadow-url", &shadow, "--execute", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = plumb(&db.url(), &["verify", "--dir", QUICKSTART, "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// A role without the privileges plumb needs hears which privilege, on what, and the GRANT.
#[test]
fn a_missing_privilege_is_named_with_the_grant_that_fixes_it() {
    let db = TestDb::new();
    let run = apply(&db, QUICKSTART.as_ref(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let role = format!("{}_reader", db.name);
    db.query(&format!("CREATE ROLE {role} LOGIN"));
    let url = db.url().replacen("postgres@", &format!("{role}@"), 1);
    let run = plumb(&url, &["status", "--dir", QUICKSTART]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("permission denied for schema plumb"), "{run:?}");
    assert!(run.stderr.contains(&format!("GRANT USAGE, CREATE ON SCHEMA plumb TO {role};")), "{run:?}");
    db.query(&format!("DROP ROLE {role}"));
}

#[test]
fn notices_and_warnings_reach_the_user() {
    let db = TestDb::new();
    let dir = Migrations::new(&[(
        "1_talk.sql",
        "DO $$ BEGIN RAISE NOTICE 'hello from the migration'; RAISE WARNING 'careful: %', 42; END $$;\nCREATE TABLE IF NOT EXISTS talk (id int);\nCREATE TABLE IF NOT EXISTS talk (id int);\n",
    )]);
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("NOTICE: hello from the migration"), "{run:?}");
    assert!(run.stderr.contains("WARNING: careful: 42"), "{run:?}");
    assert!(run.stderr.contains("NOTICE: relation \"talk\" already exists, skipping"), "{run:?}");
}

/// A read-only role given `GRANT SELECT` outside the migrations: listed by verify, not held
/// against the database (exit 0), unless `--strict`.
#[test]
fn grants_made_outside_migrations_are_listed_and_count_only_when_strict() {
    let db = TestDb::new();
    let run = apply(&db, QUICKSTART.as_ref(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let role = format!("{}_analyst", db.name);
    db.query(&format!("CREATE ROLE {role}; GRANT SELECT ON public.projects TO {role}"));
    let shadow = crate::support::cluster().url("postgres");
    let run = plumb(&db.url(), &["verify", "--dir", QUICKSTART, "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("grants on table public.projects"), "listed: {run:?}");
    assert!(run.stdout.contains("do not count unless --strict"), "{run:?}");
    let run = plumb(&db.url(), &["verify", "--dir", QUICKSTART, "--shadow-url", &shadow, "--strict"]);
    assert_eq!(run.code, 1, "{run:?}");
    db.query(&format!("REVOKE ALL ON public.projects FROM {role}; DROP ROLE {role}"));
}

/// The history row is written as SQL text in the migration's own transaction: a name with a
/// backslash is recorded as it is, even after a migration turned standard strings off for the
/// session (`'a\b'` would then lose its backslash).
#[test]
fn a_name_with_a_backslash_is_recorded_exactly_whatever_the_session_s_string_settings() {
    let db = TestDb::new();
    let dir = Migrations::new(&[
        ("001_legacy_strings.sql", "SET standard_conforming_strings = off;\nCREATE TABLE t (id int);\n"),
        ("002_a\\b'c.sql", "CREATE TABLE u (id int);\n"),
    ]);
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(db.value("SELECT name FROM plumb.migrations WHERE version = '002'").as_deref(), Some("a\\b'c"));
    assert_eq!(db.value("SELECT count(duration_ms) FROM plumb.migrations").as_deref(), Some("2"), "durations kept");
}
