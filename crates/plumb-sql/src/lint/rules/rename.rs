//! `rename`: `ALTER ... RENAME`.
//!
//! **Why it hurts**: code deployed before the migration still uses the old name and fails
//! from the moment it commits until the new code is out. **Instead**: expand and contract:
//! add the new column or table, write both, move readers, then drop the old one.
//! **Example**: `ALTER TABLE users RENAME COLUMN mail TO email` → add `email`, backfill, switch, drop `mail`.

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "rename",
    severity: Severity::Warning,
    help: "expand and contract: add the new name, move code to it, then drop the old one",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| s.starts_with(&["ALTER"]) && s.has(&["RENAME"]))
        .map(|s| (s.range.clone(), "renaming breaks code that still uses the old name".to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn rename_ok() {
        assert!(ids("ALTER TABLE users ADD COLUMN email text;", false).is_empty());
    }

    #[test]
    fn rename_err() {
        assert_eq!(ids("ALTER TABLE users RENAME COLUMN mail TO email;", false), ["rename"]);
    }
}
