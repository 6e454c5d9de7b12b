//! `enum-value-used-in-transaction`: `ALTER TYPE ... ADD VALUE 'v'` and a later use of `'v'` in
//! the same transactional migration.
//!
//! **Why it hurts**: PostgreSQL refuses to use a new enum value before the transaction that
//! added it commits ("unsafe use of new value"), so the migration always fails.
//! **Instead**: add the value in its own migration, use it in the next one. **Example**:
//! `0041_add_archived.sql`: `ALTER TYPE status ADD VALUE 'archived';` then
//! `0042_archive_old.sql`: `UPDATE posts SET status = 'archived' WHERE ...;`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "enum-value-used-in-transaction",
    severity: Severity::Error,
    help: "add the enum value in its own migration and use it in a later one",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    if ctx.no_transaction {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, s) in ctx.statements.iter().enumerate() {
        if !(s.starts_with(&["ALTER", "TYPE"]) && s.has(&["ADD", "VALUE"])) {
            continue;
        }
        let Some(value) = s.tokens.iter().skip_while(|t| t.upper != "VALUE").find(|t| t.string) else { continue };
        // Adding the same value to another enum (or placing one BEFORE/AFTER it) is not a use.
        for later in
            ctx.statements[i + 1..].iter().filter(|l| !(l.starts_with(&["ALTER", "TYPE"]) && l.has(&["ADD", "VALUE"])))
        {
            if let Some(used) = later.tokens.iter().find(|t| t.string && t.text == value.text) {
                out.push((used.range.clone(), format!("{} is used in the transaction that adds it", value.text)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn enum_value_used_in_transaction_ok() {
        assert!(ids("ALTER TYPE status ADD VALUE 'archived';", false).is_empty());
        // trigger.dev's history: one value added to two enums, used by neither.
        let two = "ALTER TYPE \"JobRunStatus\" ADD VALUE 'EXPIRED';\nALTER TYPE \"TaskRunStatus\" ADD VALUE 'EXPIRED';";
        assert!(ids(two, false).is_empty());
    }

    #[test]
    fn enum_value_used_in_transaction_err() {
        let text = "ALTER TYPE status ADD VALUE 'archived';\nUPDATE posts SET status = 'archived';";
        assert_eq!(ids(text, false), ["enum-value-used-in-transaction"]);
    }
}
