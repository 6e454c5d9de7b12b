//! What the unit tests of several modules build their values with.

use plumb_migrate::{HistoryRow, HistoryStatus, MigrationSet};

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
