//! Files held against history: what `plumb status` shows. Pure.

use crate::history::{HistoryRow, HistoryStatus};
use crate::migration::MigrationSet;

/// What is known of one migration from its file and its history row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    /// Recorded as applied; the file is unchanged.
    Applied,
    /// Not recorded; will run on the next apply.
    Pending,
    /// Recorded as applied, but the file changed since.
    Modified,
    /// Recorded, but no file has its version.
    MissingFile,
    /// A no-transaction migration that started and did not finish.
    InProgress,
    /// A no-transaction migration that stopped on an error.
    Failed,
}

impl MigrationState {
    /// The stable spelling used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Modified => "modified",
            MigrationState::MissingFile => "missing-file",
            MigrationState::InProgress => "in_progress",
            MigrationState::Failed => "failed",
        }
    }

    /// Whether this state needs attention before the next apply can run cleanly.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            MigrationState::Modified
                | MigrationState::MissingFile
                | MigrationState::Failed
                | MigrationState::InProgress
        )
    }
}

/// One line of `plumb status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The version.
    pub version: String,
    /// The name (from the file, else from history).
    pub name: String,
    /// What is known.
    pub state: MigrationState,
    /// When it was recorded.
    pub applied_at: Option<String>,
    /// Statements done, for no-transaction migrations that did not finish.
    pub statements_done: Option<usize>,
    /// Statements in the file.
    pub statements_total: Option<usize>,
    /// The error a failed migration stopped on.
    pub error: Option<String>,
}

/// Every migration known from files or history, in version order.
/// `history` is `None` when the database has no history table.
pub fn status(set: &MigrationSet, history: Option<&[HistoryRow]>) -> Vec<StatusEntry> {
    let history = history.unwrap_or(&[]);
    let mut entries: Vec<(crate::Version, StatusEntry)> = Vec::new();
    for m in set.migrations() {
        let row = history.iter().find(|r| r.version.same_number(&m.version));
        let state = match row {
            None => MigrationState::Pending,
            Some(r) => match r.status {
                HistoryStatus::InProgress => MigrationState::InProgress,
                HistoryStatus::Failed | HistoryStatus::Dirty => MigrationState::Failed,
                HistoryStatus::Applied if !m.checksum_matches(&r.checksum) => MigrationState::Modified,
                HistoryStatus::Applied => MigrationState::Applied,
            },
        };
        let unfinished = matches!(state, MigrationState::InProgress | MigrationState::Failed);
        entries.push((
            m.version.clone(),
            StatusEntry {
                version: m.version.to_string(),
                name: m.name.clone(),
                state,
                applied_at: row.map(|r| r.applied_at.clone()),
                statements_done: row.filter(|_| unfinished).map(|r| r.statements_done),
                statements_total: Some(m.script.statements.len()),
                error: row.and_then(|r| r.error.clone()),
            },
        ));
    }
    for r in history {
        if set.get(&r.version).is_none() {
            entries.push((
                r.version.clone(),
                StatusEntry {
                    version: r.version.to_string(),
                    name: r.name.clone(),
                    state: MigrationState::MissingFile,
                    applied_at: Some(r.applied_at.clone()),
                    statements_done: None,
                    statements_total: None,
                    error: r.error.clone(),
                },
            ));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().map(|(_, e)| e).collect()
}
