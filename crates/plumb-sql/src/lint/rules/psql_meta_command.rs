//! `psql-meta-command`: `\echo`, `\i`, `\set` and friends in a migration.
//!
//! **Why it hurts**: they are psql's, not SQL: the server, web SQL editors (Supabase's among
//! them) and every other client reject them, so the migration works in one place only
//! (incident 3). **Instead**: plain SQL; `RAISE NOTICE` in a `DO` block to print.
//! **Example**: `\echo 'creating calls'` → `DO $$ BEGIN RAISE NOTICE 'creating calls'; END $$;`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "psql-meta-command",
    severity: Severity::Error,
    help: "remove it: migrations must be plain SQL (use RAISE NOTICE in a DO block to print)",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.meta_commands
        .iter()
        .map(|(range, command)| (range.clone(), format!("psql meta-command {command} is not SQL")))
        .collect()
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn psql_meta_command_ok() {
        assert!(ids("DO $$ BEGIN RAISE NOTICE 'hi'; END $$;", false).is_empty());
    }

    #[test]
    fn psql_meta_command_err() {
        assert_eq!(ids("\\echo hi\nSELECT 1;", false), ["psql-meta-command"]);
    }
}
