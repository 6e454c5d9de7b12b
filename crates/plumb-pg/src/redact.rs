//! The one redaction routine through which everything plumb prints passes.
//!
//! Two layers: every password plumb learns (from a URL, `PGPASSWORD`, `.pgpass`)
//! is registered here and replaced wherever it appears, and secret-looking
//! shapes (`user:pass@` in URLs, `password=...` settings, bearer tokens, common
//! API-key prefixes) are masked even when plumb never saw the value itself,
//! for instance inside a server error that echoes a `CREATE ROLE ... PASSWORD`.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

/// What replaces a secret in printed text.
pub const MASK: &str = "********";

fn registry() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Remembers `secret` so that [`redact`] masks it wherever it appears.
///
/// Very short values are masked only in their structural positions: masking
/// every `a` in the output would make it unreadable without protecting much.
pub fn register_secret(secret: &str) {
    if secret.len() < 4 {
        return;
    }
    let mut secrets = registry().lock().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_owned());
        // Longest first, so that a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Returns `text` with every registered secret and every secret-looking value masked.
pub fn redact(text: &str) -> String {
    redact_cow(text).into_owned()
}

/// As [`redact`], without allocating when there is nothing to mask (the common case,
/// which matters when a whole catalog streams through here line by line).
pub fn redact_cow(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    {
        let secrets = registry().lock().unwrap_or_else(|e| e.into_inner());
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), MASK));
            }
            // Percent-encoded forms appear in URLs.
            let encoded = crate::conninfo::percent_encode(secret);
            if encoded != *secret && out.contains(encoded.as_str()) {
                out = Cow::Owned(out.replace(encoded.as_str(), MASK));
            }
        }
    }
    if out.contains("://") {
        out = Cow::Owned(mask_url_passwords(&out));
    }
    if let Some(masked) = mask_keyword_values(&out) {
        out = Cow::Owned(masked);
    }
    if let Some(masked) = mask_tokens(&out) {
        out = Cow::Owned(masked);
    }
    out
}

/// `scheme://user:secret@host` → `scheme://user:********@host`.
fn mask_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(idx) = rest.find("://") {
        let (head, tail) = rest.split_at(idx + 3);
        out.push_str(head);
        // The authority ends at the first '/', '?', '#' or whitespace.
        let end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon + 1]);
                        out.push_str(MASK);
                        out.push_str(&authority[at..]);
                    }
                    None => out.push_str(authority),
                }
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Masks the value after keywords such as `password=`, `PGPASSWORD=`, `DB_PASSWORD=`,
/// `password '...'` (SQL) and `"password": "..."` (JSON). `None`: nothing to mask.
///
/// An identifier is never a secret: the keyword must be a whole word (or end one, as in
/// `PGPASSWORD`), not part of a qualified name (`public.password_resets_id_seq`), and a quoted
/// value ends on its own line: a quote further down is another string.
fn mask_keyword_values(text: &str) -> Option<String> {
    const KEYS: [&str; 9] = [
        "password",
        "passwd",
        "api_key",
        "apikey",
        "secret_key",
        "secret_access_key",
        "access_token",
        "auth_token",
        "client_secret",
    ];
    let bytes = text.as_bytes();
    let word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        // A word starts here: read it whole.
        if !word_byte(bytes[i]) || (i > 0 && word_byte(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i;
        while j < bytes.len() && word_byte(bytes[j]) {
            j += 1;
        }
        i = j;
        let word = &text[start..j];
        let is_key = KEYS.iter().any(|k| {
            word.len() >= k.len()
                && word[word.len() - k.len()..].eq_ignore_ascii_case(k)
                && (word.len() == k.len()
                    || word.as_bytes()[word.len() - k.len() - 1] == b'_'
                    || word.len() - k.len() == 2)
        });
        // `schema.password_x` or `x.password` is a name in SQL, not a setting.
        let qualified = start > 0 && bytes[start - 1] == b'.';
        if !is_key || qualified {
            continue;
        }
        // Separator: `=`, `:`, or whitespace (SQL `PASSWORD 'x'`), optionally a quoted key.
        let mut k = j;
        if k < bytes.len() && bytes[k] == b'"' {
            k += 1;
        }
        while k < bytes.len() && bytes[k] == b' ' {
            k += 1;
        }
        let separator = bytes.get(k).copied().filter(|c| *c == b'=' || *c == b':');
        if separator.is_some() {
            k += 1;
            while k < bytes.len() && bytes[k] == b' ' {
                k += 1;
            }
        }
        let quote = bytes.get(k).copied().filter(|c| *c == b'\'' || *c == b'"');
        // `password=x` (settings) and `password: "x"` (JSON, YAML) carry a value; `password:`
        // followed by words is prose, such as a report about a column named password.
        let carries_value = match separator {
            Some(b'=') => true,
            Some(_) => quote.is_some(),
            None => quote.is_some(),
        };
        if !carries_value {
            continue;
        }
        let value_start = if quote.is_some() { k + 1 } else { k };
        let value_end = match quote {
            Some(q) => match bytes[value_start..].iter().position(|c| *c == q || *c == b'\n') {
                Some(p) if bytes[value_start + p] == q => value_start + p,
                // No closing quote on this line: not a value.
                _ => continue,
            },
            None => bytes[value_start..]
                .iter()
                .position(|c| c.is_ascii_whitespace() || matches!(c, b'&' | b';' | b',' | b')' | b'}'))
                .map_or(bytes.len(), |p| value_start + p),
        };
        if value_end > value_start && text.is_char_boundary(value_start) && text.is_char_boundary(value_end) {
            let buffer = out.get_or_insert_with(|| String::with_capacity(text.len()));
            buffer.push_str(&text[copied..value_start]);
            buffer.push_str(MASK);
            copied = value_end;
        }
        i = value_end.max(j);
    }
    out.map(|mut buffer| {
        buffer.push_str(&text[copied..]);
        buffer
    })
}

/// Masks what `plumb_secrets` finds: provider-prefixed keys and tokens (the prefix stays, so
/// the reader knows what it was), AWS secret access keys, private-key blocks. `None`: nothing
/// to mask.
fn mask_tokens(text: &str) -> Option<String> {
    let spans = plumb_secrets::find(text);
    if spans.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (range, _) in spans {
        out.push_str(&text[copied..range.start]);
        out.push_str(MASK);
        copied = range.end;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_url_passwords() {
        assert_eq!(
            redact("postgres://alice:s3cr3t@db.example.com:5432/app"),
            "postgres://alice:********@db.example.com:5432/app"
        );
        assert_eq!(redact("postgres://alice@host/db"), "postgres://alice@host/db");
    }

    #[test]
    fn masks_keyword_values() {
        assert_eq!(redact("host=x password=hunter22 user=a"), "host=x password=******** user=a");
        assert_eq!(redact("PGPASSWORD=abc123xyz"), "PGPASSWORD=********");
        assert_eq!(redact("CREATE ROLE app LOGIN PASSWORD 'pa55word'"), "CREATE ROLE app LOGIN PASSWORD '********'");
        assert_eq!(redact(r#"{"password": "x1y2z3"}"#), r#"{"password": "********"}"#);
        // A column named password_hash is not itself a secret, nor is a report about one.
        assert_eq!(redact("column password_hash is missing"), "column password_hash is missing");
        assert_eq!(
            redact("column public.users.password: expected text, found bytea"),
            "column public.users.password: expected text, found bytea"
        );
        assert_eq!(redact("password: 'hunter22'"), "password: '********'");
    }

    /// Issue 15: a table called password_resets corrupted printed schemas, the mask
    /// swallowing text across tables and lines.
    #[test]
    fn identifiers_are_never_secrets() {
        let dump = "CREATE TABLE public.password_resets (\n    id integer DEFAULT nextval('public.password_resets_id_seq'::regclass) NOT NULL\n);\nCREATE TABLE public.people (\n    id integer DEFAULT nextval('public.people_id_seq'::regclass) NOT NULL\n);";
        assert_eq!(redact(dump), dump);
        for name in ["password", "secret_key", "api_key", "access_token", "client_secret", "passwd"] {
            for sql in [
                format!("CREATE TABLE {name} (id int);"),
                format!("CREATE INDEX {name}_idx ON t ({name});"),
                format!("ALTER TABLE t ADD COLUMN {name} text DEFAULT 'x';"),
                format!("COMMENT ON COLUMN public.t.{name} IS 'the {name}';"),
                format!("CREATE SEQUENCE public.{name}_seq;\nSELECT nextval('public.{name}_seq');"),
                format!("CREATE POLICY {name}_p ON t USING ({name} IS NOT NULL);"),
                format!("CREATE FUNCTION {name}_of(x text) RETURNS text LANGUAGE sql AS 'SELECT x';"),
            ] {
                assert_eq!(redact(&sql), sql, "{sql}");
            }
        }
        // Values still are.
        assert_eq!(redact("DB_PASSWORD=hunter22 x"), "DB_PASSWORD=******** x");
    }

    #[test]
    fn leaves_non_ascii_text_intact() {
        let table = "┌──┬──┐ password=ünïcode-secret │ ok";
        assert_eq!(redact(table), "┌──┬──┐ password=******** │ ok");
    }

    #[test]
    fn masks_registered_secrets_anywhere() {
        register_secret("correct-horse-battery");
        assert_eq!(redact("authentication failed for correct-horse-battery"), "authentication failed for ********");
        assert_eq!(redact("u:correct%2Dhorse"), "u:correct%2Dhorse");
    }

    #[test]
    fn masks_every_key_shape() {
        assert_eq!(
            redact("-- AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            "-- AKIA******** ********"
        );
        assert_eq!(redact("aws_secret_access_key = abcd1234"), "aws_secret_access_key = ********");
        assert_eq!(redact("token github_pat_11ABCDEFG0123456789_abcdefghijklmnop"), "token github_pat_********");
        assert_eq!(
            redact("-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----"),
            "-----BEGIN PRIVATE KEY-----********-----END PRIVATE KEY-----"
        );
    }

    #[test]
    fn masks_tokens() {
        assert_eq!(redact("key sk_live_ABCDEFGHIJKLMNOPQRSTUVWX end"), "key sk_live_******** end");
        assert_eq!(redact("Authorization: Bearer abcdefghijklmnopqrstuvwxyz"), "Authorization: Bearer ********");
        assert_eq!(redact("task-1 sk-1"), "task-1 sk-1");
    }
}
