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
