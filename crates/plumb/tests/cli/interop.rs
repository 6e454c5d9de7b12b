//! The real tools, installed from the registries by the test setup itself (into
//! `target/tools`, or `PLUMB_TOOLS_DIR`): each applies its folder, plumb reads its history as
//! the tool's own status command does, a sabotaged database is repaired by plumb, and the
//! tool agrees afterwards: its status shows every migration applied and its next run does
//! nothing. A tool that cannot be installed fails the test with the command to run.

use std::path::Path;
use std::process::Command;

use crate::support::{TestDb, cluster, npm_tool, plumb, run_tool};

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Statuses by version from `plumb status --json`.
fn plumb_states(db: &TestDb, dir: &str) -> Vec<(String, String)> {
    let run = plumb(&db.url(), &["status", "--dir", dir, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["version"].as_str().unwrap().to_owned(), m["state"].as_str().unwrap().to_owned()))
        .collect()
}

/// The sabotage every interop test runs on a database the tool brought to its last migration
/// of four: 2 left half done (`c` dropped), 3 a phantom (`d` dropped, still recorded), 4 applied
/// but not recorded (`unrecord` removes its row). The tables are `a` to `e`.
fn sabotage(db: &TestDb, unrecord: &str) {
    db.query(&format!("DROP TABLE c; DROP TABLE d; {unrecord}"));
}

/// Four migrations' bodies: 1 creates `a`, 2 `b` and `c`, 3 `d`, 4 `e` (with a row, which
/// repair must keep).
const BODIES: [&str; 4] = [
    "CREATE TABLE a (id int PRIMARY KEY);",
    "CREATE TABLE b (id int PRIMARY KEY);\nCREATE TABLE c (id int PRIMARY KEY, b_id int REFERENCES b);",
    "CREATE TABLE d (id int PRIMARY KEY);",
    "CREATE TABLE e (id int PRIMARY KEY, note text);\nINSERT INTO e VALUES (1, 'kept');",
];

/// After plumb's repair: verify is clean, and every table is there with `e`'s row.
fn assert_repaired(db: &TestDb, dir: &str) {
    let shadow = cluster().url("postgres");
    let run = plumb(&db.url(), &["verify", "--dir", dir, "--shadow-url", &shadow, "--json"]);
    assert_eq!(run.code, 1, "the sabotage is seen: {run:?}");
    let run = plumb(&db.url(), &["repair", "--dir", dir, "--shadow-url", &shadow, "--execute", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = plumb(&db.url(), &["verify", "--dir", dir, "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{run:?}");
    for table in ["a", "b", "c", "d", "e"] {
        assert!(db.exists(&format!("public.{table}")), "{table} after repair");
    }
    assert_eq!(db.value("SELECT note FROM e"), Some("kept".into()));
}

/// dbmate (npm `dbmate`, its Go binary): `dbmate up`, `dbmate status`, and `dbmate up` again
/// after plumb's repair.
#[test]
fn dbmate_agrees_with_plumb_before_and_after_a_repair() {
    let dbmate = npm_tool("dbmate@2.36.0", "dbmate");
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = BODIES
        .iter()
        .enumerate()
        .map(|(i, body)| {
            (
                format!("2024010100000{}_m{}.sql", i + 1, i + 1),
                format!("-- migrate:up\n{body}\n\n-- migrate:down\nSELECT 1;\n"),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    write(dir.path(), &files);
    let dir_arg = dir.path().to_str().unwrap();
    let db = TestDb::new();
    let url = format!("{}&sslmode=disable", db.url());
    let dbmate = |args: &[&str]| {
        run_tool(
            Command::new(&dbmate).args(["--url", &url, "--migrations-dir", dir_arg, "--no-dump-schema"]).args(args),
        )
    };
    let up = dbmate(&["up"]);
    assert_eq!(up.code, 0, "{up:?}");
    let states = plumb_states(&db, dir_arg);
    assert!(states.iter().all(|(_, s)| s == "applied") && states.len() == 4, "{states:?}");
    let status = dbmate(&["status"]);
    assert!(status.stdout.contains("Applied: 4") && status.stdout.contains("Pending: 0"), "{status:?}");

    sabotage(&db, "DELETE FROM schema_migrations WHERE version = '20240101000004';");
    let status = dbmate(&["status"]);
    assert!(status.stdout.contains("Applied: 3") && status.stdout.contains("Pending: 1"), "{status:?}");
    let states = plumb_states(&db, dir_arg);
    assert_eq!(states[3].1, "pending", "plumb reads dbmate's history as dbmate does: {states:?}");
    assert_repaired(&db, dir_arg);

    let status = dbmate(&["status"]);
    assert!(status.stdout.contains("Applied: 4") && status.stdout.contains("Pending: 0"), "{status:?}");
    let up = dbmate(&["up"]);
    assert_eq!(up.code, 0, "{up:?}");
    assert!(!up.stdout.contains("Applying"), "nothing left to apply: {up:?}");
}

/// The Supabase CLI (npm `supabase`, pinned 2.117.0): `supabase db push`, `supabase migration
/// list`, and `db push` again after plumb's repair.
#[test]
fn the_supabase_cli_agrees_with_plumb_before_and_after_a_repair() {
    let supabase = npm_tool("supabase@2.117.0", "supabase");
    let project = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = BODIES
        .iter()
        .enumerate()
        .map(|(i, body)| (format!("supabase/migrations/2024010100000{}_m{}.sql", i + 1, i + 1), format!("{body}\n")))
        .collect();
    let mut files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    files.push(("supabase/config.toml", "project_id = \"plumb-interop\"\n"));
    write(project.path(), &files);
    let dir = project.path().join("supabase/migrations");
    let dir_arg = dir.to_str().unwrap();
    let db = TestDb::new();
    // The CLI's URL parser wants a host before the path; the socket folder in `host=` wins.
    let url = format!("{}&sslmode=disable", db.url().replacen("@/", "@localhost/", 1));
    let cli = |args: &[&str]| {
        run_tool(
            Command::new(&supabase)
                .current_dir(project.path())
                .env("SUPABASE_TELEMETRY_DISABLED", "1")
                .env("DO_NOT_TRACK", "1")
                .args(args)
                .args(["--db-url", &url]),
        )
    };
    let push = cli(&["db", "push", "--yes"]);
    assert_eq!(push.code, 0, "{push:?}");
    let states = plumb_states(&db, dir_arg);
    assert!(states.iter().all(|(_, s)| s == "applied") && states.len() == 4, "{states:?}");
    // Every local migration has its remote twin in the CLI's own list.
    let remote_rows =
        |list: &crate::support::Run| list.stdout.lines().filter(|l| l.matches("2024010100000").count() == 2).count();
    let list = cli(&["migration", "list"]);
    assert_eq!(list.code, 0, "{list:?}");
    assert_eq!(remote_rows(&list), 4, "{list:?}");

    sabotage(&db, "DELETE FROM supabase_migrations.schema_migrations WHERE version = '20240101000004';");
    let list = cli(&["migration", "list"]);
    assert_eq!(remote_rows(&list), 3, "{list:?}");
    assert_repaired(&db, dir_arg);

    let list = cli(&["migration", "list"]);
    assert_eq!(remote_rows(&list), 4, "{list:?}");
    let push = cli(&["db", "push", "--yes"]);
    assert_eq!(push.code, 0, "{push:?}");
    assert!(push.all_output().contains("up to date"), "nothing left to push: {push:?}");
}
