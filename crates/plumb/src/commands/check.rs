//! `plumb check`: the pending migrations on a clone of the target, before anything touches it.

use miette::Result;

use super::{Exit, load_migrations};
use crate::cli::{CheckArgs, CheckFormat, FailOn};
use crate::output::Output;
use crate::report;
use crate::settings::GlobalSettings;
use crate::target::{self, Access, Notices};
use crate::views::check::{html, markdown, text};

pub async fn run(settings: &GlobalSettings, args: &CheckArgs, output: Output) -> Result<Exit> {
    let set = load_migrations(&args.doctor.dir)?;
    let info = target::conninfo(settings, output)?;
    let conn = target::connect_to(&info, output, Access::ReadOnly, &Notices::default()).await?;
    let server = crate::doctor::shadow_server(&args.doctor.shadow, &info, conn.server_major())?;
    let plumb_doctor::Preflight { pending, report: checked, findings } =
        plumb_doctor::preflight(&conn, &set, &server, &output).await?;
    let findings: Vec<report::LintFinding> = findings
        .into_iter()
        .map(|f| report::LintFinding {
            rule: f.finding.rule,
            severity: f.finding.severity.as_str(),
            file: f.file.display().to_string(),
            line: f.line,
            column: f.column,
            message: f.finding.message,
            help: f.finding.help,
        })
        .collect();
    let failed = checked.statements.iter().filter(|s| s.status == plumb_doctor::StatementStatus::Failed).count();
    let lint_errors = findings.iter().filter(|f| f.severity == "error").count();
    let warnings = findings.len() - lint_errors
        + checked
            .statements
            .iter()
            .filter(|s| s.status == plumb_doctor::StatementStatus::Ok && s.diagnosis.is_some())
            .count();
    let format = if output.settings.json { CheckFormat::Json } else { args.format };
    match format {
        CheckFormat::Json => output.json(&report::CheckJson {
            format: report::FORMAT,
            target: conn.target(),
            pending: pending.iter().map(|v| v.to_string()).collect(),
            clone: report::CheckClone::new(&checked.clone),
            statements: checked.statements.iter().map(report::CheckStatement::new).collect(),
            missing_objects: &checked.missing_objects,
            findings: &findings,
            summary: report::CheckSummary { statements: checked.statements.len(), failed, lint_errors, warnings },
        }),
        CheckFormat::Markdown => output.result(&markdown(conn.target(), &checked, &findings)),
        CheckFormat::Html => output.result(&html(conn.target(), &checked, &findings)),
        CheckFormat::Github => {
            for s in checked.statements.iter().filter(|s| s.status == plumb_doctor::StatementStatus::Failed) {
                let error = s.error.as_ref().map(|e| format!("{} {}", e.code, e.message)).unwrap_or_default();
                output.result(&format!(
                    "::error file={},line={},col={},title=plumb check::{error}. {}",
                    s.file,
                    s.line,
                    s.column,
                    s.diagnosis.as_deref().unwrap_or("")
                ));
            }
            for f in &findings {
                output.result(&format!(
                    "::{} file={},line={},col={},title=plumb {}::{}",
                    f.severity, f.file, f.line, f.column, f.rule, f.message
                ));
            }
        }
        CheckFormat::Text => text(conn.target(), &checked, &findings, pending.len(), output),
    }
    let failing = match args.fail_on {
        FailOn::Never => false,
        FailOn::Error => failed + lint_errors > 0,
        FailOn::Warning => failed + lint_errors + warnings > 0,
    };
    Ok(if failing { Exit::Findings } else { Exit::Ok })
}
