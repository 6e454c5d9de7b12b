//! `plumb repair` and the five incidents end to end: each built by `plumb demo --build`,
//! diagnosed, planned (phase 1: converge in one transaction; phase 2: roll forward),
//! executed; then verified clean, its existing rows intact and its history right for the
//! next `apply`. And the guards: a wrong result rolls back, a
//! conversion that would fail is refused before anything runs, a killed repair leaves
//! the database as it was (with its backup), and the printed script does what --execute does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{Paused, TestDb, binaries, cluster, plumb, rows};

/// An incident built on a database of its own, its migrations in a folder of its own.
struct Incident {
    db: TestDb,
    work: tempfile::TempDir,
}

impl Incident {
    fn build(number: u8) -> Incident {
        let db = TestDb::new();
        let work = tempfile::tempdir().unwrap();
        let incident = Incident { db, work };
        let dir = incident.dir();
        let run = plumb(&incident.db.url(), &["demo", "--build", &number.to_string(), "--dir", dir.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        incident
    }

    /// Migrations `files`, applied up to `applied_to`, then `by_hand` run on the database.
    fn custom(files: &[(&str, &str)], applied_to: &str, by_hand: &str) -> Incident {
        let incident = Incident { db: TestDb::new(), work: tempfile::tempdir().unwrap() };
        let dir = incident.dir();
        std::fs::create_dir(&dir).unwrap();
        for (name, sql) in files {
            std::fs::write(dir.join(name), sql).unwrap();
        }
        let run = plumb(&incident.db.url(), &["apply", "--dir", dir.to_str().unwrap(), "--to", applied_to]);
        assert_eq!(run.code, 0, "{run:?}");
        incident.db.query(by_hand);
        incident
    }

    fn dir(&self) -> PathBuf {
        self.work.path().join("migrations")
    }

    /// `plumb <command> --dir <its migrations> --shadow-url <the test cluster> <extra>`.
    fn run(&self, command: &str, extra: &[&str]) -> crate::support::Run {
        let dir = self.dir();
        let shadow = cluster().url("postgres");
        let mut args = vec![command, "--dir", dir.to_str().unwrap(), "--shadow-url", &shadow];
        args.extend_from_slice(extra);
        plumb(&self.db.url(), &args)
    }

    /// `plumb <args>`, for commands without migrations (inspect).
    fn plain(&self, args: &[&str]) -> crate::support::Run {
        plumb(&self.db.url(), args)
    }

    fn json(&self, command: &str, extra: &[&str]) -> (i32, serde_json::Value) {
        let mut extra = extra.to_vec();
        extra.push("--json");
        let run = self.run(command, &extra);
        let json = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{command}: {e}: {run:?}"));
        (run.code, json)
    }

    /// Each migration's status, as `plumb verify` says.
    fn statuses(&self) -> (i32, BTreeMap<String, String>) {
        let (code, json) = self.json("verify", &[]);
        let statuses = json["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["version"].as_str().unwrap().to_owned(), m["status"].as_str().unwrap().to_owned()))
            .collect();
        (code, statuses)
    }

    /// Verified clean: exit 0 and every migration verified (or unverifiable).
    fn assert_clean(&self) {
        let (code, statuses) = self.statuses();
        assert!(statuses.values().all(|s| s == "verified" || s == "unverifiable"), "{statuses:?}");
        assert_eq!(code, 0, "{statuses:?}");
        // The history is right for the next apply: nothing pending, nothing refused.
        let dir = self.dir();
        let run = self.plain(&["apply", "--dir", dir.to_str().unwrap(), "--json"]);
        assert_eq!(run.code, 0, "{run:?}");
        let applied: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(applied["applied"], serde_json::json!([]), "{run:?}");
    }

    fn execute(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["--execute", "--yes"];
        args.extend_from_slice(extra);
        let (code, json) = self.json("repair", &args);
        assert_eq!(json["executed"]["committed"], true, "{json:#}");
        assert_eq!(code, 0, "{json:#}");
        json
    }
}

/// The plan's steps as `kind migrations` lines (then `roll forward` and its migrations),
/// and its script with the folder made stable.
fn plan_shape(json: &serde_json::Value, work: &Path) -> (Vec<String>, String) {
    let versions = |list: &serde_json::Value| {
        let list: Vec<&str> = list.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        if list.is_empty() { "-".to_owned() } else { list.join(",") }
    };
    let mut steps: Vec<String> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s["kind"].as_str().unwrap(), versions(&s["migrations"])))
        .collect();
    if !json["roll_forward"].as_array().unwrap().is_empty() {
        steps.push(format!("roll forward {}", versions(&json["roll_forward"])));
    }
    let script = json["script"].as_str().unwrap().replace(work.to_str().unwrap(), "[work]");
    (steps, script)
}

#[test]
fn incident_1_half_applied_migration_is_completed_and_nothing_is_lost() {
    let incident = Incident::build(1);
    let (code, statuses) = incident.statuses();
    assert_eq!(code, 1);
    assert_eq!(statuses["006"], "partial");
    assert_eq!(statuses["003"], "pending");
    // What blocked the rest of 006: the table its foreign keys reference.
    let (_, verify) = incident.json("verify", &[]);
    let partial = verify["migrations"].as_array().unwrap().iter().find(|m| m["version"] == "006").unwrap();
    assert_eq!(partial["blocked_by"], serde_json::json!(["table public.organizations"]), "{partial:#}");
    let before = rows(&incident.db);

    let (code, plan) = incident.json("repair", &[]);
    assert_eq!(code, 1, "a plan to run is a finding");
    let (steps, script) = plan_shape(&plan, incident.work.path());
    // 003 never ran and 006 stopped half-way: both are recorded, and their missing objects
    // created, in one transaction; nothing is left for phase 2.
    assert_eq!(steps, ["record 003,006", "converge -"]);
    assert_eq!(plan["converge_to"], "006");
    assert_eq!(plan["steps"][1]["loses"], serde_json::Value::Null);
    insta::assert_snapshot!("repair_incident1_script", script);

    incident.execute(&[]);
    incident.assert_clean();
    let after = rows(&incident.db);
    for (table, digest) in &before {
        assert_eq!(after.get(table), Some(digest), "{table} changed");
    }
    // The foreign keys the editor never created are there now.
    assert!(incident.db.exists("customers"));
    assert_eq!(
        incident.db.value(
            "SELECT count(*)::text FROM pg_constraint WHERE conname = 'integrations_organization_id_fkey' AND convalidated"
        ),
        Some("1".into())
    );
}

#[test]
fn incident_1_undo_drops_the_empty_partial_tables_and_applies_the_migration_whole() {
    let incident = Incident::build(1);
    let (_, plan) = incident.json("repair", &["--partial", "undo"]);
    let (steps, _) = plan_shape(&plan, incident.work.path());
    // Converge to 003 (006's empty tables dropped), then 006 runs whole.
    assert_eq!(steps, ["record 003", "converge -", "roll forward 006"]);
    let guards: Vec<&str> = plan["guards"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect();
    assert_eq!(guards, ["public.integrations holds no rows", "public.jobs holds no rows"]);
    incident.execute(&["--partial", "undo"]);
    incident.assert_clean();

    // With a row in a partial table, undo refuses before anything runs.
    let incident = Incident::build(1);
    incident.db.query("INSERT INTO integrations (organization_id, kind) VALUES (1, 'stripe')");
    let before = rows(&incident.db);
    let run = incident.run("repair", &["--partial", "undo", "--execute", "--yes"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("public.integrations holds rows"), "{}", run.stderr);
    assert_eq!(rows(&incident.db), before);
    assert!(!incident.db.exists("organizations"));
}

#[test]
fn incident_2_stamped_history_is_rewritten_and_string_ids_restored_with_their_dependents() {
    let incident = Incident::build(2);
    let (code, statuses) = incident.statuses();
    assert_eq!(code, 1);
    let expected: BTreeMap<String, String> =
        [("001", "verified"), ("002", "verified"), ("003", "verified"), ("004", "partial")]
            .into_iter()
            .chain(["005", "006", "007"].map(|v| (v, "phantom")))
            .map(|(v, s)| (v.to_owned(), s.to_owned()))
            .collect();
    assert_eq!(statuses, expected);
    let (_, located) = incident.json("locate", &[]);
    assert_eq!(located["best_version"], "003", "{located:#}");
    let (_, verify) = incident.json("verify", &[]);
    let drift = verify["migrations"][3]["drift"].as_array().unwrap();
    assert!(drift.iter().any(|d| d.as_str().unwrap().starts_with(
        "column public.users.id: expected character varying(36) default (gen_random_uuid())::text not null, found uuid"
    )));
    let before = rows(&incident.db);

    let (_, plan) = incident.json("repair", &[]);
    let (steps, script) = plan_shape(&plan, incident.work.path());
    // 004 is partly there (display_name): converge to it, then 005-007 run as apply runs them.
    assert_eq!(steps, ["unrecord 005,006,007", "converge -", "roll forward 005,006,007"]);
    assert_eq!(plan["guards"].as_array().unwrap().len(), 4, "{plan:#}");
    // The foreign keys and the view that read the converted columns go and come back.
    for dependent in ["DROP CONSTRAINT projects_owner_id_fkey", "DROP VIEW public.project_owners", "CREATE VIEW"] {
        assert!(script.contains(dependent), "{dependent} missing from:\n{script}");
    }
    insta::assert_snapshot!("repair_incident2_script", script);

    incident.execute(&[]);
    incident.assert_clean();
    let after = rows(&incident.db);
    // uuid → varchar(36) keeps every value's text: even the digests are equal.
    for (table, digest) in &before {
        assert_eq!(after.get(table), Some(digest), "{table} changed");
    }
    assert_eq!(
        incident.db.value("SELECT data_type FROM information_schema.columns WHERE table_name = 'projects' AND column_name = 'owner_id'"),
        Some("character varying".into())
    );
}

#[test]
fn incident_3_older_table_is_completed_and_its_extra_column_adopted() {
    let incident = Incident::build(3);
    let (_, verify) = incident.json("verify", &[]);
    assert_eq!(verify["migrations"][1]["status"], "partial");
    assert_eq!(verify["unexplained"], serde_json::json!(["column public.calls.caller"]));
    let before = rows(&incident.db);

    let (_, plan) = incident.json("repair", &[]);
    assert_eq!(plan["kept"], serde_json::json!(["column public.calls.caller"]));
    let (steps, _) = plan_shape(&plan, incident.work.path());
    assert_eq!(steps, ["record 002", "converge -"]);

    incident.execute(&["--adopt"]);
    let adopted = std::fs::read_to_string(incident.dir().join("003_adopted.sql")).unwrap();
    assert!(adopted.contains("ALTER TABLE public.calls ADD COLUMN caller text;"), "{adopted}");
    incident.assert_clean();
    let after = rows(&incident.db);
    assert_eq!(after["public.calls"].0, before["public.calls"].0, "calls lost rows");
    assert_eq!(after["public.organizations"], before["public.organizations"]);
}

#[test]
fn incident_4_has_nothing_to_repair_and_says_why() {
    let incident = Incident::build(4);
    let (code, plan) = incident.json("repair", &[]);
    assert_eq!(code, 1);
    assert_eq!(plan["steps"], serde_json::json!([]));
    let unresolved = plan["unresolved"].as_array().unwrap();
    assert!(unresolved[0].as_str().unwrap().starts_with("0024 "), "{plan:#}");
    let run = incident.run("repair", &["--execute", "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!incident.db.exists("sync_progress"));
}

#[test]
fn incident_5_phantoms_are_reapplied_and_the_supabase_history_agrees() {
    let incident = Incident::build(5);
    let (_, statuses) = incident.statuses();
    assert_eq!(statuses["20250413093000"], "phantom");
    assert_eq!(statuses["20251001211923"], "phantom");
    assert_eq!(statuses["20251101000000"], "pending");
    let before = rows(&incident.db);

    let (_, plan) = incident.json("repair", &[]);
    assert_eq!(plan["history_table"], "supabase_migrations.schema_migrations");
    let (steps, script) = plan_shape(&plan, incident.work.path());
    assert_eq!(
        steps,
        ["unrecord 20250413093000,20251001211923", "roll forward 20250413093000,20251001211923,20251101000000"]
    );
    insta::assert_snapshot!("repair_incident5_script", script);

    incident.execute(&[]);
    incident.assert_clean();
    // The Supabase CLI's view: one row per file, with its name and statements; no plumb history.
    let history = incident.db.query(
        "SELECT version, name, cardinality(statements)::text FROM supabase_migrations.schema_migrations ORDER BY version",
    );
    let versions: Vec<&str> = history.iter().map(|r| r[0].as_deref().unwrap()).collect();
    assert_eq!(versions, ["20250101000000", "20250201000000", "20250413093000", "20251001211923", "20251101000000"]);
    assert_eq!(history[3][1].as_deref(), Some("prompts_catalog"));
    assert_eq!(history[3][2].as_deref(), Some("2"));
    assert!(!incident.db.exists("plumb.migrations"));
    let after = rows(&incident.db);
    assert_eq!(after["public.user_consents"], before["public.user_consents"]);
    assert_eq!(after["public.collections"].0, before["public.collections"].0);
    assert_eq!(incident.db.value("SELECT outcome FROM plumb.events"), Some("committed".into()));
}

#[test]
fn a_plan_whose_result_is_not_the_expected_schema_is_rolled_back() {
    let incident = Incident::build(1);
    // Something the plan does not know of: an event trigger that adds a table to every CREATE TABLE in public.
    incident.db.query(
        "CREATE FUNCTION sneaky() RETURNS event_trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF to_regclass('public.sneaky') IS NULL
              AND EXISTS (SELECT FROM pg_event_trigger_ddl_commands() WHERE schema_name = 'public') THEN
             CREATE TABLE public.sneaky (id int);
           END IF;
         END $$;
         CREATE EVENT TRIGGER sneaky ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION sneaky();",
    );
    let before = rows(&incident.db);
    let (code, json) = incident.json("repair", &["--execute", "--yes"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["executed"]["committed"], false);
    let reasons = json["executed"]["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r.as_str().unwrap().contains("table public.sneaky")), "{reasons:?}");
    assert!(!incident.db.exists("organizations"));
    assert!(!incident.db.exists("sneaky"));
    assert_eq!(rows(&incident.db), before);
    assert_eq!(incident.db.value("SELECT count(*)::text FROM plumb.migrations"), Some("2".into()));
    assert_eq!(incident.db.value("SELECT outcome FROM plumb.events"), Some("rolled back".into()));
}

#[test]
fn a_conversion_that_would_fail_is_refused_before_anything_runs() {
    let incident = Incident::custom(
        &[
            ("001_accounts.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY, ref text);\n"),
            (
                "002_uuid_refs.sql",
                "ALTER TABLE accounts ALTER COLUMN ref TYPE uuid USING ref::uuid;\nALTER TABLE accounts ADD COLUMN note text;\n",
            ),
        ],
        "001",
        "INSERT INTO accounts VALUES (1, '2f1e0c6a-8a51-4f9e-b1d2-3c4d5e6f7a8b'), (2, 'legacy-7'), (3, NULL);
         ALTER TABLE accounts ADD COLUMN note text;",
    );
    let (_, statuses) = incident.statuses();
    assert_eq!(statuses["002"], "partial");
    let before = rows(&incident.db);
    let run = incident.run("repair", &["--execute", "--yes"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("1 value(s) of public.accounts.ref do not convert to uuid, e.g. {legacy-7}"),
        "{}",
        run.stderr
    );
    assert_eq!(rows(&incident.db), before);
    assert_eq!(
        incident.db.value("SELECT data_type FROM information_schema.columns WHERE column_name = 'ref'"),
        Some("text".into())
    );
}

/// Names that need quotes are used as the catalog gives them, never quoted twice.
#[test]
fn drift_on_a_quoted_column_of_a_quoted_table_is_restored() {
    let incident = Incident::custom(
        &[
            ("001_accounts.sql", "CREATE TABLE \"Accounts\" (id bigint PRIMARY KEY, \"Ref\" uuid);\n"),
            (
                "002_string_refs.sql",
                "ALTER TABLE \"Accounts\" ALTER COLUMN \"Ref\" TYPE varchar(36);\nALTER TABLE \"Accounts\" ADD COLUMN note text;\n",
            ),
        ],
        "001",
        "INSERT INTO \"Accounts\" VALUES (1, '2f1e0c6a-8a51-4f9e-b1d2-3c4d5e6f7a8b'), (2, NULL);
         ALTER TABLE \"Accounts\" ADD COLUMN note text;",
    );
    let (_, plan) = incident.json("repair", &[]);
    assert_eq!(plan["tables"], serde_json::json!([{"table": "public.\"Accounts\"", "rows": 2}]), "{plan:#}");
    let before = rows(&incident.db);
    incident.execute(&[]);
    incident.assert_clean();
    assert_eq!(rows(&incident.db), before, "the text of every value is kept");
}

#[test]
fn a_repair_killed_before_commit_leaves_the_database_as_it_was_and_the_backup_there() {
    let incident = Incident::build(5);
    let before = rows(&incident.db);
    let schema_before = incident.plain(&["inspect"]).stdout;
    let dir = incident.dir();
    let shadow = cluster().url("postgres");
    let args = ["repair", "--dir", dir.to_str().unwrap(), "--shadow-url", &shadow, "--execute", "--yes"];
    let paused = Paused::run_until(&incident.db, &args, "repair:before-commit", Some(incident.work.path()))
        .expect("the repair reaches its commit");
    paused.kill();
    assert_eq!(rows(&incident.db), before);
    assert_eq!(incident.plain(&["inspect"]).stdout, schema_before);
    assert!(!incident.db.exists("organizations"));
    let backups: Vec<PathBuf> =
        std::fs::read_dir(incident.work.path().join(".plumb/backups")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(backups.len(), 1);
    // pg_dump's file when a pg_dump as new as the server is installed, else plumb's COPY files.
    match std::fs::read_to_string(backups[0].join("backup.sql")) {
        Ok(dump) => assert!(dump.contains("supabase_migrations.schema_migrations"), "{dump}"),
        Err(_) => {
            let copy = std::fs::read_to_string(backups[0].join("supabase_migrations.schema_migrations.copy")).unwrap();
            assert_eq!(copy.lines().count(), 4, "{copy}");
        }
    }
    // Run again, it completes.
    incident.execute(&[]);
    incident.assert_clean();
}

#[test]
fn the_printed_script_run_by_psql_does_what_execute_does() {
    for number in [1, 2, 5] {
        let executed = Incident::build(number);
        executed.execute(&[]);

        let scripted = Incident::build(number);
        let run = scripted.run("repair", &[]);
        assert_eq!(run.code, 1, "{run:?}");
        let script = scripted.work.path().join("repair.sql");
        std::fs::write(&script, &run.stdout).unwrap();
        let psql = std::process::Command::new(binaries().program("psql"))
            .args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(&script)
            .arg(scripted.db.url())
            .output()
            .unwrap();
        assert!(psql.status.success(), "incident {number}: {}", String::from_utf8_lossy(&psql.stderr));
        scripted.assert_clean();
        assert_eq!(
            scripted.plain(&["inspect", "--json"]).stdout.replace(&scripted.db.name, "db"),
            executed.plain(&["inspect", "--json"]).stdout.replace(&executed.db.name, "db"),
            "incident {number}: the script and --execute left different schemas"
        );
        // Row counts only: the incidents' data carries random ids and times of its own.
        let counts = |db: &TestDb| rows(db).into_iter().map(|(t, (n, _))| (t, n)).collect::<BTreeMap<_, _>>();
        assert_eq!(counts(&scripted.db), counts(&executed.db), "incident {number}");
    }
}

#[test]
fn apply_dry_run_on_a_supabase_database_writes_the_supabase_history() {
    let incident = Incident::build(5);
    let dir = incident.dir();
    let run = incident.plain(&["apply", "--dir", dir.to_str().unwrap(), "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(
            "INSERT INTO supabase_migrations.schema_migrations (version, name, statements)\n  VALUES ('20251101000000'"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("plumb.migrations"), "{}", run.stdout);
}
