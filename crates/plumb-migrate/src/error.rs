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
