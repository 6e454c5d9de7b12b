//! Errors from talking to PostgreSQL, rendered in full and never with a secret.

use std::fmt;

use tokio_postgres::error::{DbError, ErrorPosition};

use crate::redact::redact;

/// An error the server reported, with every field PostgreSQL sends.
///
/// tokio-postgres's `DbError` displays as just "db error"; this type keeps what
/// a person needs to act: SQLSTATE, message, detail, hint, context and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// `ERROR`, `FATAL`, ...
    pub severity: String,
    /// The five-character SQLSTATE, e.g. `42P07`.
    pub code: String,
    /// The primary message.
    pub message: String,
    /// Optional secondary message.
    pub detail: Option<String>,
    /// Optional suggestion.
    pub hint: Option<String>,
    /// The call stack (`CONTEXT:` in psql).
    pub context: Option<String>,
    /// 1-based position in *characters* into the query string sent, when the server gave one.
    pub position: Option<u32>,
}

impl ServerError {
    /// Copies the fields of a server error, redacting every text.
    pub fn from_db_error(e: &DbError) -> Self {
        ServerError {
            severity: e.severity().to_owned(),
            code: e.code().code().to_owned(),
            message: redact(e.message()),
            detail: e.detail().map(redact),
            hint: e.hint().map(redact),
            context: e.where_().map(redact),
            position: match e.position() {
                Some(ErrorPosition::Original(p)) => Some(*p),
                _ => None,
            },
        }
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.severity, self.code, self.message)?;
        if let Some(d) = &self.detail {
            write!(f, "\nDETAIL: {d}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\nHINT: {h}")?;
        }
        if let Some(c) = &self.context {
            write!(f, "\nCONTEXT: {c}")?;
        }
        Ok(())
    }
}

/// Anything that went wrong between plumb and a server.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The connection string could not be understood.
    #[error(transparent)]
    ConnInfo(#[from] crate::conninfo::ConnInfoError),
    /// TLS could not be configured.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsSetupError),
    /// No connection could be made.
    #[error("could not connect to {target}: {reason}{}", hint.as_ref().map(|h| format!("\nhint: {h}")).unwrap_or_default())]
    Connect {
        /// The target, without its password.
        target: String,
        /// What failed.
        reason: String,
        /// What to do about it.
        hint: Option<String>,
    },
    /// The server rejected a statement.
    #[error("{0}")]
    Server(Box<ServerError>),
    /// The connection broke mid-way (server shut down, backend terminated, network).
    #[error("the connection to the server was lost: {0}")]
    ConnectionLost(String),
}

impl PgError {
    /// The server error, when the server reported one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            PgError::Server(e) => Some(e),
            _ => None,
        }
    }

    /// The SQLSTATE, when the server reported one.
    pub fn code(&self) -> Option<&str> {
        self.server_error().map(|e| e.code.as_str())
    }
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => PgError::Server(Box::new(ServerError::from_db_error(db))),
            None => PgError::ConnectionLost(redact(&error_chain(&e))),
        }
    }
}

/// `outer: inner: innermost`, the whole `source()` chain of an error.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

impl PgError {
    /// Whether the server ended the session (terminated backend, shutdown, lost connection):
    /// nothing the statement said was wrong, and running again is the remedy.
    pub fn session_ended(&self) -> bool {
        match self {
            PgError::ConnectionLost(_) => true,
            PgError::Server(e) => session_ended(&e.code),
            _ => false,
        }
    }
}

/// Whether `sqlstate` says the session ended: class 57P (operator intervention: terminated,
/// shut down) or 08 (connection exception).
pub fn session_ended(sqlstate: &str) -> bool {
    sqlstate.starts_with("57P") || sqlstate.starts_with("08")
}

/// The SQLSTATE as the diagnostic's code, and what to do when the session ended.
impl miette::Diagnostic for PgError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code().map(|code| Box::new(code) as Box<dyn fmt::Display + 'a>)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            PgError::Server(e) if session_ended(&e.code) => Some(Box::new(
                "the connection was lost: the server ended the session. What committed before it is kept, \
                 nothing after it ran; run the command again.",
            )),
            _ => None,
        }
    }
}

impl miette::Diagnostic for crate::conninfo::ConnInfoError {}
impl miette::Diagnostic for crate::tls::TlsSetupError {}
impl miette::Diagnostic for crate::cluster::ClusterError {}
impl miette::Diagnostic for crate::binaries::BinariesNotFound {}

/// Implements [`miette::Diagnostic`] for an error that wraps others by forwarding to the one it
/// wraps (what miette's derive calls `transparent`), so the SQLSTATE, the place in a file and the
/// help of the innermost error reach whoever renders the outermost, without downcasting.
/// `$inner` maps `&self` to `Option<&dyn miette::Diagnostic>`.
#[macro_export]
macro_rules! forward_diagnostic {
    ($type:ty, $inner:expr) => {
        impl ::miette::Diagnostic for $type {
            fn code<'a>(&'a self) -> Option<Box<dyn ::std::fmt::Display + 'a>> {
                let inner: fn(&Self) -> Option<&dyn ::miette::Diagnostic> = $inner;
                inner(self)?.code()
            }
            fn help<'a>(&'a self) -> Option<Box<dyn ::std::fmt::Display + 'a>> {
                let inner: fn(&Self) -> Option<&dyn ::miette::Diagnostic> = $inner;
                inner(self)?.help()
            }
            fn labels<'a>(&'a self) -> Option<Box<dyn Iterator<Item = ::miette::LabeledSpan> + 'a>> {
                let inner: fn(&Self) -> Option<&dyn ::miette::Diagnostic> = $inner;
                inner(self)?.labels()
            }
            fn source_code(&self) -> Option<&dyn ::miette::SourceCode> {
                let inner: fn(&Self) -> Option<&dyn ::miette::Diagnostic> = $inner;
                inner(self)?.source_code()
            }
        }
    };
}
