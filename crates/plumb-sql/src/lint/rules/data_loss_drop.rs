//! `data-loss-drop`: `DROP TABLE`, `ALTER TABLE ... DROP COLUMN`, `TRUNCATE`, `DROP SCHEMA`,
//! `DROP DATABASE`.
//!
//! **Why it hurts**: the data is gone, and code still running against the old schema breaks.
//! **Instead**: stop using the object first, back it up or archive it, then drop it in a later
//! release; say so with `-- plumb:allow data-loss-drop <reason>`.
//! **Example**: `-- plumb:allow data-loss-drop archived to s3 in #1234` before `DROP TABLE old_calls;`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "data-loss-drop",
    severity: Severity::Warning,
    help: "make sure nothing reads it and the data is kept elsewhere; then allow it with a reason",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    let mut out = Vec::new();
    for s in &ctx.statements {
        if s.starts_with(&["DROP", "TABLE"]) {
            let name = s.name_after(&["TABLE"]).unwrap_or_default();
            if !ctx.creates_table(&name) {
                out.push((s.range.clone(), format!("DROP TABLE {name} destroys its rows")));
            }
        } else if s.starts_with(&["DROP", "SCHEMA"]) || s.starts_with(&["DROP", "DATABASE"]) {
            let kind = &s.tokens[1].text;
            let name = s.written_after(&[&s.tokens[1].upper]).unwrap_or_default();
            out.push((s.range.clone(), format!("DROP {kind} {name} destroys everything in it")));
        } else if s.starts_with(&["TRUNCATE"]) {
            out.push((s.range.clone(), "TRUNCATE destroys every row".to_owned()));
        } else if s.starts_with(&["ALTER", "TABLE"]) && s.has(&["DROP", "COLUMN"]) {
            let column = s.name_after(&["DROP", "COLUMN"]).unwrap_or_default();
            out.push((s.range.clone(), format!("DROP COLUMN {column} destroys its values")));
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
    fn data_loss_drop_ok() {
        assert!(ids("DROP INDEX i;\nALTER TABLE t DROP CONSTRAINT c;", false).is_empty());
    }

    #[test]
    fn data_loss_drop_err() {
        assert_eq!(ids("ALTER TABLE t DROP COLUMN x;\nDROP TABLE u;", false), ["data-loss-drop", "data-loss-drop"]);
        assert_eq!(
            ids("DROP SCHEMA IF EXISTS legacy;\nDROP DATABASE old;", false),
            ["data-loss-drop", "data-loss-drop"]
        );
    }
}
