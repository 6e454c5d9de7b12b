//! `unique-constraint-blocking`: `ADD CONSTRAINT … UNIQUE` or `ADD PRIMARY KEY` on an existing
//! table without `USING INDEX`.
//!
//! **Why it hurts**: PostgreSQL builds the index while holding ACCESS EXCLUSIVE on the table:
//! no reads, no writes until the whole index exists. **Instead**: `CREATE UNIQUE INDEX
//! CONCURRENTLY` first (a no-transaction migration), then `ADD CONSTRAINT … UNIQUE USING INDEX`,
//! which only takes the lock for an instant. **Example**: `ALTER TABLE users ADD CONSTRAINT
//! users_email_key UNIQUE (email)` → `CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users
//! (email);` then `ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX
//! users_email_key`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "unique-constraint-blocking",
    severity: Severity::Warning,
    help: "CREATE UNIQUE INDEX CONCURRENTLY first (no-transaction), then ADD CONSTRAINT ... UNIQUE USING INDEX",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| s.starts_with(&["ALTER", "TABLE"]) && !s.has(&["USING", "INDEX"]))
        .filter_map(|s| {
            let constraint = s.has(&["ADD", "CONSTRAINT"]);
            let what = if s.has(&["ADD", "PRIMARY", "KEY"]) || (constraint && s.has(&["PRIMARY", "KEY"])) {
                "a primary key"
            } else if constraint && s.tokens.iter().any(|t| t.upper == "UNIQUE") {
                "a unique constraint"
            } else {
                return None;
            };
            ctx.on_existing_table(s, &["TABLE"], |shown, rows| {
                format!("adding {what} to existing table {shown}{rows} builds its index under an exclusive lock")
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
    fn unique_constraint_blocking_ok() {
        assert!(ids("ALTER TABLE users ADD CONSTRAINT k UNIQUE USING INDEX k;", false).is_empty());
        assert!(
            ids("CREATE TABLE users (email text);\nALTER TABLE users ADD CONSTRAINT k UNIQUE (email);", false)
                .is_empty()
        );
    }

    #[test]
    fn unique_constraint_blocking_err() {
        assert_eq!(ids("ALTER TABLE users ADD CONSTRAINT k UNIQUE (email);", false), ["unique-constraint-blocking"]);
        assert_eq!(ids("ALTER TABLE ONLY users ADD PRIMARY KEY (id);", false), ["unique-constraint-blocking"]);
    }
}
