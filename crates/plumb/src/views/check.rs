//! A `check` report: text for the terminal, Markdown and HTML for sharing (PASS/FAIL per
//! area, as the incident 4 report had it).

use plumb_doctor::{CheckReport, StatementOutcome};

use crate::output::{Output, Style};
use crate::report;

pub fn text(target: &str, checked: &CheckReport, findings: &[report::LintFinding], pending: usize, output: Output) {
    output.result(target);
    if pending == 0 {
        output.result(&output.paint("PASS: nothing pending", Style::Ok));
        return;
    }
    for extension in &checked.clone.missing_extensions {
        output.result(&format!("clone: extension {extension} is not available on the shadow's server; objects using it are missing from the clone"));
    }
    for failure in &checked.clone.failures {
        output.result(&format!("clone: {failure}"));
    }
    for s in &checked.statements {
        let status = if s.status == plumb_doctor::StatementStatus::Ok {
            output.paint("ok    ", Style::Ok)
        } else {
            output.paint("FAILED", Style::Error)
        };
        let mut notes = Vec::new();
        if s.rewrites {
            notes.push("rewrites a table".to_owned());
        }
        if s.validates_rows {
            notes.push("validates existing rows".to_owned());
        }
        // Every lock the statement needs, as the JSON lists them.
        notes.extend(s.locks.iter().cloned());
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
            let failed = all.iter().filter(|s| s.status == plumb_doctor::StatementStatus::Failed).count();
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
pub fn html(target: &str, checked: &CheckReport, findings: &[report::LintFinding]) -> String {
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
    let failures: Vec<&StatementOutcome> =
        checked.statements.iter().filter(|s| s.status == plumb_doctor::StatementStatus::Failed).collect();
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
pub fn markdown(target: &str, checked: &CheckReport, findings: &[report::LintFinding]) -> String {
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
    let failures: Vec<&StatementOutcome> =
        checked.statements.iter().filter(|s| s.status == plumb_doctor::StatementStatus::Failed).collect();
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
