//! `if-not-exists-masks-shape`: `CREATE TABLE IF NOT EXISTS`.
//!
//! **Why it hurts**: when a table of that name already exists with another shape, the create
//! is skipped silently and later statements fail or, worse, succeed against the old shape
//! (incident 3: the old `calls` had no `organization_id`). **Instead**: a plain `CREATE TABLE`,
//! so a clash fails loudly; `plumb check` shows both shapes when the target already has one.
//! **Example**: `CREATE TABLE IF NOT EXISTS calls (...)` → `CREATE TABLE calls (...)`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "if-not-exists-masks-shape",
    severity: Severity::Warning,
    help: "use CREATE TABLE without IF NOT EXISTS so a table of another shape fails loudly",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| s.starts_with(&["CREATE"]) && s.has(&["TABLE", "IF", "NOT", "EXISTS"]))
        .map(|s| {
            let name = s.name_after(&["TABLE"]).unwrap_or_default();
            (
                s.range.clone(),
                format!(
                    "CREATE TABLE IF NOT EXISTS {name}: an existing {name} of another shape would be kept silently"
                ),
            )
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
    fn if_not_exists_masks_shape_ok() {
        assert!(ids("CREATE TABLE calls (id int);", false).is_empty());
    }

    #[test]
    fn if_not_exists_masks_shape_err() {
        assert_eq!(ids("CREATE TABLE IF NOT EXISTS calls (id int);", false), ["if-not-exists-masks-shape"]);
    }
}
