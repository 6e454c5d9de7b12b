//! `not-null-without-default`: `ADD COLUMN … NOT NULL` without a `DEFAULT` on an existing table.
//!
//! **Why it hurts**: on a table with rows it fails (`column contains null values`), and the
//! migration stops; it only passes where the table happens to be empty, so it breaks in
//! production after passing in development. **Instead**: add the column with a `DEFAULT` (no
//! rewrite for a constant default, PostgreSQL 11+), or nullable, backfill, then `SET NOT NULL`.
//! **Example**: `ADD COLUMN plan text NOT NULL` → `ADD COLUMN plan text NOT NULL DEFAULT 'free'`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "not-null-without-default",
    severity: Severity::Error,
    help: "give it a DEFAULT, or add it nullable, backfill, then SET NOT NULL",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        // `ADD [COLUMN]`, not `ADD CONSTRAINT … CHECK (x IS NOT NULL)`.
        .filter(|s| s.starts_with(&["ALTER", "TABLE"]) && s.has(&["ADD"]) && !s.has(&["ADD", "CONSTRAINT"]))
        .filter(|s| {
            s.has(&["NOT", "NULL"])
                && !s.has(&["DEFAULT"])
                && !s.has(&["GENERATED"])
                && !s.tokens.iter().any(|t| matches!(t.upper.as_str(), "SERIAL" | "BIGSERIAL" | "SMALLSERIAL"))
        })
        .filter_map(|s| {
            ctx.on_existing_table(s, &["TABLE"], |shown, rows| {
                format!(
                    "a NOT NULL column without a default fails on existing table {shown}{rows} as soon as it has rows"
                )
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
    fn not_null_without_default_ok() {
        assert!(ids("ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';", false).is_empty());
        assert!(ids("ALTER TABLE users ADD COLUMN plan text;", false).is_empty());
        assert!(
            ids("CREATE TABLE users (id int);\nALTER TABLE users ADD COLUMN plan text NOT NULL;", false).is_empty()
        );
        assert!(ids("ALTER TABLE users ADD CONSTRAINT c CHECK (plan IS NOT NULL) NOT VALID;", false).is_empty());
    }

    #[test]
    fn not_null_without_default_err() {
        assert_eq!(ids("ALTER TABLE users ADD COLUMN plan text NOT NULL;", false), ["not-null-without-default"]);
    }
}
