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

use crate::cli::DirArgs;

/// Exit codes, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done, nothing to report.
    Ok = 0,
    /// Done, and something needs attention.
    Findings = 1,
}

/// Loads the migrations folder in the layout `--tool` (or plumb.toml) names, or else the one
/// its shape says.
pub fn load_migrations(args: &DirArgs) -> miette::Result<MigrationSet> {
    let source = crate::settings::migrations_source(args)?;
    if let Some(replay_with) = source.replay_with {
        let command = plumb_migrate::CommandSource {
            dir: source.dir,
            replay_with,
            versions_from: source.versions_from,
            cwd: crate::settings::current_dir()?,
        };
        return Ok(plumb_migrate::MigrationSource::load(&command)?);
    }
    Ok(plumb_migrate::load_dir_as(&source.dir, source.tool)?)
}

/// Loads a migrations folder in the layout its shape says (for `diff DIR`).
pub fn load_folder(dir: &Path) -> Result<MigrationSet, LoadError> {
    plumb_migrate::load_dir(dir)
}
