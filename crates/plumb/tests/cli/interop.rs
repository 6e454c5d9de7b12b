//! The real tools, installed from the registries by the test setup itself (into
//! `target/tools`, or `PLUMB_TOOLS_DIR`): each applies its folder, plumb reads its history as
//! the tool's own status command does, a sabotaged database is repaired by plumb, and the
//! tool agrees afterwards: its status shows every migration applied and its next run does
//! nothing. A tool that cannot be installed fails the test with the command to run.

use std::path::Path;
use std::process::Command;

use crate::support::{TestDb, cargo_tool, cluster, npm_tool, plumb, run_tool};

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
    assert_repaired_by(db, dir, &|args| plumb(&db.url(), args));
}

/// As [`assert_repaired`], plumb run by `plumb` (in another folder, with more arguments).
fn assert_repaired_by(db: &TestDb, dir: &str, plumb: &dyn Fn(&[&str]) -> crate::support::Run) {
    let shadow = cluster().url("postgres");
    let run = plumb(&["verify", "--dir", dir, "--shadow-url", &shadow, "--json"]);
    assert_eq!(run.code, 1, "the sabotage is seen: {run:?}");
    let run = plumb(&["repair", "--dir", dir, "--shadow-url", &shadow, "--execute", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = plumb(&["verify", "--dir", dir, "--shadow-url", &shadow]);
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
    let dbmate = npm_tool(&["dbmate@2.36.0"], "dbmate");
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
    let supabase = npm_tool(&["supabase@2.117.0"], "supabase");
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

/// sqlx-cli (crates.io, built once): `sqlx migrate run`, `sqlx migrate info`, and `migrate
/// run` again after plumb's repair (sqlx checks every applied migration's SHA-384 first).
#[test]
fn sqlx_cli_agrees_with_plumb_before_and_after_a_repair() {
    let sqlx = cargo_tool("sqlx-cli", "0.8.6", "postgres,rustls", "sqlx");
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = BODIES
        .iter()
        .enumerate()
        .map(|(i, body)| (format!("2024010100000{}_m{}.sql", i + 1, i + 1), format!("{body}\n")))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    write(dir.path(), &files);
    let dir_arg = dir.path().to_str().unwrap();
    let db = TestDb::new();
    let url = format!("{}&sslmode=disable", db.url().replacen("@/", "@localhost/", 1));
    let sqlx = |args: &[&str]| {
        run_tool(Command::new(&sqlx).args(["migrate"]).args(args).args(["--database-url", &url, "--source", dir_arg]))
    };
    let run = sqlx(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let states = plumb_states(&db, dir_arg);
    assert!(states.iter().all(|(_, s)| s == "applied") && states.len() == 4, "{states:?}");
    let installed = |run: &crate::support::Run| {
        run.stdout.matches("installed").count() - run.stdout.matches("not installed").count()
    };
    let info = sqlx(&["info"]);
    assert_eq!(installed(&info), 4, "{info:?}");

    sabotage(&db, "DELETE FROM _sqlx_migrations WHERE version = 20240101000004;");
    let info = sqlx(&["info"]);
    assert_eq!(installed(&info), 3, "{info:?}");
    assert_repaired(&db, dir_arg);

    let info = sqlx(&["info"]);
    assert_eq!(installed(&info), 4, "{info:?}");
    let run = sqlx(&["run"]);
    assert_eq!(run.code, 0, "checksums as sqlx computes them, nothing to run: {run:?}");
    assert!(!run.stdout.contains("Applied"), "{run:?}");
}

/// diesel_cli (crates.io, built once with libpq): `diesel migration run`, `migration list`, and
/// `migration run` again after plumb's repair.
#[test]
fn diesel_cli_agrees_with_plumb_before_and_after_a_repair() {
    let diesel = cargo_tool("diesel_cli", "2.3.14", "postgres", "diesel");
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = BODIES
        .iter()
        .enumerate()
        .flat_map(|(i, body)| {
            let folder = format!("2024-01-01-00000{}_m{}", i + 1, i + 1);
            [(format!("{folder}/up.sql"), format!("{body}\n")), (format!("{folder}/down.sql"), "SELECT 1;\n".into())]
        })
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    write(dir.path(), &files);
    let dir_arg = dir.path().to_str().unwrap();
    let db = TestDb::new();
    let url = format!("{}&sslmode=disable", db.url());
    let diesel = |args: &[&str]| {
        run_tool(Command::new(&diesel).current_dir(dir.path()).args(["migration"]).args(args).args([
            "--database-url",
            &url,
            "--migration-dir",
            dir_arg,
        ]))
    };
    let run = diesel(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let states = plumb_states(&db, dir_arg);
    assert!(states.iter().all(|(_, s)| s == "applied") && states.len() == 4, "{states:?}");
    let applied = |run: &crate::support::Run| run.stdout.matches("[X]").count();
    let list = diesel(&["list"]);
    assert_eq!(applied(&list), 4, "{list:?}");

    sabotage(&db, "DELETE FROM __diesel_schema_migrations WHERE version = '20240101000004';");
    let list = diesel(&["list"]);
    assert_eq!(applied(&list), 3, "{list:?}");
    assert_repaired(&db, dir_arg);

    let list = diesel(&["list"]);
    assert_eq!(applied(&list), 4, "{list:?}");
    let run = diesel(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("Running migration"), "nothing to run: {run:?}");
}

/// Drizzle Kit (npm `drizzle-kit` with `drizzle-orm` and the `pg` driver): `drizzle-kit migrate`
/// from a journal, and again after plumb's repair (Drizzle runs what is newer than its newest
/// `created_at`, so a row plumb forgot to write would make it run a migration twice).
#[test]
fn drizzle_kit_agrees_with_plumb_before_and_after_a_repair() {
    let kit = npm_tool(&["drizzle-kit@0.31.11", "drizzle-orm@0.45.4", "pg@8.23.1"], "drizzle-kit");
    let project = tempfile::tempdir().unwrap();
    let out = project.path().join("drizzle");
    let tags: Vec<String> = (1..=4).map(|i| format!("000{i}_m{i}")).collect();
    let entries: Vec<serde_json::Value> = tags
        .iter()
        .enumerate()
        .map(|(i, tag)| {
            serde_json::json!({"idx": i, "version": "7", "when": 1_700_000_000_000_i64 + i as i64, "tag": tag, "breakpoints": true})
        })
        .collect();
    let journal = serde_json::json!({"version": "7", "dialect": "postgresql", "entries": entries}).to_string();
    let mut files: Vec<(String, String)> = tags
        .iter()
        .zip(BODIES)
        .map(|(tag, body)| (format!("{tag}.sql"), body.replace(";\n", ";\n--> statement-breakpoint\n")))
        .collect();
    files.push(("meta/_journal.json".into(), journal));
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    write(&out, &files);
    let dir_arg = out.to_str().unwrap();
    let db = TestDb::new();
    let url = format!("{}&sslmode=disable", db.url().replacen("@/", "@localhost/", 1));
    let config = project.path().join("drizzle.config.js");
    let settings = serde_json::json!({"dialect": "postgresql", "out": dir_arg, "dbCredentials": {"url": url}});
    std::fs::write(&config, format!("module.exports = {settings};\n")).unwrap();
    let migrate = || {
        run_tool(
            Command::new(&kit)
                .current_dir(kit.parent().unwrap().parent().unwrap().parent().unwrap())
                .arg("migrate")
                .arg("--config")
                .arg(&config),
        )
    };
    let run = migrate();
    assert_eq!(run.code, 0, "{run:?}");
    let states = plumb_states(&db, dir_arg);
    assert!(states.iter().all(|(_, s)| s == "applied") && states.len() == 4, "{states:?}");

    // Drizzle counts by the newest `created_at`: forgetting migration 4 is deleting its row.
    sabotage(&db, "DELETE FROM drizzle.__drizzle_migrations WHERE created_at = 1700000000003;");
    let states = plumb_states(&db, dir_arg);
    assert_eq!(states[3].1, "pending", "plumb reads Drizzle's history as Drizzle does: {states:?}");
    assert_repaired(&db, dir_arg);

    let run = migrate();
    assert_eq!(run.code, 0, "Drizzle runs nothing twice after the repair: {run:?}");
    assert_eq!(db.value("SELECT count(*)::text FROM drizzle.__drizzle_migrations"), Some("4".into()));
}

/// Incident 2 on its own tool: an Alembic project (`examples/incidents/2-stamped-ahead-alembic`)
/// upgraded by the real Alembic to revision 3, changed by hand, then `alembic stamp head`.
/// plumb replays the revisions through Alembic in its shadow, names revision 3 as the truth,
/// repairs, and afterwards `alembic current` is at head and `alembic upgrade head` runs nothing.
#[test]
fn incident_2_on_alembic_is_located_repaired_and_alembic_agrees() {
    let venv = crate::support::python_tools(&crate::support::ALEMBIC);
    let project = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incidents/2-stamped-ahead-alembic");
    crate::support::copy_dir(&example, project.path());
    let dir_arg = project.path().to_str().unwrap();
    let db = TestDb::new();
    let url = db.url();
    let alembic = |args: &[&str]| {
        run_tool(Command::new(venv.join("alembic")).current_dir(project.path()).env("DATABASE_URL", &url).args(args))
    };
    let up = alembic(&["upgrade", "a93d1e6f4b07"]);
    assert_eq!(up.code, 0, "{up:?}");
    db.query(&std::fs::read_to_string(project.path().join("after.sql")).unwrap());
    let stamp = alembic(&["stamp", "head"]);
    assert_eq!(stamp.code, 0, "{stamp:?}");

    let python = venv.join("python");
    let plumb = |args: &[&str]| {
        crate::support::run_tool(
            crate::support::plumb_command(args).env("DATABASE_URL", &url).env("PLUMB_PYTHON", &python),
        )
    };
    let shadow = cluster().url("postgres");
    let status = plumb(&["status", "--dir", dir_arg, "--json"]);
    assert!(status.stderr.contains("Alembic migrations (7); history in alembic_version"), "{status:?}");
    let json: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(json["summary"]["applied"], 7, "alembic_version says head: {json:#}");

    let run = plumb(&["locate", "--dir", dir_arg, "--shadow-url", &shadow, "--json"]);
    let located: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert_eq!(located["best_version"], "0003", "{located:#}");
    let run = plumb(&["verify", "--dir", dir_arg, "--shadow-url", &shadow, "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let verify: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let migrations = verify["migrations"].as_array().unwrap();
    assert_eq!(migrations[2]["name"], "a93d1e6f4b07_projects", "the revision id is in sight: {verify:#}");
    let statuses: Vec<&str> = migrations.iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        ["verified", "verified", "verified", "partial", "phantom", "phantom", "phantom"],
        "{verify:#}"
    );
    let drift = migrations[3]["drift"].as_array().unwrap();
    assert!(
        drift.iter().any(|d| d.as_str().unwrap().starts_with("column public.users.id: expected character varying(36)")),
        "{drift:?}"
    );

    let run = plumb(&["repair", "--dir", dir_arg, "--shadow-url", &shadow, "--execute", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = plumb(&["verify", "--dir", dir_arg, "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{run:?}");
    for table in ["folders", "pipeline_templates", "pipeline_template_stages", "rbac_audit_logs"] {
        assert!(db.exists(&format!("public.{table}")), "{table}");
    }
    assert_eq!(
        db.value("SELECT data_type FROM information_schema.columns WHERE table_name = 'projects' AND column_name = 'owner_id'"),
        Some("character varying".into())
    );
    let current = alembic(&["current"]);
    assert!(current.all_output().contains("9d4b2e8f1c73 (head)"), "{current:?}");
    let up = alembic(&["upgrade", "head"]);
    assert_eq!(up.code, 0, "{up:?}");
    assert!(!up.all_output().contains("Running upgrade"), "nothing left for Alembic to run: {up:?}");

    // The same history as `alembic upgrade --sql` prints it: lint takes Alembic's BEGIN/COMMIT
    // and alembic_version statements as bookkeeping, and plumb replays the SQL itself, no Python.
    let offline = alembic(&["upgrade", "head", "--sql"]);
    assert_eq!(offline.code, 0, "{offline:?}");
    let file = project.path().join("upgrade.sql");
    std::fs::write(&file, &offline.stdout).unwrap();
    let file_arg = file.to_str().unwrap();
    let lint = crate::support::plumb_command(&["lint", file_arg, "--json"]).output().unwrap();
    let lint: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
    assert_eq!(lint["summary"]["errors"], 0, "{lint:#}");
    let fresh = TestDb::new();
    let stamped = |args: &[&str]| {
        let out = crate::support::plumb_command(args)
            .env("DATABASE_URL", fresh.url())
            .env("PLUMB_PYTHON", "/nonexistent/python3")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, stderr) = stamped(&["apply", "--dir", file_arg]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(fresh.value("SELECT version_num FROM alembic_version"), Some("9d4b2e8f1c73".into()), "Alembic's head");
    let (code, stdout, stderr) = stamped(&["verify", "--dir", file_arg, "--shadow-url", &shadow, "--json"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}

/// Django (PyPI, in a virtualenv): `manage.py migrate`, `showmigrations`, and `migrate` again
/// after plumb's repair. plumb has Django list the plan (its own contenttypes app first) and run
/// each migration, one `migrate <app> <name>` at a time, in the shadow.
#[test]
fn django_agrees_with_plumb_before_and_after_a_repair() {
    let venv = crate::support::python_tools(&["Django==5.2.19", "psycopg[binary]==3.3.9"]);
    let project = tempfile::tempdir().unwrap();
    crate::support::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/django"), project.path());
    let dir_arg = project.path().to_str().unwrap();
    let db = TestDb::new();
    let url = db.url();
    let manage = |args: &[&str]| {
        run_tool(
            Command::new(venv.join("python"))
                .current_dir(project.path())
                .env("DATABASE_URL", &url)
                .arg("manage.py")
                .args(args),
        )
    };
    let python = venv.join("python");
    let plumb = |args: &[&str]| {
        crate::support::run_tool(
            crate::support::plumb_command(args).env("DATABASE_URL", &url).env("PLUMB_PYTHON", &python),
        )
    };
    let run = manage(&["migrate", "--no-input"]);
    assert_eq!(run.code, 0, "{run:?}");
    db.query("INSERT INTO shop_customer (email, note) VALUES ('ada@shop.test', 'kept')");
    let status = plumb(&["status", "--dir", dir_arg, "--json"]);
    assert!(status.stderr.contains("Django migrations (6); history in django_migrations"), "{status:?}");
    let json: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let names: Vec<&str> = json["migrations"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names[0], "contenttypes.0001_initial", "Django's own app first: {names:?}");
    assert_eq!(names[5], "shop.0004_customer_note", "{names:?}");
    assert_eq!(json["summary"]["applied"], 6, "{json:#}");

    // 0002 half there, 0003 a phantom, 0004 ran but is not recorded.
    db.query(
        "DROP TABLE shop_orderline; DROP TABLE shop_tag;
         DELETE FROM django_migrations WHERE app = 'shop' AND name = '0004_customer_note'",
    );
    let shadow = cluster().url("postgres");
    let run = plumb(&["verify", "--dir", dir_arg, "--shadow-url", &shadow, "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let verify: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let statuses: Vec<&str> =
        verify["migrations"].as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert_eq!(statuses[3..], ["partial", "phantom", "unrecorded"], "{verify:#}");
    let run = plumb(&["repair", "--dir", dir_arg, "--shadow-url", &shadow, "--execute", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = plumb(&["verify", "--dir", dir_arg, "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(db.value("SELECT note FROM shop_customer"), Some("kept".into()));

    let shown = manage(&["showmigrations", "--plan"]);
    assert_eq!(shown.stdout.matches("[X]").count(), 6, "{shown:?}");
    let run = manage(&["migrate", "--no-input"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("No migrations to apply"), "{run:?}");
}

/// Any tool by command (`--replay-with`), tested with a small shell-script tool that behaves as
/// `bin/rails db:migrate VERSION=…` does: it runs one version's file with psql and records the
/// version in Rails's `schema_migrations`, connecting through the PG* variables plumb sets.
#[test]
fn a_tool_known_only_by_command_is_replayed_and_repaired_with_its_own_history() {
    let project = tempfile::tempdir().unwrap();
    let psql = crate::support::binaries().bin_dir.join("psql");
    let tool = format!(
        "#!/bin/sh\n# Runs one migration, as `rails db:migrate VERSION=$1` would.\nset -e\nfile=$(ls db/\"$1\"_*.sql)\n\
         {psql} -X -q -v ON_ERROR_STOP=1 -1 -f \"$file\"\n\
         {psql} -X -q -v ON_ERROR_STOP=1 -c \"CREATE TABLE IF NOT EXISTS schema_migrations (version varchar PRIMARY KEY); \
         INSERT INTO schema_migrations VALUES ('$1') ON CONFLICT DO NOTHING\"\n",
        psql = psql.display()
    );
    let files: Vec<(String, String)> = BODIES
        .iter()
        .enumerate()
        .map(|(i, body)| (format!("db/2024010100000{}_m{}.sql", i + 1, i + 1), format!("{body}\n")))
        .collect();
    let mut files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    files.push(("tool.sh", &tool));
    write(project.path(), &files);
    let db = TestDb::new();
    let url = db.url();
    let tool_path = project.path().join("tool.sh");
    // The tool runs everything, as the team's deploy does.
    for i in 1..=4 {
        let mut command = Command::new("sh");
        command.current_dir(project.path()).arg(&tool_path).arg(format!("2024010100000{i}"));
        plumb_migrate::connect_env(&mut command, &db.info);
        let run = run_tool(&mut command);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let replay = format!("sh {} {{version}}", tool_path.display());
    let dir = project.path().join("db");
    let dir_arg = dir.to_str().unwrap();
    let in_project = |args: &[&str]| {
        crate::support::run_tool(
            crate::support::plumb_command(&[args, &["--replay-with", &replay]].concat())
                .current_dir(project.path())
                .env("DATABASE_URL", &url),
        )
    };
    let status = in_project(&["status", "--dir", dir_arg, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&status.stdout).unwrap_or_else(|e| panic!("{e}: {status:?}"));
    assert_eq!(json["summary"]["applied"], 4, "Rails's schema_migrations read: {json:#}");

    sabotage(&db, "DELETE FROM schema_migrations WHERE version = '20240101000004';");
    assert_repaired_by(&db, dir_arg, &in_project);
    assert_eq!(db.value("SELECT count(*)::text FROM schema_migrations"), Some("4".into()), "the tool's history agrees");
    let run = in_project(&["apply", "--dir", dir_arg]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.all_output().contains("applying"), "nothing left to run: {run:?}");
}

/// A revision that raises: the replay stops there, the revisions from it on are unknown, and
/// Alembic's own output (with the revision) says why.
#[test]
fn an_alembic_revision_that_raises_stops_the_replay_there_with_alembic_s_words() {
    let venv = crate::support::python_tools(&crate::support::ALEMBIC);
    let project = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incidents/2-stamped-ahead-alembic");
    crate::support::copy_dir(&example, project.path());
    let broken = project.path().join("alembic/versions/2b7f9d3e8a14_folders.py");
    let text = std::fs::read_to_string(&broken).unwrap();
    std::fs::write(
        &broken,
        text.replace("def upgrade():\n", "def upgrade():\n    raise RuntimeError(\"folders are not ready\")\n"),
    )
    .unwrap();
    let db = TestDb::new();
    let out = crate::support::plumb_command(&[
        "verify",
        "--dir",
        project.path().to_str().unwrap(),
        "--shadow-url",
        &cluster().url("postgres"),
        "--json",
    ])
    .env("DATABASE_URL", db.url())
    .env("PLUMB_PYTHON", venv.join("python"))
    .output()
    .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let statuses: Vec<&str> =
        json["migrations"].as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert_eq!(statuses[4..], ["unknown", "unknown", "unknown"], "{json:#}");
    assert!(stderr.contains("2b7f9d3e8a14") && stderr.contains("folders are not ready"), "{stderr}");
}

/// `check` on an Alembic project: the pending revisions are run by Alembic on a clone of the
/// target (its `alembic_version` set to what the target has applied), and a revision that
/// raises fails the check with Alembic's words; the target is untouched.
#[test]
fn check_runs_pending_alembic_revisions_on_a_clone() {
    let venv = crate::support::python_tools(&crate::support::ALEMBIC);
    let project = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incidents/2-stamped-ahead-alembic");
    crate::support::copy_dir(&example, project.path());
    let db = TestDb::new();
    let url = db.url();
    let up = run_tool(
        Command::new(venv.join("alembic"))
            .current_dir(project.path())
            .env("DATABASE_URL", &url)
            .args(["upgrade", "a93d1e6f4b07"]),
    );
    assert_eq!(up.code, 0, "{up:?}");
    let dir_arg = project.path().to_str().unwrap();
    let check = || {
        run_tool(
            crate::support::plumb_command(&[
                "check",
                "--dir",
                dir_arg,
                "--shadow-url",
                &cluster().url("postgres"),
                "--json",
            ])
            .env("DATABASE_URL", &url)
            .env("PLUMB_PYTHON", venv.join("python")),
        )
    };
    let run = check();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let steps: Vec<&str> =
        json["statements"].as_array().unwrap().iter().map(|s| s["sql"].as_str().unwrap_or_default()).collect();
    assert_eq!(json["statements"].as_array().unwrap().len(), 4, "revisions 4 to 7: {json:#}");
    assert!(json["statements"].as_array().unwrap().iter().all(|s| s["status"] == "ok"), "{steps:?} {json:#}");
    assert!(!db.exists("public.folders"), "the target is untouched");

    let broken = project.path().join("alembic/versions/e5a1c7b3f962_pipeline_templates.py");
    let text = std::fs::read_to_string(&broken).unwrap();
    std::fs::write(
        &broken,
        text.replace("def upgrade():\n", "def upgrade():\n    raise RuntimeError(\"no templates here\")\n"),
    )
    .unwrap();
    let run = check();
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("no templates here"), "{run:?}");
}
