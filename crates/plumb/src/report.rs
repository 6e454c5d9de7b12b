//! The JSON contract: what `--json` prints. Versioned by `format`; documented in
//! the README. Internal types never serialize directly: they are mapped here,
//! so that refactoring a library does not change the public format.

use serde::Serialize;

/// Bumped only when a field changes meaning or disappears; new fields may appear in any format.
pub const FORMAT: u32 = 1;

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub format: u32,
    pub target: String,
    pub migrations: Vec<StatusMigration>,
    pub summary: StatusSummary,
}

#[derive(Debug, Serialize)]
pub struct StatusMigration {
    /// With `status --verify`: what `verify` says of it (verified, phantom, partial, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub present: Option<&'static str>,
    pub version: String,
    pub name: String,
    /// applied · pending · modified · missing-file · in_progress · failed
    pub state: &'static str,
    pub applied_at: Option<String>,
    pub statements_done: Option<usize>,
    pub statements_total: Option<usize>,
    pub error: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct StatusSummary {
    pub applied: usize,
    pub pending: usize,
    pub modified: usize,
    pub missing_file: usize,
    pub in_progress: usize,
    pub failed: usize,
}

#[derive(Debug, Serialize)]
pub struct ApplyReport {
    pub format: u32,
    pub target: String,
    pub dry_run: bool,
    pub applied: Vec<ApplyMigration>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ApplyMigration {
    pub version: String,
    pub name: String,
    pub statements: usize,
    /// 0-based statement index an interrupted no-transaction migration resumed at.
    pub resumed_from: Option<usize>,
    pub duration_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct ErrorReport {
    pub format: u32,
    pub error: ErrorBody,
}

#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub message: String,
    pub sqlstate: Option<String>,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct PgStatusReport {
    pub format: u32,
    pub state: &'static str,
    pub pid: Option<u32>,
    pub url: Option<String>,
    pub folder: String,
}

/// `inspect --json`: the normalized catalog (see `plumb_catalog::Schema`), which is
/// itself part of the contract.
#[derive(Debug, Serialize)]
pub struct InspectReport<'a> {
    pub format: u32,
    pub server_version_num: u32,
    pub schema: &'a plumb_catalog::Schema,
}

/// `diff --json`.
#[derive(Debug, Serialize)]
pub struct DiffReport<'a> {
    pub format: u32,
    pub equal: bool,
    pub changes: &'a [plumb_diff::Change],
}

/// `verify --json`.
#[derive(Debug, Serialize)]
pub struct VerifyReport<'a> {
    pub format: u32,
    pub target: &'a str,
    /// `{"version", "name", "recorded", "status", "present", "missing", "drift", "confidence"}`.
    pub migrations: &'a [plumb_doctor::MigrationDiagnosis],
    pub unexplained: &'a [String],
    pub summary: VerifySummary,
}

#[derive(Debug, Serialize)]
pub struct VerifySummary {
    pub verified: usize,
    pub phantom: usize,
    pub partial: usize,
    pub unrecorded: usize,
    pub modified: usize,
    pub unverifiable: usize,
    pub pending: usize,
    pub failed: usize,
    pub unknown: usize,
    pub unexplained: usize,
}

/// `locate --json`.
#[derive(Debug, Serialize)]
pub struct LocateReport<'a> {
    pub format: u32,
    pub applied: &'a [String],
    pub best_version: Option<&'a str>,
    pub migrations: Vec<LocatedMigration<'a>>,
    pub residual: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct LocatedMigration<'a> {
    pub version: &'a str,
    pub status: plumb_doctor::Status,
    pub confidence: Option<f64>,
}

/// `lint --json`.
#[derive(Debug, Serialize)]
pub struct LintReport<'a> {
    pub format: u32,
    pub findings: &'a [LintFinding],
    pub summary: LintSummary,
}

#[derive(Debug, Serialize)]
pub struct LintFinding {
    pub rule: &'static str,
    pub severity: &'static str,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: &'static str,
}

#[derive(Debug, Serialize)]
pub struct LintSummary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

/// `check --json`.
#[derive(Debug, Serialize)]
pub struct CheckJson<'a> {
    pub format: u32,
    pub target: &'a str,
    pub pending: Vec<String>,
    pub clone: &'a plumb_doctor::Clone,
    /// `{"file", "line", "column", "sql_head", "status", "error":{"code","message"}, "locks",
    /// "rewrites", "validates_rows", "duration_ms", "diagnosis"}`.
    pub statements: &'a [plumb_doctor::StatementOutcome],
    pub missing_objects: &'a [String],
    pub findings: &'a [LintFinding],
    pub summary: CheckSummary,
}

#[derive(Debug, Serialize)]
pub struct CheckSummary {
    pub statements: usize,
    pub failed: usize,
    pub lint_errors: usize,
    pub warnings: usize,
}

/// `repair --json`: the plan and, with `--execute`, how it ended.
#[derive(Debug, Serialize)]
pub struct RepairReport<'a> {
    pub format: u32,
    pub target: &'a str,
    /// The history table the plan writes.
    pub history_table: &'static str,
    /// Checked before anything runs, in words.
    pub guards: Vec<String>,
    pub steps: Vec<RepairStep<'a>>,
    /// Tables whose rows the plan may change, with their row counts now.
    pub tables: Vec<RepairTable<'a>>,
    /// Unexplained objects, kept as they are.
    pub kept: &'a [String],
    pub alternatives: &'a [String],
    pub unresolved: &'a [String],
    pub deferred: &'a [String],
    /// The plan as one SQL script (psql or a web SQL editor).
    pub script: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executed: Option<RepairExecuted<'a>>,
}

#[derive(Debug, Serialize)]
pub struct RepairStep<'a> {
    /// unrecord · record · apply · complete · undo
    pub kind: plumb_doctor::StepKind,
    pub migration: Option<&'a str>,
    pub summary: &'a str,
    pub sql: &'a str,
    /// What it can lose (null: nothing).
    pub loses: Option<&'a str>,
    pub locks: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct RepairTable<'a> {
    pub table: &'a str,
    pub rows: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct RepairExecuted<'a> {
    pub committed: bool,
    /// Why it rolled back.
    pub reasons: &'a [String],
    pub backup_dir: String,
    /// pg_dump · copy
    pub backup_method: &'static str,
    pub restore: &'a str,
    /// Tables held to their row count and content checksum.
    pub tables_checked: usize,
    pub duration_ms: u128,
}

impl<'a> RepairReport<'a> {
    pub fn new(
        target: &'a str,
        plan: &'a plumb_doctor::Plan,
        rows: &'a std::collections::BTreeMap<String, i64>,
        executed: Option<&'a plumb_doctor::Executed>,
    ) -> Self {
        RepairReport {
            format: FORMAT,
            target,
            history_table: plan.history.table(),
            guards: plan.guards.iter().map(|g| g.describe()).collect(),
            steps: plan
                .steps
                .iter()
                .map(|s| RepairStep {
                    kind: s.kind,
                    migration: s.migration.as_deref(),
                    summary: &s.summary,
                    sql: &s.sql,
                    loses: s.loses.as_deref(),
                    locks: &s.locks,
                })
                .collect(),
            tables: plan.tables.iter().map(|t| RepairTable { table: t, rows: rows.get(t).copied() }).collect(),
            kept: &plan.kept,
            alternatives: &plan.alternatives,
            unresolved: &plan.unresolved,
            deferred: &plan.deferred,
            script: plan.script(),
            executed: executed.map(|e| RepairExecuted {
                committed: e.committed,
                reasons: &e.reasons,
                backup_dir: e.backup.dir.display().to_string(),
                backup_method: e.backup.method,
                restore: &e.backup.restore,
                tables_checked: e.tables_checked,
                duration_ms: e.duration_ms,
            }),
        }
    }
}
