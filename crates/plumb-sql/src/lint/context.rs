//! What rules look at: statements as upper-cased keyword tokens, plus the file around them.

use std::ops::Range;

use squawk_syntax::{SourceFile, SyntaxKind};

use crate::split::Script;

/// One token of a statement: keywords and identifiers upper-cased (quoted identifiers kept).
#[derive(Debug, Clone)]
pub struct Token<'a> {
    /// Upper-cased text, for matching (`CREATE`, `INDEX`, `USERS`).
    pub upper: String,
    /// The text as written.
    pub text: &'a str,
    /// Byte range in the file.
    pub range: Range<usize>,
    /// A string literal.
    pub string: bool,
}

/// One statement, tokenized.
#[derive(Debug, Clone)]
pub struct Stmt<'a> {
    /// Byte range in the file.
    pub range: Range<usize>,
    /// Its tokens, comments and whitespace left out.
    pub tokens: Vec<Token<'a>>,
}

impl Stmt<'_> {
    /// Whether the statement starts with these words.
    pub fn starts_with(&self, words: &[&str]) -> bool {
        self.tokens.len() >= words.len() && self.tokens.iter().zip(words).all(|(t, w)| t.upper == *w)
    }

    /// The position of the first occurrence of this run of words.
    pub fn find(&self, words: &[&str]) -> Option<usize> {
        (0..self.tokens.len()).find(|&i| {
            self.tokens.len() - i >= words.len() && self.tokens[i..].iter().zip(words).all(|(t, w)| t.upper == *w)
        })
    }

    /// Whether the run of words occurs.
    pub fn has(&self, words: &[&str]) -> bool {
        self.find(words).is_some()
    }

    /// Whether the statement changes a column's type: `ALTER [COLUMN] c [SET DATA] TYPE`, not
    /// a column that happens to be named `type`.
    pub fn changes_column_type(&self) -> bool {
        let t = &self.tokens;
        self.starts_with(&["ALTER", "TABLE"])
            && (2..t.len()).any(|i| {
                t[i].upper == "TYPE"
                    && (matches!(t[i - 2].upper.as_str(), "ALTER" | "COLUMN")
                        || (i >= 4 && t[i - 1].upper == "DATA" && t[i - 2].upper == "SET"))
            })
    }

    /// Where the name after the run of words starts (skipping `IF [NOT] EXISTS`, `ONLY` and
    /// `CONCURRENTLY`), and where it ends (its last part, after any `schema.`).
    fn name_span(&self, words: &[&str]) -> Option<(usize, usize)> {
        let mut i = self.find(words)? + words.len();
        for skip in [&["IF", "NOT", "EXISTS"][..], &["IF", "EXISTS"][..], &["ONLY"][..], &["CONCURRENTLY"][..]] {
            if self.tokens.len() - i.min(self.tokens.len()) >= skip.len()
                && self.tokens[i..].iter().zip(skip).all(|(t, w)| t.upper == *w)
            {
                i += skip.len();
            }
        }
        self.tokens.get(i)?;
        let mut end = i;
        while self.tokens.get(end + 1).is_some_and(|t| t.text == ".") && self.tokens.get(end + 2).is_some() {
            end += 2;
        }
        Some((i, end))
    }

    /// The name right after the run of words (skipping `IF [NOT] EXISTS` and `ONLY`), without schema or quotes.
    pub fn name_after(&self, words: &[&str]) -> Option<String> {
        let (_, end) = self.name_span(words)?;
        Some(self.tokens[end].text.trim_matches('"').to_lowercase())
    }

    /// The column definitions the statement adds, each from its name on (`id bigint PRIMARY
    /// KEY`): those of `CREATE TABLE … (…)` (table constraints left out) and of every `ADD
    /// [COLUMN]` of `ALTER TABLE`.
    pub fn new_columns(&self) -> Vec<&[Token<'_>]> {
        let t = &self.tokens;
        let mut out = Vec::new();
        if self.starts_with(&["CREATE", "TABLE"]) || self.starts_with(&["CREATE", "UNLOGGED", "TABLE"]) {
            let Some(open) = t.iter().position(|x| x.text == "(") else { return out };
            let mut depth = 0;
            let mut start = open + 1;
            for (i, token) in t.iter().enumerate().skip(open) {
                match token.text {
                    "(" => depth += 1,
                    ")" | "," if depth == 1 => {
                        let part = &t[start..i];
                        let constraint = part.first().is_some_and(|f| {
                            matches!(
                                f.upper.as_str(),
                                "CONSTRAINT" | "PRIMARY" | "UNIQUE" | "CHECK" | "FOREIGN" | "EXCLUDE" | "LIKE"
                            )
                        });
                        if !part.is_empty() && !constraint {
                            out.push(part);
                        }
                        start = i + 1;
                        if token.text == ")" {
                            break;
                        }
                    }
                    ")" => depth -= 1,
                    _ => {}
                }
            }
        } else if self.starts_with(&["ALTER", "TABLE"]) {
            let mut depth = 0;
            let mut parts = Vec::new();
            let mut start = 0;
            for (i, token) in t.iter().enumerate() {
                match token.text {
                    "(" => depth += 1,
                    ")" => depth -= 1,
                    "," | ";" if depth == 0 => {
                        parts.push(&t[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            parts.push(&t[start..]);
            for part in parts {
                let Some(add) = part.iter().position(|x| x.upper == "ADD") else { continue };
                let mut i = add + 1;
                if part.get(i).is_some_and(|x| x.upper == "CONSTRAINT") {
                    continue;
                }
                if part.get(i).is_some_and(|x| x.upper == "COLUMN") {
                    i += 1;
                }
                if part.get(i).is_some_and(|x| x.upper == "IF") {
                    i += 3;
                }
                if i < part.len() {
                    out.push(&part[i..]);
                }
            }
        }
        out
    }

    /// As [`Stmt::name_after`], the name as the file writes it (schema and quotes kept:
    /// `public."WorkflowRun"`), for messages people read.
    pub fn written_after(&self, words: &[&str]) -> Option<String> {
        let (start, end) = self.name_span(words)?;
        Some(self.tokens[start..=end].iter().map(|t| t.text).collect())
    }
}

/// What `plumb check` knows of the target, for rules that depend on it.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// Tables by lower-case unqualified name.
    pub tables: std::collections::BTreeMap<String, TableFacts>,
}

/// One table of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableFacts {
    /// The planner's row estimate.
    pub rows: i64,
    /// Whether row-level security is enabled.
    pub rls: bool,
}

/// A file as the rules see it.
pub struct Context<'a> {
    /// The whole text.
    pub text: &'a str,
    /// Its statements.
    pub statements: Vec<Stmt<'a>>,
    /// It runs as `-- plumb:no-transaction`.
    pub no_transaction: bool,
    /// The meta-commands found in it.
    pub meta_commands: Vec<(Range<usize>, String)>,
    /// Tables the file itself creates (lower-case, unqualified).
    pub created_tables: Vec<String>,
    /// The target, when linting inside `plumb check`.
    pub target: Option<&'a Target>,
}

impl<'a> Context<'a> {
    /// Tokenizes every statement of `script`.
    pub fn new(text: &'a str, script: &Script, no_transaction: bool) -> Context<'a> {
        Context::against(text, script, no_transaction, None)
    }

    /// As [`Context::new`], knowing the target's tables.
    pub fn against(text: &'a str, script: &Script, no_transaction: bool, target: Option<&'a Target>) -> Context<'a> {
        let statements: Vec<Stmt<'a>> = script
            .statements
            .iter()
            .map(|s| {
                let stmt_text = &text[s.range.clone()];
                let parse = SourceFile::parse(stmt_text);
                let tokens = parse
                    .syntax_node()
                    .descendants_with_tokens()
                    .filter_map(|e| e.into_token())
                    .filter(|t| !matches!(t.kind(), SyntaxKind::WHITESPACE | SyntaxKind::COMMENT))
                    .map(|t| {
                        let r = t.text_range();
                        let range = s.range.start + usize::from(r.start())..s.range.start + usize::from(r.end());
                        let token_text = &text[range.clone()];
                        Token {
                            upper: if token_text.starts_with('"') {
                                token_text.to_owned()
                            } else {
                                token_text.to_uppercase()
                            },
                            text: token_text,
                            string: t.kind() == SyntaxKind::STRING || token_text.starts_with('\''),
                            range,
                        }
                    })
                    .collect();
                Stmt { range: s.range.clone(), tokens }
            })
            .collect();
        let created_tables = statements
            .iter()
            .filter_map(|s| s.starts_with(&["CREATE"]).then(|| s.name_after(&["TABLE"])).flatten())
            .collect();
        Context {
            text,
            statements,
            no_transaction,
            meta_commands: script.meta_commands.iter().map(|m| (m.range.clone(), m.command.clone())).collect(),
            created_tables,
            target,
        }
    }

    /// Whether the file creates this table itself (so it is new and empty).
    pub fn creates_table(&self, name: &str) -> bool {
        self.created_tables.iter().any(|t| t == name)
    }

    /// Whether the table holds data already: not created by this file, and, when the target
    /// is known, present there (a table an earlier pending migration creates is empty too).
    pub fn existing(&self, table: &str) -> bool {
        !self.creates_table(table) && self.target.is_none_or(|t| t.tables.contains_key(table))
    }

    /// A finding on `s` when the table named after `words` holds data already
    /// ([`Context::existing`]); `message` gets the table as the file writes it and the row
    /// estimate (` (~N rows)`, or nothing).
    pub fn on_existing_table(
        &self,
        s: &Stmt<'_>,
        words: &[&str],
        message: impl FnOnce(&str, &str) -> String,
    ) -> Option<crate::lint::Hit> {
        let table = s.name_after(words)?;
        let shown = s.written_after(words).unwrap_or_else(|| table.clone());
        self.existing(&table).then(|| (s.range.clone(), message(&shown, &self.rows_hint(&table))))
    }

    /// The first statement `hit` finds before a `SET <setting>` (one at the top covers the whole
    /// file, so one finding is enough): what the timeout rules report.
    pub fn first_before_setting(
        &self,
        setting: &str,
        hit: impl Fn(&Stmt<'_>) -> Option<crate::lint::Hit>,
    ) -> Vec<crate::lint::Hit> {
        for s in &self.statements {
            if s.starts_with(&["SET"]) && s.has(&[setting]) {
                break;
            }
            if let Some(found) = hit(s) {
                return vec![found];
            }
        }
        Vec::new()
    }

    /// Every column definition the file's statements add ([`Stmt::new_columns`]).
    pub fn new_columns(&self) -> impl Iterator<Item = &[Token<'_>]> + '_ {
        self.statements.iter().flat_map(|s| s.new_columns())
    }

    /// ` (~N rows)` when the target's row estimate is known.
    pub fn rows_hint(&self, table: &str) -> String {
        match self.target.and_then(|t| t.tables.get(table)) {
            Some(facts) if facts.rows >= 0 => format!(" (~{} rows)", facts.rows),
            _ => String::new(),
        }
    }

    /// Whether the file enables row-level security on this table.
    pub fn enables_rls(&self, table: &str) -> bool {
        self.statements.iter().any(|s| {
            s.starts_with(&["ALTER", "TABLE"])
                && s.has(&["ENABLE", "ROW", "LEVEL", "SECURITY"])
                && s.name_after(&["TABLE"]).as_deref() == Some(table)
        })
    }

    /// Whether a `-- plumb:allow <rule>` comment covers `range`: inside the statement or on the line before it.
    pub fn allowed(&self, rule: &str, range: &Range<usize>) -> bool {
        let marker = format!("plumb:allow {rule}");
        let statement = self.statements.iter().find(|s| s.range.contains(&range.start));
        let start = statement.map_or(range.start, |s| s.range.start);
        let end = statement.map_or(range.end, |s| s.range.end);
        let line_before_start =
            self.text[..start].trim_end_matches([' ', '\t']).trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1);
        self.text[line_before_start..end.min(self.text.len())].contains(&marker)
    }
}
