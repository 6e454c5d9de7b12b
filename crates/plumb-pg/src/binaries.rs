//! Finding PostgreSQL server binaries on this machine.
//!
//! Looked for, in order: `PLUMB_PG_BIN` (when set, the only place looked),
//! `PATH`, `pg_config --bindir`, `/usr/lib/postgresql/*/bin`, and the usual
//! Homebrew, Postgres.app and Windows install folders. The newest major wins
//! unless a major is asked for.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder holding `initdb`, `pg_ctl` and `postgres` of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    /// The folder.
    pub bin_dir: PathBuf,
    /// Major version, e.g. 17.
    pub major: u32,
    /// Full version as `postgres --version` prints it, e.g. `17.11`.
    pub version: String,
}

impl PgBinaries {
    /// The path of one program in this folder, e.g. `initdb`.
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    }
}

/// No suitable server binaries were found.
#[derive(Debug, thiserror::Error)]
#[error(
    "{message}\n\nInstall PostgreSQL server binaries (any of 14-18), then run plumb again:\n  Debian/Ubuntu:  sudo apt-get install postgresql\n  Fedora/RHEL:    sudo dnf install postgresql-server\n  macOS:          brew install postgresql@17\n  Windows:        winget install PostgreSQL.PostgreSQL.17\nor point PLUMB_PG_BIN at a folder that holds initdb, pg_ctl and postgres."
)]
pub struct BinariesNotFound {
    message: String,
}

/// Finds the binaries to use: the requested major, or the newest available.
pub fn discover(requested_major: Option<u32>) -> Result<PgBinaries, BinariesNotFound> {
    let explicit = std::env::var_os("PLUMB_PG_BIN").filter(|v| !v.is_empty()).map(PathBuf::from);
    let found = match &explicit {
        Some(dir) => probe(dir).into_iter().collect(),
        None => installed(),
    };
    let chosen = match requested_major {
        Some(major) => found.iter().find(|b| b.major == major),
        None => found.first(),
    };
    match chosen {
        Some(b) => Ok(b.clone()),
        None => {
            let seen = if found.is_empty() {
                "none".to_owned()
            } else {
                found.iter().map(|b| format!("{} ({})", b.version, b.bin_dir.display())).collect::<Vec<_>>().join(", ")
            };
            let message = match (&explicit, requested_major) {
                (Some(dir), _) if found.is_empty() => format!(
                    "PLUMB_PG_BIN={} does not hold a working initdb, pg_ctl and postgres",
                    dir.display()
                ),
                (_, Some(major)) => format!("no PostgreSQL {major} server binaries found (found: {seen})"),
                _ => "no PostgreSQL server binaries found (looked in PLUMB_PG_BIN, PATH, pg_config --bindir, /usr/lib/postgresql/*/bin, Homebrew, Postgres.app and Program Files)".to_owned(),
            };
            Err(BinariesNotFound { message })
        }
    }
}

/// Every installation found, newest major first, without duplicates.
pub fn installed() -> Vec<PgBinaries> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    for pattern in [
        "/usr/lib/postgresql",
        "/usr/pgsql-",
        "/opt/homebrew/opt",
        "/usr/local/opt",
        "/Applications/Postgres.app/Contents/Versions",
        "C:\\Program Files\\PostgreSQL",
    ] {
        dirs.extend(glob_bin_dirs(pattern));
    }
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));

    let mut found: Vec<PgBinaries> = Vec::new();
    // The same server reached twice (a symlink in PATH, pg_config's folder) is asked its version
    // once: each `postgres --version` costs a process start.
    let mut probed = std::collections::HashSet::new();
    for dir in dirs {
        let program = dir.join(format!("postgres{}", std::env::consts::EXE_SUFFIX));
        if !probed.insert(std::fs::canonicalize(&program).unwrap_or(program)) {
            continue;
        }
        if let Some(b) = probe(&dir) {
            let real = std::fs::canonicalize(&b.bin_dir).unwrap_or_else(|_| b.bin_dir.clone());
            let duplicate = found.iter().any(|f| {
                std::fs::canonicalize(f.program("postgres")).ok() == std::fs::canonicalize(b.program("postgres")).ok()
                    || std::fs::canonicalize(&f.bin_dir).ok().as_ref() == Some(&real)
            });
            if !duplicate {
                found.push(b);
            }
        }
    }
    // Newest first; among equals, the earlier (more preferred) place keeps its rank.
    found.sort_by_key(|b| std::cmp::Reverse(b.major));
    found
}

/// `<prefix>*/bin` for the install layouts that put a version in the folder name.
fn glob_bin_dirs(prefix: &str) -> Vec<PathBuf> {
    let prefix_path = Path::new(prefix);
    let (parent, stem) = match prefix_path.file_name() {
        Some(_) if prefix.ends_with('-') => (
            prefix_path.parent().unwrap_or(Path::new("/")).to_path_buf(),
            prefix_path.file_name().unwrap().to_string_lossy().into_owned(),
        ),
        _ => (prefix_path.to_path_buf(), String::new()),
    };
    let Ok(entries) = std::fs::read_dir(&parent) else { return Vec::new() };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(&stem) && (!parent.ends_with("opt") || name.starts_with("postgresql"))
        })
        .map(|e| e.path().join("bin"))
        .collect();
    dirs.sort();
    dirs
}

/// The binaries in `dir`, if it has all three programs and `postgres --version` answers.
fn probe(dir: &Path) -> Option<PgBinaries> {
    let candidate = PgBinaries { bin_dir: dir.to_path_buf(), major: 0, version: String::new() };
    for program in ["initdb", "pg_ctl", "postgres"] {
        if !candidate.program(program).is_file() {
            return None;
        }
    }
    let out = Command::new(candidate.program("postgres")).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = parse_version(&text)?;
    let major = version.split('.').next()?.parse().ok()?;
    // Symlinks (e.g. /usr/local/bin/postgres) point into the real installation, which also
    // holds pg_dump and psql: use that folder.
    let bin_dir = std::fs::canonicalize(candidate.program("postgres"))
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .filter(|real| ["initdb", "pg_ctl"].iter().all(|p| real.join(p).is_file()))
        .unwrap_or_else(|| dir.to_path_buf());
    Some(PgBinaries { bin_dir, major, version })
}

/// `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → `15.18`.
fn parse_version(text: &str) -> Option<String> {
    let after = text.split(')').nth(1)?.trim();
    let version: String = after.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    (!version.is_empty()).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(parse_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n").as_deref(), Some("15.18"));
        assert_eq!(parse_version("postgres (PostgreSQL) 17.11\n").as_deref(), Some("17.11"));
        assert_eq!(parse_version("postgres (PostgreSQL) 18beta1\n").as_deref(), Some("18"));
        assert_eq!(parse_version("garbage"), None);
    }
}
