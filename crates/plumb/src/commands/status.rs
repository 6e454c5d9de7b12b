//! `plumb status`: each migration's file held against its history row.

use anyhow::Result;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use plumb_migrate::{MigrationState, StatusEntry};

use super::{Exit, load_migrations};
use crate::cli::DirArgs;
use crate::output::{Output, Style};
use crate::report;
use crate::settings::GlobalSettings;
use crate::target::{self, Access, Notices};

pub async fn run(settings: &GlobalSettings, args: &DirArgs, output: Output) -> Result<Exit> {
    let set = load_migrations(&args.dir)?;
    let conn = target::connect(settings, output, Access::ReadOnly, &Notices::default()).await?;
    let history = plumb_migrate::read_history(&conn).await?;
    let entries = plumb_migrate::status(&set, history.as_deref());
    render(&entries, conn.target(), output);
    Ok(if entries.iter().any(|e| e.state.is_problem()) { Exit::Findings } else { Exit::Ok })
}

/// Prints status entries as a table, or as the JSON contract.
pub fn render(entries: &[StatusEntry], target: &str, output: Output) {
    let mut summary = report::StatusSummary::default();
    for e in entries {
        match e.state {
            MigrationState::Applied => summary.applied += 1,
            MigrationState::Pending => summary.pending += 1,
            MigrationState::Modified => summary.modified += 1,
            MigrationState::MissingFile => summary.missing_file += 1,
            MigrationState::InProgress => summary.in_progress += 1,
            MigrationState::Failed => summary.failed += 1,
        }
    }
    if output.settings.json {
        output.json(&report::StatusReport {
            format: report::FORMAT,
            target: target.to_owned(),
            migrations: entries
                .iter()
                .map(|e| report::StatusMigration {
                    version: e.version.clone(),
                    name: e.name.clone(),
                    state: e.state.as_str(),
                    applied_at: e.applied_at.clone(),
                    statements_done: e.statements_done,
                    statements_total: e.statements_total,
                    error: e.error.clone(),
                })
                .collect(),
            summary,
        });
        return;
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(["version", "name", "state", "applied at (UTC)"]);
    for e in entries {
        let state = match (e.state, e.statements_done, e.statements_total) {
            (MigrationState::InProgress | MigrationState::Failed, Some(done), Some(total)) => {
                format!("{} ({done}/{total} statements)", e.state.as_str())
            }
            _ => e.state.as_str().to_owned(),
        };
        let style = match e.state {
            MigrationState::Applied => Style::Ok,
            MigrationState::Pending => Style::Dim,
            _ => Style::Error,
        };
        table.add_row([
            e.version.clone(),
            e.name.clone(),
            output.paint(&state, style),
            e.applied_at.clone().unwrap_or_default(),
        ]);
    }
    output.result(&format!("{target}\n{table}"));
    let mut parts = vec![format!("{} applied", summary.applied), format!("{} pending", summary.pending)];
    for (n, what) in [
        (summary.modified, "modified"),
        (summary.missing_file, "missing-file"),
        (summary.in_progress, "in_progress"),
        (summary.failed, "failed"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    output.result(&parts.join(", "));
    for e in entries.iter().filter(|e| e.error.is_some() && e.state == MigrationState::Failed) {
        output.result(&format!("{} failed with: {}", e.version, e.error.as_deref().unwrap_or_default()));
    }
}
