//! `volatile-default`: `ADD COLUMN ... DEFAULT <volatile function>` on an existing table.
//!
//! **Why it hurts**: a constant default is free since PostgreSQL 11, but a volatile one
//! (`random()`, `gen_random_uuid()`, `clock_timestamp()`, `nextval(...)`) makes PostgreSQL
//! compute it for every existing row: a full rewrite under ACCESS EXCLUSIVE. **Instead**: add
//! the column without a default (or with a constant one), set the default, backfill in batches.
//! **Example**: `ADD COLUMN token uuid DEFAULT gen_random_uuid()` → `ADD COLUMN token uuid;`
//! `ALTER COLUMN token SET DEFAULT gen_random_uuid();` then backfill.

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "volatile-default",
    severity: Severity::Warning,
    help: "add the column without it, SET DEFAULT afterwards, and backfill existing rows in batches",
    check,
};

const VOLATILE: [&str; 6] =
    ["RANDOM", "GEN_RANDOM_UUID", "CLOCK_TIMESTAMP", "NEXTVAL", "UUID_GENERATE_V4", "TIMEOFDAY"];

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| s.starts_with(&["ALTER", "TABLE"]) && s.has(&["ADD"]))
        .filter_map(|s| {
            let default = s.find(&["DEFAULT"])?;
            let function = s.tokens[default + 1..].iter().find(|t| VOLATILE.contains(&t.upper.as_str()))?;
            let table = s.name_after(&["TABLE"])?;
            let shown = s.written_after(&["TABLE"]).unwrap_or_else(|| table.clone());
            ctx.existing(&table).then(|| {
                (
                    s.range.clone(),
                    format!(
                        "default {}() is computed for every existing row of {shown}: a full rewrite",
                        function.text
                    ),
                )
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
    fn volatile_default_ok() {
        assert!(ids("ALTER TABLE t ADD COLUMN created timestamptz DEFAULT now();", false).is_empty());
    }

    #[test]
    fn volatile_default_err() {
        assert_eq!(ids("ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();", false), ["volatile-default"]);
    }
}
