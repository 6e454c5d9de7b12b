//! `plumb check`: incidents 4, 3 and 1 rebuilt; the target is never written.

use crate::support::{Migrations, TestDb, plumb};

const INCIDENT_4: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/incidents/4-never-applies/migrations");

/// A database where incident 4's first migration (0023) is applied: only 0024 is pending.
fn incident_4_target() -> TestDb {
    let db = TestDb::new();
    let run = plumb(&db.url(), &["apply", "--dir", INCIDENT_4, "--to", "0023"]);
    assert_eq!(run.code, 0, "{run:?}");
    db
}

fn check_json(db: &TestDb, dir: &str) -> (i32, serde_json::Value) {
    let run = plumb(&db.url(), &["check", "--dir", dir, "--json"]);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    (run.code, serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}")))
}

#[test]
fn incident_4_fails_naming_exactly_what_the_target_lacks_and_changes_nothing() {
    let db = incident_4_target();
    db.query("CREATE TABLE unrelated (id int); INSERT INTO unrelated VALUES (1)");
    let before = plumb(&db.url(), &["inspect", "--json"]).stdout;
    let (code, json) = check_json(&db, INCIDENT_4);
    assert_eq!(code, 1);
    assert_eq!(
        json["missing_objects"],
        serde_json::json!([
            "function auth.uid",
            "relation auth.users_extended",
            "relation organization",
            "schema auth"
        ])
    );
    let first_failure = json["statements"].as_array().unwrap().iter().find(|s| s["status"] == "failed").unwrap();
    assert_eq!(first_failure["line"], 7, "{first_failure}");
    assert_eq!(first_failure["error"]["code"], "42P01");
    // One statement, everything it needs: found by running it again against stand-ins.
    assert_eq!(
        first_failure["needs"],
        serde_json::json!(["relation organization", "schema auth", "relation auth.users_extended"]),
        "{first_failure}"
    );
    // The rest of the migration is checked against the stand-ins: the indexes on the table
    // that statement creates pass; a policy calling auth.uid() fails, naming it.
    let statement =
        |line: u64| json["statements"].as_array().unwrap().iter().find(|s| s["line"] == line).unwrap().clone();
    assert_eq!(statement(36)["status"], "ok", "{}", statement(36));
    assert_eq!(statement(68)["status"], "failed");
    assert_eq!(statement(68)["needs"], serde_json::json!(["schema auth", "function auth.uid"]));
    assert!(json["summary"]["failed"].as_u64().unwrap() > 0);
    assert_eq!(plumb(&db.url(), &["inspect", "--json"]).stdout, before, "check wrote to the target");
    assert_eq!(db.history().len(), 1, "check wrote history");

    let markdown = plumb(&db.url(), &["check", "--dir", INCIDENT_4, "--format", "markdown"]);
    assert!(markdown.stdout.contains("| RLS and policies | FAIL |"), "{}", markdown.stdout);
    assert!(markdown.stdout.contains("- `schema auth`"), "{}", markdown.stdout);
    assert!(markdown.stdout.trim_end().ends_with("**FAIL**"), "{}", markdown.stdout);
}

#[test]
fn incident_4_passes_on_a_target_that_has_what_it_needs() {
    let db = incident_4_target();
    db.query(
        "CREATE TABLE organization (id uuid PRIMARY KEY);
         CREATE SCHEMA auth;
         CREATE TABLE auth.users_extended (id uuid PRIMARY KEY, organization_id uuid);
         CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS 'SELECT NULL::uuid';",
    );
    let (code, json) = check_json(&db, INCIDENT_4);
    assert_eq!(json["summary"]["failed"], 0, "{json}");
    assert_eq!(code, 0);
    assert_eq!(json["missing_objects"], serde_json::json!([]));
    let statements = json["statements"].as_array().unwrap();
    // 4 enums, 3 tables and 2 partitions, 15 indexes, 5 functions, 6 triggers, 3 RLS switches, 12 policies.
    assert_eq!(statements.len(), 50);
    // Creating a foreign key to organization locks the existing table.
    assert!(
        statements[4]["locks"].as_array().unwrap().iter().any(|l| l == "ShareRowExclusiveLock on public.organization"),
        "{}",
        statements[4]
    );
}

#[test]
fn incident_3_if_not_exists_over_a_table_of_another_shape() {
    let db = TestDb::new();
    db.query("CREATE TABLE calls (id bigint PRIMARY KEY, created_at timestamptz)");
    let dir = Migrations::new(&[(
        "0031_calls.sql",
        "CREATE TABLE IF NOT EXISTS calls (\n    id bigint PRIMARY KEY,\n    organization_id bigint NOT NULL\n);\nCREATE INDEX idx_calls_org ON calls (organization_id);\n",
    )]);
    let (code, json) = check_json(&db, dir.path().to_str().unwrap());
    assert_eq!(code, 1);
    let statements = json["statements"].as_array().unwrap();
    assert_eq!(statements[0]["status"], "ok");
    let diagnosis = statements[0]["diagnosis"].as_str().unwrap();
    assert!(
        diagnosis.contains("the target's calls has (id, created_at), the migration's has (id, organization_id)"),
        "{diagnosis}"
    );
    assert_eq!(statements[1]["error"]["code"], "42703");
    assert_eq!(statements[1]["line"], 5);
}

#[test]
fn incident_1_already_exists_from_a_partial_earlier_run() {
    let db = TestDb::new();
    // A SQL editor ran the first two statements of 006, then stopped; nothing recorded.
    db.query("CREATE TABLE integrations (id bigint PRIMARY KEY, org_id bigint); CREATE INDEX idx_integration_org ON integrations (org_id);");
    let dir = Migrations::new(&[(
        "006_integration.sql",
        "CREATE TABLE integrations (id bigint PRIMARY KEY, org_id bigint);\nCREATE INDEX idx_integration_org ON integrations (org_id);\nCREATE TABLE jobs (id bigint PRIMARY KEY, integration_id bigint REFERENCES integrations (id));\n",
    )]);
    let (code, json) = check_json(&db, dir.path().to_str().unwrap());
    assert_eq!(code, 1);
    let statements = json["statements"].as_array().unwrap();
    assert_eq!(statements[0]["error"]["code"], "42P07");
    let diagnosis = statements[0]["diagnosis"].as_str().unwrap();
    assert!(diagnosis.contains("an earlier run of 006 stopped half-way (partial)"), "{diagnosis}");
    assert_eq!(statements[2]["status"], "ok", "it keeps going past the failure");
}

#[test]
fn check_needs_only_a_role_that_reads_the_catalog() {
    // No history table: the role reads nothing but the catalog.
    let db = TestDb::new();
    db.query("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'catalog_reader') THEN CREATE ROLE catalog_reader LOGIN; END IF; END $$");
    let mut reader = db.info.clone();
    reader.user = "catalog_reader".into();
    let run = plumb(&reader.to_url_with_password(), &["check", "--dir", INCIDENT_4, "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["missing_objects"][3], "schema auth");
}

/// The incident-4 report in every format, with the run's paths, target and timings masked.
#[test]
fn report_snapshots() {
    let db = incident_4_target();
    let target = db.info.to_string();
    let mask = |text: &str| {
        text.replace(INCIDENT_4, "[INCIDENT4]")
            .replace(&target, "[TARGET]")
            .replace(&target.replace('&', "&amp;"), "[TARGET]")
    };
    for format in ["text", "json", "markdown", "github", "html"] {
        let run = plumb(&db.url(), &["check", "--dir", INCIDENT_4, "--format", format]);
        assert_eq!(run.code, 1, "{format}: {run:?}");
        let mut output = mask(&run.stdout);
        if format == "json" {
            let mut json: serde_json::Value = serde_json::from_str(&output).unwrap();
            for s in json["statements"].as_array_mut().unwrap() {
                s["duration_ms"] = serde_json::json!(0);
            }
            json["clone"]["duration_ms"] = serde_json::json!(0);
            output = serde_json::to_string_pretty(&json).unwrap();
        }
        insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
            insta::assert_snapshot!(format!("check_incident4_{format}"), output);
        });
    }
}

#[test]
fn lint_inside_check_knows_the_target() {
    let db = TestDb::new();
    db.query("CREATE TABLE big (id bigint PRIMARY KEY, x int); INSERT INTO big SELECT g, g FROM generate_series(1, 1000) g; ANALYZE big;");
    let dir = Migrations::new(&[
        ("1_fresh.sql", "CREATE TABLE fresh (id bigint PRIMARY KEY, x int);\n"),
        (
            "2_indexes.sql",
            "SET lock_timeout = '5s';\nSET statement_timeout = '1min';\nCREATE INDEX big_x ON big (x);\nCREATE INDEX fresh_x ON fresh (x);\n",
        ),
    ]);
    let (_, json) = check_json(&db, dir.path().to_str().unwrap());
    let findings: Vec<(String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_owned(), f["message"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        findings,
        [(
            "create-index-blocking".to_owned(),
            "CREATE INDEX on existing table big (~1000 rows) blocks its writes until built".to_owned()
        )],
        "fresh is created by an earlier pending migration: empty, nothing to block"
    );
    assert_eq!(json["summary"]["failed"], 0);
}

/// Each statement reports the locks it needs on existing tables, even one an earlier statement
/// of the same migration already holds, in the text as in the JSON.
#[test]
fn check_reports_each_statement_s_locks_held_or_not_in_every_format() {
    let db = TestDb::new();
    db.query("CREATE TABLE big (id bigint PRIMARY KEY, x int, y int)");
    let dir = Migrations::new(&[(
        "1_indexes.sql",
        "SET lock_timeout = '5s';\nCREATE INDEX big_x ON big (x);\nCREATE INDEX big_y ON big (y);\n",
    )]);
    let (_, json) = check_json(&db, dir.path().to_str().unwrap());
    let statements = json["statements"].as_array().unwrap();
    for i in [1, 2] {
        let locks = statements[i]["locks"].as_array().unwrap();
        assert!(locks.iter().any(|l| l == "ShareLock on public.big"), "statement {i}: {json:#}");
    }
    let run = plumb(&db.url(), &["check", "--dir", dir.path().to_str().unwrap()]);
    let lines: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("ok") && l.contains("CREATE INDEX")).collect();
    assert_eq!(lines.len(), 2, "{run:?}");
    assert!(lines.iter().all(|l| l.contains("ShareLock on public.big")), "{run:?}");
}

/// With nothing pending there is nothing to check: no shadow cluster is started.
#[test]
fn check_with_nothing_pending_starts_nothing() {
    let db = TestDb::new();
    let run = plumb(&db.url(), &["apply", "--dir", INCIDENT_4, "--to", "0023"]);
    assert_eq!(run.code, 0, "{run:?}");
    let dir = Migrations::new(&[]);
    std::fs::copy(format!("{INCIDENT_4}/0023_sync_jobs.sql"), dir.path().join("0023_sync_jobs.sql")).unwrap();
    let run = plumb(&db.url(), &["check", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("nothing pending"), "{run:?}");
    assert!(run.stdout.contains("PASS: nothing pending"), "{run:?}");
    assert!(!run.stderr.contains("throwaway") && !run.stderr.contains("cloned"), "a shadow was started: {run:?}");
}
