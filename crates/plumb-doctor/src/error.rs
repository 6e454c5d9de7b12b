//! What can stop the doctor's pipeline: each kind keeps its source (in the error chain, not
//! only in the message), so the CLI can find SQLSTATEs, file positions and install hints.

use plumb_pg::PgError;
use plumb_pg::binaries::BinariesNotFound;
use plumb_pg::cluster::ClusterError;

use crate::replay::ReplayError;

/// An error of gathering, replaying or checking.
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    /// Talking to the target or the shadow failed.
    #[error("{0}")]
    Pg(#[from] PgError),
    /// The throwaway shadow cluster could not be started.
    #[error("could not start a shadow cluster: {0}")]
    Cluster(#[from] ClusterError),
    /// No PostgreSQL binaries for a throwaway shadow cluster.
    #[error("{0}")]
    Binaries(#[from] BinariesNotFound),
    /// The replay could not run at all.
    #[error("{0}")]
    Replay(#[from] ReplayError),
    /// The catalog could not be read.
    #[error("{0}")]
    Inspect(#[from] plumb_catalog::InspectError),
    /// The history table could not be read.
    #[error("{0}")]
    History(#[from] plumb_migrate::ApplyError),
    /// A migration plumb wrote could not be read back as one.
    #[error("{0}")]
    Load(#[from] plumb_migrate::LoadError),
    /// A file could not be written.
    #[error("could not write {}: {source}", path.display())]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

plumb_pg::forward_diagnostic!(DoctorError, |e| match e {
    DoctorError::Pg(e) => Some(e),
    DoctorError::Cluster(e) => Some(e),
    DoctorError::Binaries(e) => Some(e),
    DoctorError::Replay(e) => Some(e),
    DoctorError::Inspect(e) => Some(e),
    DoctorError::History(e) => Some(e),
    DoctorError::Load(e) => Some(e),
    DoctorError::Write { .. } => None,
});

#[cfg(test)]
mod tests {
    use miette::Diagnostic;
    use plumb_migrate::{ApplyError, LoadError, SourceLocation};

    use super::*;

    /// The SQLSTATE, place and advice of an error wrapped twice reach the outermost, which is
    /// all a renderer sees.
    #[test]
    fn wrapped_errors_forward_their_diagnostic() {
        let text = "SELECT 1;\n\\echo hi\n";
        let location = SourceLocation::new(std::path::Path::new("001_a.sql"), text, 10..18);
        let load = DoctorError::Load(LoadError::MetaCommand { command: "\\echo".into(), location });
        let label = load.labels().unwrap().next().unwrap();
        assert_eq!(label.offset(), 10);
        assert!(load.source_code().is_some());

        let server = plumb_pg::ServerError {
            severity: "FATAL".into(),
            code: "57P01".into(),
            message: "terminating connection due to administrator command".into(),
            detail: None,
            hint: None,
            context: None,
            position: None,
        };
        let lost = DoctorError::Replay(ReplayError::Steps(ApplyError::Pg(PgError::Server(Box::new(server)))));
        assert_eq!(lost.code().unwrap().to_string(), "57P01");
        assert!(lost.help().unwrap().to_string().contains("connection was lost"));
        assert!(lost.labels().is_none());

        let write = DoctorError::Write { path: "x".into(), source: std::io::Error::other("full") };
        assert!(write.code().is_none() && write.help().is_none());
    }
}
