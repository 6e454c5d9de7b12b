//! A repair plan in plain words, and how its execution ended.

use std::collections::BTreeMap;

use plumb_doctor::{Executed, Plan};

use crate::output::{Output, Style};

/// The plan in plain words, on stdout.
pub fn render_plan(plan: &Plan, rows: &BTreeMap<String, i64>, output: Output) {
    for line in plan_lines(plan, rows) {
        output.result(&line);
    }
}

/// The plan in plain words, line by line.
pub fn plan_lines(plan: &Plan, rows: &BTreeMap<String, i64>) -> Vec<String> {
    let mut lines = vec![if plan.is_empty() {
        "nothing to run".to_owned()
    } else {
        format!(
            "Repair plan (history in {}): converge to {} in one transaction ({} step(s)), then apply {} migration(s)",
            plan.history.table(),
            plan.converge_version.as_deref().unwrap_or("no migration"),
            plan.steps.len(),
            plan.roll_forward.len()
        )
    }];
    lines.extend(plan.summary().into_iter().map(|l| format!("  {l}")));
    if !rows.is_empty() {
        let touched: Vec<String> = rows.iter().map(|(t, n)| format!("{t} ({n} rows)")).collect();
        lines.push(format!("  rows touched: only in {}", touched.join(", ")));
    }
    lines.extend(plan.alternatives.iter().map(|a| format!("  alternative: {a}")));
    lines
}

/// How an execution ended, in words (the JSON report says it all with `--json`).
pub fn executed(plan: &Plan, executed: &Executed, output: Output) {
    if !executed.backup.tables.is_empty() {
        output.info(&format!(
            "backup ({}) of {}: {}",
            executed.backup.method,
            executed.backup.tables.join(", "),
            executed.backup.restore
        ));
    }
    if output.settings.json {
        return;
    }
    if executed.committed {
        output.result(&output.paint(
            &format!(
                "repaired: {} step(s) committed in {} ms, {} migration(s) applied after; history and schema agree; {} other table(s) kept their rows and checksums",
                plan.steps.len(),
                executed.duration_ms,
                executed.rolled_forward.len(),
                executed.tables_checked
            ),
            Style::Ok,
        ));
    } else {
        output.result(&output.paint("rolled back, nothing changed:", Style::Error));
        for r in &executed.reasons {
            output.result(&format!("  {r}"));
        }
    }
}
