//! Migrations as values, plumb's history table, and the apply algorithm.
//!
//! A [`Migration`] is built once from its file: version, name, text, SHA-256
//! checksum, directives and statements. A [`MigrationSource`] yields a
//! [`MigrationSet`]; [`apply()`] runs what is pending so that each migration and
//! its history row commit together; [`status()`] holds files against history.
#![deny(missing_docs)]

mod alembic;
mod apply;
mod checksum;
mod command;
mod django;
mod error;
mod failpoint;
mod history;
mod migration;
mod runner;
mod source;
mod status;
mod worker;

pub use alembic::{AlembicDir, AlembicSql, Revision, without_alembic_bookkeeping};
pub use apply::{
    AppliedMigration, ApplyObserver, ApplyOptions, ApplyReport, PlannedMigration, Step, Steps, apply, lock, plan_apply,
    plan_script, unlock,
};
pub use checksum::{atlas_hashes, atlas_sum, flyway_crc32, hex};
pub use command::CommandSource;
pub use django::DjangoDir;
pub use error::{ApplyError, LoadError, LockHolder, MigrationFailure, SourceLocation};
pub use failpoint::failpoint;
pub use history::{HISTORY_TABLE, HistoryFormat, HistoryRow, HistoryStatus, read_history, read_history_with_format};
pub use migration::{Directives, Layout, Migration, MigrationSet, Version};
pub use runner::{CommandStep, DjangoStep, Runner, alembic_ready, connect_env, python};
pub use source::{
    AtlasDir, DieselDir, DrizzleDir, FlywayDir, MigrationSource, NativeDir, PrismaDir, folder_problems, load_dir,
    load_dir_as,
};
pub use status::{MigrationState, StatusEntry, status};
pub use worker::end_workers;
