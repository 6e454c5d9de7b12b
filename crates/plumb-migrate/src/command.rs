//! Any migration tool, known only by command (`--replay-with 'CMD {version}'`): Rails
//! (`bin/rails db:migrate VERSION={version}`), Knex, a team's own script. plumb lists the
//! versions (`--versions-from 'CMD'`, else the names of the files in the folder), and has the
//! command run each one against the database it points it at ([`crate::Runner::Command`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::LoadError;
use crate::migration::{Layout, Migration, MigrationSet, Version, hex_sha256};
use crate::runner::{CommandStep, Runner};
use crate::source::MigrationSource;

/// A tool given by command.
#[derive(Debug, Clone)]
pub struct CommandSource {
    /// The migrations folder (its file names give the versions when no command lists them).
    pub dir: PathBuf,
    /// The command that runs one version; `{version}` is replaced.
    pub replay_with: String,
    /// The command that prints the versions, one per line (`<version> [name]`), oldest first.
    pub versions_from: Option<String>,
    /// The folder both commands run in (the project's).
    pub cwd: PathBuf,
}

impl CommandSource {
    /// `(version, name, file)` from `--versions-from`'s output.
    fn listed(&self, command: &str) -> Result<Vec<(Version, String, Option<PathBuf>)>, LoadError> {
        let layout = |reason: String| LoadError::Layout { path: self.cwd.clone(), reason };
        let output = Command::new("sh")
            .current_dir(&self.cwd)
            .arg("-c")
            .arg(command)
            .output()
            .map_err(|e| layout(format!("--versions-from: cannot run sh: {e}")))?;
        if !output.status.success() {
            return Err(layout(format!(
                "--versions-from `{command}` failed: {}",
                plumb_pg::redact(String::from_utf8_lossy(&output.stderr).trim())
            )));
        }
        let mut out = Vec::new();
        for line in String::from_utf8_lossy(&output.stdout).lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (first, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let version = Version::parse(first).ok_or_else(|| {
                layout(format!("--versions-from printed `{line}`: each line is a version (digits), then a name"))
            })?;
            out.push((version, rest.trim().to_owned(), None));
        }
        Ok(out)
    }

    /// `(version, name, file)` from the folder's file names (`<version>_<name>.<ext>`).
    fn files(&self) -> Result<Vec<(Version, String, Option<PathBuf>)>, LoadError> {
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| LoadError::Folder { path: self.dir.clone(), reason: e.to_string() })?;
        let mut out = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let file = entry.file_name().to_string_lossy().into_owned();
            let stem = file.split('.').next().unwrap_or_default();
            let (version, name) = stem.split_once('_').unwrap_or((stem, ""));
            if let Some(version) = Version::parse_digits(version).filter(|_| path.is_file()) {
                out.push((version, name.to_owned(), Some(path)));
            }
        }
        Ok(out)
    }
}

impl MigrationSource for CommandSource {
    fn load(&self) -> Result<MigrationSet, LoadError> {
        let versions = match &self.versions_from {
            Some(command) => self.listed(command)?,
            None => self.files()?,
        };
        let mut migrations = Vec::new();
        for (version, name, file) in versions {
            let path = file.clone().unwrap_or_else(|| Path::new(&self.cwd).join(version.as_str()));
            let mut m = Migration::new(version.clone(), name, path, String::new())?;
            // A file's content decides whether a cached replay still holds; without one, the
            // command and version do.
            m.checksum = match file.as_deref().map(std::fs::read) {
                Some(Ok(bytes)) => hex_sha256(&bytes),
                _ => hex_sha256(format!("{} {version}", self.replay_with).as_bytes()),
            };
            let command = self.replay_with.replace("{version}", version.as_str());
            m.runner = Some(Runner::Command(CommandStep { command, cwd: self.cwd.clone() }));
            migrations.push(m);
        }
        if migrations.is_empty() {
            return Err(LoadError::Layout {
                path: self.dir.clone(),
                reason: "--replay-with has no versions to run: give --versions-from 'CMD', or a folder of \
                         <version>_<name> files"
                    .into(),
            });
        }
        Ok(MigrationSet::new(migrations)?.with_layout(Layout::Command))
    }
}
