//! `drop-index-blocking`: `DROP INDEX` without `CONCURRENTLY`, of an index this migration did
//! not create.
//!
//! **Why it hurts**: it takes an ACCESS EXCLUSIVE lock on the index's table: no reads or writes
//! until it is gone (and it waits behind every running query first). **Instead**: `DROP INDEX
//! CONCURRENTLY` in a `-- plumb:no-transaction` migration. **Example**: `DROP INDEX
//! users_email_idx` → `DROP INDEX CONCURRENTLY users_email_idx`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "drop-index-blocking",
    severity: Severity::Warning,
    help: "drop it with DROP INDEX CONCURRENTLY in a `-- plumb:no-transaction` migration",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    // An index this file built (on a table it may have created) is nobody else's yet.
    let created: Vec<String> = ctx
        .statements
        .iter()
        .filter(|s| s.starts_with(&["CREATE", "INDEX"]) || s.starts_with(&["CREATE", "UNIQUE", "INDEX"]))
        .filter_map(|s| s.name_after(&["INDEX"]))
        .collect();
    ctx.statements
        .iter()
        .filter(|s| s.starts_with(&["DROP", "INDEX"]) && !s.has(&["CONCURRENTLY"]))
        .filter_map(|s| {
            let index = s.name_after(&["INDEX"])?;
            let shown = s.written_after(&["INDEX"]).unwrap_or_else(|| index.clone());
            (!created.contains(&index)).then(|| {
                (s.range.clone(), format!("DROP INDEX {shown} locks its table against reads and writes until done"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn drop_index_blocking_ok() {
        assert!(ids("-- plumb:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS i;", true).is_empty());
        assert!(ids("CREATE INDEX i ON t (x);\nDROP INDEX i;", false).is_empty(), "its own index");
    }

    #[test]
    fn drop_index_blocking_err() {
        assert_eq!(ids("DROP INDEX IF EXISTS public.users_email_idx;", false), ["drop-index-blocking"]);
    }
}
