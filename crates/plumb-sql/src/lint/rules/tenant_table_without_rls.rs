//! `tenant-table-without-rls`: a new table in `public` with a tenant column (`org_id`,
//! `organization_id`, `tenant_id`) and no row-level security.
//!
//! **Why it hurts**: on Supabase and similar platforms `public` is exposed through the API;
//! without RLS every tenant reads every other tenant's rows. **Instead**: enable RLS and add
//! policies in the same migration. **Example**: `ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;`
//! `CREATE POLICY invoices_tenant ON invoices USING (organization_id = auth_org());`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "tenant-table-without-rls",
    severity: Severity::Warning,
    help: "enable ROW LEVEL SECURITY on it and add tenant policies in the same migration",
    check,
};

const TENANT_COLUMNS: [&str; 3] = ["ORG_ID", "ORGANIZATION_ID", "TENANT_ID"];

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| {
            s.starts_with(&["CREATE", "TABLE"]) && s.tokens.iter().any(|t| TENANT_COLUMNS.contains(&t.upper.as_str()))
        })
        .filter_map(|s| {
            // Only the exposed schema: unqualified or public.
            let i = s.find(&["TABLE"])? + 1;
            let qualified = s.tokens.get(i + 1).is_some_and(|t| t.text == ".");
            if qualified && s.tokens[i].upper != "PUBLIC" {
                return None;
            }
            let table = s.name_after(&["TABLE"])?;
            let shown = s.written_after(&["TABLE"]).unwrap_or_else(|| table.clone());
            (!ctx.enables_rls(&table))
                .then(|| (s.range.clone(), format!("{shown} holds tenant data in public without ROW LEVEL SECURITY")))
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
    fn tenant_table_without_rls_ok() {
        let text = "CREATE TABLE invoices (id int, organization_id int);\nALTER TABLE invoices ENABLE ROW LEVEL SECURITY;\nCREATE TABLE private.audit (org_id int);";
        assert!(ids(text, false).is_empty());
    }

    #[test]
    fn tenant_table_without_rls_err() {
        assert_eq!(
            ids("CREATE TABLE public.invoices (id int, organization_id int);", false),
            ["tenant-table-without-rls"]
        );
    }
}
