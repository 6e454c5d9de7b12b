//! `empty-migration`: a file with no statement at all (comments only, or nothing).
//!
//! **Why it hurts**: `apply` records it as applied and nothing changes: a placeholder that was
//! meant to be filled in, or a file whose content went elsewhere, passes for done. **Instead**:
//! write its statements, or delete the file before it is applied. **Example**: a
//! `0042_add_index.sql` holding only `-- TODO`.

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "empty-migration",
    severity: Severity::Warning,
    help: "write its statements, or delete the file before it is applied",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    if ctx.statements.is_empty() && ctx.meta_commands.is_empty() {
        return vec![(0..0, "the file holds no statement: apply records it and changes nothing".into())];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn empty_migration_ok() {
        assert!(ids("-- adds nothing yet\nSELECT 1;", false).is_empty());
    }

    #[test]
    fn empty_migration_err() {
        assert_eq!(ids("-- TODO\n", false), ["empty-migration"]);
        assert_eq!(ids("", false), ["empty-migration"]);
    }
}
