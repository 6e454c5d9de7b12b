//! `plumb apply`: run pending migrations, each with its history row.

use std::time::{Duration, Instant};

use miette::Result;
use plumb_migrate::MigrationSet;
use plumb_pg::Connection;

use super::{Exit, load_migrations};
use crate::cli::ApplyArgs;
use crate::output::{Output, Style};
use crate::report;
use crate::settings::{self, GlobalSettings};
use crate::target::{self, Access, Notices};
use crate::views::progress::Progress;

pub async fn run(settings: &GlobalSettings, args: &ApplyArgs, output: Output) -> Result<Exit> {
    let mut options = settings::apply_options(args)?;
    let set = load_migrations(&args.dir)?;
    // A database with no history yet gets the table of the tool whose layout this is.
    options.create_history = set.layout().history();
    let notices = Notices::default();
    if args.dry_run {
        let conn = target::connect(settings, output, Access::ReadOnly, &notices).await?;
        let history = plumb_migrate::read_history_with_format(&conn, &set).await?;
        let rows = history.as_ref().map_or(&[][..], |(_, rows)| rows.as_slice());
        let (planned, warnings) = plumb_migrate::plan_apply(&set, rows, &options)?;
        for w in &warnings {
            output.warn(w);
        }
        if output.settings.json {
            output.json(&report::ApplyReport {
                format: report::FORMAT,
                target: conn.target().to_owned(),
                dry_run: true,
                applied: planned
                    .iter()
                    .map(|p| report::ApplyMigration {
                        version: p.migration.version.to_string(),
                        name: p.migration.name.clone(),
                        statements: p.migration.script.statements.len(),
                        resumed_from: p.recorded.then_some(p.resume_from),
                        duration_ms: 0,
                    })
                    .collect(),
                warnings,
            });
        } else {
            let format = history.as_ref().map(|(format, _)| *format);
            output.script(&plumb_migrate::plan_script(&planned, format, &options), args.output.as_deref())?;
        }
        return Ok(Exit::Ok);
    }
    let conn = target::connect(settings, output, Access::ReadWrite, &notices).await?;
    apply_and_report(&conn, &set, &options, output, &notices).await
}

/// Applies `set` with progress, then prints what was done.
pub async fn apply_and_report(
    conn: &Connection,
    set: &MigrationSet,
    options: &plumb_migrate::ApplyOptions,
    output: Output,
    notices: &Notices,
) -> Result<Exit> {
    let started = Instant::now();
    let progress = Progress::new(output, notices.clone());
    let result = plumb_migrate::apply(conn, set, options, &progress).await;
    progress.finish();
    let applied = result?;
    if output.settings.json {
        output.json(&report::ApplyReport {
            format: report::FORMAT,
            target: conn.target().to_owned(),
            dry_run: false,
            applied: applied
                .applied
                .iter()
                .map(|a| report::ApplyMigration {
                    version: a.version.clone(),
                    name: a.name.clone(),
                    statements: a.statements,
                    resumed_from: a.resumed_from,
                    duration_ms: a.duration.as_millis() as u64,
                })
                .collect(),
            warnings: applied.warnings,
        });
    } else if applied.applied.is_empty() {
        output.result(&format!("nothing to apply: {} is up to date", conn.target()));
    } else {
        output.result(&format!(
            "{} {} migration(s) to {} in {}",
            output.paint("applied", Style::Ok),
            applied.applied.len(),
            conn.target(),
            format_duration(started.elapsed())
        ));
    }
    Ok(Exit::Ok)
}

fn format_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) { format!("{} ms", d.as_millis()) } else { format!("{:.2} s", d.as_secs_f64()) }
}
