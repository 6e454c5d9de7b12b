//! One module per command. Each takes resolved settings, calls the libraries,
//! renders, and returns the exit code.

pub mod apply;
pub mod check;
pub mod demo;
pub mod diff;
pub mod inspect;
pub mod lint;
pub mod pg;
pub mod repair;
pub mod status;
pub mod verify;

use std::path::Path;

use plumb_migrate::{LoadError, MigrationSet};

/// Exit codes, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done, nothing to report.
    Ok = 0,
    /// Done, and something needs attention.
    Findings = 1,
}

/// Loads a migrations folder in the layout its shape says (plumb's, Prisma's, Diesel's).
pub fn load_migrations(dir: &Path) -> Result<MigrationSet, LoadError> {
    plumb_migrate::load_dir(dir)
}
