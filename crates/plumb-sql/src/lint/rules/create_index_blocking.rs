//! `create-index-blocking`: `CREATE INDEX` without `CONCURRENTLY` on a table this migration
//! does not create.
//!
//! **Why it hurts**: it takes a SHARE lock: every write to the table waits until the whole
//! index is built. **Instead**: `CREATE INDEX CONCURRENTLY` in a `-- plumb:no-transaction`
//! migration. **Example**: `CREATE INDEX i ON calls (org)` →
//! `CREATE INDEX CONCURRENTLY i ON calls (org)`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "create-index-blocking",
    severity: Severity::Warning,
    help: "build it with CREATE INDEX CONCURRENTLY in a `-- plumb:no-transaction` migration",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| {
            (s.starts_with(&["CREATE", "INDEX"]) || s.starts_with(&["CREATE", "UNIQUE", "INDEX"]))
                && !s.has(&["CONCURRENTLY"])
        })
        .filter_map(|s| {
            ctx.on_existing_table(s, &["ON"], |shown, rows| {
                format!("CREATE INDEX on existing table {shown}{rows} blocks its writes until built")
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
    fn create_index_blocking_ok() {
        assert!(ids("CREATE TABLE calls (org int);\nCREATE INDEX i ON calls (org);", false).is_empty());
    }

    #[test]
    fn create_index_blocking_err() {
        assert_eq!(ids("CREATE INDEX i ON public.calls (org);", false), ["create-index-blocking"]);
    }

    #[test]
    fn messages_keep_names_as_written() {
        let findings = crate::lint::lint("CREATE INDEX i ON public.\"WorkflowRun\" (org);", false);
        let message = &findings.iter().find(|f| f.rule == super::RULE.id).unwrap().message;
        assert!(message.contains("public.\"WorkflowRun\""), "{message}");
    }
}
