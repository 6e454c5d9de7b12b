//! `status` as a table: each migration's version, name, state and when it was applied.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use plumb_migrate::{MigrationState, StatusEntry};

use crate::output::{Output, Style};
use crate::report;

/// Prints status entries as a table, or as the JSON contract; `truth` (from `--verify`)
/// adds whether each migration is really present.
pub fn render(
    entries: &[StatusEntry],
    truth: Option<&[Option<&'static str>]>,
    source: report::SourceReport,
    target: &str,
    output: Output,
) {
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
            source,
            migrations: entries
                .iter()
                .enumerate()
                .map(|(i, e)| report::StatusMigration {
                    present: truth.and_then(|t| t.get(i).copied().flatten()),
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
    let mut header = vec!["version", "name", "state", "applied at (UTC)"];
    if truth.is_some() {
        header.push("really present");
    }
    table.load_preset(UTF8_FULL_CONDENSED).set_header(header);
    for (i, e) in entries.iter().enumerate() {
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
        let mut row = vec![
            e.version.clone(),
            e.name.clone(),
            output.paint(&state, style),
            e.applied_at.clone().unwrap_or_default(),
        ];
        if let Some(truth) = truth {
            row.push(truth.get(i).copied().flatten().unwrap_or("").to_owned());
        }
        table.add_row(row);
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
