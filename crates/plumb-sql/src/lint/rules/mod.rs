//! The rules, one file each.

mod concurrently_in_transaction;
mod create_index_blocking;
mod data_loss_drop;
mod drop_cascade;
mod drop_index_blocking;
mod empty_migration;
mod enum_value_used_in_transaction;
mod foreign_key_validates;
mod if_not_exists_masks_shape;
mod missing_lock_timeout;
mod missing_statement_timeout;
mod non_idempotent_no_transaction;
mod not_null_without_default;
mod policy_without_rls;
mod prefer_bigint_keys;
mod prefer_text;
mod prefer_timestamptz;
mod psql_meta_command;
mod rename;
mod secret_in_migration;
mod security_definer_search_path;
mod set_not_null_scans;
mod stored_generated_column;
mod syntax_error;
mod tenant_table_without_rls;
mod transaction_control;
mod type_change_rewrites;
mod unique_constraint_blocking;
mod volatile_default;

use super::Rule;

/// Every rule, in id order.
pub(super) const ALL: &[Rule] = &[
    concurrently_in_transaction::RULE,
    create_index_blocking::RULE,
    data_loss_drop::RULE,
    drop_cascade::RULE,
    drop_index_blocking::RULE,
    empty_migration::RULE,
    enum_value_used_in_transaction::RULE,
    foreign_key_validates::RULE,
    if_not_exists_masks_shape::RULE,
    missing_lock_timeout::RULE,
    missing_statement_timeout::RULE,
    non_idempotent_no_transaction::RULE,
    not_null_without_default::RULE,
    policy_without_rls::RULE,
    prefer_bigint_keys::RULE,
    prefer_text::RULE,
    prefer_timestamptz::RULE,
    psql_meta_command::RULE,
    rename::RULE,
    secret_in_migration::RULE,
    security_definer_search_path::RULE,
    set_not_null_scans::RULE,
    stored_generated_column::RULE,
    syntax_error::RULE,
    tenant_table_without_rls::RULE,
    transaction_control::RULE,
    type_change_rewrites::RULE,
    unique_constraint_blocking::RULE,
    volatile_default::RULE,
];

#[cfg(test)]
pub(crate) fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
    super::lint(text, no_transaction).into_iter().map(|f| f.rule).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_kebab_case_and_sorted() {
        let ids: Vec<&str> = super::ALL.iter().map(|r| r.id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert!(ids.iter().all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
    }

    #[test]
    fn against_a_target_existing_means_present_there() {
        use crate::lint::{TableFacts, Target, lint_against};
        let mut target = Target::default();
        target.tables.insert("big".into(), TableFacts { rows: 5000, rls: false });
        target.tables.insert("guarded".into(), TableFacts { rows: 10, rls: true });
        let findings = lint_against(
            "SET lock_timeout = '5s';\nSET statement_timeout = '1min';\nCREATE INDEX i ON big (x);",
            false,
            Some(&target),
        );
        assert_eq!(findings.len(), 1);
        assert!(findings[0].message.contains("big (~5000 rows)"), "{findings:?}");
        // A table an earlier pending migration creates is not in the target: nothing to block.
        assert!(lint_against("CREATE INDEX i ON fresh (x);", false, Some(&target)).is_empty());
        assert_eq!(
            super::ids("CREATE INDEX i ON fresh (x);", false),
            ["create-index-blocking", "missing-lock-timeout", "missing-statement-timeout"]
        );
        // Policies: the target says whether RLS is on.
        let rules =
            |text: &str| lint_against(text, false, Some(&target)).into_iter().map(|f| f.rule).collect::<Vec<_>>();
        assert_eq!(rules("CREATE POLICY p ON big USING (true);"), ["policy-without-rls"]);
        assert!(rules("CREATE POLICY p ON guarded USING (true);").is_empty());
    }

    #[test]
    fn allow_comments_suppress_one_rule() {
        let text = "-- plumb:allow data-loss-drop the table was archived first\nDROP TABLE old_things;";
        assert!(super::ids(text, false).is_empty());
        let text = "-- plumb:allow rename wrong rule\nDROP TABLE old_things;";
        assert_eq!(super::ids(text, false), ["data-loss-drop"]);
    }
}
