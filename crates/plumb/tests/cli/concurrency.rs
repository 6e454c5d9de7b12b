//! Concurrent `plumb apply` runs on one database.

use std::process::Stdio;

use crate::support::{Migrations, TestDb, plumb_command};

#[test]
fn eight_concurrent_applies_apply_each_migration_exactly_once() {
    let db = TestDb::new();
    let mut files = vec![("001_log.sql".to_owned(), "CREATE TABLE applied_log (version text NOT NULL);\n".to_owned())];
    for v in 2..=6 {
        files.push((
            format!("{v:03}_step.sql"),
            format!(
                "INSERT INTO applied_log VALUES ('{v:03}');\nSELECT pg_sleep(0.05);\nCREATE TABLE step_{v} (id int);\n"
            ),
        ));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = Migrations::new(&files);
    let children: Vec<_> = (0..8)
        .map(|_| {
            plumb_command(&["apply", "--dir", dir.path().to_str().unwrap(), "--json"])
                .env("DATABASE_URL", db.url())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut applied_total = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        applied_total += json["applied"].as_array().unwrap().len();
    }
    assert_eq!(applied_total, 6, "each migration applied by exactly one run");
    assert_eq!(
        db.value("SELECT string_agg(version, ',' ORDER BY version) FROM applied_log").as_deref(),
        Some("002,003,004,005,006")
    );
    assert_eq!(db.history().len(), 6);
}

#[test]
fn a_second_apply_gives_up_after_lock_wait_naming_the_holder() {
    let db = TestDb::new();
    let dir = Migrations::new(&[("1_a.sql", "CREATE TABLE a (id int);")]);
    let holder = crate::support::Paused::apply_until(&db, dir.path(), "before:1").unwrap();
    let run = crate::support::apply(&db, dir.path(), &["--lock-wait", "300ms"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("another migration run holds the lock"), "{run:?}");
    assert!(run.stderr.contains("application \"plumb\""), "{run:?}");
    let (code, _) = holder.resume();
    assert_eq!(code, 0);
    assert!(db.exists("public.a"));
}
