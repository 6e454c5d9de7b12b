//! `secret-in-migration`: passwords, API keys or connection strings with passwords in a migration file.
//!
//! **Why it hurts**: migration files live in version control and in CI logs; a secret there
//! is a secret everyone has (incident 2's report leaked an API key and two passwords).
//! **Instead**: create roles without passwords in migrations and set them out of band;
//! read keys from configuration. **Example**: `CREATE ROLE app LOGIN PASSWORD 'x';` →
//! `CREATE ROLE app LOGIN;` plus `ALTER ROLE app PASSWORD ...` run by an operator.

use crate::lint::{Context, Hit, Rule, Severity};

pub(super) const RULE: Rule = Rule {
    id: "secret-in-migration",
    severity: Severity::Error,
    help: "keep secrets out of migrations: set passwords and keys out of band",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Hit> {
    let mut out = Vec::new();
    for s in &ctx.statements {
        for (i, t) in s.tokens.iter().enumerate() {
            if !t.string {
                continue;
            }
            let value = t.text.trim_matches('\'');
            let after_password = i > 0 && s.tokens[i - 1].upper == "PASSWORD" && !value.is_empty();
            let url_with_password = value.contains("://")
                && value
                    .split("://")
                    .nth(1)
                    .is_some_and(|rest| rest.split('@').next().is_some_and(|u| u.contains(':')) && rest.contains('@'));
            let what = if after_password {
                "a password"
            } else if url_with_password {
                "a connection string with a password"
            } else {
                continue;
            };
            out.push((t.range.clone(), format!("{what} is written in the migration")));
        }
    }
    // Keys and tokens anywhere in the file, comments included: the shapes redaction masks.
    for (range, shape) in plumb_secrets::find(ctx.text) {
        if out.iter().any(|(r, _)| r.start <= range.start && range.end <= r.end) {
            continue;
        }
        let what = match shape {
            plumb_secrets::Shape::PrefixedToken => "what looks like an API key or token",
            plumb_secrets::Shape::AwsSecretKey => "what looks like an AWS secret access key",
            plumb_secrets::Shape::PrivateKey => "a private key",
        };
        out.push((range, format!("{what} is written in the migration")));
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
    fn secret_in_migration_ok() {
        assert!(ids("CREATE ROLE app LOGIN;\nCOMMENT ON ROLE app IS 'postgres://host/db';", false).is_empty());
    }

    #[test]
    fn keys_in_comments_are_flagged_too() {
        let text =
            "-- deploy with AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nCREATE TABLE t (id int);";
        assert_eq!(ids(text, false), ["secret-in-migration", "secret-in-migration"]);
    }

    #[test]
    fn secret_in_migration_err() {
        let text = "CREATE ROLE app LOGIN PASSWORD 'hunter22';\nINSERT INTO cfg VALUES ('postgres://u:pw@db/x'), ('sk_live_0123456789abcdefXYZ');";
        assert_eq!(ids(text, false), ["secret-in-migration", "secret-in-migration", "secret-in-migration"]);
    }
}
