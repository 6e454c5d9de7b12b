//! Splitting a script into statements, and finding what cannot be sent to a server.

use std::ops::Range;

use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxElement, SyntaxKind, SyntaxNode};

/// A script split into what a server can run and what it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Statements in order.
    pub statements: Vec<Statement>,
    /// psql meta-commands (`\echo`, `\i`, `\set` ...): psql's own, no server understands them.
    pub meta_commands: Vec<MetaCommand>,
}

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Byte range in the script: from the first token to the semicolon, inclusive.
    pub range: Range<usize>,
    /// What plumb needs to know about it.
    pub kind: StatementKind,
}

/// The statement kinds plumb treats specially.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementKind {
    /// `BEGIN`, `COMMIT`, `ROLLBACK` and friends, with the keyword as written.
    TransactionControl(String),
    /// `CREATE INDEX CONCURRENTLY`, which can leave an invalid index behind when it fails.
    CreateIndexConcurrently {
        /// The index name as written (possibly schema-qualified), if given.
        name: Option<String>,
    },
    /// Anything else.
    Other,
}

/// A psql meta-command found in a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaCommand {
    /// Byte range of the command: from the backslash to the end of its line.
    pub range: Range<usize>,
    /// The command word, e.g. `\echo`.
    pub command: String,
}

/// Splits `text` into statements (byte ranges) and meta-commands.
///
/// Comments and whitespace between statements belong to no statement.
/// Semicolons inside strings, dollar quotes, comments and `BEGIN ATOMIC`
/// bodies do not split: squawk's tree knows where statements end.
pub fn split(text: &str) -> Script {
    let file = SourceFile::parse(text).tree();
    let mut statements = Vec::new();
    let mut meta_commands = Vec::new();
    let mut current: Option<(Range<usize>, Vec<SyntaxNode>)> = None;
    let mut skip_until = 0usize;

    let close = |current: &mut Option<(Range<usize>, Vec<SyntaxNode>)>, statements: &mut Vec<Statement>| {
        if let Some((range, nodes)) = current.take() {
            let kind = classify(&nodes, text);
            statements.push(Statement { range, kind });
        }
    };

    for element in file.syntax().children_with_tokens() {
        let range = usize::from(element.text_range().start())..usize::from(element.text_range().end());
        if range.start < skip_until {
            continue;
        }
        match element.kind() {
            SyntaxKind::WHITESPACE | SyntaxKind::COMMENT => continue,
            _ => {}
        }
        let element_text = &text[range.clone()];
        if element.kind() == SyntaxKind::ERROR && element_text.starts_with('\\') {
            // psql reads a meta-command and its arguments up to the end of the line.
            let end = text[range.start..].find('\n').map_or(text.len(), |i| range.start + i);
            let command: String = text[range.start..end].chars().take_while(|c| !c.is_whitespace()).collect();
            meta_commands.push(MetaCommand { range: range.start..end, command });
            skip_until = end;
            continue;
        }
        match &mut current {
            Some((r, nodes)) => {
                r.end = range.end;
                if let SyntaxElement::Node(n) = &element {
                    nodes.push(n.clone());
                }
            }
            None => {
                let nodes = match &element {
                    SyntaxElement::Node(n) => vec![n.clone()],
                    SyntaxElement::Token(_) => Vec::new(),
                };
                current = Some((range.clone(), nodes));
            }
        }
        if ends_with_semicolon(&element) {
            close(&mut current, &mut statements);
        }
    }
    close(&mut current, &mut statements);
    Script { statements, meta_commands }
}

fn ends_with_semicolon(element: &SyntaxElement) -> bool {
    match element {
        SyntaxElement::Token(t) => t.kind() == SyntaxKind::SEMICOLON,
        SyntaxElement::Node(n) => n
            .last_token()
            .map(|t| {
                let mut t = Some(t);
                // Skip trailing trivia inside the node.
                while let Some(tok) = &t {
                    if matches!(tok.kind(), SyntaxKind::WHITESPACE | SyntaxKind::COMMENT) {
                        t = tok.prev_token();
                    } else {
                        break;
                    }
                }
                t.is_some_and(|t| t.kind() == SyntaxKind::SEMICOLON)
            })
            .unwrap_or(false),
    }
}

fn classify(nodes: &[SyntaxNode], text: &str) -> StatementKind {
    let Some(node) = nodes.first() else { return StatementKind::Other };
    let Some(stmt) = ast::Stmt::cast(node.clone()) else { return StatementKind::Other };
    let first_word = || {
        let start = usize::from(node.text_range().start());
        text[start..].split(|c: char| !c.is_alphanumeric()).next().unwrap_or("").to_uppercase()
    };
    match stmt {
        ast::Stmt::Begin(_) | ast::Stmt::Commit(_) | ast::Stmt::Rollback(_) | ast::Stmt::PrepareTransaction(_) => {
            StatementKind::TransactionControl(first_word())
        }
        ast::Stmt::CreateIndex(ci) if ci.concurrently_token().is_some() => {
            StatementKind::CreateIndexConcurrently { name: index_name(ci.syntax()) }
        }
        _ => StatementKind::Other,
    }
}

/// The name in `CREATE INDEX CONCURRENTLY [IF NOT EXISTS] name ON ...`.
fn index_name(node: &SyntaxNode) -> Option<String> {
    let mut tokens = node
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !matches!(t.kind(), SyntaxKind::WHITESPACE | SyntaxKind::COMMENT))
        .skip_while(|t| t.kind() != SyntaxKind::CONCURRENTLY_KW)
        .skip(1)
        .peekable();
    if tokens.peek().is_some_and(|t| t.kind() == SyntaxKind::IF_KW) {
        tokens.next();
        tokens.next();
        tokens.next();
    }
    let name: String = tokens.take_while(|t| t.kind() != SyntaxKind::ON_KW).map(|t| t.text().to_string()).collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        split(sql).statements.iter().map(|s| &sql[s.range.clone()]).collect()
    }

    #[test]
    fn splits_on_top_level_semicolons_only() {
        let sql = "-- lead\nCREATE TABLE a (id int); -- t\n\
                   CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\
                   CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n\
                   INSERT INTO a VALUES (';')\n";
        assert_eq!(
            texts(sql),
            vec![
                "CREATE TABLE a (id int);",
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;",
                "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;",
                "INSERT INTO a VALUES (';')",
            ]
        );
    }

    #[test]
    fn finds_meta_commands_with_their_lines() {
        let sql = "SELECT 1;\n\\echo hello world\nSELECT '\\not';\n\\i other.sql\n";
        let script = split(sql);
        let found: Vec<(&str, &str)> =
            script.meta_commands.iter().map(|m| (m.command.as_str(), &sql[m.range.clone()])).collect();
        assert_eq!(found, vec![("\\echo", "\\echo hello world"), ("\\i", "\\i other.sql")]);
        assert_eq!(texts(sql), vec!["SELECT 1;", "SELECT '\\not';"]);
    }

    #[test]
    fn classifies_transaction_control_and_concurrent_indexes() {
        let sql = "begin; create index concurrently if not exists idx_a on a (id); \
                   CREATE UNIQUE INDEX CONCURRENTLY s.idx_b ON a (x); CREATE INDEX CONCURRENTLY ON a (y); commit;";
        let kinds: Vec<StatementKind> = split(sql).statements.into_iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec![
                StatementKind::TransactionControl("BEGIN".into()),
                StatementKind::CreateIndexConcurrently { name: Some("idx_a".into()) },
                StatementKind::CreateIndexConcurrently { name: Some("s.idx_b".into()) },
                StatementKind::CreateIndexConcurrently { name: None },
                StatementKind::TransactionControl("COMMIT".into()),
            ]
        );
    }

    #[test]
    fn empty_and_comment_only_scripts_have_no_statements() {
        assert!(split("").statements.is_empty());
        assert!(split("-- nothing\n/* here */\n").statements.is_empty());
    }
}
