//! A throwaway cluster's data folder, copied from a template instead of made by `initdb`.
//!
//! `initdb` takes about a second (it boots a server in bootstrap mode and runs the catalogs'
//! SQL); its result, for the same binaries, server user and options, is always the same
//! folder. So the first throwaway start of a set of binaries keeps a copy of the fresh folder,
//! and later starts copy that copy (a few tens of milliseconds). The clusters share their
//! system identifier, which matters only to replication, which no throwaway cluster does.
//!
//! The templates live in a folder of this user's own in the temporary folder
//! (`plumb-templates-<uid>`, mode 0700); a folder there that is not ours, or is open to others,
//! is not used. A template appears whole or not at all (copied into a `.partial-*` folder of
//! the saving call's own, then renamed), so a start killed half-way leaves at most a stray
//! `.partial-*` folder, removed by a later save.
//! It carries a manifest of its folders and files with their sizes, and is copied by it: a
//! template that lost a file (temporary-folder cleaners age files out one by one) is removed
//! and made again, never copied short. Anything else that goes wrong with a template falls
//! back to `initdb`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{ClusterError, ServerUser, initdb};
use crate::binaries::PgBinaries;

/// Bump when `initdb`'s arguments change, or how templates are saved: a template made the old
/// way is not used. (2: saves by threads of one process could leave a short template.)
const FORMAT: u32 = 2;

/// The template's list of what it holds: `d <path>` for a folder, `f <size> <path>` for a file,
/// paths relative to it, a folder before what it holds.
const MANIFEST: &str = "plumb-template.manifest";

/// Makes `data_dir` a fresh data folder for `binaries`, owned by `owner`.
pub(super) fn fresh_data_dir(binaries: &PgBinaries, owner: &ServerUser, data_dir: &Path) -> Result<(), ClusterError> {
    let template = store().map(|store| store.join(key(binaries, owner)));
    if let Some((template, identity)) = template.as_deref().and_then(|t| Some((t, identity(t)?))) {
        match copy_by_manifest(template, data_dir, owner) {
            Ok(()) => return Ok(()),
            Err(_) => {
                let _ = fs::remove_dir_all(data_dir);
                discard(template, identity);
            }
        }
    }
    initdb(binaries, owner, data_dir)?;
    if let Some(template) = template {
        save(data_dir, &template);
    }
    Ok(())
}

/// This user's template folder, created when missing; `None` when it cannot be trusted.
fn store() -> Option<PathBuf> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() };
        let store = std::env::temp_dir().join(format!("plumb-templates-{uid}"));
        let _ = fs::DirBuilder::new().mode(0o700).create(&store);
        // Not a symbolic link, ours, and closed to everyone else: another user could otherwise
        // put a data folder (its configuration runs commands) where ours is looked for.
        let meta = fs::symlink_metadata(&store).ok()?;
        let trusted = meta.is_dir() && meta.uid() == uid && meta.permissions().mode() & 0o077 == 0;
        trusted.then_some(store)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The template's name: what `initdb`'s result depends on.
fn key(binaries: &PgBinaries, owner: &ServerUser) -> String {
    // FNV-1a: stable across builds, unlike std's hasher, so a template outlives an upgrade of plumb.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in binaries.bin_dir.to_string_lossy().bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let version: String = binaries.version.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
    let user = owner.ids.map_or_else(|| "self".to_owned(), |(uid, _)| uid.to_string());
    format!("pg{version}-u{user}-f{FORMAT}-{hash:016x}")
}

/// Keeps a copy of the fresh `data_dir` as `template`; a failure only costs the next start an
/// `initdb`.
fn save(data_dir: &Path, template: &Path) {
    let Some(store) = template.parent() else { return };
    if let Ok(entries) = fs::read_dir(store) {
        for entry in entries.flatten() {
            // Another process's copy in progress is young; a killed one's is old.
            let stale =
                entry.metadata().and_then(|m| m.modified()).map(|t| t.elapsed().unwrap_or_default().as_secs() > 600);
            if entry.file_name().to_string_lossy().starts_with(".partial-") && stale.unwrap_or(false) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    // A folder of this call's own: threads of one process (a test binary) save at once too.
    let Ok(work) = tempfile::Builder::new().prefix(".partial-").tempdir_in(store) else { return };
    let partial = work.path().join("data");
    let copied = manifest(data_dir).and_then(|listed| {
        copy_listed(data_dir, &listed, &partial, &ServerUser { ids: None, name: String::new() })?;
        fs::write(partial.join(MANIFEST), listed)
    });
    // The rename fails when another start saved the same template first: theirs is kept. What
    // is left in `work` goes with it.
    if copied.is_ok() {
        let _ = fs::rename(&partial, template);
    }
}

/// Which folder `path` is (device and inode): a template discarded and saved again by other
/// starts meanwhile is another folder under the same name.
fn identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Removes the template that could not be used (the folder `identity` names, not one another
/// start saved since): renamed aside first, so no other start copies it half-removed.
fn discard(template: &Path, identity_then: (u64, u64)) {
    let Some(store) = template.parent() else { return };
    let Ok(work) = tempfile::Builder::new().prefix(".partial-").tempdir_in(store) else { return };
    let aside = work.path().join("discarded");
    if fs::rename(template, &aside).is_ok() && identity(&aside) != Some(identity_then) {
        // Another start's template, saved since: put back (if that fails, it goes with `work`).
        let _ = fs::rename(&aside, template);
    }
}

/// The manifest of the folder `root`: every folder and file under it, parents first.
fn manifest(root: &Path) -> io::Result<String> {
    fn walk(root: &Path, dir: &Path, lines: &mut Vec<String>) -> io::Result<()> {
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let relative = path.strip_prefix(root).map_err(io::Error::other)?;
            let relative = relative.to_str().ok_or_else(|| io::Error::other("a path that is not UTF-8"))?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                lines.push(format!("d {relative}"));
                walk(root, &path, lines)?;
            } else if kind.is_file() {
                lines.push(format!("f {} {relative}", entry.metadata()?.len()));
            } else {
                // A fresh data folder holds no links (tablespaces are links, and it has none).
                return Err(io::Error::other(format!("{} is neither a file nor a folder", path.display())));
            }
        }
        Ok(())
    }
    // A folder's line is written before what it holds.
    let mut lines = Vec::new();
    walk(root, root, &mut lines)?;
    Ok(lines.iter().map(|l| format!("{l}\n")).collect())
}

/// `relative` as a path inside a folder: no `..`, nothing absolute.
fn inside(relative: &str) -> Option<&Path> {
    let path = Path::new(relative);
    path.components().all(|c| matches!(c, std::path::Component::Normal(_))).then_some(path)
}

/// Copies the template to `to` as its manifest lists it.
fn copy_by_manifest(template: &Path, to: &Path, owner: &ServerUser) -> io::Result<()> {
    let listed = fs::read_to_string(template.join(MANIFEST))?;
    // What every data folder holds: a manifest without them describes no data folder.
    for essential in ["PG_VERSION", "postgresql.conf", "pg_hba.conf", "global/pg_control"] {
        if !listed.lines().any(|l| l.starts_with("f ") && l.ends_with(&format!(" {essential}"))) {
            return Err(io::Error::other(format!("{}: the manifest lacks {essential}", template.display())));
        }
    }
    copy_listed(template, &listed, to, owner)
}

/// Copies what the manifest `listed` lists from the folder `from` to `to` (which must not
/// exist): folders mode 0700, files mode 0600, all handed to `owner`. Every file must be there
/// at its listed size: a folder that lost something is an error, not a short copy.
fn copy_listed(from: &Path, listed: &str, to: &Path, owner: &ServerUser) -> io::Result<()> {
    create_private_dir(to)?;
    hand_over(owner, to)?;
    for line in listed.lines() {
        let broken = || io::Error::other(format!("{}: unreadable manifest line {line:?}", from.display()));
        match line.split_once(' ') {
            Some(("d", relative)) => {
                let relative = inside(relative).ok_or_else(broken)?;
                let target = to.join(relative);
                create_private_dir(&target)?;
                hand_over(owner, &target)?;
            }
            Some(("f", rest)) => {
                let (size, relative) = rest.split_once(' ').ok_or_else(broken)?;
                let (size, relative): (u64, _) =
                    (size.parse().map_err(|_| broken())?, inside(relative).ok_or_else(broken)?);
                let (source, target) = (from.join(relative), to.join(relative));
                if fs::metadata(&source)?.len() != size {
                    return Err(io::Error::other(format!("{} changed size", source.display())));
                }
                fs::copy(&source, &target)?;
                set_mode(&target, 0o600)?;
                hand_over(owner, &target)?;
            }
            _ => return Err(broken()),
        }
    }
    Ok(())
}

fn create_private_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new().mode(0o700).create(path)
    }
    #[cfg(not(unix))]
    fs::create_dir(path)
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

fn hand_over(owner: &ServerUser, path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    if let Some((uid, gid)) = owner.ids {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
    }
    let _ = (owner, path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder shaped like a data folder: what `copy_by_manifest` insists on, and more.
    fn fake_data_dir(root: &Path) {
        for dir in ["base/1", "global", "pg_notify"] {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        for file in ["PG_VERSION", "postgresql.conf", "pg_hba.conf", "global/pg_control"] {
            fs::write(root.join(file), file).unwrap();
        }
        fs::write(root.join("base/1/112"), vec![7u8; 8192]).unwrap();
    }

    /// Threads of one process (the test binaries) save the same template at once: what ends up
    /// saved is whole (one thread's copy was deleted under another's by a shared folder name).
    #[test]
    fn concurrent_saves_leave_one_whole_template() {
        let (source, store) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        fake_data_dir(source.path());
        for i in 0..200 {
            fs::write(source.path().join(format!("base/1/{}", 1000 + i)), vec![1u8; 4096]).unwrap();
        }
        let template = store.path().join("pg15-test");
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| save(source.path(), &template));
            }
        });
        let copy = store.path().join("copy");
        copy_by_manifest(&template, &copy, &ServerUser { ids: None, name: String::new() }).unwrap();
        let count = |dir: &Path| fs::read_dir(dir.join("base/1")).unwrap().count();
        assert_eq!(count(&copy), count(source.path()));
        let left: Vec<_> = fs::read_dir(store.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 2, "work folders left behind: {left:?}");
    }

    #[test]
    fn only_paths_inside_the_folder_are_taken() {
        assert!(inside("base/1/112").is_some());
        for outside in ["../etc/passwd", "/etc/passwd", "base/../../x", "./base"] {
            assert!(inside(outside).is_none(), "{outside}");
        }
    }

    #[test]
    fn a_template_is_copied_by_its_manifest_and_a_lost_file_is_an_error() {
        let (template, copies) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let root = template.path();
        fake_data_dir(root);
        fs::write(root.join(MANIFEST), manifest(root).unwrap()).unwrap();
        let me = ServerUser { ids: None, name: String::new() };

        let copy = copies.path().join("first");
        copy_by_manifest(root, &copy, &me).unwrap();
        assert_eq!(fs::read(copy.join("base/1/112")).unwrap(), vec![7u8; 8192]);
        assert!(copy.join("pg_notify").is_dir(), "an empty folder is part of a data folder");
        assert!(!copy.join(MANIFEST).exists());

        fs::remove_file(root.join("base/1/112")).unwrap();
        assert!(copy_by_manifest(root, &copies.path().join("second"), &me).is_err());
        fs::write(root.join("base/1/112"), vec![7u8; 10]).unwrap();
        assert!(copy_by_manifest(root, &copies.path().join("third"), &me).is_err(), "a file of another size");
    }
}
