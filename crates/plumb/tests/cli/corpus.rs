//! Real migration histories nobody here wrote (`../shared/corpora`).

use crate::support::{TestDb, apply, corpus};

#[test]
fn cratesio_corpus_applies_completely_and_then_has_nothing_to_do() {
    let Some(dir) = corpus("cratesio") else {
        eprintln!("NOTICE: ../shared/corpora/cratesio is absent; the crates.io corpus test did not run");
        return;
    };
    let db = TestDb::new();
    let run = apply(&db, &dir, &["--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "sql"))
        .count();
    assert_eq!(json["applied"].as_array().unwrap().len(), files);
    assert_eq!(db.value("SELECT count(*) FROM plumb.migrations WHERE status = 'applied'"), Some(files.to_string()));
    // The final schema, as psql applying the same files in one session leaves it:
    // 35 tables and 1 materialized view in public, and 3 extensions. (The corpus
    // README's 36 tables, 208 columns and 83 constraints count Diesel's own history
    // table, __diesel_schema_migrations, with its 2 columns and primary key.)
    assert_eq!(db.value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").as_deref(), Some("35"));
    assert_eq!(db.value("SELECT count(*) FROM pg_matviews WHERE schemaname = 'public'").as_deref(), Some("1"));
    assert_eq!(
        db.value("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname <> 'plpgsql'")
            .as_deref(),
        Some("ltree,pg_trgm,pgcrypto")
    );

    let again = apply(&db, &dir, &["--json"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let json: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(json["applied"].as_array().unwrap().len(), 0);
}
