//! `transaction-control`: `BEGIN`, `COMMIT`, `ROLLBACK` inside a migration.
//!
//! **Why it hurts**: plumb commits each migration together with its history row; a COMMIT in
//! the file would commit half a migration without its record (the root of incident 5).
//! **Instead**: leave transactions to plumb; split work that must commit separately into two
//! migrations, or use `-- plumb:no-transaction`. **Example**: `...; COMMIT; ...;` → two files.
//! A whole-file `BEGIN; … COMMIT;` wrapper is fine: plumb's transaction takes its place.

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "transaction-control",
    severity: Severity::Error,
    help: "remove it: plumb runs each migration and its history row in one transaction",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    let control = |s: &&crate::lint::Stmt<'_>| {
        ["BEGIN", "COMMIT", "ROLLBACK", "END", "START", "ABORT"].iter().any(|w| s.starts_with(&[w]))
            && !s.starts_with(&["BEGIN", "ATOMIC"])
    };
    let found: Vec<&crate::lint::Stmt<'_>> = ctx.statements.iter().filter(control).collect();
    // A whole-file `BEGIN; … COMMIT;` wrapper of a transactional migration is what `apply`
    // accepts: plumb's own transaction takes its place.
    let (first, last) = (ctx.statements.first(), ctx.statements.last());
    let wrapper = !ctx.no_transaction
        && found.len() == 2
        && ctx.statements.len() >= 2
        && first.is_some_and(|s| s.starts_with(&["BEGIN"]) || s.starts_with(&["START"]))
        && last.is_some_and(|s| s.starts_with(&["COMMIT"]) || s.starts_with(&["END"]))
        && std::ptr::eq(found[0], first.unwrap())
        && std::ptr::eq(found[1], last.unwrap());
    if wrapper {
        return Vec::new();
    }
    found.into_iter().map(|s| (s.range.clone(), format!("{} inside a migration", s.tokens[0].upper))).collect()
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn transaction_control_ok() {
        assert!(ids("CREATE TABLE t (id int);", false).is_empty());
    }

    #[test]
    fn transaction_control_ok_for_a_whole_file_wrapper() {
        assert!(ids("BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;", false).is_empty());
    }

    #[test]
    fn transaction_control_err() {
        assert_eq!(ids("CREATE TABLE t (id int);\nCOMMIT;\nCREATE TABLE u (id int);", false), ["transaction-control"]);
        assert_eq!(
            ids("BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;", true),
            ["transaction-control", "transaction-control"],
            "a no-transaction migration has no transaction to replace"
        );
    }
}
