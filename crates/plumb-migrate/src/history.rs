//! plumb's history table, `plumb.migrations`: the claims plumb makes about what ran.

use plumb_pg::Connection;
use tokio_postgres::Row;

use crate::error::ApplyError;
use crate::migration::Version;

/// The qualified name of the history table.
pub const HISTORY_TABLE: &str = "plumb.migrations";

/// Created on first apply, under the apply lock (so no two runs race to create it).
/// The CHECK keeps hand edits honest: a status plumb does not know is refused by the server.
const CREATE_HISTORY: &str = "
CREATE SCHEMA IF NOT EXISTS plumb;
CREATE TABLE IF NOT EXISTS plumb.migrations (
    version         text        PRIMARY KEY CHECK (version ~ '^[0-9]+$'),
    name            text        NOT NULL,
    checksum        text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('applied', 'in_progress', 'failed')),
    statements_done integer     NOT NULL DEFAULT 0,
    applied_at      timestamptz NOT NULL DEFAULT now(),
    duration_ms     bigint,
    applied_by      text        NOT NULL DEFAULT current_user,
    plumb_version   text        NOT NULL,
    error           text
);
COMMENT ON TABLE plumb.migrations IS 'Migration history written by plumb. Edit with plumb repair, not by hand.';
";

/// What a history row says about its migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryStatus {
    /// Ran to the end and committed.
    Applied,
    /// A no-transaction migration that started and has not finished (a crash, or still running).
    InProgress,
    /// A no-transaction migration that stopped on an error; `statements_done` say how far it got.
    Failed,
}

impl HistoryStatus {
    /// The spelling in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryStatus::Applied => "applied",
            HistoryStatus::InProgress => "in_progress",
            HistoryStatus::Failed => "failed",
        }
    }
}

/// One row of `plumb.migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The migration's version.
    pub version: Version,
    /// Its name when it ran.
    pub name: String,
    /// SHA-256 of the file that ran.
    pub checksum: String,
    /// How far it got.
    pub status: HistoryStatus,
    /// Statements committed (all of them for an applied migration).
    pub statements_done: usize,
    /// When it was recorded, UTC, RFC 3339.
    pub applied_at: String,
    /// How long it took.
    pub duration_ms: Option<i64>,
    /// The database role that ran it.
    pub applied_by: String,
    /// The plumb version that ran it.
    pub plumb_version: String,
    /// The error it failed with, if it failed.
    pub error: Option<String>,
}

/// Reads the history; `None` when no history table exists yet (nothing was ever applied).
pub async fn read_history(conn: &Connection) -> Result<Option<Vec<HistoryRow>>, ApplyError> {
    let exists: bool = conn
        .client()
        .query_one("SELECT to_regclass('plumb.migrations') IS NOT NULL", &[])
        .await
        .map_err(plumb_pg::PgError::from)?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let rows = conn
        .client()
        .query(
            "SELECT version::text, name::text, checksum::text, status::text, statements_done::int4,
                    to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    duration_ms::int8, applied_by::text, plumb_version::text, error::text
               FROM plumb.migrations",
            &[],
        )
        .await
        .map_err(|e| corrupt(plumb_pg::PgError::from(e).to_string()))?;
    let mut history = rows.iter().map(parse_row).collect::<Result<Vec<_>, _>>()?;
    history.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(Some(history))
}

fn corrupt(reason: String) -> ApplyError {
    ApplyError::CorruptHistory {
        table: HISTORY_TABLE.to_owned(),
        reason: format!("{reason}. Inspect it with `SELECT * FROM plumb.migrations`; plumb repair can rebuild it"),
    }
}

fn parse_row(row: &Row) -> Result<HistoryRow, ApplyError> {
    let version_text: Option<String> = row.get(0);
    let version_text = version_text.unwrap_or_default();
    let version = Version::parse(&version_text)
        .ok_or_else(|| corrupt(format!("row with version \"{version_text}\" is not a number")))?;
    let status_text: Option<String> = row.get(3);
    let status = match status_text.as_deref() {
        Some("applied") => HistoryStatus::Applied,
        Some("in_progress") => HistoryStatus::InProgress,
        Some("failed") => HistoryStatus::Failed,
        other => return Err(corrupt(format!("row {version} has unknown status {other:?}"))),
    };
    let checksum: Option<String> = row.get(2);
    let statements_done: Option<i32> = row.get(4);
    Ok(HistoryRow {
        version,
        name: row.get::<_, Option<String>>(1).unwrap_or_default(),
        checksum: checksum.ok_or_else(|| corrupt(format!("row {version_text} has no checksum")))?,
        status,
        statements_done: statements_done.unwrap_or(0).max(0) as usize,
        applied_at: row.get::<_, Option<String>>(5).unwrap_or_default(),
        duration_ms: row.get(6),
        applied_by: row.get::<_, Option<String>>(7).unwrap_or_default(),
        plumb_version: row.get::<_, Option<String>>(8).unwrap_or_default(),
        error: row.get(9),
    })
}

/// Creates the history table if it is missing.
pub(crate) async fn ensure_history(conn: &Connection) -> Result<(), ApplyError> {
    conn.batch(CREATE_HISTORY).await?;
    Ok(())
}

/// The DDL that creates the history table, for `--dry-run` scripts.
pub(crate) fn create_history_sql() -> &'static str {
    CREATE_HISTORY.trim()
}
