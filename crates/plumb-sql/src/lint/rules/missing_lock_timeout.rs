//! `missing-lock-timeout`: a statement that takes a strong lock on an existing table, with no
//! `lock_timeout` set before it.
//!
//! **Why it hurts**: while it waits for its lock (behind a long query), every other query on
//! the table queues behind it: the application stalls. **Instead**: `SET lock_timeout = '5s'`
//! at the top of the migration (or `plumb apply --lock-timeout 5s`) and retry on timeout.
//! **Example**: `SET lock_timeout = '5s';` then `ALTER TABLE calls ADD COLUMN note text;`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "missing-lock-timeout",
    severity: Severity::Warning,
    help: "SET lock_timeout = '5s' first (or run plumb apply --lock-timeout 5s) so a blocked lock fails fast",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.first_before_setting("LOCK_TIMEOUT", |s| {
        let after: &[&str] = if s.starts_with(&["ALTER", "TABLE"]) {
            &["TABLE"]
        } else if (s.starts_with(&["CREATE", "INDEX"]) || s.starts_with(&["CREATE", "UNIQUE", "INDEX"]))
            && !s.has(&["CONCURRENTLY"])
        {
            &["ON"]
        } else {
            return None;
        };
        let table = s.name_after(after)?;
        ctx.existing(&table).then(|| {
            let shown = s.written_after(after).unwrap_or_default();
            (s.range.clone(), format!("locks existing table {shown} without a lock_timeout"))
        })
    })
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn missing_lock_timeout_ok() {
        assert!(ids("SET lock_timeout = '5s';\nALTER TABLE t ADD COLUMN x int;", false).is_empty());
    }

    #[test]
    fn missing_lock_timeout_err() {
        assert_eq!(ids("ALTER TABLE t ADD COLUMN x int;", false), ["missing-lock-timeout"]);
    }
}
