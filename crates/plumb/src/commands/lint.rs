//! `plumb lint`: the rules of `plumb_sql::lint` over migration files.

use std::path::{Path, PathBuf};

use miette::{Context, IntoDiagnostic, Result};
use plumb_sql::lint::{Severity, lint, rules};

use super::Exit;
use crate::cli::{FailOn, LintArgs, LintFormat};
use crate::output::{Output, Style};
use crate::report;

pub fn run(args: &LintArgs, output: Output) -> Result<Exit> {
    if args.rules {
        for rule in rules() {
            output.result(&format!("{:<30} {:<8} {}", rule.id, rule.severity.as_str(), rule.help));
        }
        return Ok(Exit::Ok);
    }
    let paths = if args.paths.is_empty() { vec![args.dir.clone()] } else { args.paths.clone() };
    let mut files = Vec::new();
    for path in &paths {
        let before = files.len();
        collect(path, &mut files)?;
        if path.is_dir() && files.len() == before {
            // A folder with nothing to lint passes; say so, or a mistyped path passes CI.
            let inner = path.join("migrations");
            let hint = if inner.is_dir() { format!(" (did you mean {}?)", inner.display()) } else { String::new() };
            output.warn(&format!("{} holds no migration files{hint}", path.display()));
        }
    }
    files.sort();
    let format = if output.settings.json { LintFormat::Json } else { args.format };
    let mut findings = Vec::new();
    // What apply would refuse, folder by folder: the loader's own checks, every file's.
    for dir in paths.iter().filter(|p| p.is_dir()) {
        for problem in plumb_migrate::folder_problems(dir, None) {
            // These the rules report themselves, with their own ids.
            use plumb_migrate::LoadError as E;
            if !matches!(
                problem,
                E::MetaCommand { .. } | E::TransactionControl { .. } | E::ConcurrentlyInTransaction { .. }
            ) {
                findings.push(load_finding(&problem));
            }
        }
    }
    for (file, known_no_transaction) in &files {
        let bytes = std::fs::read(file).into_diagnostic().with_context(|| format!("cannot read {}", file.display()))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        // `alembic upgrade --sql` output: Alembic's BEGIN/COMMIT and alembic_version statements
        // are its bookkeeping, not the migrations' (positions stay true).
        let text = plumb_migrate::without_alembic_bookkeeping(&text).unwrap_or(text);
        // What the loader said (a tool's own marker: Diesel's metadata.toml, dbmate's
        // transaction:false), else plumb's directive.
        let no_transaction = known_no_transaction.unwrap_or_else(|| {
            text.lines()
                .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with("--"))
                .any(|l| l.trim_start().trim_start_matches('-').trim() == "plumb:no-transaction")
        });
        let index = plumb_sql::LineIndex::new(&text);
        for f in lint(&text, no_transaction) {
            let (line, column) = index.line_col(&text, f.range.start);
            findings.push(report::LintFinding {
                rule: f.rule,
                severity: f.severity.as_str(),
                file: file.display().to_string(),
                line,
                column,
                message: f.message,
                help: f.help,
            });
        }
    }
    let errors = findings.iter().filter(|f| f.severity == Severity::Error.as_str()).count();
    let warnings = findings.len() - errors;
    match format {
        LintFormat::Json => output.json(&report::LintReport {
            format: report::FORMAT,
            findings: &findings,
            summary: report::LintSummary { files: files.len(), errors, warnings },
        }),
        LintFormat::Github => {
            for f in &findings {
                let level = if f.severity == "error" { "error" } else { "warning" };
                output.result(&format!(
                    "::{level} file={},line={},col={},title=plumb {}::{} ({})",
                    f.file, f.line, f.column, f.rule, f.message, f.help
                ));
            }
        }
        LintFormat::Text => {
            for f in &findings {
                let style = if f.severity == "error" { Style::Error } else { Style::Warn };
                output.result(&format!(
                    "{}:{}:{}: {} [{}] {}\n  help: {}",
                    f.file,
                    f.line,
                    f.column,
                    output.paint(f.severity, style),
                    f.rule,
                    f.message,
                    f.help
                ));
            }
            output.info(&format!("{} file(s): {errors} error(s), {warnings} warning(s)", files.len()));
        }
    }
    let failing = match args.fail_on {
        FailOn::Never => false,
        FailOn::Warning => !findings.is_empty(),
        FailOn::Error => errors > 0,
    };
    Ok(if failing { Exit::Findings } else { Exit::Ok })
}

/// A reason `apply` refuses a file, as a finding of rule `migration-file` (an error).
fn load_finding(problem: &plumb_migrate::LoadError) -> report::LintFinding {
    let location = problem.location();
    let file = problem.path().map(|p| p.display().to_string()).unwrap_or_default();
    let text = problem.to_string();
    // The location leads the error's own words; the finding carries it apart.
    let message = match location {
        Some(l) => text.strip_prefix(&format!("{l}: ")).unwrap_or(&text).to_owned(),
        None => text,
    };
    report::LintFinding {
        rule: "migration-file",
        severity: Severity::Error.as_str(),
        file,
        line: location.map_or(1, |l| l.line),
        column: location.map_or(1, |l| l.column),
        message,
        help: "apply refuses this file: fix it as the message says",
    }
}

/// Files to lint, each with whether it runs outside a transaction when the loader knows.
fn collect(path: &Path, files: &mut Vec<(PathBuf, Option<bool>)>) -> Result<()> {
    // The files the folder's tool runs, read by the same loader apply uses (Prisma's and
    // Diesel's live in subfolders); when it refuses the folder, the `.sql` files at the top.
    if path.is_dir()
        && let Ok(set) = plumb_migrate::load_dir(path)
    {
        for m in set.migrations().iter().filter(|m| m.runner.is_none() && m.path.is_file()) {
            if !files.iter().any(|(p, _)| *p == m.path) {
                files.push((m.path.clone(), Some(!m.is_transactional())));
            }
        }
        return Ok(());
    }
    if path.is_dir() {
        for entry in
            std::fs::read_dir(path).into_diagnostic().with_context(|| format!("cannot read {}", path.display()))?
        {
            let p = entry.into_diagnostic().with_context(|| format!("cannot read {}", path.display()))?.path();
            if p.is_file() && p.extension().is_some_and(|x| x == "sql") && !p.to_string_lossy().ends_with(".down.sql") {
                files.push((p, None));
            }
        }
        Ok(())
    } else if path.is_file() {
        files.push((path.to_path_buf(), None));
        Ok(())
    } else {
        miette::bail!("{}: no such file or folder", path.display())
    }
}
