//! `transaction-control`: `BEGIN`, `COMMIT`, `ROLLBACK` inside a migration.
//!
//! **Why it hurts**: plumb commits each migration together with its history row; a COMMIT in
//! the file would commit half a migration without its record (the root of incident 5).
//! **Instead**: leave transactions to plumb; split work that must commit separately into two
//! migrations, or use `-- plumb:no-transaction`. **Example**: `BEGIN; ...; COMMIT;` → `...;`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "transaction-control",
    severity: Severity::Error,
    help: "remove it: plumb runs each migration and its history row in one transaction",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| {
            ["BEGIN", "COMMIT", "ROLLBACK", "END", "START", "ABORT"].iter().any(|w| s.starts_with(&[w]))
                && !s.starts_with(&["BEGIN", "ATOMIC"])
        })
        .map(|s| (s.range.clone(), format!("{} inside a migration", s.tokens[0].upper)))
        .collect()
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn transaction_control_ok() {
        assert!(ids("CREATE TABLE t (id int);", false).is_empty());
    }

    #[test]
    fn transaction_control_err() {
        assert_eq!(
            ids("BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;", false),
            ["transaction-control", "transaction-control"]
        );
    }
}
