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

/// One Alembic revision's place in the graph (from its file, or from `alembic upgrade --sql`
/// output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Its id (`revision = "ae1027a6acf"`).
    pub id: String,
    /// The revisions it comes after (`down_revision`; two or more for a merge).
    pub parents: Vec<String>,
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

    /// `alembic.ini` and the `versions` folder, both absolute: Alembic runs in the ini's folder,
    /// whatever folder plumb was started from.
    fn locate(&self) -> Result<(PathBuf, PathBuf), LoadError> {
        let layout = |reason: String| LoadError::Layout { path: self.dir.clone(), reason };
        let ini = [self.dir.join("alembic.ini"), self.dir.join("../alembic.ini")]
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| layout("an Alembic folder without alembic.ini (looked here and one folder up)".into()))?;
        let ini = ini.canonicalize().map_err(|e| LoadError::Unreadable { path: ini.clone(), reason: e.to_string() })?;
        if self.dir.join("versions").is_dir() && self.dir.join("env.py").is_file() {
            let versions = self.dir.join("versions");
            return Ok((ini, versions.canonicalize().unwrap_or(versions)));
        }
        let text = std::fs::read_to_string(&ini)
            .map_err(|e| LoadError::Unreadable { path: ini.clone(), reason: e.to_string() })?;
        let here = ini.parent().unwrap_or(Path::new("/")).to_path_buf();
        let location = ini_value(&text, "alembic", "script_location")
            .ok_or_else(|| layout(format!("{} has no script_location in [alembic]", ini.display())))?
            .replace("%(here)s", &here.display().to_string());
        // `%(here)s` is the ini's folder; a relative location is too, as projects run Alembic
        // from there.
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
            m.revision = Some(Revision { id: id.clone(), parents: parents.clone() });
            m.runner = Some(Runner::Alembic { ini: ini.clone(), revision: id.clone() });
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

/// The marker Alembic's offline mode writes before each revision's SQL.
const RUNNING: &str = "-- Running upgrade ";

/// `alembic upgrade --sql` output as a migrations source: one migration per `-- Running upgrade
/// <from> -> <to>` section, Alembic's own bookkeeping (`BEGIN;`, `COMMIT;`, the statements on
/// `alembic_version`) understood and left out, so plumb replays the SQL itself, no Python
/// needed. Each migration's text keeps the file's line numbers (the lines before its section
/// are empty lines), so errors point into the file.
#[derive(Debug, Clone)]
pub struct AlembicSql {
    file: PathBuf,
}

impl AlembicSql {
    /// The output saved in `file`.
    pub fn new(file: &Path) -> Self {
        AlembicSql { file: file.to_path_buf() }
    }

    /// Whether `file` is Alembic's offline SQL (for detection).
    pub fn looks_like(file: &Path) -> bool {
        file.is_file() && std::fs::read_to_string(file).is_ok_and(|t| t.lines().any(|l| l.starts_with(RUNNING)))
    }
}

/// `text` with Alembic's bookkeeping blanked out (spaces, newlines kept): the transaction
/// statements it wraps each revision in and every statement on `alembic_version`. `None`: not
/// Alembic's offline output.
pub fn without_alembic_bookkeeping(text: &str) -> Option<String> {
    if !text.lines().any(|l| l.starts_with(RUNNING)) {
        return None;
    }
    let script = plumb_sql::split(text);
    let mut bytes = text.as_bytes().to_vec();
    for statement in &script.statements {
        let words: Vec<String> =
            text[statement.range.clone()].split_whitespace().take(3).map(|w| w.to_lowercase()).collect();
        // `;;`: a revision's SQL that ends with `;`, and Alembic's own after it.
        let empty = text[statement.range.clone()].trim() == ";";
        let bookkeeping = empty
            || matches!(statement.kind, plumb_sql::StatementKind::TransactionControl(_))
            || words.iter().any(|w| w.trim_end_matches(['(', ';']) == "alembic_version");
        if bookkeeping {
            for b in &mut bytes[statement.range.clone()] {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
        }
    }
    // Only ASCII bytes of whole statements became spaces, never part of a character... unless
    // a statement on alembic_version held other text; those are Alembic's own and ASCII.
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

impl MigrationSource for AlembicSql {
    fn load(&self) -> Result<MigrationSet, LoadError> {
        let text = std::fs::read_to_string(&self.file)
            .map_err(|e| LoadError::Unreadable { path: self.file.clone(), reason: e.to_string() })?;
        let Some(clean) = without_alembic_bookkeeping(&text) else {
            return Err(LoadError::Layout {
                path: self.file.clone(),
                reason: "not `alembic upgrade --sql` output: no `-- Running upgrade` line".into(),
            });
        };
        // Each section: (start byte, from, to).
        let mut sections: Vec<(usize, Vec<String>, String)> = Vec::new();
        let mut offset = 0;
        for line in clean.split_inclusive('\n') {
            if let Some(rest) = line.trim_end().strip_prefix(RUNNING) {
                let (from, to) = rest.split_once("->").ok_or_else(|| LoadError::Layout {
                    path: self.file.clone(),
                    reason: format!("`{}` does not say `<from> -> <to>`", line.trim_end()),
                })?;
                let parents = from.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
                sections.push((offset, parents, to.trim().to_owned()));
            }
            offset += line.len();
        }
        let width = sections.len().to_string().len().max(4);
        let mut migrations = Vec::new();
        for (i, (start, parents, to)) in sections.iter().enumerate() {
            let end = sections.get(i + 1).map_or(clean.len(), |next| next.0);
            let lines_before = clean[..*start].matches('\n').count();
            let sql = format!("{}{}", "\n".repeat(lines_before), &clean[*start..end]);
            let version = Version::parse_digits(&format!("{:0width$}", i + 1)).expect("digits");
            let mut m = Migration::new(version, to.clone(), self.file.clone(), sql)?;
            m.checksum = hex_sha256(&text.as_bytes()[*start..end]);
            m.revision = Some(Revision { id: to.clone(), parents: parents.clone() });
            migrations.push(m);
        }
        Ok(MigrationSet::new(migrations)?.with_layout(Layout::Alembic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `alembic upgrade head --sql` printed (Alembic 1.20, `transaction_per_migration`).
    const OFFLINE: &str = "BEGIN;\n\nCREATE TABLE alembic_version (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n);\n\n-- Running upgrade  -> a1\n\nCREATE TABLE organizations (id uuid PRIMARY KEY);;\n\nINSERT INTO alembic_version (version_num) VALUES ('a1') RETURNING alembic_version.version_num;\n\nCOMMIT;\n\nBEGIN;\n\n-- Running upgrade a1 -> b2\n\nCREATE TABLE users (id uuid PRIMARY KEY, org uuid REFERENCES organizations);;\n\nUPDATE alembic_version SET version_num='b2' WHERE alembic_version.version_num = 'a1';\n\nCOMMIT;\n\n";

    #[test]
    fn offline_sql_is_one_migration_per_revision_without_alembic_s_bookkeeping() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("upgrade.sql");
        std::fs::write(&file, OFFLINE).unwrap();
        assert!(AlembicSql::looks_like(&file));
        let set = AlembicSql::new(&file).load().unwrap();
        let m: Vec<(&str, &str)> = set.migrations().iter().map(|m| (m.version.as_str(), m.name.as_str())).collect();
        assert_eq!(m, [("0001", "a1"), ("0002", "b2")]);
        let second = &set.migrations()[1];
        assert_eq!(second.revision.as_ref().unwrap().parents, ["a1"]);
        // Only the revision's own statement is left, on the file's own line.
        let statements: Vec<&str> =
            (0..second.script.statements.len()).map(|i| second.statement_sql(i).trim()).collect();
        assert_eq!(statements, ["CREATE TABLE users (id uuid PRIMARY KEY, org uuid REFERENCES organizations);"]);
        let line = second.sql[..second.script.statements[0].range.start].matches('\n').count() + 1;
        assert_eq!(OFFLINE.lines().nth(line - 1).unwrap().trim(), statements[0].to_owned() + ";");
    }

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
        let ids: Vec<&str> = set.migrations().iter().map(|m| m.revision.as_ref().unwrap().id.as_str()).collect();
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
