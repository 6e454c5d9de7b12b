//! The shapes of secrets in text, in one place: what `plumb_pg::redact` masks in everything
//! plumb prints, and what the `secret-in-migration` lint rule flags in migration files.
//!
//! Shapes, each with a test: provider-prefixed keys and tokens (AWS access key ids, Stripe,
//! GitHub classic and fine-grained, Slack, OpenAI-style `sk-`, Google API keys, JWTs), AWS
//! secret access keys (40 characters of base64 mixing cases and digits), and PEM private-key
//! blocks (a GCP service-account JSON carries one). Names are never secrets: a prefix counts
//! only at the start of a word and only with a long enough value after it.
#![deny(missing_docs)]

use std::ops::Range;

/// What kind of secret a span looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A provider-prefixed key or token; the span is the value after the prefix.
    PrefixedToken,
    /// An AWS secret access key; the span is the whole key.
    AwsSecretKey,
    /// A PEM private key; the span is the body between its BEGIN and END lines.
    PrivateKey,
}

/// Prefixes of keys and tokens, each followed by at least 16 token characters.
pub const PREFIXES: [&str; 20] = [
    "Bearer ",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "sk-",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "github_pat_",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxr-",
    "xoxs-",
    "AKIA",
    "ASIA",
    "AIza",
    "eyJ",
    "glpat-",
];

fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '+' | '=')
}

/// Every secret-looking span of `text`, in order, not overlapping.
pub fn find(text: &str) -> Vec<(Range<usize>, Shape)> {
    // Earlier shapes win where two overlap: a key block holds base64 lines of any length.
    let mut out: Vec<(Range<usize>, Shape)> = Vec::new();
    for (range, shape) in private_keys(text).into_iter().chain(prefixed(text)).chain(aws_secret_keys(text)) {
        if !out.iter().any(|(o, _)| overlaps(o, &range)) {
            out.push((range, shape));
        }
    }
    out.sort_by_key(|(r, _)| r.start);
    out
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// `sk_live_…`, `AKIA…`, …: the value after the prefix, when it is long enough to be a key.
fn prefixed(text: &str) -> Vec<(Range<usize>, Shape)> {
    let mut out = Vec::new();
    for prefix in PREFIXES {
        let mut from = 0;
        while let Some(found) = text[from..].find(prefix) {
            let at = from + found;
            from = at + prefix.len();
            let at_word_start = at == 0 || !text.as_bytes()[at - 1].is_ascii_alphanumeric();
            if !at_word_start {
                continue;
            }
            let rest = &text[at + prefix.len()..];
            let len = rest.find(|c: char| !token_char(c)).unwrap_or(rest.len());
            // Only long enough values are keys: `sk-1` is a name.
            if len >= 16 {
                out.push((at + prefix.len()..at + prefix.len() + len, Shape::PrefixedToken));
                from = at + prefix.len() + len;
            }
        }
    }
    out.sort_by_key(|(r, _)| r.start);
    out.dedup_by(|b, a| overlaps(&a.0, &b.0));
    out
}

/// 40 characters of base64 (`A-Z a-z 0-9 / +`) standing alone, mixing upper case, lower case
/// and digits: an AWS secret access key. A SHA-1 in hex (one case) is not one.
fn aws_secret_keys(text: &str) -> Vec<(Range<usize>, Shape)> {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '/' || c == '+';
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (is_b64(c) && i < text.len(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                start = None;
                let word = &text[s..i];
                let bounded = !text[i..].starts_with(['=', '_', '-', '.']) && !text[..s].ends_with(['_', '-', '.']);
                if word.len() == 40
                    && bounded
                    && word.chars().any(|c| c.is_ascii_lowercase())
                    && word.chars().any(|c| c.is_ascii_uppercase())
                    && word.chars().any(|c| c.is_ascii_digit())
                {
                    out.push((s..i, Shape::AwsSecretKey));
                }
            }
            _ => {}
        }
    }
    out
}

/// The bodies of `-----BEGIN … PRIVATE KEY-----` … `-----END … PRIVATE KEY-----` blocks.
fn private_keys(text: &str) -> Vec<(Range<usize>, Shape)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("-----BEGIN ") {
        let at = from + found;
        let Some(header_end) = text[at..].find("PRIVATE KEY-----").map(|p| at + p + "PRIVATE KEY-----".len()) else {
            break;
        };
        // The header is one line: `-----BEGIN RSA PRIVATE KEY-----`.
        if text[at..header_end].contains('\n') {
            from = at + 11;
            continue;
        }
        let end = text[header_end..].find("-----END ").map_or(text.len(), |p| header_end + p);
        out.push((header_end..end, Shape::PrivateKey));
        from = end.max(header_end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(text: &str) -> Vec<(&str, Shape)> {
        find(text).into_iter().map(|(r, s)| (&text[r], s)).collect()
    }

    #[test]
    fn each_shape_is_found() {
        let aws_id = "AKIAIOSFODNN7EXAMPLE";
        let aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let text = format!("-- {aws_id} {aws_secret}\n");
        assert_eq!(shapes(&text), [("IOSFODNN7EXAMPLE", Shape::PrefixedToken), (aws_secret, Shape::AwsSecretKey)]);
        for token in [
            "sk_live_0123456789abcdefXYZ",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
            "ghp_0123456789abcdefghijABCDEFGHIJ",
            "xoxp-1234567890-0987654321-abcdefabcdef",
            "AIzaSyA-0123456789abcdefghijklmno",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXZhbHVl",
        ] {
            assert_eq!(find(token).len(), 1, "{token}");
        }
        let pem = "{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n\"}";
        assert_eq!(shapes(pem), [("\\nMIIEvQIBADANBg\\n", Shape::PrivateKey)]);
    }

    #[test]
    fn names_and_hashes_are_not_secrets() {
        for text in [
            "CREATE TABLE api_key_rotations (id int);",
            "task-1 sk-1 ghp_short",
            "CREATE INDEX akia_idx ON t (x);",
            // A SHA-1 in hex and a 40-character identifier.
            "0a4d55a8d778e5022fab701977c5d840bbc486d0",
            "create_index_concurrently_on_crates_name_",
            "checksum 8998b4e22a6c6b770d38f7c08d82bc6f3f3ca88d5dc362c1af1d31429729c5cd",
        ] {
            assert!(find(text).is_empty(), "{text}: {:?}", find(text));
        }
    }
}
