//! The `--json` contract, one snapshot per command that reports: a change of shape shows up
//! here, reviewed, never by surprise. What varies from run to run (the target's address, times,
//! durations, folders) is replaced before the comparison.

use crate::support::{TestDb, apply, plumb};

const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/quickstart/migrations");

/// The run's JSON with what varies replaced: durations 0, times `[TIME]`, the target `[TARGET]`.
fn stable(db: &TestDb, stdout: &str) -> String {
    plumb_test_support::stable_json(stdout, &[(&db.info.to_string(), "[TARGET]"), (QUICKSTART, "[QUICKSTART]")])
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
        insta::assert_snapshot!(format!("json_{name}"), text);
    });
}

#[test]
fn every_json_report_keeps_its_shape() {
    let db = TestDb::new();
    let run = apply(&db, QUICKSTART.as_ref(), &["--to", "0003", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    snapshot("apply", &stable(&db, &run.stdout));
    // A phantom: 0003's index gone, the history still claiming it.
    let index = db.value("SELECT indexname FROM pg_indexes WHERE tablename = 'projects' AND indexname LIKE '%owner%'");
    db.query(&format!("DROP INDEX {}", index.expect("0003 builds an index on projects")));

    let shadow = crate::support::cluster().url("postgres");
    for (name, args) in [
        ("status", vec!["status", "--dir", QUICKSTART, "--json"]),
        ("verify", vec!["verify", "--dir", QUICKSTART, "--shadow-url", &shadow, "--json"]),
        ("locate", vec!["locate", "--dir", QUICKSTART, "--shadow-url", &shadow, "--json"]),
        ("repair", vec!["repair", "--dir", QUICKSTART, "--shadow-url", &shadow, "--json"]),
        ("lint", vec!["lint", QUICKSTART, "--json"]),
    ] {
        let run = plumb(&db.url(), &args);
        assert!(run.code == 0 || run.code == 1, "{name}: {run:?}");
        snapshot(name, &stable(&db, &run.stdout));
    }
}
