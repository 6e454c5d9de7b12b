//! `drop-cascade`: `DROP ... CASCADE`, and `TRUNCATE ... CASCADE`, which empties every table
//! whose foreign keys point at the truncated one.
//!
//! **Why it hurts**: it silently drops whatever depends on the object: views, foreign keys,
//! policies, sometimes far away from what the author meant (incident 1's hotfix had to check
//! by hand what CASCADE would take). **Instead**: drop the dependents explicitly, by name.
//! **Example**: `DROP TABLE integrations CASCADE;` → `ALTER TABLE jobs DROP CONSTRAINT jobs_integration_fk; DROP TABLE integrations;`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "drop-cascade",
    severity: Severity::Warning,
    help: "drop the dependent objects explicitly, by name, so the migration says what it removes",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| {
            (s.starts_with(&["DROP"]) || s.starts_with(&["ALTER"]) || s.starts_with(&["TRUNCATE"]))
                && s.has(&["CASCADE"])
        })
        .map(|s| (s.range.clone(), "CASCADE drops every dependent object without naming it".to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn drop_cascade_ok() {
        assert!(ids("DROP VIEW v;", false).is_empty());
    }

    #[test]
    fn drop_cascade_err() {
        assert_eq!(ids("DROP VIEW v CASCADE;", false), ["drop-cascade"]);
        // squawk's ban-truncate-cascade: it empties every table that references this one.
        assert_eq!(ids("TRUNCATE t CASCADE;", false), ["drop-cascade"]);
    }
}
