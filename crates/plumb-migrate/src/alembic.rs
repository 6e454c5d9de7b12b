//! Alembic, a code-first tool: its revisions are Python, so plumb cannot run them itself. The
//! folder is read for the revision graph (each file's `revision` and `down_revision`), and each
//! revision is run by Alembic itself ([`crate::Runner::Alembic`]) against whichever database
//! plumb points it at: the shadow while replaying, the target while applying.
//!
//! Revision ids are not numbers, so each revision gets the version of its place in the
//! history (`0001` for the first after base); its name is the revision file's stem
//! (`ae1027a6acf_add_users`), so the id is always in sight.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::LoadError;
use crate::migration::{Layout, Migration, MigrationSet, Version, hex_sha256};
use crate::runner::Runner;
use crate::source::MigrationSource;

/// One Alembic revision: its place in the graph, and the project Alembic runs it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Its id (`revision = "ae1027a6acf"`).
    pub id: String,
    /// The revisions it comes after (`down_revision`; two or more for a merge).
    pub parents: Vec<String>,
    /// The `alembic.ini` Alembic is run with.
    pub ini: PathBuf,
}

/// An Alembic project: `alembic.ini` in `<dir>` (its `script_location` holds `versions/`), or
/// `<dir>` being the script location itself (`env.py` and `versions/`, the ini beside it or
/// one folder up).
#[derive(Debug, Clone)]
pub struct AlembicDir {
    dir: PathBuf,
}

impl AlembicDir {
    /// The project at `dir`.
    pub fn new(dir: &Path) -> Self {
        AlembicDir { dir: dir.to_path_buf() }
    }

    /// Whether `dir` looks like an Alembic project (for detection).
    pub fn looks_like(dir: &Path) -> bool {
        dir.join("alembic.ini").is_file() || (dir.join("env.py").is_file() && dir.join("versions").is_dir())
    }

    /// `alembic.ini` and the `versions` folder.
    fn locate(&self) -> Result<(PathBuf, PathBuf), LoadError> {
        let layout = |reason: String| LoadError::Layout { path: self.dir.clone(), reason };
        let ini = [self.dir.join("alembic.ini"), self.dir.join("../alembic.ini")]
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| layout("an Alembic folder without alembic.ini (looked here and one folder up)".into()))?;
        if self.dir.join("versions").is_dir() {
            return Ok((ini, self.dir.join("versions")));
        }
        let text = std::fs::read_to_string(&ini)
            .map_err(|e| LoadError::Unreadable { path: ini.clone(), reason: e.to_string() })?;
        let here = ini.parent().unwrap_or(Path::new("."));
        let location = ini_value(&text, "alembic", "script_location")
            .ok_or_else(|| layout(format!("{} has no script_location in [alembic]", ini.display())))?
            .replace("%(here)s", &here.display().to_string());
        // Alembic resolves a relative location against the working folder; projects run it
        // from the ini's folder.
        let versions = here.join(location).join("versions");
        if !versions.is_dir() {
            return Err(layout(format!("script_location of {} has no versions/ folder", ini.display())));
        }
        Ok((ini, versions))
    }
}

/// `key = value` in `[section]` of an ini file (no interpolation but `%(here)s`, done by the caller).
fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_owned();
        } else if current == section
            && let Some((k, v)) = line.split_once(['=', ':'])
            && k.trim() == key
        {
            return Some(v.trim().to_owned());
        }
    }
    None
}

/// The value of `name = ...` (or `name: str = ...`) at the top level of a revision file: a
/// quoted string, `None`, or a tuple or list of quoted strings.
fn assignment(source: &str, name: &str) -> Option<Vec<String>> {
    for line in source.lines() {
        let Some(rest) = line.strip_prefix(name) else { continue };
        if !rest.starts_with([' ', ':', '=']) {
            continue;
        }
        let rest = rest.trim_start();
        // `revision: str = "…"`, `down_revision: Union[str, None] = …`
        let rest = match rest.strip_prefix(':') {
            Some(annotated) => annotated.split_once('=')?.1,
            None => rest.strip_prefix('=')?,
        };
        let value = rest.trim();
        if value.starts_with("None") {
            return Some(Vec::new());
        }
        let ids: Vec<String> = value.split(['"', '\'']).skip(1).step_by(2).map(str::to_owned).collect();
        return Some(ids);
    }
    None
}

impl MigrationSource for AlembicDir {
    fn load(&self) -> Result<MigrationSet, LoadError> {
        let (ini, versions) = self.locate()?;
        let entries = std::fs::read_dir(&versions)
            .map_err(|e| LoadError::Folder { path: versions.clone(), reason: e.to_string() })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "py") && p.is_file())
            .collect();
        files.sort();
        let mut revisions: BTreeMap<String, (PathBuf, Vec<String>, String)> = BTreeMap::new();
        for path in files {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| LoadError::Unreadable { path: path.clone(), reason: e.to_string() })?;
            let Some(id) = assignment(&text, "revision").and_then(|ids| ids.into_iter().next()) else {
                // `__init__.py` and helpers are not revisions.
                continue;
            };
            let parents = assignment(&text, "down_revision").ok_or_else(|| LoadError::Layout {
                path: path.clone(),
                reason: "an Alembic revision without down_revision".into(),
            })?;
            if let Some((other, _, _)) = revisions.get(&id) {
                return Err(LoadError::DuplicateVersion { version: id, first: other.clone(), second: path });
            }
            revisions.insert(id, (path, parents, text));
        }
        let order = linear_order(&revisions, &versions)?;
        let width = order.len().to_string().len().max(4);
        let mut migrations = Vec::new();
        for (i, id) in order.iter().enumerate() {
            let (path, parents, text) = &revisions[id];
            let version = Version::parse_digits(&format!("{:0width$}", i + 1)).expect("digits");
            let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            let mut m = Migration::new(version, name, path.clone(), String::new())?;
            // Cached replays and `modified` follow the revision file's content.
            m.checksum = hex_sha256(text.as_bytes());
            m.runner = Some(Runner::Alembic(Revision { id: id.clone(), parents: parents.clone(), ini: ini.clone() }));
            migrations.push(m);
        }
        Ok(MigrationSet::new(migrations)?.with_layout(Layout::Alembic))
    }
}

/// The revisions in an order Alembic can run one at a time: parents first, siblings by id.
/// Several heads (branches never merged) are reported, not guessed between.
fn linear_order(
    revisions: &BTreeMap<String, (PathBuf, Vec<String>, String)>,
    versions: &Path,
) -> Result<Vec<String>, LoadError> {
    let layout = |reason: String| LoadError::Layout { path: versions.to_owned(), reason };
    for (id, (path, parents, _)) in revisions {
        if let Some(missing) = parents.iter().find(|p| !revisions.contains_key(*p)) {
            return Err(LoadError::Layout {
                path: path.clone(),
                reason: format!("revision {id} comes after {missing}, which no file in {} has", versions.display()),
            });
        }
    }
    let children: BTreeSet<&String> = revisions.values().flat_map(|(_, parents, _)| parents).collect();
    let heads: Vec<&String> = revisions.keys().filter(|id| !children.contains(id)).collect();
    if heads.len() > 1 {
        let heads: Vec<&str> = heads.iter().map(|h| h.as_str()).collect();
        return Err(layout(format!(
            "the revision graph has {} heads ({}): merge them with `alembic merge heads`; plumb replays one history",
            heads.len(),
            heads.join(", ")
        )));
    }
    let mut order: Vec<String> = Vec::new();
    let mut placed: BTreeSet<&String> = BTreeSet::new();
    while placed.len() < revisions.len() {
        let ready = revisions
            .iter()
            .find(|(id, (_, parents, _))| !placed.contains(id) && parents.iter().all(|p| placed.contains(p)));
        let Some((id, _)) = ready else {
            return Err(layout("the revisions' down_revision links form a cycle".into()));
        };
        placed.insert(id);
        order.push(id.clone());
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_ids_and_parents_are_read_in_their_common_spellings() {
        let file = "\"\"\"add users\n\nRevision ID: b2\nRevises: a1\n\"\"\"\nrevision: str = \"b2\"\ndown_revision: Union[str, None] = 'a1'\n";
        assert_eq!(assignment(file, "revision"), Some(vec!["b2".to_owned()]));
        assert_eq!(assignment(file, "down_revision"), Some(vec!["a1".to_owned()]));
        assert_eq!(assignment("revision = 'a1'\ndown_revision = None\n", "down_revision"), Some(vec![]));
        assert_eq!(assignment("down_revision = ('b2', 'c3')\n", "down_revision"), Some(vec!["b2".into(), "c3".into()]));
    }

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alembic.ini"), "[alembic]\nscript_location = %(here)s/alembic\n").unwrap();
        std::fs::create_dir_all(dir.path().join("alembic/versions")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("alembic/versions").join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn revisions_are_ordered_by_the_graph_not_the_file_names() {
        let dir = project(&[
            ("ccc_third.py", "revision = 'c3'\ndown_revision = 'b2'\n"),
            ("aaa_second.py", "revision = 'b2'\ndown_revision = 'a1'\n"),
            ("zzz_first.py", "revision = 'a1'\ndown_revision = None\n"),
            ("__init__.py", ""),
        ]);
        let set = AlembicDir::new(dir.path()).load().unwrap();
        let ids: Vec<&str> =
            set.migrations().iter().map(|m| m.runner.as_ref().and_then(|r| r.alembic()).unwrap().id.as_str()).collect();
        assert_eq!(ids, ["a1", "b2", "c3"]);
        assert_eq!(set.migrations()[0].version.as_str(), "0001");
        assert_eq!(set.migrations()[0].name, "zzz_first");
    }

    #[test]
    fn two_heads_or_a_missing_parent_are_errors_that_name_them() {
        let dir = project(&[
            ("a.py", "revision = 'a1'\ndown_revision = None\n"),
            ("b.py", "revision = 'b2'\ndown_revision = 'a1'\n"),
            ("c.py", "revision = 'c3'\ndown_revision = 'a1'\n"),
        ]);
        let e = AlembicDir::new(dir.path()).load().unwrap_err().to_string();
        assert!(e.contains("2 heads (b2, c3)") && e.contains("alembic merge"), "{e}");
        let dir = project(&[("b.py", "revision = 'b2'\ndown_revision = 'a1'\n")]);
        let e = AlembicDir::new(dir.path()).load().unwrap_err().to_string();
        assert!(e.contains("comes after a1"), "{e}");
    }
}
