//! `volatile-default`: `ADD COLUMN ... DEFAULT <volatile function>` on an existing table.
//!
//! **Why it hurts**: a constant default is free since PostgreSQL 11, but a volatile one
//! (`random()`, `gen_random_uuid()`, `clock_timestamp()`, `nextval(...)`) makes PostgreSQL
//! compute it for every existing row: a full rewrite under ACCESS EXCLUSIVE. **Instead**: add
//! the column without a default (or with a constant one), set the default, backfill in batches.
//! A `serial` column added to an existing table is the same case (its default is
//! `nextval()`). **Example**: `ADD COLUMN token uuid DEFAULT gen_random_uuid()` → `ADD COLUMN token uuid;`
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
/// Only the default's own expression counts: from after `DEFAULT` to the end of its column
/// (the next top-level comma), and a maybe-volatile call only when the expression is one.
fn called<'t>(tokens: &'t [crate::lint::Token<'t>]) -> Option<(&'t crate::lint::Token<'t>, bool)> {
    let mut depth = 0i32;
    let end = tokens
        .iter()
        .position(|t| {
            match t.text {
                "(" => depth += 1,
                ")" => depth -= 1,
                _ => {}
            }
            depth < 0 || (depth == 0 && matches!(t.text, "," | ";"))
        })
        .unwrap_or(tokens.len());
    let expression = &tokens[..end];
    if let Some(t) = expression.iter().find(|t| VOLATILE.contains(&t.upper.as_str())) {
        return Some((t, true));
    }
    match expression {
        [name, open, ..]
            if open.text == "("
                && !name.string
                && name.upper.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !NOT_VOLATILE.contains(&name.upper.as_str()) =>
        {
            Some((name, false))
        }
        _ => None,
    }
}

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| s.starts_with(&["ALTER", "TABLE"]) && s.has(&["ADD"]))
        .filter_map(|s| {
            // A serial column's default is nextval(): as volatile as any.
            let serial = s.new_columns().into_iter().find(|c| {
                c.get(1).is_some_and(|t| {
                    matches!(t.upper.as_str(), "SERIAL" | "BIGSERIAL" | "SMALLSERIAL" | "SERIAL2" | "SERIAL4" | "SERIAL8")
                })
            });
            if let Some(column) = serial {
                return ctx.on_existing_table(s, &["TABLE"], |table, rows| {
                    format!(
                        "{} {} fills nextval() into every existing row of {table}{rows}: a full rewrite",
                        column[0].text, column[1].text
                    )
                });
            }
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
        // documenso: the next column's type and a primary key are not the default's calls.
        let next = "ALTER TABLE \"User\" ADD COLUMN \"a\" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,\nADD COLUMN \"b\" TIMESTAMP(3);";
        assert!(ids(next, false).is_empty());
        let key = "ALTER TABLE t ADD COLUMN id text NOT NULL DEFAULT 'x', ADD CONSTRAINT t_pkey PRIMARY KEY (id);";
        assert!(ids(key, false).is_empty());
    }

    #[test]
    fn volatile_default_err() {
        assert_eq!(ids("ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();", false), ["volatile-default"]);
        assert_eq!(ids("ALTER TABLE t ADD COLUMN id bigserial;", false), ["volatile-default"]);
        assert!(ids("CREATE TABLE t (id bigserial);", false).is_empty(), "a new table has no rows");
        // crates.io 0147: a user-defined function, VOLATILE unless declared otherwise.
        let text = "ALTER TABLE emails ADD COLUMN token TEXT NOT NULL DEFAULT random_string(26);";
        let findings = crate::lint::lint(text, false);
        let found = findings.iter().find(|f| f.rule == super::RULE.id).expect("flagged");
        assert!(found.message.contains("random_string() may be volatile"), "{}", found.message);
    }
}
