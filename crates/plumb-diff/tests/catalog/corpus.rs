//! The crates.io corpus: 285 real migrations, inspected and round-tripped.

use std::path::Path;

use plumb_migrate::{ApplyOptions, MigrationSource, NativeDir};

use crate::support::*;

struct Quiet;
impl plumb_migrate::ApplyObserver for Quiet {}

#[test]
fn cratesio_schema_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/cratesio");
    if !dir.is_dir() {
        eprintln!("NOTICE: ../shared/corpora/cratesio is absent; the crates.io catalog test did not run");
        return;
    }
    block_on(async {
        let db = new_db("cratesio").await;
        let set = NativeDir::new(&dir).load().unwrap();
        plumb_migrate::apply(&connect(&db).await, &set, &ApplyOptions::default(), &Quiet).await.unwrap();
        let schema = inspect(&db).await;
        // What psql leaves after applying the same files (Diesel's own history table aside).
        assert_eq!(schema.tables.len(), 35);
        assert_eq!(schema.tables.values().map(|t| t.columns.len()).sum::<usize>(), 206);
        assert_eq!(schema.functions.len(), 31);
        assert_eq!(schema.tables.values().map(|t| t.triggers.len()).sum::<usize>(), 25);
        assert_eq!(schema.views.values().filter(|v| v.materialized).count(), 1);
        let copy = new_db("cratesio_copy").await;
        run(&copy, &plumb_diff::create_script(&schema, major()), "crates.io script").await;
        assert_same(&schema, &inspect(&copy).await, "crates.io round trip");
    });
}
