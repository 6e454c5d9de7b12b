//! `plumb inspect` and `plumb diff` as users run them.

use crate::support::{Migrations, TestDb, apply, plumb, plumb_command};

const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/quickstart/migrations");

#[test]
fn inspect_summary_json_and_sql() {
    let db = TestDb::new();
    assert_eq!(apply(&db, QUICKSTART.as_ref(), &[]).code, 0);
    let summary = plumb(&db.url(), &["inspect"]);
    assert_eq!(summary.code, 0, "{summary:?}");
    assert!(summary.stdout.contains("     3 tables"), "{}", summary.stdout);
    assert!(summary.stdout.contains("     1 policies"), "{}", summary.stdout);

    let json = plumb(&db.url(), &["inspect", "--json"]);
    assert_eq!(json.code, 0);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["format"], 1);
    assert!(value["schema"]["tables"]["public.projects"]["rls_enabled"].as_bool().unwrap());
    assert!(value["schema"]["tables"].get("plumb.migrations").is_none(), "plumb's own history is left out");
    assert_eq!(json.stdout, plumb(&db.url(), &["inspect", "--json"]).stdout, "same database, same bytes");

    // The --sql script recreates the schema: the copy inspects the same.
    let sql = plumb(&db.url(), &["inspect", "--sql"]);
    assert_eq!(sql.code, 0);
    let copy = TestDb::new();
    copy.query(&sql.stdout);
    let copied = plumb(&copy.url(), &["inspect", "--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&copied.stdout).unwrap()["schema"], value["schema"]);
}

#[test]
fn inspect_needs_only_a_role_that_reads_the_catalog() {
    let db = TestDb::new();
    assert_eq!(apply(&db, QUICKSTART.as_ref(), &[]).code, 0);
    db.query("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'catalog_reader') THEN CREATE ROLE catalog_reader LOGIN; END IF; END $$");
    let as_reader = db.info.clone();
    let mut as_reader = as_reader;
    as_reader.user = "catalog_reader".into();
    let reader = plumb(&as_reader.to_url_with_password(), &["inspect", "--json"]);
    assert_eq!(reader.code, 0, "{reader:?}");
    let superuser = plumb(&db.url(), &["inspect", "--json"]);
    assert_eq!(reader.stdout, superuser.stdout, "a read-only role sees the same catalog");
}

#[test]
fn diff_between_migration_folders_versions_and_databases() {
    let dir = Migrations::new(&[
        ("1_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text);"),
        (
            "2_email_not_null.sql",
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nCREATE INDEX users_email ON users (email);",
        ),
    ]);
    let path = dir.path().to_str().unwrap();
    let at_one = format!("{path}@1");
    let out = plumb_command(&["diff", &at_one, path]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(script.contains("ALTER TABLE public.users ALTER COLUMN email SET NOT NULL;"), "{script}");
    assert!(script.contains("CREATE INDEX users_email ON public.users USING btree (email);"), "{script}");

    let same = plumb_command(&["diff", path, path]).output().unwrap();
    assert_eq!(same.status.code(), Some(0), "{}", String::from_utf8_lossy(&same.stderr));

    // Against a live database: what it lacks compared with the migrations.
    let db = TestDb::new();
    assert_eq!(apply(&db, dir.path(), &["--to", "1"]).code, 0);
    let out = plumb_command(&["diff", &db.url(), path, "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["equal"], false);
    let objects: Vec<&str> =
        json["changes"].as_array().unwrap().iter().map(|c| c["object"].as_str().unwrap()).collect();
    assert_eq!(objects, ["column public.users.email", "index public.users_email"]);
    assert_eq!(json["changes"][1]["lock"], "SHARE on public.users");

    let bad = plumb_command(&["diff", "/nonexistent/thing", path]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a database URL, a .sql file or a migrations folder"));
}
