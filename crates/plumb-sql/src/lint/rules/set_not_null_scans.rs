//! `set-not-null-scans`: `ALTER COLUMN ... SET NOT NULL` on an existing table without a
//! validated `CHECK (col IS NOT NULL)` first.
//!
//! **Why it hurts**: PostgreSQL scans the whole table to check for NULLs while holding ACCESS
//! EXCLUSIVE: no reads, no writes until it is done. With a validated CHECK constraint in place
//! it skips the scan (PostgreSQL 12+). **Instead**: add `CHECK (col IS NOT NULL) NOT VALID`,
//! `VALIDATE CONSTRAINT` it (weaker lock), then `SET NOT NULL`, then drop the check.
//! **Example**: see the help text.

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "set-not-null-scans",
    severity: Severity::Warning,
    help: "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it, then SET NOT NULL, then drop the check",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    let mut validated = false;
    let mut out = Vec::new();
    for s in &ctx.statements {
        if s.starts_with(&["ALTER", "TABLE"]) && s.has(&["VALIDATE", "CONSTRAINT"]) {
            validated = true;
        }
        if s.starts_with(&["ALTER", "TABLE"]) && s.has(&["SET", "NOT", "NULL"]) && !validated {
            let Some(table) = s.name_after(&["TABLE"]) else { continue };
            let shown = s.written_after(&["TABLE"]).unwrap_or_else(|| table.clone());
            if ctx.existing(&table) {
                out.push((s.range.clone(), format!("SET NOT NULL scans all of {shown} under an exclusive lock")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn set_not_null_scans_ok() {
        let text = "ALTER TABLE t ADD CONSTRAINT c CHECK (x IS NOT NULL) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;\nALTER TABLE t ALTER COLUMN x SET NOT NULL;";
        assert!(ids(text, false).is_empty());
    }

    #[test]
    fn set_not_null_scans_err() {
        assert_eq!(ids("ALTER TABLE t ALTER COLUMN x SET NOT NULL;", false), ["set-not-null-scans"]);
    }
}
