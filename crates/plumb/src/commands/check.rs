//! `plumb check`: the pending migrations on a clone of the target, before anything touches it.

use miette::Result;
use plumb_catalog::InspectOptions;
use plumb_doctor::Shadow;
use plumb_migrate::ApplyOptions;

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
    let history = plumb_migrate::read_history(&conn, &set).await?.unwrap_or_default();
    let (pending, _) = plumb_migrate::plan_apply(&set, &history, &ApplyOptions::default())?;
    let checked = if pending.is_empty() {
        // Nothing to check: no shadow is started, nothing is cloned.
        output.info("nothing pending: the target has every migration of the folder");
        plumb_doctor::CheckReport { clone: Default::default(), statements: Vec::new(), missing_objects: Vec::new() }
    } else {
        let schema = plumb_catalog::inspect(&conn, &InspectOptions::default()).await?;
        let purpose = format!("checking {} pending migration(s) on a clone of the target", pending.len());
        let server = crate::doctor::shadow_server(&args.doctor.shadow, &info, conn.server_major())?;
        let shadow = Shadow::open(&server, &purpose, &output).await?;
        let result = async {
            let clone = plumb_doctor::clone_target(shadow.connection(), &schema).await?;
            plumb_doctor::check(shadow.connection(), &set, &pending, &schema, clone).await
        }
        .await;
        shadow.close().await;
        result?
    };

    // Lint against the target: which tables exist there, their size, their RLS.
    let facts = plumb_doctor::lint_facts(&conn).await?;
    let mut findings = Vec::new();
    for p in &pending {
        let index = plumb_sql::LineIndex::new(&p.migration.sql);
        for f in plumb_sql::lint::lint_against(&p.migration.sql, !p.migration.is_transactional(), Some(&facts)) {
            let (line, column) = index.line_col(&p.migration.sql, f.range.start);
            findings.push(report::LintFinding {
                rule: f.rule,
                severity: f.severity.as_str(),
                file: p.migration.path.display().to_string(),
                line,
                column,
                message: f.message,
                help: f.help,
            });
        }
    }
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
            pending: pending.iter().map(|p| p.migration.version.to_string()).collect(),
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
        CheckFormat::Text => text(conn.target(), &checked, &findings, output),
    }
    let failing = match args.fail_on {
        FailOn::Never => false,
        FailOn::Error => failed + lint_errors > 0,
        FailOn::Warning => failed + lint_errors + warnings > 0,
    };
    Ok(if failing { Exit::Findings } else { Exit::Ok })
}
