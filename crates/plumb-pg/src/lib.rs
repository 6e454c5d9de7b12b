//! plumb's link to PostgreSQL: connection settings as libpq understands them,
//! TLS, the redaction every printed text passes through, and the local clusters
//! plumb runs itself (throwaway shadows and the project cluster).
//!
//! Nothing here prints; callers decide what to show, always through [`redact`].
#![deny(missing_docs)]

pub mod binaries;
pub mod cluster;
mod connect;
pub mod conninfo;
mod error;
pub mod redact;
pub mod tls;
mod writes;

pub use binaries::{PgBinaries, discover, installed};
pub use cluster::{Cluster, ClusterConfig, ProjectCluster, ProjectClusterState};
pub use connect::{Connection, NoticeSink, connect};
pub use conninfo::{ConnInfo, Environment, Host, SslMode};
pub use error::{PgError, ServerError, error_chain, session_ended};
pub use redact::{redact, redact_cow};
pub use writes::{CATALOG_COUNTS_SQL, CatalogCounts, CatalogWrites, SCHEMA_CATALOGS};
