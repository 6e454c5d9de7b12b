//! `policy-without-rls`: `CREATE POLICY` on a table this migration creates without enabling
//! row-level security on it.
//!
//! **Why it hurts**: a policy does nothing until `ENABLE ROW LEVEL SECURITY`: every row stays
//! visible to everyone, and the migration looks like it protected them. **Instead**: enable
//! RLS on the table in the same migration. **Example**: `ALTER TABLE calls ENABLE ROW LEVEL SECURITY;`
//! For a table the file does not create, `plumb check` says: it flags it when the target's
//! table has RLS off.

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
            let shown = s.written_after(&["ON"]).unwrap_or_else(|| table.clone());
            // A table of this file must get RLS here; an existing one must have it in the target.
            let target_rls = ctx.target.and_then(|t| t.tables.get(&table)).map(|f| f.rls);
            let protected = ctx.enables_rls(&table) || (!ctx.creates_table(&table) && target_rls != Some(false));
            (!protected)
                .then(|| (s.range.clone(), format!("policy on {shown}, which never gets ROW LEVEL SECURITY enabled")))
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
