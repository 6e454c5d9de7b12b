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

/// Built-in functions a default commonly calls that are not volatile (stable or immutable):
/// PostgreSQL stores their value once for existing rows. Any other function (a user-defined one,
/// VOLATILE unless declared otherwise, like crates.io's `random_string()`) may be volatile.
const NOT_VOLATILE: [&str; 24] = [
    "NOW",
    "LOWER",
    "UPPER",
    "COALESCE",
    "NULLIF",
    "ARRAY",
    "ROW",
    "CAST",
    "LENGTH",
    "TO_JSONB",
    "TO_JSON",
    "JSONB_BUILD_OBJECT",
    "JSON_BUILD_OBJECT",
    "JSONB_BUILD_ARRAY",
    "JSON_BUILD_ARRAY",
    "MAKE_INTERVAL",
    "TO_TIMESTAMP",
    "CONCAT",
    "REPLACE",
    "TRIM",
    "ABS",
    "GREATEST",
    "LEAST",
    "CURRENT_SETTING",
];

/// The function a default calls, when it may be volatile: `(function token, known volatile)`.
fn called<'t>(tokens: &'t [crate::lint::Token<'t>]) -> Option<(&'t crate::lint::Token<'t>, bool)> {
    if let Some(t) = tokens.iter().find(|t| VOLATILE.contains(&t.upper.as_str())) {
        return Some((t, true));
    }
    // The first call of the default expression: a name right before `(`.
    let call =
        tokens.windows(2).find(|w| w[1].text == "(" && w[0].upper.chars().all(|c| c.is_alphanumeric() || c == '_'))?;
    let name = &call[0];
    (!name.string && !NOT_VOLATILE.contains(&name.upper.as_str()) && name.upper != "DEFAULT").then_some((name, false))
}

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| s.starts_with(&["ALTER", "TABLE"]) && s.has(&["ADD"]))
        .filter_map(|s| {
            let default = s.find(&["DEFAULT"])?;
            let (function, known) = called(&s.tokens[default + 1..])?;
            let table = s.name_after(&["TABLE"])?;
            let shown = s.written_after(&["TABLE"]).unwrap_or_else(|| table.clone());
            ctx.existing(&table).then(|| {
                (
                    s.range.clone(),
                    if known {
                        format!("default {}() is computed for every existing row of {shown}: a full rewrite", function.text)
                    } else {
                        format!(
                            "default {}() may be volatile (functions are VOLATILE unless declared otherwise): then it is \
                             computed for every existing row of {shown}, a full rewrite",
                            function.text
                        )
                    },
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
        assert!(ids("ALTER TABLE t ADD COLUMN n int NOT NULL DEFAULT 0;", false).is_empty());
        assert!(ids("ALTER TABLE t ADD COLUMN tags text[] DEFAULT ARRAY[]::text[];", false).is_empty());
        assert!(ids("ALTER TABLE t ADD COLUMN c jsonb DEFAULT '{}'::jsonb;", false).is_empty());
    }

    #[test]
    fn volatile_default_err() {
        assert_eq!(ids("ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();", false), ["volatile-default"]);
        // crates.io 0147: a user-defined function, VOLATILE unless declared otherwise.
        let text = "ALTER TABLE emails ADD COLUMN token TEXT NOT NULL DEFAULT random_string(26);";
        let findings = crate::lint::lint(text, false);
        let found = findings.iter().find(|f| f.rule == super::RULE.id).expect("flagged");
        assert!(found.message.contains("random_string() may be volatile"), "{}", found.message);
    }
}
