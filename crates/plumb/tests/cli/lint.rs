//! `plumb lint`, on incident 3 and on clean files.

use crate::support::{Migrations, plumb_command};

#[test]
fn incident_3_meta_commands_and_shape_masking() {
    let dir = Migrations::new(&[(
        "0007_calls.sql",
        "\\echo 'creating calls'\nCREATE TABLE IF NOT EXISTS calls (\n    id bigint PRIMARY KEY,\n    organization_id bigint\n);\nCREATE INDEX idx_calls_org ON calls (organization_id);\n",
    )]);
    let out = plumb_command(&["lint", dir.path().to_str().unwrap(), "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "an error fails the run");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, u64, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_owned(), f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("psql-meta-command".to_owned(), 1, 1),
            ("if-not-exists-masks-shape".to_owned(), 2, 1),
            ("tenant-table-without-rls".to_owned(), 2, 1),
        ],
        "the index is on a table the file creates: no blocking-index warning"
    );
    assert_eq!(json["summary"]["errors"], 1);

    let github = plumb_command(&["lint", dir.path().to_str().unwrap(), "--format", "github"]).output().unwrap();
    let text = String::from_utf8_lossy(&github.stdout);
    assert!(text.contains("::error file="), "{text}");
    assert!(text.contains("0007_calls.sql,line=1,col=1,title=plumb psql-meta-command::"), "{text}");
}

#[test]
fn clean_files_pass_and_warnings_fail_only_when_asked() {
    let dir = Migrations::new(&[
        ("1_ok.sql", "CREATE TABLE t (id bigint PRIMARY KEY);\n"),
        ("2_index.sql", "CREATE INDEX t_id ON t (id);\n"),
        ("3_allowed.sql", "-- plumb:allow data-loss-drop replaced by t2 in release 42\nDROP TABLE t;\n"),
    ]);
    let path = dir.path().to_str().unwrap();
    let out = plumb_command(&["lint", path]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2_index.sql:1:1: warning [create-index-blocking]"), "{stdout}");
    assert!(!stdout.contains("data-loss-drop"), "allowed: {stdout}");
    let strict = plumb_command(&["lint", path, "--fail-on", "warning"]).output().unwrap();
    assert_eq!(strict.status.code(), Some(1));
    let rules = plumb_command(&["lint", "--rules"]).output().unwrap();
    assert!(String::from_utf8_lossy(&rules.stdout).contains("secret-in-migration"));
}

/// lint reports every reason apply would refuse a file, each at its place, and apply refuses.
#[test]
fn lint_reports_every_file_apply_would_refuse() {
    let syntax = "CREATE TABLE a (id int);\n".repeat(39) + "CREATE TABLE t (id int,, name text);\n";
    let dir = Migrations::new(&[
        ("007_a.sql", "CREATE TABLE a7 (id int);\n"),
        ("7_b.sql", "CREATE TABLE b7 (id int);\n"),
        ("8_c.sql", "-- plumb:bogus\nSELECT 1;\n"),
        ("9_d.sql", &syntax),
        ("notes.sql", "SELECT 1;\n"),
    ]);
    std::fs::write(dir.path().join("10_e.sql"), b"SELECT 'caf\xe9';\n").unwrap();
    std::fs::create_dir(dir.path().join("11_f.sql")).unwrap();
    let out = plumb_command(&["lint", dir.path().to_str().unwrap(), "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
            (f["rule"].as_str().unwrap().to_owned(), file, f["line"].as_u64().unwrap())
        })
        .collect();
    for expected in [
        ("migration-file", "7_b.sql", 1),
        ("migration-file", "8_c.sql", 1),
        ("migration-file", "10_e.sql", 1),
        ("migration-file", "notes.sql", 1),
        ("syntax-error", "9_d.sql", 40),
        ("migration-file", "11_f.sql", 1),
    ] {
        let expected = (expected.0.to_owned(), expected.1.to_owned(), expected.2);
        assert!(found.contains(&expected), "missing {expected:?} in {found:?}");
    }
    let db = crate::support::TestDb::new();
    let run = crate::support::apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 2, "apply refuses the same folder: {run:?}");
}

/// An empty migration is flagged by lint, by apply, which still records it (it is not wrong,
/// only likely unfinished), and by status.
#[test]
fn an_empty_migration_is_said_by_lint_apply_and_status() {
    let dir = Migrations::new(&[("1_todo.sql", "-- TODO: the index\n"), ("2_t.sql", "CREATE TABLE t (id int);\n")]);
    let out = plumb_command(&["lint", dir.path().to_str().unwrap()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1_todo.sql:1:1: warning [empty-migration]"), "{stdout}");
    let db = crate::support::TestDb::new();
    let run = crate::support::apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("1_todo.sql has no statements"), "{run:?}");
    // status says it too, once applied: on stderr and in its JSON.
    let status = crate::support::plumb(&db.url(), &["status", "--dir", dir.path().to_str().unwrap(), "--json"]);
    assert!(status.stderr.contains("1_todo.sql has no statements"), "{status:?}");
    let json: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let notes = json["source"]["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n.as_str().unwrap().contains("1_todo.sql has no statements")), "{json:#}");
}

/// A tool's folder is linted through the loader apply uses: Diesel's `up.sql` files in their
/// subfolders (not the `down.sql` beside them), with `metadata.toml`'s no-transaction honoured.
#[test]
fn a_diesel_folder_is_linted_file_by_file_as_diesel_runs_it() {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [
        ("2024-01-01-000001_t/up.sql", "CREATE TABLE t (id bigint PRIMARY KEY, x int);\n"),
        ("2024-01-01-000001_t/down.sql", "DROP TABLE t;\n"),
        ("2024-01-02-000002_idx/up.sql", "CREATE INDEX CONCURRENTLY t_x ON t (x);\n"),
        ("2024-01-02-000002_idx/metadata.toml", "run_in_transaction = false\n"),
        ("2024-01-03-000003_drop/up.sql", "DROP INDEX t_x;\n"),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let out = plumb_command(&["lint", dir.path().to_str().unwrap(), "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 3, "the three up.sql files: {json:#}");
    let rules: Vec<&str> = json["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"drop-index-blocking"), "{rules:?}");
    assert!(!rules.contains(&"concurrently-in-transaction"), "metadata.toml says no transaction: {rules:?}");
    assert!(!rules.contains(&"data-loss-drop"), "down.sql is not linted: {rules:?}");
}

/// A folder with nothing to lint says so (a mistyped path would otherwise pass CI), and points
/// at a `migrations/` folder inside it.
#[test]
fn a_folder_without_migrations_is_named() {
    let dir = Migrations::new(&[]);
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    let out = plumb_command(&["lint", dir.path().to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("holds no migration files"), "{stderr}");
    assert!(stderr.contains("did you mean"), "{stderr}");
}

/// A rewrite of an existing table with no statement_timeout is flagged once per file; a
/// `SET statement_timeout` at the top of the file clears it.
#[test]
fn a_rewrite_without_statement_timeout_is_flagged() {
    let dir = Migrations::new(&[
        ("1_slow.sql", "CREATE INDEX calls_org ON calls (org);\nALTER TABLE calls ALTER COLUMN note TYPE text;\n"),
        ("2_bounded.sql", "SET statement_timeout = '2min';\nALTER TABLE calls ALTER COLUMN note TYPE text;\n"),
    ]);
    let out = plumb_command(&["lint", dir.path().to_str().unwrap(), "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "missing-statement-timeout")
        .map(|f| (f["file"].as_str().unwrap().rsplit('/').next().unwrap().to_owned(), f["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(found, [("1_slow.sql".to_owned(), 1)]);
}
