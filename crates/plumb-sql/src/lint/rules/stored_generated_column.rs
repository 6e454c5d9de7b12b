//! `stored-generated-column`: `ADD COLUMN … GENERATED ALWAYS AS (…) STORED` on an existing table.
//!
//! **Why it hurts**: PostgreSQL rewrites the whole table to compute the column, holding ACCESS
//! EXCLUSIVE: no reads, no writes until every row is rewritten. **Instead**: add a plain nullable
//! column, backfill it in batches and keep it current with a trigger, or compute it in a view.
//! **Example**: crates.io's `0212`-style `ADD COLUMN path_text text GENERATED ALWAYS AS (...)
//! STORED` on a large table.

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "stored-generated-column",
    severity: Severity::Warning,
    help: "add a plain column and backfill it in batches (a trigger keeps it current), or compute it in a view",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| {
            s.starts_with(&["ALTER", "TABLE"]) && s.has(&["ADD"]) && s.has(&["GENERATED"]) && s.has(&["STORED"])
        })
        .filter_map(|s| {
            ctx.on_existing_table(s, &["TABLE"], |shown, rows| {
                format!("a stored generated column rewrites all of {shown}{rows} under an exclusive lock")
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
    fn stored_generated_column_ok() {
        let new = "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int GENERATED ALWAYS AS (a * 2) STORED;";
        assert!(ids(new, false).is_empty());
        assert!(ids("ALTER TABLE t ADD COLUMN id int GENERATED ALWAYS AS IDENTITY;", false).is_empty());
    }

    #[test]
    fn stored_generated_column_err() {
        let text = "ALTER TABLE t ADD COLUMN b int GENERATED ALWAYS AS (a * 2) STORED;";
        assert_eq!(ids(text, false), ["stored-generated-column"]);
    }
}
