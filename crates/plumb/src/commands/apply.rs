//! `plumb apply`: run pending migrations, each with its history row.

use std::time::{Duration, Instant};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use plumb_migrate::{ApplyObserver, Migration, MigrationSet, PlannedMigration};
use plumb_pg::Connection;

use super::{Exit, load_migrations};
use crate::cli::ApplyArgs;
use crate::output::{Output, Style};
use crate::report;
use crate::settings::{self, GlobalSettings};
use crate::target::{self, Access, Notices};

pub async fn run(settings: &GlobalSettings, args: &ApplyArgs, output: Output) -> Result<Exit> {
    let options = settings::apply_options(args)?;
    let set = load_migrations(&args.dir.dir)?;
    let notices = Notices::default();
    if args.dry_run {
        let conn = target::connect(settings, output, Access::ReadOnly, &notices).await?;
        let history = plumb_migrate::read_history_with_format(&conn).await?;
        let rows = history.as_ref().map_or(&[][..], |(_, rows)| rows.as_slice());
        let (planned, warnings) = plumb_migrate::plan(&set, rows, &options)?;
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
            output.result(&plumb_migrate::plan_script(&planned, format, &options));
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

/// Progress on stderr: a bar on a terminal, one line per migration otherwise.
pub struct Progress {
    output: Output,
    notices: Notices,
    bar: std::cell::RefCell<Option<ProgressBar>>,
}

impl Progress {
    pub fn new(output: Output, notices: Notices) -> Self {
        Progress { output, notices, bar: std::cell::RefCell::new(None) }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
        self.notices.attach(None);
    }

    fn line(&self, text: &str) {
        match self.bar.borrow().as_ref() {
            Some(bar) => bar.suspend(|| self.output.info(text)),
            None => self.output.info(text),
        }
    }
}

impl ApplyObserver for Progress {
    fn planned(&self, planned: &[PlannedMigration<'_>]) {
        if self.output.settings.interactive && !planned.is_empty() {
            let bar = ProgressBar::new(planned.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            self.notices.attach(Some(bar.clone()));
            *self.bar.borrow_mut() = Some(bar);
        }
    }

    fn migration_started(&self, m: &Migration, resume_from: usize) {
        let file = m.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        match self.bar.borrow().as_ref() {
            Some(bar) => bar.set_message(file.clone()),
            None if resume_from > 0 => self.output.info(&format!(
                "resuming {file} at statement {} of {}",
                resume_from + 1,
                m.script.statements.len()
            )),
            None => self.output.info(&format!("applying {file}")),
        }
        if resume_from > 0 && self.bar.borrow().is_some() {
            self.line(&format!("resuming {file} at statement {}", resume_from + 1));
        }
    }

    fn statement_done(&self, m: &Migration, index: usize) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            let file = m.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            bar.set_message(format!("{file} ({}/{} statements)", index + 1, m.script.statements.len()));
        }
    }

    fn migration_done(&self, _m: &Migration, _elapsed: Duration) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.inc(1);
        }
    }

    fn warning(&self, message: &str) {
        match self.bar.borrow().as_ref() {
            Some(bar) => bar.suspend(|| self.output.warn(message)),
            None => self.output.warn(message),
        }
    }
}
