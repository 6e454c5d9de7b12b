//! Other tools' folders and histories (Prisma, Diesel): read in their own layouts, their
//! history tables written as the tools write them, so the tools agree afterwards.

use crate::support::{TestDb, plumb};

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn a_prisma_folder_is_applied_with_prisma_s_history_and_its_failed_rows_are_seen() {
    let init = "-- CreateTable\nBEGIN;\nCREATE TABLE \"User\" (id text PRIMARY KEY);\nCOMMIT;\n";
    let dir = folder(&[
        ("20230101000000_init/migration.sql", init),
        ("20230102000000_email/migration.sql", "ALTER TABLE \"User\" ADD COLUMN email text;\n"),
        ("migration_lock.toml", "provider = \"postgresql\"\n"),
    ]);
    let db = TestDb::new();
    let dir_arg = dir.path().to_str().unwrap();
    let run = plumb(&db.url(), &["apply", "--dir", dir_arg]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!db.exists("plumb.migrations"), "Prisma's history, not plumb's");
    // As `prisma migrate deploy` leaves them: finished rows, the file's SHA-256.
    let rows = db.query(
        "SELECT migration_name, finished_at IS NOT NULL, applied_steps_count::text,
                checksum = encode(sha256(convert_to($$-- CreateTable\nBEGIN;\nCREATE TABLE \"User\" (id text PRIMARY KEY);\nCOMMIT;\n$$, 'UTF8')), 'hex')
           FROM _prisma_migrations ORDER BY migration_name",
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][0].as_deref(), Some("20230101000000_init"));
    assert_eq!(rows[0][1].as_deref(), Some("t"));
    assert_eq!(rows[0][2].as_deref(), Some("1"));
    assert_eq!(rows[0][3].as_deref(), Some("t"), "the checksum Prisma computes");
    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Prisma migrations (2); history in _prisma_migrations"), "{run:?}");
    // A later migration that failed (Prisma's P3009): plumb says so, and `apply` does not pretend.
    std::fs::create_dir_all(dir.path().join("20230103000000_broken")).unwrap();
    std::fs::write(dir.path().join("20230103000000_broken/migration.sql"), "ALTER TABLE nope ADD COLUMN x int;\n")
        .unwrap();
    db.query(
        "INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at, applied_steps_count)
         VALUES ('x', 'y', '20230103000000_broken', 'relation \"nope\" does not exist', now(), 0)",
    );
    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["migrations"][2]["state"], "failed", "{json:#}");
    // A rolled-back attempt does not count: the migration is pending again.
    db.query("UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20230103000000_broken'");
    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["migrations"][2]["state"], "pending", "{json:#}");
}

#[test]
fn a_diesel_folder_is_applied_in_diesel_s_order_with_its_history() {
    let dir = folder(&[
        ("00000000000000_diesel_initial_setup/up.sql", "CREATE TABLE setup (id int);"),
        ("2017-10-08-193512_index/up.sql", "CREATE INDEX CONCURRENTLY setup_id ON setup (id);"),
        ("2017-10-08-193512_index/down.sql", "DROP INDEX setup_id;"),
        ("2017-10-08-193512_index/metadata.toml", "run_in_transaction = false\n"),
        ("README.md", "not a migration"),
    ]);
    let db = TestDb::new();
    let run = plumb(&db.url(), &["apply", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    let versions = db.query("SELECT version FROM __diesel_schema_migrations ORDER BY version");
    let versions: Vec<&str> = versions.iter().map(|r| r[0].as_deref().unwrap()).collect();
    assert_eq!(versions, ["00000000000000", "20171008193512"]);
    assert!(db.exists("public.setup_id"));
}

#[test]
fn a_folder_that_mixes_layouts_is_refused_naming_them() {
    let dir = folder(&[("1_a/up.sql", "SELECT 1;"), ("2_b.sql", "SELECT 2;")]);
    let db = TestDb::new();
    let run = plumb(&db.url(), &["status", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("mixes layouts"), "{run:?}");
}

/// golang-migrate's "dirty database version": migration 3 failed part-way. plumb reads the
/// one-row history, finds 3 partial from the catalog, and repairs it to 3, clean.
#[test]
fn a_dirty_golang_migrate_database_is_diagnosed_from_the_catalog_and_left_clean() {
    let dir = folder(&[
        ("1_users.up.sql", "CREATE TABLE users (id int PRIMARY KEY);"),
        ("1_users.down.sql", "DROP TABLE users;"),
        ("2_posts.up.sql", "CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users);"),
        (
            "3_tags.up.sql",
            "CREATE TABLE tags (id int PRIMARY KEY);\nCREATE TABLE post_tags (post_id int REFERENCES posts, tag_id int REFERENCES tags);\n",
        ),
    ]);
    let db = TestDb::new();
    let dir_arg = dir.path().to_str().unwrap();
    let run = plumb(&db.url(), &["apply", "--dir", dir_arg, "--to", "2"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        db.query("SELECT version::text, dirty::text FROM schema_migrations"),
        [[Some("2".into()), Some("false".into())]]
    );
    // What `migrate up` leaves when 3 fails after its first statement.
    db.query("CREATE TABLE tags (id int PRIMARY KEY); UPDATE schema_migrations SET version = 3, dirty = true");
    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["migrations"][1]["state"], "applied", "2 counts as applied: 3 is the newest");
    assert_eq!(json["migrations"][2]["state"], "failed", "{json:#}");

    let shadow = crate::support::cluster().url("postgres");
    let run = plumb(&db.url(), &["verify", "--dir", dir_arg, "--shadow-url", &shadow, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["migrations"][2]["status"], "partial", "{json:#}");
    let run = plumb(&db.url(), &["repair", "--dir", dir_arg, "--shadow-url", &shadow, "--execute", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        db.query("SELECT version::text, dirty::text FROM schema_migrations"),
        [[Some("3".into()), Some("false".into())]]
    );
    assert!(db.exists("public.post_tags"));
    let run = plumb(&db.url(), &["verify", "--dir", dir_arg, "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// dbmate: only the `-- migrate:up` section runs (the down section dropped the table when it
/// was read as SQL), `transaction:false` is understood, and the history is dbmate's.
#[test]
fn a_dbmate_folder_runs_its_up_sections_only_with_dbmate_s_history() {
    let dir = folder(&[
        (
            "20240101000000_users.sql",
            "-- migrate:up\ncreate table users (id int primary key);\n\n-- migrate:down\ndrop table users;\n",
        ),
        (
            "20240102000000_users_index.sql",
            "-- migrate:up transaction:false\ncreate index concurrently users_id on users (id);\n\n-- migrate:down\ndrop index users_id;\n",
        ),
    ]);
    let db = TestDb::new();
    let dir_arg = dir.path().to_str().unwrap();
    let run = plumb(&db.url(), &["apply", "--dir", dir_arg]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(db.exists("public.users"), "the down section did not run");
    assert!(db.exists("public.users_id"));
    let versions = db.query("SELECT version FROM schema_migrations ORDER BY version");
    assert_eq!(versions, [[Some("20240101000000".into())], [Some("20240102000000".into())]]);
    let shadow = crate::support::cluster().url("postgres");
    let run = plumb(&db.url(), &["verify", "--dir", dir_arg, "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("dbmate migrations (2); history in schema_migrations (dbmate)"), "{run:?}");
    // A file of the folder without its up marker is an error naming it.
    std::fs::write(dir.path().join("20240103000000_x.sql"), "create table x (id int);\n").unwrap();
    let run = plumb(&db.url(), &["status", "--dir", dir_arg]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("20240103000000_x.sql") && run.stderr.contains("-- migrate:up"), "{run:?}");
}

/// goose: the `-- +goose Up` section, `NO TRANSACTION`, and `goose_db_version` as goose keeps
/// it (its own version 0 row first; versions as integers).
#[test]
fn a_goose_folder_runs_its_up_sections_with_goose_s_history() {
    let dir = folder(&[
        (
            "00001_users.sql",
            "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE users (id int PRIMARY KEY);\n-- +goose StatementEnd\n\n-- +goose Down\nDROP TABLE users;\n",
        ),
        (
            "00002_users_index.sql",
            "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY users_id ON users (id);\n\n-- +goose Down\nDROP INDEX users_id;\n",
        ),
    ]);
    let db = TestDb::new();
    let dir_arg = dir.path().to_str().unwrap();
    let run = plumb(&db.url(), &["apply", "--dir", dir_arg]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(db.exists("public.users") && db.exists("public.users_id"));
    let rows = db.query("SELECT version_id::text, is_applied::text FROM goose_db_version ORDER BY id");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0][0].as_deref(), Some("0"));
    assert_eq!(rows[2][0].as_deref(), Some("2"));
    let shadow = crate::support::cluster().url("postgres");
    let run = plumb(&db.url(), &["verify", "--dir", dir_arg, "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// sqlx: `_sqlx_migrations` with its SHA-384 checksum; an edited file shows as modified.
#[test]
fn an_sqlx_history_is_read_with_its_sha384_checksums() {
    let sql = "CREATE TABLE users (id int PRIMARY KEY);\n";
    let dir = folder(&[("20240101000000_create_users.sql", sql)]);
    let db = TestDb::new();
    db.query(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
           installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL,
           execution_time BIGINT NOT NULL);
         CREATE TABLE users (id int PRIMARY KEY);",
    );
    db.query(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (20240101000000, 'create users', true, sha384(convert_to($${sql}$$, 'UTF8')), 1)"
    ));
    let dir_arg = dir.path().to_str().unwrap();
    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("history in _sqlx_migrations (sqlx)"), "{run:?}");
    std::fs::write(dir.path().join("20240101000000_create_users.sql"), "CREATE TABLE users (id bigint PRIMARY KEY);\n")
        .unwrap();
    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["migrations"][0]["state"], "modified", "{json:#}");
}

/// Drizzle Kit: the journal's order and `when`, `drizzle.__drizzle_migrations` as Drizzle's
/// migrator writes it (the file's SHA-256 as hash, `when` as created_at).
#[test]
fn a_drizzle_folder_is_applied_with_drizzle_s_journal_and_history() {
    let first = "CREATE TABLE \"users\" (\n\t\"id\" serial PRIMARY KEY NOT NULL\n);\n--> statement-breakpoint\nCREATE INDEX \"users_id\" ON \"users\" (\"id\");";
    let journal = r#"{"version":"7","dialect":"postgresql","entries":[
        {"idx":0,"version":"7","when":1700000000000,"tag":"0000_brave_users","breakpoints":true},
        {"idx":1,"version":"7","when":1700000001000,"tag":"0001_quiet_posts","breakpoints":true}]}"#;
    let dir = folder(&[
        ("0000_brave_users.sql", first),
        ("0001_quiet_posts.sql", "CREATE TABLE \"posts\" (\"id\" serial PRIMARY KEY NOT NULL);"),
        ("meta/_journal.json", journal),
        ("meta/0000_snapshot.json", "{}"),
    ]);
    let db = TestDb::new();
    let dir_arg = dir.path().to_str().unwrap();
    let run = plumb(&db.url(), &["apply", "--dir", dir_arg]);
    assert_eq!(run.code, 0, "{run:?}");
    let rows = db.query(&format!(
        "SELECT created_at::text, hash = encode(sha256(convert_to($${first}$$, 'UTF8')), 'hex')
           FROM drizzle.__drizzle_migrations ORDER BY created_at"
    ));
    assert_eq!(
        rows,
        [[Some("1700000000000".into()), Some("t".into())], [Some("1700000001000".into()), Some("f".into())]]
    );
    let shadow = crate::support::cluster().url("postgres");
    let run = plumb(&db.url(), &["verify", "--dir", dir_arg, "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Drizzle migrations (2); history in drizzle.__drizzle_migrations"), "{run:?}");
    // A journal entry without its file is an error naming it.
    std::fs::remove_file(dir.path().join("0001_quiet_posts.sql")).unwrap();
    let run = plumb(&db.url(), &["status", "--dir", dir_arg]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("0001_quiet_posts"), "{run:?}");
}

/// `--tool` names the tool when the folder's shape cannot (sqlx looks like plumb), and picks
/// the history when a database keeps several; without it plumb names them, never guesses.
#[test]
fn tool_names_the_tool_and_several_histories_are_named_not_guessed() {
    let sql = "CREATE TABLE users (id int PRIMARY KEY);\n";
    let dir = folder(&[("20240101000000_create_users.sql", sql)]);
    let dir_arg = dir.path().to_str().unwrap();
    let db = TestDb::new();
    let run = plumb(&db.url(), &["apply", "--dir", dir_arg, "--tool", "sqlx"]);
    assert_eq!(run.code, 0, "{run:?}");
    let rows = db.query(&format!(
        "SELECT description, success::text, checksum = sha384(convert_to($${sql}$$, 'UTF8'))
           FROM _sqlx_migrations WHERE version = 20240101000000"
    ));
    assert_eq!(rows, [[Some("create users".into()), Some("true".into()), Some("t".into())]]);
    assert!(!db.exists("plumb.migrations"));

    // A second tool's history appears: plumb will not guess which one is the truth.
    db.query("CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY, run_on timestamp NOT NULL DEFAULT now())");
    let run = plumb(&db.url(), &["status", "--dir", dir_arg]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("_sqlx_migrations") && run.stderr.contains("__diesel_schema_migrations"), "{run:?}");
    assert!(run.stderr.contains("--tool"), "{run:?}");
    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--tool", "sqlx"]);
    assert_eq!(run.code, 0, "{run:?}");

    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--tool", "liquibase"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("plumb knows plumb, supabase, prisma"), "{run:?}");
}

/// Flyway cannot run here (a JVM tool outside the registries): its history is built exactly as
/// flyway-core writes it. Dotted versions in Flyway's order, the CRC-32 Flyway computes, a file
/// with `CREATE INDEX CONCURRENTLY` run outside a transaction as Flyway does, repeatables named
/// rather than silently skipped; a phantom migration repaired with Flyway's history kept.
#[test]
fn a_flyway_folder_is_applied_in_flyway_s_order_with_its_checksums_and_repaired() {
    let dir = folder(&[
        // Its CRC-32 computed by java.util.zip.CRC32 over readLine() lines: 1369135094.
        ("V1__create_person.sql", "CREATE TABLE person (id int);\nINSERT INTO person VALUES (1);\n"),
        ("V1_10__later.sql", "ALTER TABLE person ADD COLUMN nickname text;\n"),
        ("V1_2__email.sql", "ALTER TABLE person ADD COLUMN email text;\n"),
        ("sub/V2__index.sql", "CREATE INDEX CONCURRENTLY person_email ON person (email);\n"),
        ("U2__index.sql", "DROP INDEX person_email;\n"),
        ("R__person_view.sql", "CREATE OR REPLACE VIEW person_names AS SELECT id FROM person;\n"),
    ]);
    let db = TestDb::new();
    let dir_arg = dir.path().to_str().unwrap();
    let run = plumb(&db.url(), &["apply", "--dir", dir_arg]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!db.exists("plumb.migrations"), "Flyway's history, not plumb's");
    let rows = db.query(
        "SELECT installed_rank::text, version, description, type, script, checksum::text, success::text
           FROM flyway_schema_history ORDER BY installed_rank",
    );
    let text = |r: &[Option<String>]| r.iter().map(|c| c.clone().unwrap_or_default()).collect::<Vec<_>>().join("|");
    let rows: Vec<String> = rows.iter().map(|r| text(r)).collect();
    assert_eq!(rows[0], "1|1|create person|SQL|V1__create_person.sql|1369135094|true", "{rows:#?}");
    assert!(rows[1].starts_with("2|1.2|email|SQL|V1_2__email.sql|"), "{rows:#?}");
    assert!(rows[2].starts_with("3|1.10|later|"), "1.10 after 1.2: {rows:#?}");
    assert!(rows[3].starts_with("4|2|index|"), "{rows:#?}");
    assert_eq!(rows.len(), 4, "no row for the undo file or the repeatable: {rows:#?}");
    assert!(db.exists("public.person_email"));

    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Flyway migrations (4); history in flyway_schema_history"), "{run:?}");
    assert!(run.stderr.contains("R__person_view.sql"), "the repeatable is named: {run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["source"]["tool"], "Flyway", "{json:#}");
    // An edit after it ran changes the CRC-32; line ends alone do not (Flyway ignores them).
    std::fs::write(dir.path().join("V1_2__email.sql"), "ALTER TABLE person ADD COLUMN email text;\r\n").unwrap();
    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--json"]);
    assert_eq!(run.code, 0, "CRLF keeps Flyway's checksum: {run:?}");
    std::fs::write(dir.path().join("V1_2__email.sql"), "ALTER TABLE person ADD COLUMN email varchar;\n").unwrap();
    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["migrations"][1]["state"], "modified", "{json:#}");
    std::fs::write(dir.path().join("V1_2__email.sql"), "ALTER TABLE person ADD COLUMN email text;\n").unwrap();

    // A phantom: 1.10 recorded, its column gone. Repair puts the column back, history kept.
    db.query("ALTER TABLE person DROP COLUMN nickname");
    let shadow = crate::support::cluster().url("postgres");
    let run = plumb(&db.url(), &["verify", "--dir", dir_arg, "--shadow-url", &shadow, "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["migrations"][2]["status"], "phantom", "{json:#}");
    let run = plumb(&db.url(), &["repair", "--dir", dir_arg, "--shadow-url", &shadow, "--execute", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = plumb(&db.url(), &["verify", "--dir", dir_arg, "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{run:?}");
    let versions = db.query("SELECT version FROM flyway_schema_history WHERE success ORDER BY version");
    assert_eq!(versions.len(), 4, "{versions:?}");
}

/// A Flyway history that says `BASELINE` at 1.2 stands for every file up to it; a failed row
/// (what a non-transactional migration leaves) is failed.
#[test]
fn flyway_baseline_and_failed_rows_are_read_as_flyway_reads_them() {
    let dir = folder(&[
        ("V1__a.sql", "CREATE TABLE a (id int);\n"),
        ("V1_2__b.sql", "CREATE TABLE b (id int);\n"),
        ("V2__c.sql", "CREATE TABLE c (id int);\n"),
    ]);
    let db = TestDb::new();
    db.query(
        "CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL,
            type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int, installed_by varchar(100) NOT NULL,
            installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL);
         INSERT INTO flyway_schema_history VALUES
            (1, '1.2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'me', now(), 0, true),
            (2, '2', 'c', 'SQL', 'V2__c.sql', 1, 'me', now(), 0, false);
         CREATE TABLE a (id int); CREATE TABLE b (id int);",
    );
    let run = plumb(&db.url(), &["status", "--dir", dir.path().to_str().unwrap(), "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let states: Vec<&str> =
        json["migrations"].as_array().unwrap().iter().map(|m| m["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["applied", "applied", "failed"], "{json:#}");
}

/// Atlas cannot run here (its binary is outside the registries): its revisions table is built
/// exactly as Atlas writes it. `atlas.sum` is checked as Atlas checks it, the hash Atlas
/// records is written, and a file Atlas stopped part-way through is resumed where it stopped.
#[test]
fn an_atlas_folder_is_checked_against_atlas_sum_applied_and_its_partial_file_resumed() {
    let files = [
        ("20240101000000_init.sql", "CREATE TABLE users (id int PRIMARY KEY);\n"),
        (
            "20240102000000_posts.sql",
            "-- atlas:txmode none\n\nCREATE TABLE posts (id int PRIMARY KEY);\nCREATE INDEX posts_id ON posts (id);\n",
        ),
    ];
    let hashes = plumb_migrate::atlas_hashes(files.iter().map(|(n, t)| (*n, t.as_bytes())));
    let sum = plumb_migrate::atlas_sum(files.iter().map(|(n, _)| *n).zip(hashes.iter().map(String::as_str)));
    let mut sum_file = format!("h1:{sum}\n");
    for ((name, _), hash) in files.iter().zip(&hashes) {
        sum_file.push_str(&format!("{name} h1:{hash}\n"));
    }
    let dir = folder(&[files[0], files[1], ("atlas.sum", &sum_file)]);
    let dir_arg = dir.path().to_str().unwrap();
    let db = TestDb::new();
    let run = plumb(&db.url(), &["apply", "--dir", dir_arg]);
    assert_eq!(run.code, 0, "{run:?}");
    let rows = db.query(
        "SELECT version, description, type::text, applied::text, total::text, hash
           FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY version",
    );
    assert_eq!(rows[1][0].as_deref(), Some("20240102000000"));
    assert_eq!(rows[1][1].as_deref(), Some("posts"));
    assert_eq!(
        (rows[1][2].as_deref(), rows[1][3].as_deref(), rows[1][4].as_deref()),
        (Some("2"), Some("2"), Some("2"))
    );
    assert_eq!(rows[1][5].as_deref(), Some(hashes[1].as_str()), "the hash atlas.sum holds");

    // What `atlas migrate apply` leaves when the second statement of a file it runs outside a
    // transaction (`txmode none`) fails.
    db.query(
        "DROP INDEX posts_id;
         UPDATE atlas_schema_revisions.atlas_schema_revisions SET applied = 1, error = 'boom', error_stmt = 'CREATE INDEX'
          WHERE version = '20240102000000'",
    );
    let run = plumb(&db.url(), &["status", "--dir", dir_arg, "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["migrations"][1]["state"], "failed", "{json:#}");
    assert_eq!(json["migrations"][1]["statements_done"], 1, "{json:#}");
    let shadow = crate::support::cluster().url("postgres");
    let run = plumb(&db.url(), &["verify", "--dir", dir_arg, "--shadow-url", &shadow, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["migrations"][1]["status"], "failed", "{json:#}");
    // As `atlas migrate apply` does: resume from the first statement not applied.
    let run = plumb(&db.url(), &["apply", "--dir", dir_arg]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(db.exists("public.posts_id"));
    let row = db.query(
        "SELECT applied::text, total::text, error IS NULL FROM atlas_schema_revisions.atlas_schema_revisions
          WHERE version = '20240102000000'",
    );
    assert_eq!(row, [[Some("2".into()), Some("2".into()), Some("t".into())]]);
    let run = plumb(&db.url(), &["verify", "--dir", dir_arg, "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{run:?}");

    // A file edited without `atlas migrate hash`: refused, as Atlas refuses it.
    std::fs::write(dir.path().join("20240101000000_init.sql"), "CREATE TABLE users (id bigint PRIMARY KEY);\n")
        .unwrap();
    let run = plumb(&db.url(), &["status", "--dir", dir_arg]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("atlas.sum does not match") && run.stderr.contains("atlas migrate hash"), "{run:?}");
}

/// An Alembic project without a Python that has Alembic: `status` still reads the graph (no
/// Python needed), `verify` stops with what to install (exit 2), and nothing is written.
#[test]
fn alembic_without_its_python_says_what_to_install_and_writes_nothing() {
    let dir = folder(&[
        ("alembic.ini", "[alembic]\nscript_location = %(here)s/alembic\n"),
        ("alembic/env.py", ""),
        ("alembic/versions/a1_first.py", "revision = 'a1'\ndown_revision = None\n"),
        ("alembic/versions/b2_second.py", "revision: str = 'b2'\ndown_revision: str | None = 'a1'\n"),
    ]);
    let db = TestDb::new();
    let dir_arg = dir.path().to_str().unwrap();
    let plumb = |args: &[&str]| {
        crate::support::run_tool(
            crate::support::plumb_command(args)
                .env("DATABASE_URL", db.url())
                .env("PLUMB_PYTHON", "/nonexistent/python3"),
        )
    };
    let run = plumb(&["status", "--dir", dir_arg, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert_eq!(json["migrations"][1]["name"], "b2_second", "{json:#}");
    assert_eq!(json["summary"]["pending"], 2, "{json:#}");
    let shadow = crate::support::cluster().url("postgres");
    for command in ["verify", "repair"] {
        let run = plumb(&[command, "--dir", dir_arg, "--shadow-url", &shadow]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("cannot start /nonexistent/python3"), "{run:?}");
        assert!(run.stderr.contains("pip install alembic"), "{run:?}");
    }
    let run = plumb(&["apply", "--dir", dir_arg]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("revision a1"), "names the revision: {run:?}");
    assert!(!db.exists("public.alembic_version"), "nothing written");
    // A relative --dir, from the project's parent folder: the same project.
    let out = crate::support::plumb_command(&[
        "status",
        "--dir",
        dir.path().file_name().unwrap().to_str().unwrap(),
        "--json",
    ])
    .current_dir(dir.path().parent().unwrap())
    .env("DATABASE_URL", db.url())
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}
