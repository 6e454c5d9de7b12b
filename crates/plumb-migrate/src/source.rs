//! Where migrations come from. Every layout implements [`MigrationSource`].

use std::path::{Path, PathBuf};

use crate::error::{LoadError, SourceLocation};
use crate::migration::{Migration, MigrationSet, Version};

/// Something that yields a set of migrations: plumb's own folder layout, or another tool's.
pub trait MigrationSource {
    /// Reads and checks every migration. Nothing runs.
    fn load(&self) -> Result<MigrationSet, LoadError>;
}

/// plumb's native layout: `<dir>/<version>_<name>.sql`.
///
/// `*.down.sql` files (rollback scripts of some tools) and non-`.sql` files are
/// ignored; any other `.sql` file must carry a version.
#[derive(Debug, Clone)]
pub struct NativeDir {
    dir: PathBuf,
}

impl NativeDir {
    /// The layout rooted at `dir`.
    pub fn new(dir: &Path) -> Self {
        NativeDir { dir: dir.to_path_buf() }
    }
}

impl MigrationSource for NativeDir {
    fn load(&self) -> Result<MigrationSet, LoadError> {
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| LoadError::Folder { path: self.dir.clone(), reason: e.to_string() })?;
        let mut migrations = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| LoadError::Folder { path: self.dir.clone(), reason: e.to_string() })?;
            let path = entry.path();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if !path.is_file() || !file_name.ends_with(".sql") || file_name.ends_with(".down.sql") {
                continue;
            }
            let stem = file_name.trim_end_matches(".sql");
            let (version, name) = match stem.split_once('_') {
                Some((v, n)) => (Version::parse(v), n.to_owned()),
                None => (Version::parse(stem), String::new()),
            };
            let Some(version) = version else {
                return Err(LoadError::BadFileName { path });
            };
            let bytes = std::fs::read(&path)
                .map_err(|e| LoadError::Unreadable { path: path.clone(), reason: e.to_string() })?;
            let sql = match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => {
                    let valid = e.utf8_error().valid_up_to();
                    let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    // Positions in the lossy text match the original up to the first bad byte.
                    return Err(LoadError::NotUtf8 { location: SourceLocation::new(&path, &lossy, valid..valid + 1) });
                }
            };
            migrations.push(Migration::new(version, name, path, sql)?);
        }
        MigrationSet::new(migrations)
    }
}
