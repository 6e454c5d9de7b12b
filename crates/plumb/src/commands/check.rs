//! `plumb check`: the pending migrations on a clone of the target, before anything touches it.

use anyhow::Result;
use plumb_catalog::InspectOptions;
use plumb_doctor::{CheckReport, StatementOutcome};
use plumb_migrate::ApplyOptions;

use super::{Exit, load_migrations};
use crate::cli::{CheckArgs, CheckFormat, FailOn};
use crate::output::{Output, Style};
use crate::report;
use crate::settings::GlobalSettings;
use crate::shadow::Shadow;
use crate::target::{self, Access, Notices};

pub async fn run(settings: &GlobalSettings, args: &CheckArgs, output: Output) -> Result<Exit> {
    let set = load_migrations(&args.doctor.dir.dir)?;
    let info = target::conninfo(settings, output)?;
    let conn = target::connect_to(&info, output, Access::ReadOnly, &Notices::default()).await?;
    let history = plumb_migrate::read_history(&conn).await?.unwrap_or_default();
    let (pending, _) = plumb_migrate::plan(&set, &history, &ApplyOptions::default())?;
    let schema = plumb_catalog::inspect(&conn, &InspectOptions::default()).await?;
    let purpose = format!("checking {} pending migration(s) on a clone of the target", pending.len());
    let shadow = Shadow::open(&info, conn.server_major(), &args.doctor.shadow, output, &purpose).await?;
    let result = async {
        let clone = plumb_doctor::clone_target(shadow.connection(), &schema).await?;
        plumb_doctor::check(shadow.connection(), &set, &pending, &schema, clone).await
    }
    .await;
    shadow.close().await;
    let checked = result?;

    // Lint against the target: which tables exist there, their size, their RLS.
    let mut facts = plumb_sql::lint::Target::default();
    for row in conn
        .client()
        .query(
            "SELECT lower(c.relname), c.reltuples::int8, c.relrowsecurity FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
            &[],
        )
        .await?
    {
        let rows: i64 = row.get(1);
        let entry = facts.tables.entry(row.get(0)).or_insert(plumb_sql::lint::TableFacts { rows, rls: row.get(2) });
        entry.rows = entry.rows.max(rows);
    }
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
    let failed = checked.statements.iter().filter(|s| s.status == "failed").count();
    let lint_errors = findings.iter().filter(|f| f.severity == "error").count();
    let warnings = findings.len() - lint_errors
        + checked.statements.iter().filter(|s| s.status == "ok" && s.diagnosis.is_some()).count();
    let format = if output.settings.json { CheckFormat::Json } else { args.format };
    match format {
        CheckFormat::Json => output.json(&report::CheckJson {
            format: report::FORMAT,
            target: conn.target(),
            pending: pending.iter().map(|p| p.migration.version.to_string()).collect(),
            clone: &checked.clone,
            statements: &checked.statements,
            missing_objects: &checked.missing_objects,
            findings: &findings,
            summary: report::CheckSummary { statements: checked.statements.len(), failed, lint_errors, warnings },
        }),
        CheckFormat::Markdown => output.result(&markdown(conn.target(), &checked, &findings)),
        CheckFormat::Html => output.result(&html(conn.target(), &checked, &findings)),
        CheckFormat::Github => {
            for s in checked.statements.iter().filter(|s| s.status == "failed") {
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

pub fn text(target: &str, checked: &CheckReport, findings: &[report::LintFinding], output: Output) {
    output.result(target);
    output.info(&format!("cloned the target's schema in {} ms", checked.clone.duration_ms));
    for extension in &checked.clone.missing_extensions {
        output.result(&format!("clone: extension {extension} is not available on the shadow's server; objects using it are missing from the clone"));
    }
    for failure in &checked.clone.failures {
        output.result(&format!("clone: {failure}"));
    }
    for s in &checked.statements {
        let status =
            if s.status == "ok" { output.paint("ok    ", Style::Ok) } else { output.paint("FAILED", Style::Error) };
        let mut notes = Vec::new();
        if s.rewrites {
            notes.push("rewrites a table".to_owned());
        }
        if s.validates_rows {
            notes.push("validates existing rows".to_owned());
        }
        notes.extend(s.locks.iter().filter(|l| l.starts_with("AccessExclusive")).cloned());
        output.result(&format!(
            "{status} {}:{}:{} {}{}",
            s.file,
            s.line,
            s.column,
            s.sql_head,
            if notes.is_empty() { String::new() } else { format!("  [{}]", notes.join("; ")) }
        ));
        if let Some(e) = &s.error {
            output.result(&format!("         {} {}", e.code, e.message));
        }
        if let Some(d) = &s.diagnosis {
            output.result(&format!("         → {d}"));
        }
    }
    for f in findings {
        output.result(&format!("{}:{}:{}: {} [{}] {}", f.file, f.line, f.column, f.severity, f.rule, f.message));
    }
    if !checked.missing_objects.is_empty() {
        output.result(&format!("missing: {}", checked.missing_objects.join(", ")));
    }
    output.result(&if checked.passed() {
        output.paint("PASS: every pending statement runs on a clone of the target", Style::Ok)
    } else {
        output.paint("FAIL: these migrations cannot apply to this target as it is", Style::Error)
    });
}

/// PASS/FAIL per area: (area, result, statements, failed).
fn areas(checked: &CheckReport) -> Vec<(&'static str, &'static str, usize, usize)> {
    ["schema", "RLS and policies", "indexes", "functions and triggers", "types and enums", "foreign keys"]
        .into_iter()
        .map(|name| {
            let all: Vec<&StatementOutcome> = checked.statements.iter().filter(|s| area(s) == name).collect();
            let failed = all.iter().filter(|s| s.status == "failed").count();
            let result = if all.is_empty() {
                "—"
            } else if failed == 0 {
                "PASS"
            } else {
                "FAIL"
            };
            (name, result, all.len(), failed)
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The verification report as a standalone page (no scripts, no external resources).
fn html(target: &str, checked: &CheckReport, findings: &[report::LintFinding]) -> String {
    let passed = checked.passed() && !findings.iter().any(|f| f.severity == "error");
    let mut out = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>plumb check</title>\n<style>body{{font-family:system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em}}.PASS{{color:#176f2c}}.FAIL{{color:#b00020}}code{{background:#f4f4f4}}</style></head><body>\n<h1>Preflight: pending migrations on <code>{}</code></h1>\n<table><tr><th>area</th><th>result</th><th>statements</th><th>failed</th></tr>\n",
        escape(target)
    );
    for (name, result, count, failed) in areas(checked) {
        out.push_str(&format!(
            "<tr><td>{name}</td><td class=\"{result}\">{result}</td><td>{count}</td><td>{failed}</td></tr>\n"
        ));
    }
    out.push_str("</table>\n");
    if !checked.missing_objects.is_empty() {
        out.push_str("<h2>Missing objects</h2><ul>\n");
        for m in &checked.missing_objects {
            out.push_str(&format!("<li><code>{}</code></li>\n", escape(m)));
        }
        out.push_str("</ul>\n");
    }
    let failures: Vec<&StatementOutcome> = checked.statements.iter().filter(|s| s.status == "failed").collect();
    if !failures.is_empty() {
        out.push_str("<h2>Failures</h2><ul>\n");
        for s in failures {
            let e = s.error.as_ref();
            out.push_str(&format!(
                "<li><code>{}:{}:{}</code> <code>{}</code><br>error {}: {}<br>{}</li>\n",
                escape(&s.file),
                s.line,
                s.column,
                escape(&s.sql_head),
                e.map_or(String::new(), |e| escape(&e.code)),
                e.map_or(String::new(), |e| escape(&e.message)),
                escape(s.diagnosis.as_deref().unwrap_or(""))
            ));
        }
        out.push_str("</ul>\n");
    }
    if !findings.is_empty() {
        out.push_str("<h2>Lint</h2><ul>\n");
        for f in findings {
            out.push_str(&format!(
                "<li>{} <code>{}</code> at <code>{}:{}:{}</code>: {} — {}</li>\n",
                f.severity,
                f.rule,
                escape(&f.file),
                f.line,
                f.column,
                escape(&f.message),
                escape(f.help)
            ));
        }
        out.push_str("</ul>\n");
    }
    let verdict = if passed { "PASS" } else { "FAIL" };
    out.push_str(&format!("<p class=\"{verdict}\"><strong>{verdict}</strong></p>\n</body></html>"));
    out
}

/// Which area of the verification report a statement belongs to.
fn area(s: &StatementOutcome) -> &'static str {
    let head = s.sql_head.to_uppercase();
    if head.contains("POLICY") || head.contains("ROW LEVEL SECURITY") {
        "RLS and policies"
    } else if head.contains("INDEX") {
        "indexes"
    } else if head.contains("FUNCTION") || head.contains("TRIGGER") || head.contains("PROCEDURE") {
        "functions and triggers"
    } else if head.contains("TYPE") || head.contains("DOMAIN") {
        "types and enums"
    } else if head.contains("FOREIGN KEY") || head.contains("REFERENCES") {
        "foreign keys"
    } else {
        "schema"
    }
}

/// The incident-4 verification report, written by a machine.
fn markdown(target: &str, checked: &CheckReport, findings: &[report::LintFinding]) -> String {
    let mut out = format!(
        "# Preflight: pending migrations on `{target}`\n\n| area | result | statements | failed |\n|---|---|---|---|\n"
    );
    for (name, result, count, failed) in areas(checked) {
        out.push_str(&format!("| {name} | {result} | {count} | {failed} |\n"));
    }
    let blocking = checked
        .statements
        .iter()
        .filter(|s| s.rewrites || s.locks.iter().any(|l| l.starts_with("AccessExclusive")))
        .count();
    out.push_str(&format!(
        "| locks and readiness | {} | {blocking} take ACCESS EXCLUSIVE locks or rewrite | — |\n",
        if blocking == 0 { "PASS" } else { "REVIEW" }
    ));
    let lint_errors = findings.iter().filter(|f| f.severity == "error").count();
    out.push_str(&format!(
        "| lint | {} | {} findings | {lint_errors} errors |\n",
        if lint_errors == 0 { "PASS" } else { "FAIL" },
        findings.len()
    ));
    if !checked.missing_objects.is_empty() {
        out.push_str("\n## Missing objects\n\n");
        for m in &checked.missing_objects {
            out.push_str(&format!("- `{m}`\n"));
        }
    }
    let failures: Vec<&StatementOutcome> = checked.statements.iter().filter(|s| s.status == "failed").collect();
    if !failures.is_empty() {
        out.push_str("\n## Failures\n\n");
        for s in failures {
            let e = s.error.as_ref();
            out.push_str(&format!(
                "- `{}:{}:{}` `{}`\n  - error {}: {}\n  - {}\n",
                s.file,
                s.line,
                s.column,
                s.sql_head,
                e.map_or("", |e| e.code.as_str()),
                e.map_or("", |e| e.message.as_str()),
                s.diagnosis.as_deref().unwrap_or("")
            ));
        }
    }
    if !findings.is_empty() {
        out.push_str("\n## Lint\n\n");
        for f in findings {
            out.push_str(&format!(
                "- {} `{}` at `{}:{}:{}`: {} — {}\n",
                f.severity, f.rule, f.file, f.line, f.column, f.message, f.help
            ));
        }
    }
    out.push_str(&format!("\n**{}**\n", if checked.passed() && lint_errors == 0 { "PASS" } else { "FAIL" }));
    out
}
