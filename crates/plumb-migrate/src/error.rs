//! What can go wrong loading and applying migrations, with the place to look.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use plumb_pg::{PgError, ServerError};

/// A place in a migration file: path, 1-based line and column, byte span, and the text.
#[derive(Debug, Clone)]
pub struct SourceLocation {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte span in `text`.
    pub span: Range<usize>,
    /// The whole file, for renderers that show the line.
    pub text: Arc<str>,
}

impl SourceLocation {
    /// The location of `span` in `text`.
    pub fn new(path: &Path, text: &str, span: Range<usize>) -> Self {
        let (line, column) = plumb_sql::LineIndex::new(text).line_col(text, span.start);
        SourceLocation { path: path.to_path_buf(), line, column, span, text: Arc::from(text) }
    }
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// A migration source that cannot be used as it is. Nothing has run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The folder's shape is no layout plumb knows, or fits several.
    #[error("{}: {reason}", path.display())]
    Layout {
        /// The folder (or the file that does not fit).
        path: PathBuf,
        /// What is wrong, and what plumb expects.
        reason: String,
    },
    /// The folder is missing or unreadable.
    #[error("cannot read migrations folder {}: {reason}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file is not UTF-8.
    #[error("{location}: the file is not valid UTF-8 (PostgreSQL migrations must be UTF-8; re-save it as UTF-8)")]
    NotUtf8 {
        /// Where the first invalid byte is.
        location: SourceLocation,
    },
    /// A `.sql` file whose name carries no version.
    #[error("cannot tell the version of {}: migration files are named <version>_<name>.sql, e.g. 20240101120000_create_users.sql", path.display())]
    BadFileName {
        /// The file.
        path: PathBuf,
    },
    /// Two files with the same version number.
    #[error("version {version} is used twice: {} and {}; give one of them a new version", first.display(), second.display())]
    DuplicateVersion {
        /// The version.
        version: String,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// A psql meta-command, which no server (nor a web SQL editor) understands.
    #[error(
        "{location}: psql meta-command {command} is not SQL; servers and web SQL editors reject it. Remove it (plumb runs migrations itself, no psql needed)"
    )]
    MetaCommand {
        /// `\echo`, `\i`, ...
        command: String,
        /// Where.
        location: SourceLocation,
    },
    /// BEGIN/COMMIT/ROLLBACK in a migration: plumb owns the transaction.
    #[error("{location}: {keyword} inside a migration: plumb runs {} and records it in the same transaction; remove the {keyword}", if *no_transaction { "each statement of a no-transaction migration on its own" } else { "each migration in one transaction" })]
    TransactionControl {
        /// The keyword as written.
        keyword: String,
        /// Whether the migration is a no-transaction one.
        no_transaction: bool,
        /// Where.
        location: SourceLocation,
    },
    /// CREATE INDEX CONCURRENTLY in a transactional migration.
    #[error(
        "{location}: CREATE INDEX CONCURRENTLY cannot run inside a transaction; put it in its own migration starting with `-- plumb:no-transaction`"
    )]
    ConcurrentlyInTransaction {
        /// Where.
        location: SourceLocation,
    },
    /// A goose annotation (`-- +goose …`) goose does not know: refused rather than guessed at,
    /// as goose refuses it.
    #[error(
        "{location}: unknown goose annotation `{annotation}` (known: Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON, ENVSUB OFF)"
    )]
    UnknownAnnotation {
        /// The annotation as written.
        annotation: String,
        /// Where.
        location: SourceLocation,
    },
    /// A `-- plumb:` comment plumb does not know.
    #[error("{location}: unknown directive plumb:{directive} (known: plumb:no-transaction, plumb:allow)")]
    UnknownDirective {
        /// The word after `plumb:`.
        directive: String,
        /// Where.
        location: SourceLocation,
    },
}

impl LoadError {
    /// The file (or folder) it is about.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            LoadError::Layout { path, .. }
            | LoadError::Folder { path, .. }
            | LoadError::Unreadable { path, .. }
            | LoadError::BadFileName { path } => Some(path),
            LoadError::DuplicateVersion { second, .. } => Some(second),
            _ => self.location().map(|l| l.path.as_path()),
        }
    }

    /// The place in a file, for renderers that can point at it.
    pub fn location(&self) -> Option<&SourceLocation> {
        match self {
            LoadError::NotUtf8 { location }
            | LoadError::MetaCommand { location, .. }
            | LoadError::TransactionControl { location, .. }
            | LoadError::ConcurrentlyInTransaction { location }
            | LoadError::UnknownDirective { location, .. }
            | LoadError::UnknownAnnotation { location, .. } => Some(location),
            _ => None,
        }
    }
}

/// Who holds the apply lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// Backend process id.
    pub pid: i32,
    /// Its application_name.
    pub application: String,
    /// When its session started (UTC).
    pub since: String,
}

/// A migration that stopped on a server error.
#[derive(Debug)]
pub struct MigrationFailure {
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// Where the server pointed, or the statement's start.
    pub location: SourceLocation,
    /// The server's error, in full.
    pub error: ServerError,
    /// Statements of this migration committed before the failure (no-transaction migrations keep them).
    pub statements_done: usize,
}

/// Why an apply stopped. What committed before stays committed; what failed left no trace.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Another apply holds the lock and did not release it in time.
    #[error("another migration run holds the lock on this database (pid {}, application \"{}\", since {}); waited {waited}. Wait for it to finish, or stop it with SELECT pg_terminate_backend({})", holder.as_ref().map_or("?".into(), |h| h.pid.to_string()), holder.as_ref().map_or("?", |h| h.application.as_str()), holder.as_ref().map_or("?", |h| h.since.as_str()), holder.as_ref().map_or("pid".into(), |h| h.pid.to_string()))]
    Locked {
        /// The holder, when it could be seen.
        holder: Option<LockHolder>,
        /// How long plumb waited.
        waited: String,
    },
    /// Applied migrations whose files changed or vanished.
    #[error("refusing to apply: {}", problems.join("; "))]
    Refused {
        /// One line per problem.
        problems: Vec<String>,
    },
    /// The history table exists but is not what plumb wrote.
    #[error("the history table {table} is not usable: {reason}")]
    CorruptHistory {
        /// The table.
        table: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A migration's statement failed; the migration left no trace (no-transaction: recorded as failed).
    #[error("migration {} ({}) failed at {}: {}", .0.version, .0.name, .0.location, .0.error)]
    MigrationFailed(Box<MigrationFailure>),
    /// A code-first tool (Alembic) failed to run one of its revisions, or to start.
    #[error("{tool} failed on revision {step}: {output}\n{hint}")]
    Tool {
        /// The tool.
        tool: &'static str,
        /// The revision it was running.
        step: String,
        /// What it printed (passwords masked).
        output: String,
        /// What to install or fix.
        hint: String,
        /// The tool itself could not run (not installed, no Python): nothing about this step
        /// was learned, and no later step can run either.
        missing: bool,
    },
    /// The connection failed or broke.
    #[error(transparent)]
    Pg(#[from] PgError),
}

impl SourceLocation {
    /// The span this location points at, labelled for a renderer.
    fn label(&self) -> miette::LabeledSpan {
        miette::LabeledSpan::at(self.span.clone(), "here")
    }
}

/// The file behind a location, named by its path, with columns counted in characters (as
/// [`SourceLocation::column`] and every editor count them; miette's own count bytes).
impl miette::SourceCode for SourceLocation {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let contents = self.text.as_ref().read_span(span, context_lines_before, context_lines_after)?;
        let start = contents.span().offset();
        let column = match context_lines_before {
            0 => {
                let before = self.text.get(..start).ok_or(miette::MietteError::OutOfBounds)?;
                let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
                before[line_start..].chars().count()
            }
            _ => contents.column(),
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.path.display().to_string(),
            contents.data(),
            *contents.span(),
            contents.line(),
            column,
            contents.line_count(),
        )))
    }
}

/// The place in the file, when there is one.
impl miette::Diagnostic for LoadError {
    fn labels<'a>(&'a self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + 'a>> {
        self.location().map(|l| Box::new(std::iter::once(l.label())) as Box<dyn Iterator<Item = _>>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.location().map(|l| l as &dyn miette::SourceCode)
    }
}

impl ApplyError {
    /// The failed migration, when the file was at fault (not when the server ended the session).
    fn failure_in_file(&self) -> Option<&MigrationFailure> {
        match self {
            ApplyError::MigrationFailed(failure) if !plumb_pg::session_ended(&failure.error.code) => Some(failure),
            _ => None,
        }
    }
}

/// The SQLSTATE, the place in the file, and what an apply that stopped leaves to do.
impl miette::Diagnostic for ApplyError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        match self {
            ApplyError::MigrationFailed(failure) => Some(Box::new(&failure.error.code)),
            ApplyError::Pg(e) => miette::Diagnostic::code(e),
            _ => None,
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let help = match self {
            ApplyError::MigrationFailed(failure) if plumb_pg::session_ended(&failure.error.code) => format!(
                "the connection was lost while migration {} ran: the server ended the session, nothing in the file \
                 failed. {} Run `plumb apply` again.",
                failure.version,
                if failure.statements_done > 0 {
                    format!(
                        "{} statement(s) of this no-transaction migration had committed; apply resumes after them.",
                        failure.statements_done
                    )
                } else {
                    "Nothing of this migration is recorded as applied (its transaction rolled back).".to_owned()
                }
            ),
            ApplyError::MigrationFailed(failure) if failure.statements_done > 0 => format!(
                "{} statement(s) of this no-transaction migration committed before the failure; fix the cause and \
                 run apply again to resume",
                failure.statements_done
            ),
            ApplyError::MigrationFailed(_) => {
                "nothing of this migration was applied or recorded; fix it and run apply again".to_owned()
            }
            ApplyError::Pg(e) if e.session_ended() => "the connection was lost: the server ended the session. What \
                 committed before is in the history, nothing after it is; run the command again (`plumb apply` picks \
                 up where the history says)."
                .to_owned(),
            ApplyError::Pg(e) => return miette::Diagnostic::help(e),
            _ => return None,
        };
        Some(Box::new(help))
    }

    fn labels<'a>(&'a self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + 'a>> {
        let failure = self.failure_in_file()?;
        Some(Box::new(std::iter::once(failure.location.label())))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.failure_in_file().map(|f| &f.location as &dyn miette::SourceCode)
    }
}

#[cfg(test)]
mod tests {
    use miette::{Diagnostic, SourceCode};

    use super::*;

    fn failure(code: &str, location: SourceLocation, statements_done: usize) -> ApplyError {
        let error = ServerError {
            severity: "ERROR".into(),
            code: code.into(),
            message: "boom".into(),
            detail: None,
            hint: None,
            context: None,
            position: None,
        };
        ApplyError::MigrationFailed(Box::new(MigrationFailure {
            version: "002".into(),
            name: "users".into(),
            location,
            error,
            statements_done,
        }))
    }

    /// What a renderer reads through miette (the line and column of the label) is what
    /// plumb says in `file:line:column`: characters, not bytes, and CRLF counted once.
    #[test]
    fn a_location_read_as_source_code_has_the_locations_line_and_column() {
        let text = "-- é accent\r\nCREATE TABLE t (é int);\r\n  SELECT ünïcode, broken;\n";
        for needle in ["broken", "é int", "CREATE"] {
            let start = text.find(needle).unwrap();
            let location = SourceLocation::new(Path::new("m/001_t.sql"), text, start..start + needle.len());
            let contents = location.read_span(&location.span.clone().into(), 0, 0).unwrap();
            assert_eq!(contents.name(), Some("m/001_t.sql"));
            assert_eq!((contents.line() + 1, contents.column() + 1), (location.line, location.column), "{needle}");
        }
    }

    #[test]
    fn a_failed_migration_gives_its_sqlstate_place_and_advice_and_a_lost_session_no_place() {
        let text = "CREATE TABLE t ();\nCREATE TABLE t ();\n";
        let location = SourceLocation::new(Path::new("001_t.sql"), text, 19..36);
        let error = failure("42P07", location.clone(), 0);
        assert_eq!(error.code().unwrap().to_string(), "42P07");
        let label = error.labels().unwrap().next().unwrap();
        assert_eq!((label.offset(), label.len()), (19, 17));
        assert!(error.source_code().is_some());
        assert!(error.help().unwrap().to_string().contains("fix it"));

        let ended = failure("57P01", location, 1);
        assert_eq!(ended.code().unwrap().to_string(), "57P01");
        assert!(ended.labels().is_none() && ended.source_code().is_none(), "the file is not at fault");
        let help = ended.help().unwrap().to_string();
        assert!(help.contains("connection was lost") && help.contains("1 statement(s)"), "{help}");
    }
}
