//! `policy-without-rls`: `CREATE POLICY` on a table this migration creates without enabling
//! row-level security on it.
//!
//! **Why it hurts**: a policy does nothing until `ENABLE ROW LEVEL SECURITY`: every row stays
//! visible to everyone, and the migration looks like it protected them. **Instead**: enable
//! RLS on the table in the same migration. **Example**: `ALTER TABLE calls ENABLE ROW LEVEL SECURITY;`
//! (Whether an existing table has RLS on is `plumb check`'s to say.)

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "policy-without-rls",
    severity: Severity::Warning,
    help: "ALTER TABLE ... ENABLE ROW LEVEL SECURITY in the same migration, or the policy protects nothing",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| s.starts_with(&["CREATE", "POLICY"]))
        .filter_map(|s| {
            let table = s.name_after(&["ON"])?;
            (ctx.creates_table(&table) && !ctx.enables_rls(&table))
                .then(|| (s.range.clone(), format!("policy on {table}, which never gets ROW LEVEL SECURITY enabled")))
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
    fn policy_without_rls_ok() {
        let text =
            "CREATE TABLE t (id int);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON t USING (true);";
        assert!(ids(text, false).is_empty());
    }

    #[test]
    fn policy_without_rls_err() {
        assert_eq!(ids("CREATE TABLE t (id int);\nCREATE POLICY p ON t USING (true);", false), ["policy-without-rls"]);
    }
}
