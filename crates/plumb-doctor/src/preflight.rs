//! What `plumb check` does, whole: which migrations the target has not applied, how each of
//! their statements runs on a clone of the target in a shadow ([`check()`]), and what the lint
//! rules say of them against the target's own tables (their size, their row-level security).
//! With nothing pending, no shadow is opened and nothing is cloned.

use std::path::PathBuf;

use plumb_catalog::InspectOptions;
use plumb_migrate::{ApplyOptions, MigrationSet, Version};
use plumb_pg::Connection;
use plumb_sql::lint::Finding;

use crate::check::{CheckReport, check, clone_target};
use crate::error::DoctorError;
use crate::shadow::{Progress, Shadow, ShadowServer};
use crate::situation::lint_facts;

/// A preflight of one target.
#[derive(Debug)]
pub struct Preflight {
    /// The migrations the target has not applied, in the order they would run.
    pub pending: Vec<Version>,
    /// How their statements ran on the clone (empty when nothing is pending).
    pub report: CheckReport,
    /// What the lint rules found in them, knowing the target.
    pub findings: Vec<PlacedFinding>,
}

/// A lint finding with the place it points at.
#[derive(Debug)]
pub struct PlacedFinding {
    /// The migration file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The finding.
    pub finding: Finding,
}

/// Checks the migrations of `set` that `conn`'s target has not applied, on a clone of it in a
/// shadow on `server`.
pub async fn preflight(
    conn: &Connection,
    set: &MigrationSet,
    server: &ShadowServer,
    progress: &dyn Progress,
) -> Result<Preflight, DoctorError> {
    let history = plumb_migrate::read_history(conn, set).await?.unwrap_or_default();
    let (pending, _) = plumb_migrate::plan_apply(set, &history, &ApplyOptions::default())?;
    let report = if pending.is_empty() {
        progress.info("nothing pending: the target has every migration of the folder");
        CheckReport { clone: Default::default(), statements: Vec::new(), missing_objects: Vec::new() }
    } else {
        let schema = plumb_catalog::inspect(conn, &InspectOptions::default()).await?;
        let purpose = format!("checking {} pending migration(s) on a clone of the target", pending.len());
        let shadow = Shadow::open(server, &purpose, progress).await?;
        let checked = async {
            let clone = clone_target(shadow.connection(), &schema).await?;
            progress.info(&format!("cloned the target's schema in {} ms", clone.duration_ms));
            check(shadow.connection(), set, &pending, &schema, clone).await
        }
        .await;
        shadow.close().await;
        checked?
    };
    // Lint against the target: which tables exist there, their size, their RLS.
    let facts = lint_facts(conn).await?;
    let mut findings = Vec::new();
    for p in &pending {
        let sql = &p.migration.sql;
        let index = plumb_sql::LineIndex::new(sql);
        for finding in plumb_sql::lint::lint_against(sql, !p.migration.is_transactional(), Some(&facts)) {
            let (line, column) = index.line_col(sql, finding.range.start);
            findings.push(PlacedFinding { file: p.migration.path.clone(), line, column, finding });
        }
    }
    Ok(Preflight { pending: pending.iter().map(|p| p.migration.version.clone()).collect(), report, findings })
}
