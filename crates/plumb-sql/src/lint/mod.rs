//! Lint: dangerous or broken statements in migration files, found from syntax alone.
//!
//! Each rule lives in its own file under `rules/` with a stable kebab-case id and its
//! documentation: what it catches, why it hurts, the safe alternative, an example.
//! A finding is suppressed by a comment naming the rule in the statement or on the
//! line before it: `-- plumb:allow <rule-id> <reason>`.
//! Without a target, "an existing table" means one the same file does not create; inside
//! `plumb check` ([`lint_against`]) it means one the target has, with its row estimate.

mod context;
mod rules;

use std::ops::Range;

pub use context::{Context, Stmt, TableFacts, Target, Token};

use crate::split::split;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing.
    Warning,
    /// Will break or lose data.
    Error,
}

impl Severity {
    /// `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One rule: an id, a severity, and a check over a whole file.
pub struct Rule {
    /// Stable kebab-case id, used in reports and `plumb:allow` comments.
    pub id: &'static str,
    /// How bad its findings are.
    pub severity: Severity,
    /// The safe alternative, in a sentence.
    pub help: &'static str,
    /// Finds the offending ranges, each with a message.
    pub check: fn(&Context<'_>) -> Vec<Hit>,
}

/// Where a rule fires, and what it says there.
pub type Hit = (Range<usize>, String);

/// One finding in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's id.
    pub rule: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// Byte range in the file.
    pub range: Range<usize>,
    /// What is wrong, here.
    pub message: String,
    /// What to do instead.
    pub help: &'static str,
}

/// Every rule plumb has.
pub fn rules() -> &'static [Rule] {
    rules::ALL
}

/// Lints one migration file. `no_transaction`: it runs with `-- plumb:no-transaction`.
pub fn lint(text: &str, no_transaction: bool) -> Vec<Finding> {
    lint_against(text, no_transaction, None)
}

/// As [`lint`], knowing the target: "existing table" then means one the target has, and
/// messages carry its row estimate.
pub fn lint_against(text: &str, no_transaction: bool, target: Option<&Target>) -> Vec<Finding> {
    let script = split(text);
    let context = Context::against(text, &script, no_transaction, target);
    let mut findings = Vec::new();
    for rule in rules::ALL {
        for (range, message) in (rule.check)(&context) {
            if !context.allowed(rule.id, &range) {
                findings.push(Finding { rule: rule.id, severity: rule.severity, range, message, help: rule.help });
            }
        }
    }
    findings.sort_by(|a, b| a.range.start.cmp(&b.range.start).then(a.rule.cmp(b.rule)));
    findings
}
