//! `type-change-rewrites`: `ALTER TABLE ... ALTER COLUMN ... TYPE` on an existing table.
//!
//! **Why it hurts**: most type changes rewrite the whole table and its indexes under an ACCESS
//! EXCLUSIVE lock: no reads, no writes, for as long as that takes; values that do not convert
//! abort it. **Instead**: add a new column, backfill in batches, switch, drop the old one; or
//! make sure the change is binary-compatible (e.g. varchar(n) to text). **Example**:
//! `ALTER TABLE users ALTER COLUMN id TYPE varchar(36)` on a big table → new column + backfill.

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "type-change-rewrites",
    severity: Severity::Warning,
    help: "add a new column and backfill it, or check the change does not rewrite (varchar(n) → text does not)",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| s.changes_column_type())
        .filter_map(|s| {
            let table = s.name_after(&["TABLE"])?;
            let shown = s.written_after(&["TABLE"]).unwrap_or_else(|| table.clone());
            ctx.existing(&table).then(|| {
                (
                    s.range.clone(),
                    format!("changing a column type of {shown} can rewrite the table under an exclusive lock"),
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
    fn type_change_rewrites_ok() {
        assert!(ids("ALTER TABLE users ALTER COLUMN id SET NOT NULL;", false).is_empty());
        // A column named `type`, added beside an ALTER COLUMN: no type changes.
        let named_type = "ALTER TABLE users ALTER COLUMN id SET DEFAULT 1, ADD COLUMN type text;";
        assert!(ids(named_type, false).is_empty());
    }

    #[test]
    fn type_change_rewrites_err() {
        assert_eq!(ids("ALTER TABLE users ALTER COLUMN id TYPE varchar(36);", false), ["type-change-rewrites"]);
    }
}
