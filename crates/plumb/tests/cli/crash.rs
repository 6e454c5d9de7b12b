//! Crashes at every boundary: `kill -9` of plumb, and the server terminating
//! plumb's backend. Afterwards history and schema agree, and the next apply
//! finishes the job.

use crate::support::{Migrations, Paused, TestDb, apply};

/// Each statement creates one relation, so the schema says exactly how far a run got.
fn migrations() -> Migrations {
    Migrations::new(&[
        ("001_tx.sql", "CREATE TABLE t1 (id int);\nCREATE TABLE t1b (id int);\n"),
        (
            "002_no_tx.sql",
            "-- plumb:no-transaction\nCREATE TABLE n1 (id int);\nCREATE INDEX CONCURRENTLY n1_idx ON n1 (id);\nCREATE TABLE n2 (id int);\n",
        ),
        ("003_tx.sql", "CREATE TABLE t3 (id int);\n"),
    ])
}

/// The relations each statement creates, per migration.
const OBJECTS: [(&str, &[&str]); 3] = [("001", &["t1", "t1b"]), ("002", &["n1", "n1_idx", "n2"]), ("003", &["t3"])];

/// The failpoints of a full run, in order.
const BOUNDARIES: [&str; 10] = [
    "before:001",
    "before-commit:001",
    "before:002",
    "before-statement:002:1",
    "before-statement:002:2",
    "after-statement:002:2",
    "before-statement:002:3",
    "before-commit:002",
    "before:003",
    "before-commit:003",
];

/// History and schema agree: a recorded migration's statements are present,
/// an unrecorded one's absent. A no-transaction migration is present up to its
/// statements_done; only a statement that cannot run in a transaction (the
/// concurrent index) may be one ahead, and the next apply accounts for it.
fn assert_agree(db: &TestDb, context: &str) {
    let history = db.history();
    for (version, objects) in OBJECTS {
        let row = history.iter().find(|(v, _, _)| v == version);
        let done = match row {
            None => 0,
            Some((_, status, _)) if status == "applied" => objects.len(),
            Some((_, _, done)) => *done as usize,
        };
        for (i, object) in objects.iter().enumerate() {
            let present = db.exists(&format!("public.{object}"));
            if i < done {
                assert!(present, "{context}: {version} records {done} statement(s) done but {object} is missing");
            } else if present {
                let one_ahead_concurrent = i == done && *object == "n1_idx";
                assert!(one_ahead_concurrent, "{context}: {object} exists but {version} records only {done} done");
            }
        }
    }
}

fn assert_finished(db: &TestDb, context: &str) {
    let history = db.history();
    let expected: Vec<(String, String, i64)> = vec![
        ("001".into(), "applied".into(), 2),
        ("002".into(), "applied".into(), 3),
        ("003".into(), "applied".into(), 1),
    ];
    assert_eq!(history, expected, "{context}");
    for (_, objects) in OBJECTS {
        for object in objects {
            assert!(db.exists(&format!("public.{object}")), "{context}: {object} missing after resume");
        }
    }
    assert_eq!(
        db.value("SELECT bool_and(indisvalid) FROM pg_index WHERE indrelid = 'n1'::regclass").as_deref(),
        Some("t")
    );
}

#[test]
fn kill_dash_nine_at_every_statement_boundary() {
    let dir = migrations();
    let mut reached = 0;
    for failpoint in BOUNDARIES {
        let db = TestDb::new();
        let paused = Paused::apply_until(&db, dir.path(), failpoint)
            .unwrap_or_else(|| panic!("plumb never reached {failpoint}"));
        paused.kill();
        reached += 1;
        assert_agree(&db, &format!("after kill -9 at {failpoint}"));
        let run = apply(&db, dir.path(), &[]);
        assert_eq!(run.code, 0, "apply after kill at {failpoint}: {run:?}");
        assert_finished(&db, &format!("after kill -9 at {failpoint} and a new apply"));
    }
    assert_eq!(reached, BOUNDARIES.len());
}

#[test]
fn a_crash_inside_a_concurrent_index_build_leaves_an_invalid_index_that_is_rebuilt() {
    let db = TestDb::new();
    let dir = migrations();
    // Simulate what a crash mid-build leaves: the history at statement 1 done, the index invalid.
    let paused = Paused::apply_until(&db, dir.path(), "before-statement:002:2").unwrap();
    paused.kill();
    db.query(
        "CREATE INDEX n1_idx ON n1 (id); UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'n1_idx'::regclass",
    );
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("left invalid"), "says it rebuilds: {run:?}");
    assert_finished(&db, "after rebuilding the invalid index");
}

#[test]
fn the_server_terminating_plumbs_backend_mid_migration() {
    let dir = migrations();
    for failpoint in ["before-commit:001", "before-statement:002:3", "after-statement:002:2", "before-commit:003"] {
        let db = TestDb::new();
        let paused = Paused::apply_until(&db, dir.path(), failpoint).unwrap();
        let terminated = db.value(&format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{}' AND application_name = 'plumb' AND pid <> pg_backend_pid()",
            db.name
        ));
        assert_eq!(terminated.as_deref(), Some("1"), "{failpoint}");
        let (code, stderr) = paused.resume();
        assert_eq!(code, 2, "{failpoint}: {stderr}");
        assert!(stderr.contains("terminat") || stderr.contains("connection"), "{failpoint}: {stderr}");
        // Said as what it is: a lost connection, and to run again; not a place in the file to fix.
        if stderr.contains("57P01") {
            assert!(stderr.contains("the connection was lost") && stderr.contains("plumb apply"), "{stderr}");
            assert!(!stderr.contains("fix it"), "{failpoint}: {stderr}");
        }
        assert_agree(&db, &format!("after pg_terminate_backend at {failpoint}"));
        let run = apply(&db, dir.path(), &[]);
        assert_eq!(run.code, 0, "{failpoint}: {run:?}");
        assert_finished(&db, &format!("after pg_terminate_backend at {failpoint} and a new apply"));
    }
}

#[test]
fn a_failed_no_transaction_migration_is_recorded_and_resumed() {
    let db = TestDb::new();
    let dir = Migrations::new(&[(
        "1_nt.sql",
        "-- plumb:no-transaction\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1), (1);\nCREATE UNIQUE INDEX CONCURRENTLY a_id ON a (id);\nCREATE TABLE b (id int);\n",
    )]);
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("1_nt.sql:4:1"), "{run:?}");
    assert!(run.stderr.contains("23505"), "{run:?}");
    assert_eq!(db.history(), [("1".to_owned(), "failed".to_owned(), 2)]);
    assert_eq!(db.value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id'::regclass").as_deref(), Some("f"));
    let status = crate::support::plumb(&db.url(), &["status", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(status.code, 1);
    assert!(status.stdout.contains("failed (2/4 statements)"), "{status:?}");

    db.query("DELETE FROM a WHERE ctid = (SELECT max(ctid) FROM a)");
    let run = apply(&db, dir.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(db.history(), [("1".to_owned(), "applied".to_owned(), 4)]);
    assert_eq!(db.value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id'::regclass").as_deref(), Some("t"));
    assert_eq!(db.value("SELECT count(*) FROM a").as_deref(), Some("1"), "statements before the failure ran once");
}
