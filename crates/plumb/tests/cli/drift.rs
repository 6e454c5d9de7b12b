//! The drift engine on real servers: a reference set of 30 migrations using every
//! object kind, and the incidents rebuilt on it. Each scenario asserts every
//! migration's status exactly.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{Migrations, TestDb, apply, corpus, plumb};

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/reference");

/// Created and later dropped (004, 028): nothing of them survives, so the catalog cannot
/// tell; they are applied by order. The drops (018, 029) are verified: what they dropped
/// existed before them, and the schema is past them.
const UNVERIFIABLE: [&str; 2] = ["004", "028"];

fn run_json(db: &TestDb, command: &str, dir: &Path) -> (i32, serde_json::Value) {
    let run = plumb(&db.url(), &[command, "--dir", dir.to_str().unwrap(), "--json"]);
    assert!(run.code == 0 || run.code == 1, "{command} failed: {run:?}");
    (run.code, serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout)))
}

fn statuses(json: &serde_json::Value) -> BTreeMap<String, String> {
    json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["version"].as_str().unwrap().to_owned(), m["status"].as_str().unwrap().to_owned()))
        .collect()
}

/// Every migration's expected status: `verified`, except the unverifiable ones and `special`.
fn expected(special: &[(&str, &str)]) -> BTreeMap<String, String> {
    (1..=30)
        .map(|v| {
            let v = format!("{v:03}");
            let status =
                special.iter().find(|(s, _)| *s == v).map(|(_, st)| st.to_string()).unwrap_or_else(|| {
                    if UNVERIFIABLE.contains(&v.as_str()) { "unverifiable" } else { "verified" }.into()
                });
            (v, status)
        })
        .collect()
}

fn applied_reference() -> TestDb {
    let db = TestDb::new();
    let run = apply(&db, REFERENCE.as_ref(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    db
}

#[test]
fn a_faithful_database_verifies_clean() {
    let db = applied_reference();
    let (code, json) = run_json(&db, "verify", REFERENCE.as_ref());
    assert_eq!(statuses(&json), expected(&[]));
    assert_eq!(code, 0);
    assert_eq!(json["format"], 1);
    assert_eq!(json["unexplained"].as_array().unwrap().len(), 0);
    let (code, located) = run_json(&db, "locate", REFERENCE.as_ref());
    assert_eq!(code, 0, "{located}");
    assert_eq!(located["best_version"], "030");
}

#[test]
fn phantom_migrations_are_recorded_but_absent() {
    // Incident 5: history rows committed, schema changes did not.
    let db = applied_reference();
    db.query("DROP SEQUENCE invoice_numbers; COMMENT ON TABLE posts IS NULL;");
    let (code, json) = run_json(&db, "verify", REFERENCE.as_ref());
    assert_eq!(code, 1);
    assert_eq!(statuses(&json), expected(&[("022", "phantom"), ("026", "phantom")]));
}

#[test]
fn a_half_applied_migration_is_partial() {
    // Incident 1: half of a migration's statements ran in autocommit, nothing recorded.
    let db = TestDb::new();
    assert_eq!(apply(&db, REFERENCE.as_ref(), &["--to", "020"]).code, 0);
    db.query("CREATE TABLE post_tags (post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE, tag_id bigint NOT NULL REFERENCES tags (id), PRIMARY KEY (post_id, tag_id))");
    let (code, json) = run_json(&db, "verify", REFERENCE.as_ref());
    assert_eq!(code, 1);
    let mut special: Vec<(&str, &str)> = vec![("021", "partial")];
    let pending: Vec<String> = (22..=30).map(|v| format!("{v:03}")).collect();
    special.extend(pending.iter().map(|v| (v.as_str(), "pending")));
    assert_eq!(statuses(&json), expected(&special));
    let partial = &json["migrations"][20];
    assert_eq!(partial["missing"], serde_json::json!(["index public.post_tags_tag"]));
    assert_eq!(partial["recorded"], false);
}

#[test]
fn history_stamped_ahead_of_the_schema() {
    // Incident 2: history says head, the schema is at 020 (uuid keys where 027 made them varchar(36)).
    let db = TestDb::new();
    assert_eq!(apply(&db, REFERENCE.as_ref(), &["--to", "020"]).code, 0);
    let donor = applied_reference();
    let rows = donor.query("SELECT version, name, checksum FROM plumb.migrations WHERE version::int > 20");
    for r in rows {
        db.query(&format!(
            "INSERT INTO plumb.migrations (version, name, checksum, status, statements_done, plumb_version) VALUES ('{}', '{}', '{}', 'applied', 1, 'stamped')",
            r[0].as_deref().unwrap(),
            r[1].as_deref().unwrap(),
            r[2].as_deref().unwrap()
        ));
    }
    let (code, json) = run_json(&db, "verify", REFERENCE.as_ref());
    assert_eq!(code, 1);
    // 028 and 029 (created then dropped) are phantoms too: recorded, and after the frontier.
    let phantoms: Vec<String> = (21..=30).map(|v| format!("{v:03}")).collect();
    let special: Vec<(&str, &str)> = phantoms.iter().map(|v| (v.as_str(), "phantom")).collect();
    assert_eq!(statuses(&json), expected(&special));
    let drift: Vec<String> =
        json["migrations"][26]["drift"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()).collect();
    assert!(drift.contains(&"column public.users.id: expected character varying(36) not null, found uuid default gen_random_uuid() not null".to_owned()), "{drift:?}");
    assert!(
        drift.iter().any(|d| d.starts_with("column public.posts.author_id: expected character varying(36)")),
        "{drift:?}"
    );

    let (code, located) = run_json(&db, "locate", REFERENCE.as_ref());
    assert_eq!(code, 1);
    assert_eq!(located["best_version"], "020", "{located}");
    assert!(located["residual"].as_array().unwrap().is_empty(), "{located}");
    let applied: Vec<&str> = located["applied"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(applied.iter().all(|v| *v <= "020") && applied.contains(&"020"), "{applied:?}");
}

#[test]
fn applied_by_hand_is_unrecorded_and_a_hotfix_is_unexplained() {
    let db = applied_reference();
    db.query("DELETE FROM plumb.migrations WHERE version IN ('024', '025')");
    db.query("CREATE INDEX hotfix_idx ON comments (post_id); ALTER TABLE posts ADD COLUMN hotfix_col integer");
    let (code, json) = run_json(&db, "verify", REFERENCE.as_ref());
    assert_eq!(code, 1);
    assert_eq!(statuses(&json), expected(&[("024", "unrecorded"), ("025", "unrecorded")]));
    let unexplained: Vec<&str> = json["unexplained"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    assert_eq!(unexplained, ["column public.posts.hotfix_col", "index public.hotfix_idx"]);
}

#[test]
fn a_file_edited_after_it_was_applied_is_modified() {
    let dir = Migrations::new(&[]);
    for entry in std::fs::read_dir(REFERENCE).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let db = TestDb::new();
    assert_eq!(apply(&db, dir.path(), &[]).code, 0);
    dir.write(
        "013_comments_unique.sql",
        "-- reviewed\nALTER TABLE comments ADD CONSTRAINT comments_post_body UNIQUE (post_id, body);\n",
    );
    let (code, json) = run_json(&db, "verify", dir.path());
    assert_eq!(code, 1);
    assert_eq!(statuses(&json), expected(&[("013", "modified")]));
}

#[test]
fn cratesio_corpus_verifies_and_names_exactly_what_was_removed() {
    let Some(dir) = corpus("cratesio") else {
        eprintln!("NOTICE: ../shared/corpora/cratesio is absent; the crates.io drift test did not run");
        return;
    };
    let db = TestDb::new();
    assert_eq!(apply(&db, &dir, &[]).code, 0);
    let (code, json) = run_json(&db, "verify", &dir);
    let counts = statuses(&json).values().fold(BTreeMap::<String, usize>::new(), |mut m, s| {
        *m.entry(s.clone()).or_default() += 1;
        m
    });
    assert_eq!(code, 0, "{counts:?}");
    assert!(counts.keys().all(|s| s == "verified" || s == "unverifiable"), "{counts:?}");

    // Remove every surviving trace of three migrations that each created only indexes.
    let victims: Vec<(String, Vec<String>)> = json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] == "verified")
        .filter_map(|m| {
            let present: Vec<String> =
                m["present"].as_array()?.iter().map(|p| p.as_str().unwrap().to_owned()).collect();
            present
                .iter()
                .all(|p| p.starts_with("index "))
                .then(|| (m["version"].as_str().unwrap().to_owned(), present))
        })
        .take(3)
        .collect();
    assert_eq!(victims.len(), 3);
    for (_, indexes) in &victims {
        for index in indexes {
            db.query(&format!("DROP INDEX {}", index.trim_start_matches("index ")));
        }
    }
    let (code, json) = run_json(&db, "verify", &dir);
    assert_eq!(code, 1);
    let mut reported: Vec<String> = statuses(&json)
        .into_iter()
        .filter(|(_, s)| s != "verified" && s != "unverifiable")
        .map(|(v, s)| format!("{v} {s}"))
        .collect();
    reported.sort();
    let mut wanted: Vec<String> = victims.iter().map(|(v, _)| format!("{v} phantom")).collect();
    wanted.sort();
    assert_eq!(reported, wanted);
}

#[test]
fn replay_on_the_targets_own_server_leaves_nothing_behind() {
    let db = applied_reference();
    let workdir = tempfile::tempdir().unwrap();
    let out = crate::support::plumb_command(&["verify", "--dir", REFERENCE, "--shadow-on-target", "--json"])
        .current_dir(workdir.path())
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("temporary database plumb_shadow_"));
    let leftovers = db.value("SELECT count(*) FROM pg_database WHERE datname LIKE 'plumb_shadow_%'");
    assert_eq!(leftovers.as_deref(), Some("0"));
    // The replay is cached in the project folder: the next run does not replay.
    let again = crate::support::plumb_command(&["verify", "--dir", REFERENCE])
        .current_dir(workdir.path())
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(
        !String::from_utf8_lossy(&again.stderr).contains("replaying"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn status_verify_adds_whether_each_migration_is_really_there() {
    let db = applied_reference();
    db.query("DROP SEQUENCE invoice_numbers");
    let run = plumb(&db.url(), &["status", "--dir", REFERENCE, "--verify", "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let m22 = json["migrations"].as_array().unwrap().iter().find(|m| m["version"] == "022").unwrap();
    assert_eq!(m22["state"], "applied", "the history claims it");
    assert_eq!(m22["present"], "phantom", "the catalog says otherwise");
    let table = plumb(&db.url(), &["status", "--dir", REFERENCE, "--verify"]);
    assert!(table.stdout.contains("really present"), "{table:?}");
}
