//! `syntax-error`: SQL the parser cannot read, at the place it stops.
//!
//! **Why it hurts**: `apply` stops there and the migration (with everything after it) does not
//! run; caught here, no database is needed to see it. PostgreSQL stays the judge: `plumb check`
//! runs the statements on a clone of the target. **Instead**: fix the statement. **Example**:
//! `CREATE TABLE t (id int,);` → `CREATE TABLE t (id int);`

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "syntax-error",
    severity: Severity::Error,
    help: "fix the statement; `plumb check` runs it on a clone of the target when in doubt",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    // psql's meta-commands are not SQL; `psql-meta-command` reports them. Blanked (positions
    // kept), so the parser reads what is around them.
    let mut text = ctx.text.as_bytes().to_vec();
    for (range, _) in &ctx.meta_commands {
        for b in &mut text[range.clone()] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    let text = String::from_utf8_lossy(&text);
    // The first error only: those after it are often the parser losing its footing.
    squawk_syntax::SourceFile::parse(&text)
        .errors()
        .first()
        .map(|e| {
            let range = e.range();
            let start = usize::from(range.start()).min(ctx.text.len());
            let end = usize::from(range.end()).clamp(start, ctx.text.len());
            vec![(start..end.max(start), format!("syntax error: {}", e.message()))]
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn syntax_error_ok() {
        assert!(
            ids("\\echo 'creating'\nCREATE TABLE t (id int);", false).is_empty(),
            "meta-commands are another rule's"
        );
        assert!(
            ids("CREATE TABLE t (id int);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;", false)
                .is_empty()
        );
    }

    #[test]
    fn syntax_error_err() {
        let text = "CREATE TABLE a (id int);\n".repeat(39) + "CREATE TABLE t (id int,, name text);\n";
        let findings = crate::lint::lint(&text, false);
        let found = findings.iter().find(|f| f.rule == super::RULE.id).expect("a syntax error");
        let line = text[..found.range.start].matches('\n').count() + 1;
        assert_eq!(line, 40);
    }
}
