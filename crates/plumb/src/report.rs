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
    pub source: SourceReport,
    pub migrations: Vec<StatusMigration>,
    pub summary: StatusSummary,
}

/// Whose migrations and history table a command used, and what it left out.
#[derive(Debug, Serialize)]
pub struct SourceReport {
    /// The tool whose folder layout the migrations were read in (`plumb`, `Flyway`, ...).
    pub tool: &'static str,
    /// The history table read (or that apply would create).
    pub history_table: &'static str,
    /// What the folder holds that plumb did not read (Flyway repeatables, Atlas checkpoints).
    pub notes: Vec<String>,
}

impl SourceReport {
    pub fn new(set: &plumb_migrate::MigrationSet, history: Option<plumb_migrate::HistoryFormat>) -> SourceReport {
        let history = history.unwrap_or(set.layout().history());
        SourceReport { tool: set.layout().tool(), history_table: history.table(), notes: set.notes().to_vec() }
    }
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
    pub changes: Vec<DiffChange<'a>>,
}

#[derive(Debug, Serialize)]
pub struct DiffChange<'a> {
    pub object: &'a str,
    /// create · alter · drop
    pub action: &'static str,
    pub sql: &'a str,
    pub data_loss: bool,
    pub lock: Option<&'a str>,
    pub transactional: bool,
    pub note: Option<&'a str>,
}

impl<'a> DiffReport<'a> {
    pub fn new(diff: &'a plumb_diff::Diff) -> Self {
        DiffReport {
            format: FORMAT,
            equal: diff.is_empty(),
            changes: diff
                .changes
                .iter()
                .map(|c| DiffChange {
                    object: &c.object,
                    action: c.action.as_str(),
                    sql: &c.sql,
                    data_loss: c.data_loss,
                    lock: c.lock.as_deref(),
                    transactional: c.transactional,
                    note: c.note.as_deref(),
                })
                .collect(),
        }
    }
}

/// `verify --json`.
#[derive(Debug, Serialize)]
pub struct VerifyReport<'a> {
    pub format: u32,
    pub target: &'a str,
    pub migrations: Vec<VerifyMigration<'a>>,
    pub frontier: FrontierReport,
    pub unexplained: Vec<String>,
    /// History rows whose version no file has: `{"version", "name"}`.
    pub missing_files: Vec<MissingFile<'a>>,
    pub summary: VerifySummary,
}

#[derive(Debug, Serialize)]
pub struct VerifyMigration<'a> {
    pub version: &'a str,
    pub name: &'a str,
    pub recorded: bool,
    /// verified · phantom · partial · unrecorded · modified · unverifiable · pending · failed ·
    /// in_progress · unknown
    pub status: &'static str,
    /// Whether the live schema holds it (at or before the frontier and not a hole, or after
    /// it with evidence of its own).
    pub applied: bool,
    pub present: Vec<String>,
    pub missing: Vec<String>,
    /// `object: expected X, found Y`.
    pub drift: Vec<String>,
    pub confidence: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<String>,
}

impl<'a> VerifyMigration<'a> {
    pub fn new(m: &'a plumb_doctor::MigrationDiagnosis) -> Self {
        let words = |ids: &[plumb_doctor::ObjectId]| ids.iter().map(ToString::to_string).collect();
        VerifyMigration {
            version: &m.version,
            name: &m.name,
            recorded: m.recorded,
            status: crate::views::diagnosis::status_word(m.status),
            applied: m.applied,
            present: words(&m.present),
            missing: words(&m.missing),
            drift: m.drift.iter().map(ToString::to_string).collect(),
            confidence: m.confidence,
            blocked_by: words(&m.blocked_by),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MissingFile<'a> {
    pub version: &'a str,
    pub name: &'a str,
}

/// Where the live schema stands: the version it is closest to, how many managed objects
/// differ there, and the distance at every candidate (`{"version": null}` is "none applied").
#[derive(Debug, Serialize)]
pub struct FrontierReport {
    pub version: Option<String>,
    pub distance: usize,
    pub candidates: Vec<FrontierCandidate>,
}

#[derive(Debug, Serialize)]
pub struct FrontierCandidate {
    pub version: Option<String>,
    pub distance: usize,
}

impl FrontierReport {
    pub fn new(frontier: &plumb_doctor::Frontier, set: &plumb_migrate::MigrationSet) -> Self {
        let version = |k: usize| (k > 0).then(|| set.migrations()[k - 1].version.to_string());
        FrontierReport {
            version: version(frontier.position),
            distance: frontier.distance(),
            candidates: frontier
                .distances
                .iter()
                .enumerate()
                .map(|(k, d)| FrontierCandidate { version: version(k), distance: *d })
                .collect(),
        }
    }
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
    pub frontier: FrontierReport,
    pub migrations: Vec<LocatedMigration<'a>>,
    pub residual: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct LocatedMigration<'a> {
    pub version: &'a str,
    pub status: &'static str,
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
    pub clone: CheckClone<'a>,
    pub statements: Vec<CheckStatement<'a>>,
    pub missing_objects: &'a [String],
    pub findings: &'a [LintFinding],
    pub summary: CheckSummary,
}

#[derive(Debug, Serialize)]
pub struct CheckClone<'a> {
    /// Roles the schema names, created in the clone as NOLOGIN roles.
    pub roles: &'a [String],
    pub missing_extensions: &'a [String],
    /// Statements of the clone script that failed, with why.
    pub failures: &'a [String],
    pub duration_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct CheckStatement<'a> {
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub sql_head: &'a str,
    /// ok · failed
    pub status: &'static str,
    pub error: Option<CheckError<'a>>,
    pub locks: &'a [String],
    pub rewrites: bool,
    pub validates_rows: bool,
    pub duration_ms: u64,
    pub diagnosis: Option<&'a str>,
    /// What it needs that the target lacks (`relation organization`).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub needs: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct CheckError<'a> {
    pub code: &'a str,
    pub message: &'a str,
}

impl<'a> CheckClone<'a> {
    pub fn new(c: &'a plumb_doctor::CloneReport) -> Self {
        CheckClone {
            roles: &c.roles,
            missing_extensions: &c.missing_extensions,
            failures: &c.failures,
            duration_ms: c.duration_ms,
        }
    }
}

impl<'a> CheckStatement<'a> {
    pub fn new(s: &'a plumb_doctor::StatementOutcome) -> Self {
        CheckStatement {
            file: &s.file,
            line: s.line,
            column: s.column,
            sql_head: &s.sql_head,
            status: s.status.as_str(),
            error: s.error.as_ref().map(|e| CheckError { code: &e.code, message: &e.message }),
            locks: &s.locks,
            rewrites: s.rewrites,
            validates_rows: s.validates_rows,
            duration_ms: s.duration_ms,
            diagnosis: s.diagnosis.as_deref(),
            needs: &s.needs,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CheckSummary {
    pub statements: usize,
    pub failed: usize,
    pub lint_errors: usize,
    pub warnings: usize,
}

/// The format of `repair --json`: 2 since repair converges, then rolls forward (step kinds
/// changed, `deferred` gave way to `roll_forward`).
pub const REPAIR_FORMAT: u32 = 2;

/// `repair --json`: the plan and, with `--execute`, how it ended.
#[derive(Debug, Serialize)]
pub struct RepairReport<'a> {
    pub format: u32,
    pub target: &'a str,
    /// The history table the plan writes.
    pub history_table: &'static str,
    /// The version phase 1 converges to (null: none applied).
    pub converge_to: Option<&'a str>,
    /// Checked before anything runs, in words.
    pub guards: Vec<String>,
    /// Phase 1, one transaction.
    pub steps: Vec<RepairStep<'a>>,
    /// Phase 2: migrations applied after, in order, each in its own transaction.
    pub roll_forward: &'a [String],
    /// Tables whose rows phase 1 may change, with their row counts now.
    pub tables: Vec<RepairTable<'a>>,
    /// Unexplained objects, kept as they are.
    pub kept: Vec<String>,
    /// Data statements of missing migrations that are not re-run.
    pub not_rerun: &'a [String],
    pub alternatives: &'a [String],
    pub unresolved: &'a [String],
    /// The plan as one SQL script (psql or a web SQL editor); null when it holds a
    /// secret-looking value, which plumb never prints masked (`--output FILE` writes it).
    pub script: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executed: Option<RepairExecuted<'a>>,
}

#[derive(Debug, Serialize)]
pub struct RepairStep<'a> {
    /// create_history · unrecord · record · rerun · converge
    pub kind: &'static str,
    pub migrations: &'a [String],
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
    /// Phase 2: the migrations applied after the convergence.
    pub rolled_forward: &'a [String],
}

impl<'a> RepairReport<'a> {
    pub fn new(
        target: &'a str,
        plan: &'a plumb_doctor::Plan,
        script: String,
        rows: &'a std::collections::BTreeMap<String, i64>,
        executed: Option<&'a plumb_doctor::Executed>,
    ) -> Self {
        RepairReport {
            format: REPAIR_FORMAT,
            target,
            history_table: plan.history.table(),
            converge_to: plan.converge_version.as_deref(),
            roll_forward: &plan.roll_forward,
            not_rerun: &plan.not_rerun,
            guards: plan.guards.iter().map(|g| g.describe()).collect(),
            steps: plan
                .steps
                .iter()
                .map(|s| RepairStep {
                    kind: s.kind.as_str(),
                    migrations: &s.migrations,
                    summary: &s.summary,
                    sql: &s.sql,
                    loses: s.loses.as_deref(),
                    locks: &s.locks,
                })
                .collect(),
            tables: plan.tables.iter().map(|t| RepairTable { table: t, rows: rows.get(t).copied() }).collect(),
            kept: plan.kept.iter().map(ToString::to_string).collect(),
            alternatives: &plan.alternatives,
            unresolved: &plan.unresolved,
            script: crate::output::secret_line(&script).is_none().then_some(script),
            executed: executed.map(|e| RepairExecuted {
                committed: e.committed,
                reasons: &e.reasons,
                backup_dir: e.backup.dir.display().to_string(),
                backup_method: e.backup.method,
                restore: &e.backup.restore,
                tables_checked: e.tables_checked,
                duration_ms: e.duration_ms,
                rolled_forward: &e.rolled_forward,
            }),
        }
    }
}
