//! `security-definer-search-path`: a `SECURITY DEFINER` function without `SET search_path`.
//!
//! **Why it hurts**: it runs with its owner's rights but resolves names through the caller's
//! search_path, so a caller can put their own `users` table or `=` operator first and run code
//! as the owner. **Instead**: pin the path: `SET search_path = pg_catalog, public` (or empty,
//! with qualified names). **Example**: `CREATE FUNCTION f() ... SECURITY DEFINER SET search_path = pg_catalog, public AS ...`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "security-definer-search-path",
    severity: Severity::Error,
    help: "add SET search_path = pg_catalog, public (or '' with qualified names) to the function",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.statements
        .iter()
        .filter(|s| s.starts_with(&["CREATE"]) && s.has(&["SECURITY", "DEFINER"]) && !s.has(&["SET", "SEARCH_PATH"]))
        .map(|s| (s.range.clone(), "SECURITY DEFINER function without a fixed search_path".to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn security_definer_search_path_ok() {
        let text =
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT 1';";
        assert!(ids(text, false).is_empty());
    }

    #[test]
    fn security_definer_search_path_err() {
        let text = "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';";
        assert_eq!(ids(text, false), ["security-definer-search-path"]);
    }
}
