//! `foreign-key-validates`: a foreign key or CHECK added to an existing table without `NOT VALID`.
//!
//! **Why it hurts**: adding it scans every row to validate it while holding a lock that blocks
//! writes (SHARE ROW EXCLUSIVE on both tables for a foreign key). Teams then delete the
//! constraint altogether (incident 3). **Instead**: add it `NOT VALID` (instant), then
//! `VALIDATE CONSTRAINT` in a later step, which takes a weaker lock. **Example**:
//! `ALTER TABLE calls ADD CONSTRAINT calls_org_fk FOREIGN KEY (org) REFERENCES orgs (id) NOT VALID;`
//! then `ALTER TABLE calls VALIDATE CONSTRAINT calls_org_fk;`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "foreign-key-validates",
    severity: Severity::Warning,
    help: "add it NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later step",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| s.starts_with(&["ALTER", "TABLE"]) && s.has(&["ADD"]) && !s.has(&["NOT", "VALID"]))
        .filter(|s| s.has(&["FOREIGN", "KEY"]) || s.has(&["REFERENCES"]) || s.has(&["CHECK"]))
        .filter_map(|s| {
            ctx.on_existing_table(s, &["TABLE"], |shown, rows| {
                format!("constraint added to existing table {shown}{rows} validates every row under a blocking lock")
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
    fn foreign_key_validates_ok() {
        assert!(
            ids("ALTER TABLE calls ADD CONSTRAINT f FOREIGN KEY (o) REFERENCES orgs (id) NOT VALID;", false).is_empty()
        );
    }

    #[test]
    fn foreign_key_validates_err() {
        assert_eq!(
            ids("ALTER TABLE calls ADD CONSTRAINT f FOREIGN KEY (o) REFERENCES orgs (id);", false),
            ["foreign-key-validates"]
        );
    }
}
