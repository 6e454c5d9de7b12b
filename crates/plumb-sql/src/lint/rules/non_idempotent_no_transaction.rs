//! `non-idempotent-no-transaction`: in a `-- plumb:no-transaction` migration, a
//! `CREATE INDEX CONCURRENTLY` without `IF NOT EXISTS` or a `DROP INDEX CONCURRENTLY` without
//! `IF EXISTS`.
//!
//! **Why it hurts**: these statements cannot run in a transaction, so a crash can leave them
//! done while the history says otherwise; running the migration again (plumb resumes at the
//! statement, other tools start over) then fails with "already exists" / "does not exist".
//! **Instead**: make them idempotent. **Example**: `CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (x);`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "non-idempotent-no-transaction",
    severity: Severity::Warning,
    help: "add IF NOT EXISTS / IF EXISTS so running it again after a crash succeeds",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    if !ctx.no_transaction {
        return Vec::new();
    }
    ctx.statements
        .iter()
        .filter(|s| {
            let create = (s.starts_with(&["CREATE", "INDEX", "CONCURRENTLY"])
                || s.starts_with(&["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY"]))
                && !s.has(&["IF", "NOT", "EXISTS"]);
            let drop = s.starts_with(&["DROP", "INDEX", "CONCURRENTLY"]) && !s.has(&["IF", "EXISTS"]);
            create || drop
        })
        .map(|s| (s.range.clone(), "not idempotent: running it again after a crash fails".to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn non_idempotent_no_transaction_ok() {
        assert!(ids("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (x);", true).is_empty());
    }

    #[test]
    fn non_idempotent_no_transaction_err() {
        assert_eq!(ids("CREATE INDEX CONCURRENTLY i ON t (x);", true), ["non-idempotent-no-transaction"]);
    }
}
