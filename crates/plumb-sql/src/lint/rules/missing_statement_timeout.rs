//! `missing-statement-timeout`: a statement that scans or rewrites an existing table while
//! holding a lock that blocks writes, with no `statement_timeout` set before it.
//!
//! **Why it hurts**: `lock_timeout` only bounds the wait *for* the lock. Once granted, a table
//! rewrite (`ALTER COLUMN … TYPE`), a validating scan (`SET NOT NULL`, a foreign key or CHECK
//! without `NOT VALID`, a UNIQUE constraint) or an index build without `CONCURRENTLY` holds it
//! for as long as the table takes to read: on a big table, minutes of blocked writes, with no
//! limit. **Instead**: `SET statement_timeout = '…'` at the top of the migration (or `plumb
//! apply --statement-timeout 10min`), sized to what the application can stand; a statement
//! that runs out is rolled back with its migration. **Example**: `SET statement_timeout =
//! '2min';` then `ALTER TABLE calls ALTER COLUMN note TYPE text;`
//!
//! Only the first such statement of a file is reported: one `SET` at the top covers them all.

use crate::lint::{Context, Hit, Rule, Severity, Stmt};

pub(super) const RULE: Rule = Rule {
    id: "missing-statement-timeout",
    severity: Severity::Warning,
    help: "SET statement_timeout = '…' first (or run plumb apply --statement-timeout 10min) so a long scan gives up",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    ctx.first_before_setting("STATEMENT_TIMEOUT", |s| {
        let (words, what) = scan_under_lock(s)?;
        ctx.on_existing_table(s, words, |table, rows| {
            format!("{what} {table}{rows} under a lock that blocks writes, with no statement_timeout")
        })
    })
}

/// When `s` reads or rewrites a whole table while holding a lock that blocks writes: the words
/// before the table's name and what it does, for the message.
fn scan_under_lock(s: &Stmt<'_>) -> Option<(&'static [&'static str], &'static str)> {
    if s.starts_with(&["ALTER", "TABLE"]) {
        if s.changes_column_type() {
            return Some((&["TABLE"], "rewrites"));
        }
        if s.has(&["SET", "NOT", "NULL"]) {
            return Some((&["TABLE"], "scans"));
        }
        let validating = s.has(&["ADD"])
            && !s.has(&["NOT", "VALID"])
            && !s.has(&["USING", "INDEX"])
            && (s.has(&["FOREIGN", "KEY"])
                || s.has(&["CHECK"])
                || s.has(&["UNIQUE"])
                || s.has(&["PRIMARY", "KEY"])
                || s.has(&["EXCLUDE"]));
        if validating {
            return Some((&["TABLE"], "scans"));
        }
        if s.has(&["GENERATED", "ALWAYS"]) && s.has(&["STORED"]) {
            return Some((&["TABLE"], "rewrites"));
        }
        return None;
    }
    let index = s.starts_with(&["CREATE", "INDEX"]) || s.starts_with(&["CREATE", "UNIQUE", "INDEX"]);
    if index && !s.has(&["CONCURRENTLY"]) {
        return Some((&["ON"], "builds an index on"));
    }
    None
}

#[cfg(test)]
mod tests {
    /// This rule's findings only: each test speaks for its own rule.
    fn ids(text: &str, no_transaction: bool) -> Vec<&'static str> {
        super::super::ids(text, no_transaction).into_iter().filter(|r| *r == super::RULE.id).collect()
    }

    #[test]
    fn missing_statement_timeout_ok() {
        let set = "SET statement_timeout = '2min';\nALTER TABLE t ALTER COLUMN x TYPE bigint;";
        assert!(ids(set, false).is_empty());
        let local = "SET LOCAL statement_timeout TO '2min';\nCREATE INDEX i ON t (x);";
        assert!(ids(local, false).is_empty());
        // Nothing that holds a write-blocking lock while it reads the table.
        for quick in [
            "ALTER TABLE t ADD COLUMN x int;",
            "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (o) REFERENCES orgs (id) NOT VALID;",
            "ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX u_idx;",
            "CREATE INDEX CONCURRENTLY i ON t (x);",
            "ALTER TABLE t OWNER TO app;",
            "ALTER TABLE t ADD COLUMN type text;",
        ] {
            assert!(ids(quick, false).is_empty(), "{quick}");
        }
        // A table the same file creates is empty: nothing to scan.
        assert!(ids("CREATE TABLE t (x int);\nCREATE INDEX i ON t (x);", false).is_empty());
    }

    #[test]
    fn missing_statement_timeout_err() {
        for slow in [
            "ALTER TABLE t ALTER COLUMN x TYPE bigint;",
            "ALTER TABLE t ALTER x SET DATA TYPE bigint;",
            "ALTER TABLE t ALTER COLUMN x SET NOT NULL;",
            "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (o) REFERENCES orgs (id);",
            "ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0);",
            "ALTER TABLE t ADD PRIMARY KEY (id);",
            "ALTER TABLE t ADD COLUMN y int GENERATED ALWAYS AS (x * 2) STORED;",
            "CREATE UNIQUE INDEX i ON t (x);",
            // A lock_timeout bounds the wait, not the scan.
            "SET lock_timeout = '5s';\nCREATE INDEX i ON t (x);",
        ] {
            assert_eq!(ids(slow, false), ["missing-statement-timeout"], "{slow}");
        }
        // One finding per file: one SET covers them all.
        let two = "CREATE INDEX i ON t (x);\nALTER TABLE t ALTER COLUMN x TYPE bigint;";
        assert_eq!(ids(two, false).len(), 1);
    }
}
