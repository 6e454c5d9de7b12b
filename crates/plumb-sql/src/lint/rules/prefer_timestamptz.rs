//! `prefer-timestamptz`: a new column of type `timestamp` (without time zone).
//!
//! **Why it hurts**: the value carries no zone, so what it means depends on the session's
//! `TimeZone` of whoever wrote it; comparisons across zones and daylight-saving changes go
//! silently wrong, and changing the type later rewrites the table. **Instead**: `timestamptz`,
//! which stores an instant. **Example**: `created_at timestamp DEFAULT now()` →
//! `created_at timestamptz DEFAULT now()`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "prefer-timestamptz",
    severity: Severity::Warning,
    help: "use timestamptz (timestamp with time zone): it stores an instant, not a wall-clock reading",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    let mut out = Vec::new();
    for column in ctx.new_columns() {
        let Some((i, ty)) = column.iter().enumerate().skip(1).find(|(_, t)| t.upper == "TIMESTAMP") else {
            continue;
        };
        let zoned = column.get(i + 1).is_some_and(|t| t.upper == "WITH")
            || column.get(i + 1).is_some_and(|t| t.text == "(") && column.get(i + 4).is_some_and(|t| t.upper == "WITH");
        if !zoned {
            out.push((ty.range.clone(), format!("column {} is a timestamp without time zone", column[0].text)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn prefer_timestamptz_ok() {
        assert!(
            ids("CREATE TABLE t (a timestamptz, b timestamp with time zone, c timestamp(3) with time zone);", false)
                .is_empty()
        );
    }

    #[test]
    fn prefer_timestamptz_err() {
        assert_eq!(
            ids("CREATE TABLE t (id int, created_at timestamp NOT NULL DEFAULT now());", false),
            ["prefer-timestamptz"]
        );
        assert_eq!(ids("ALTER TABLE t ADD COLUMN seen timestamp without time zone;", false), ["prefer-timestamptz"]);
    }
}
