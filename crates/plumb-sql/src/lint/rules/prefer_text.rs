//! `prefer-text`: a new column of type `varchar(n)` (`character varying(n)`) or `char(n)`.
//!
//! `char(n)` also pads every value with spaces to its length, which comparisons and
//! `length()` then see differently (squawk's `ban-char-field`).
//!
//! **Why it hurts**: the length is a business rule in the type: changing it takes an ACCESS
//! EXCLUSIVE lock (and a table rewrite when it shrinks), and `varchar(n)` is no faster than
//! `text`. **Instead**: `text`, with `CHECK (length(col) <= n)` if the limit matters (a check
//! can be replaced `NOT VALID` and validated without blocking). **Example**: `email
//! varchar(255)` → `email text CHECK (length(email) <= 255)`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "prefer-text",
    severity: Severity::Warning,
    help: "use text, with CHECK (length(col) <= n) if the limit matters",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    let mut out = Vec::new();
    for column in ctx.new_columns() {
        let varchar = match column.get(1).map(|t| t.upper.as_str()) {
            Some("VARCHAR") => column.get(2).is_some_and(|t| t.text == "("),
            Some("CHARACTER") => {
                column.get(2).is_some_and(|t| t.upper == "VARYING") && column.get(3).is_some_and(|t| t.text == "(")
            }
            _ => false,
        };
        // char(n) pads with spaces and still has a length limit (squawk's ban-char-field).
        let char = matches!(column.get(1).map(|t| t.upper.as_str()), Some("CHAR" | "CHARACTER" | "BPCHAR"))
            && column.get(2).is_none_or(|t| t.upper != "VARYING");
        if varchar {
            out.push((column[1].range.clone(), format!("column {} is a varchar with a length", column[0].text)));
        } else if char {
            out.push((column[1].range.clone(), format!("column {} is a blank-padded char", column[0].text)));
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
    fn prefer_text_ok() {
        assert!(ids("CREATE TABLE t (a text, b varchar, c text CHECK (length(c) <= 10));", false).is_empty());
    }

    #[test]
    fn prefer_text_err() {
        assert_eq!(ids("CREATE TABLE t (email varchar(255) NOT NULL);", false), ["prefer-text"]);
        assert_eq!(ids("ALTER TABLE t ADD COLUMN code character varying(3);", false), ["prefer-text"]);
        assert_eq!(ids("CREATE TABLE t (code char(2), flag character);", false), ["prefer-text", "prefer-text"]);
    }
}
