//! What the unit tests of several modules build their values with.

use plumb_migrate::{HistoryRow, HistoryStatus, Migration, MigrationSet, Version};

use crate::objects::{ObjectId, ObjectKind, Objects, Value, footprint, objects};
use crate::replay::Replay;

/// History rows recording `versions` of `set` as applied, with the files' checksums.
pub fn recorded(set: &MigrationSet, versions: &[&str]) -> Vec<HistoryRow> {
    set.migrations()
        .iter()
        .filter(|m| versions.contains(&m.version.as_str()))
        .map(|m| HistoryRow {
            version: m.version.clone(),
            name: m.name.clone(),
            checksum: m.checksum.clone(),
            status: HistoryStatus::Applied,
            statements_done: 1,
            applied_at: String::new(),
            duration_ms: None,
            applied_by: String::new(),
            plumb_version: String::new(),
            error: None,
        })
        .collect()
}

/// One object of a test snapshot.
pub type Item = (ObjectId, Value);

/// Table `public.<name>` in version `v` (its partition key stands in for any definition:
/// the value's text is `ordinary partition by <v>`).
pub fn table(name: &str, v: &str) -> Item {
    let schema: plumb_catalog::Schema = serde_json::from_value(serde_json::json!({"tables": {
        format!("public.{name}"): {"schema": "public", "name": name, "kind": "ordinary", "partition_key": v}}}))
    .expect("a valid schema");
    objects(&schema).0.into_iter().find(|(id, _)| id.kind == ObjectKind::Table).expect("a table")
}

/// A snapshot of `items`.
pub fn objects_of(items: &[Item]) -> Objects {
    Objects(items.iter().cloned().collect())
}

/// Migrations `1..=n` and the replay whose snapshots after each are `snapshots` (S0 is empty).
pub fn replay_of(snapshots: &[&[Item]]) -> (MigrationSet, Replay) {
    let empty = Objects::default();
    let mut last = empty.clone();
    let mut footprints = Vec::new();
    for s in snapshots {
        let next = objects_of(s);
        footprints.push(footprint(&last, &next));
        last = next;
    }
    let set = MigrationSet::new(
        (1..=snapshots.len())
            .map(|v| {
                let sql = format!("SELECT {v};");
                Migration::new(Version::parse(&v.to_string()).unwrap(), format!("m{v}"), format!("{v}.sql").into(), sql)
                    .unwrap()
            })
            .collect(),
    )
    .unwrap();
    (set, Replay { empty, footprints, failure: None, schema: Default::default() })
}

/// Migrations of these versions and texts (names `m<version>`).
pub fn set_of(files: &[(&str, &str)]) -> MigrationSet {
    let migrations = files
        .iter()
        .map(|(v, sql)| {
            let version = Version::parse(v).unwrap();
            Migration::new(version, format!("m{v}"), format!("{v}.sql").into(), sql.to_string()).unwrap()
        })
        .collect();
    MigrationSet::new(migrations).unwrap()
}
