//! Secrets and scripts (issue 15): an identifier is never a secret, and a script plumb prints
//! is exact or not printed.

use crate::support::{Migrations, TestDb, binaries, plumb, plumb_command};

/// `password_resets` (Laravel's default) corrupted `inspect --sql`: the mask swallowed text
/// from one table's sequence default to the next one's.
#[test]
fn a_table_named_like_a_secret_prints_a_schema_that_runs() {
    let db = TestDb::new();
    db.query(
        "CREATE TABLE password_resets (id serial PRIMARY KEY, token text);
         CREATE TABLE people (id serial PRIMARY KEY, secret_key text, api_key text);
         COMMENT ON COLUMN people.secret_key IS 'the secret key, hashed';",
    );
    let run = plumb(&db.url(), &["inspect", "--sql"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("nextval('public.password_resets_id_seq'::regclass)"), "{}", run.stdout);
    assert!(run.stdout.contains("nextval('public.people_id_seq'::regclass)"), "{}", run.stdout);
    assert!(!run.stdout.contains("********"), "{}", run.stdout);
    // The printed schema runs, and builds the same schema.
    let copy = TestDb::new();
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(script.path(), &run.stdout).unwrap();
    let psql = std::process::Command::new(binaries().program("psql"))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(script.path())
        .arg(copy.url())
        .output()
        .unwrap();
    assert!(psql.status.success(), "{}", String::from_utf8_lossy(&psql.stderr));
    let inspect = |db: &TestDb| plumb(&db.url(), &["inspect", "--json"]).stdout.replace(&db.name, "db");
    assert_eq!(inspect(&copy), inspect(&db));
}

/// A migration that sets a password: `apply --dry-run` does not print it masked (the script
/// would set another password); `--output FILE` writes it exact, owner-only.
#[test]
fn a_script_with_a_secret_is_written_exact_or_not_at_all() {
    let dir = Migrations::new(&[
        ("001_users.sql", "CREATE TABLE users (id int);\n"),
        (
            "002_role.sql",
            "DO $$ BEGIN CREATE ROLE reporting LOGIN PASSWORD 'hunter2-reporting'; EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n",
        ),
    ]);
    let db = TestDb::new();
    let dir_arg = dir.path().to_str().unwrap();
    let run = plumb(&db.url(), &["apply", "--dir", dir_arg, "--dry-run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("secret-looking value (line"), "{run:?}");
    assert!(run.stderr.contains("--output FILE"), "{run:?}");
    assert!(!run.all_output().contains("hunter2-reporting"), "{run:?}");

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("plan.sql");
    let run = plumb(&db.url(), &["apply", "--dir", dir_arg, "--dry-run", "--output", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    let script = std::fs::read_to_string(&file).unwrap();
    assert!(script.contains("PASSWORD 'hunter2-reporting'"), "{script}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // A script without secrets still prints on stdout, as it is.
    let plain = Migrations::new(&[("001_users.sql", "CREATE TABLE users (id int);\n")]);
    let run = plumb(&db.url(), &["apply", "--dir", plain.path().to_str().unwrap(), "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("CREATE TABLE users (id int);"), "{run:?}");
}

/// The replay cache holds definitions from the migration files: owner-only.
#[cfg(unix)]
#[test]
fn the_replay_cache_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Migrations::new(&[("001_users.sql", "CREATE TABLE users (id int);\n")]);
    let db = TestDb::new();
    let work = tempfile::tempdir().unwrap();
    let shadow = crate::support::cluster().url("postgres");
    let out = plumb_command(&["verify", "--dir", dir.path().to_str().unwrap(), "--shadow-url", &shadow])
        .current_dir(work.path())
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    assert!(out.status.code() == Some(0) || out.status.code() == Some(1), "{out:?}");
    let cache = work.path().join(".plumb/cache");
    assert_eq!(std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777, 0o700);
    for entry in std::fs::read_dir(&cache).unwrap() {
        let mode = entry.unwrap().metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
