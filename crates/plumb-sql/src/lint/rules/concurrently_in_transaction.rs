//! `concurrently-in-transaction`: `CREATE INDEX CONCURRENTLY` (or `DROP`/`REINDEX ... CONCURRENTLY`)
//! in a migration that runs in a transaction.
//!
//! **Why it hurts**: PostgreSQL refuses it inside a transaction block, so the migration fails
//! every time. **Instead**: put it in its own migration that starts with
//! `-- plumb:no-transaction`. **Example**: `-- plumb:no-transaction` then
//! `CREATE INDEX CONCURRENTLY idx_calls_org ON calls (organization_id);`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "concurrently-in-transaction",
    severity: Severity::Error,
    help: "move it to its own migration starting with `-- plumb:no-transaction`",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    if ctx.no_transaction {
        return Vec::new();
    }
    ctx.statements
        .iter()
        .filter(|s| {
            (s.starts_with(&["CREATE"]) || s.starts_with(&["DROP"]) || s.starts_with(&["REINDEX"]))
                && s.has(&["CONCURRENTLY"])
        })
        .map(|s| (s.range.clone(), "CONCURRENTLY cannot run inside a transaction".to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn concurrently_in_transaction_ok() {
        assert!(ids("CREATE INDEX CONCURRENTLY i ON t (x);", true).is_empty());
    }

    #[test]
    fn concurrently_in_transaction_err() {
        assert_eq!(ids("CREATE INDEX CONCURRENTLY i ON t (x);", false), ["concurrently-in-transaction"]);
    }
}
