//! Where migrations come from. Every layout implements [`MigrationSource`].

use std::path::{Path, PathBuf};

use crate::error::{LoadError, SourceLocation};
use crate::migration::{Directives, Layout, Migration, MigrationSet, Version};

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

/// What reading a native folder found: its migrations, every file's problem (not only the
/// first), and the layout its files say.
struct Scan {
    migrations: Vec<Migration>,
    problems: Vec<LoadError>,
    layout: Layout,
}

impl NativeDir {
    /// Reads every file, keeping going past a bad one, so `lint` can report each problem.
    fn scan(&self) -> Result<Scan, LoadError> {
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| LoadError::Folder { path: self.dir.clone(), reason: e.to_string() })?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| LoadError::Folder { path: self.dir.clone(), reason: e.to_string() })?;
            paths.push(entry.path());
        }
        paths.sort();
        let mut migrations = Vec::new();
        let mut problems = Vec::new();
        let mut golang_migrate = false;
        let mut sectioned: Option<Layout> = None;
        for path in paths {
            let file_name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if !file_name.ends_with(".sql") || file_name.ends_with(".down.sql") {
                continue;
            }
            // Named like a migration, not a file plumb can read: never skipped in silence.
            if !path.is_file() {
                let reason = if path.is_dir() {
                    "a folder named like a migration file: rename it, or move what it holds"
                } else {
                    "named like a migration file, but it cannot be read (a dangling symbolic link, or one that loops)"
                };
                problems.push(LoadError::Layout { path, reason: reason.into() });
                continue;
            }
            // golang-migrate's `<version>_<name>.up.sql`: the name without `.up`.
            let up = file_name.ends_with(".up.sql");
            golang_migrate |= up;
            let stem = file_name.trim_end_matches(".sql").trim_end_matches(".up");
            let (version, name) = match stem.split_once('_') {
                Some((v, n)) => (Version::parse_digits(v), n.to_owned()),
                None => (Version::parse_digits(stem), String::new()),
            };
            let Some(version) = version else {
                problems.push(LoadError::BadFileName { path });
                continue;
            };
            let sql = match read_text(&path) {
                Ok(sql) => sql,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            if let Err(e) = check_goose_annotations(&path, &sql) {
                problems.push(e);
                continue;
            }
            let migration = match up_section(&sql) {
                Some((up, directives, tool)) => {
                    sectioned = Some(tool);
                    Migration::with_directives(version, name, path, up, directives)
                }
                None => Migration::new(version, name, path, sql),
            };
            match migration {
                Ok(m) => migrations.push(m),
                Err(e) => problems.push(e),
            }
        }
        if let Some(tool) = sectioned {
            let marker = if tool == Layout::Dbmate { "-- migrate:up" } else { "-- +goose up" };
            for m in migrations.iter().filter(|m| !m.sql.to_lowercase().contains(marker)) {
                problems.push(LoadError::Layout {
                    path: m.path.clone(),
                    reason: format!("a {} file without `{marker}` (the others of the folder have one)", tool.tool()),
                });
            }
        }
        // Two files of one version (`007` and `7`).
        let mut by_number: Vec<&Migration> = migrations.iter().collect();
        by_number.sort_by(|a, b| a.version.cmp(&b.version));
        for pair in by_number.windows(2) {
            if pair[0].version.same_number(&pair[1].version) {
                problems.push(LoadError::DuplicateVersion {
                    version: pair[1].version.to_string(),
                    first: pair[0].path.clone(),
                    second: pair[1].path.clone(),
                });
            }
        }
        let layout = match sectioned {
            Some(tool) => tool,
            None if golang_migrate => Layout::GolangMigrate,
            None => Layout::Plumb,
        };
        Ok(Scan { migrations, problems, layout })
    }
}

impl MigrationSource for NativeDir {
    fn load(&self) -> Result<MigrationSet, LoadError> {
        let mut scan = self.scan()?;
        if !scan.problems.is_empty() {
            return Err(scan.problems.remove(0));
        }
        Ok(MigrationSet::new(scan.migrations)?.with_layout(scan.layout))
    }
}

/// Every reason `apply` would refuse the folder's files, not only the first (for `lint`): for
/// plumb's layout and the tools whose files look like it, file by file; for the other layouts,
/// what loading them says.
pub fn folder_problems(dir: &Path, tool: Option<Layout>) -> Vec<LoadError> {
    let native = match tool {
        None => matches!(detect(dir), Ok(None)),
        Some(layout) => matches!(
            layout,
            Layout::Plumb | Layout::Supabase | Layout::Sqlx | Layout::Dbmate | Layout::Goose | Layout::GolangMigrate
        ),
    };
    if native {
        return match NativeDir::new(dir).scan() {
            Ok(scan) => scan.problems,
            Err(e) => vec![e],
        };
    }
    load_dir_as(dir, tool).err().into_iter().collect()
}

/// The up part of a file with up and down sections: the text with everything outside the up
/// section blanked (spaces, newlines kept, so positions stay true), its no-transaction marker,
/// and the tool. dbmate: `-- migrate:up [transaction:false]` … `-- migrate:down` (dbmate,
/// `pkg/dbmate/migration.go`); goose: `-- +goose Up` … `-- +goose Down`, annotations
/// case-insensitive, `-- +goose NO TRANSACTION` anywhere (goose, `internal/sqlparser`).
/// `None`: neither.
fn up_section(sql: &str) -> Option<(String, Directives, Layout)> {
    let mut offset = 0;
    let mut up: Option<(usize, Layout)> = None;
    let mut no_transaction = false;
    let mut end = sql.len();
    for line in sql.split_inclusive('\n') {
        let lower = line.trim().to_lowercase();
        if let Some(options) = lower.strip_prefix("-- migrate:up") {
            up = Some((offset, Layout::Dbmate));
            no_transaction |= options.split_whitespace().any(|o| o == "transaction:false");
        } else if lower.starts_with("-- +goose up") {
            up = Some((offset, Layout::Goose));
        } else if lower.starts_with("-- +goose no transaction") {
            no_transaction = true;
        } else if (lower.starts_with("-- migrate:down") || lower.starts_with("-- +goose down")) && up.is_some() {
            end = offset;
            break;
        }
        offset += line.len();
    }
    let (start, tool) = up?;
    let blanked: String =
        sql.char_indices().map(|(i, c)| if (start..end).contains(&i) || c == '\n' { c } else { ' ' }).collect();
    Some((blanked, Directives { no_transaction }, tool))
}

/// goose's annotations, as its parser knows them (goose, `internal/sqlparser/parser.go`): any
/// other `-- +goose …` line is an error there, and here.
fn check_goose_annotations(path: &Path, sql: &str) -> Result<(), LoadError> {
    let mut offset = 0;
    for line in sql.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(annotation) = trimmed.strip_prefix("-- +goose ") {
            let normalized = annotation.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            let known = ["up", "down", "statementbegin", "statementend", "no transaction", "envsub on", "envsub off"];
            if !known.contains(&normalized.as_str()) {
                let start = offset + line.find("-- +goose").unwrap_or(0);
                return Err(LoadError::UnknownAnnotation {
                    annotation: trimmed.to_owned(),
                    location: SourceLocation::new(path, sql, start..offset + line.trim_end().len()),
                });
            }
        }
        offset += line.len();
    }
    Ok(())
}

/// A migration file's text: UTF-8, or an error pointing at the first byte that is not.
fn read_text(path: &Path) -> Result<String, LoadError> {
    let bytes =
        std::fs::read(path).map_err(|e| LoadError::Unreadable { path: path.to_owned(), reason: e.to_string() })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
        // Positions in the lossy text match the original up to the first bad byte.
        LoadError::NotUtf8 { location: SourceLocation::new(path, &lossy, valid..valid + 1) }
    })
}

/// The subfolders of `dir`, sorted by name.
fn subfolders(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| LoadError::Folder { path: dir.to_owned(), reason: e.to_string() })?;
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| LoadError::Folder { path: dir.to_owned(), reason: e.to_string() })?.path();
        if path.is_dir() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// `<version>_<name>` → (version, name); `None` when the folder name has no version.
fn split_name(folder: &Path, keep: impl Fn(char) -> bool) -> Option<(Version, String)> {
    let name = folder.file_name()?.to_string_lossy().into_owned();
    let (version, rest) = name.split_once('_').unwrap_or((&name, ""));
    let digits: String = version.chars().filter(|c| keep(*c)).collect();
    Some((Version::parse_digits(&digits)?, rest.to_owned()))
}

/// Prisma's layout: `<dir>/<timestamp>_<name>/migration.sql`, applied in folder-name order,
/// each file in one transaction; the checksum Prisma records is the SHA-256 of the file, as
/// plumb's (prisma-engines, `migration-connector/src/checksum.rs`). `migration_lock.toml`
/// and other files are not migrations.
#[derive(Debug, Clone)]
pub struct PrismaDir {
    dir: PathBuf,
}

impl PrismaDir {
    /// The layout rooted at `dir`.
    pub fn new(dir: &Path) -> Self {
        PrismaDir { dir: dir.to_path_buf() }
    }
}

impl MigrationSource for PrismaDir {
    fn load(&self) -> Result<MigrationSet, LoadError> {
        let mut migrations = Vec::new();
        for folder in subfolders(&self.dir)? {
            let path = folder.join("migration.sql");
            if !path.is_file() {
                return Err(LoadError::Layout {
                    path: folder,
                    reason: "a Prisma migration folder without migration.sql".into(),
                });
            }
            let Some((version, name)) = split_name(&folder, |c| c.is_ascii_digit()) else {
                return Err(LoadError::BadFileName { path: folder });
            };
            migrations.push(Migration::new(version, name, path.clone(), read_text(&path)?)?);
        }
        Ok(MigrationSet::new(migrations)?.with_layout(Layout::Prisma))
    }
}

/// Diesel's layout: `<dir>/<version>_<name>/up.sql` (`down.sql` ignored), ordered by the
/// version with its dashes removed (`2017-10-08-193512` → `20171008193512`, which is also the
/// version Diesel records); `metadata.toml` with `run_in_transaction = false` runs it outside a
/// transaction (diesel_migrations, `file_based_migrations.rs`).
#[derive(Debug, Clone)]
pub struct DieselDir {
    dir: PathBuf,
}

impl DieselDir {
    /// The layout rooted at `dir`.
    pub fn new(dir: &Path) -> Self {
        DieselDir { dir: dir.to_path_buf() }
    }
}

impl MigrationSource for DieselDir {
    fn load(&self) -> Result<MigrationSet, LoadError> {
        let mut migrations = Vec::new();
        for folder in subfolders(&self.dir)? {
            let path = folder.join("up.sql");
            if !path.is_file() {
                return Err(LoadError::Layout {
                    path: folder,
                    reason: "a Diesel migration folder without up.sql".into(),
                });
            }
            let Some((version, name)) = split_name(&folder, |c| c != '-') else {
                return Err(LoadError::BadFileName { path: folder });
            };
            let metadata = std::fs::read_to_string(folder.join("metadata.toml")).unwrap_or_default();
            let no_transaction = metadata.lines().any(|l| {
                let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                l == "run_in_transaction=false"
            });
            let sql = read_text(&path)?;
            migrations.push(Migration::with_directives(version, name, path, sql, Directives { no_transaction })?);
        }
        Ok(MigrationSet::new(migrations)?.with_layout(Layout::Diesel))
    }
}

/// Drizzle Kit's layout: `meta/_journal.json` lists the migrations in order (`idx`, `when`,
/// `tag`), each `<tag>.sql`; `--> statement-breakpoint` lines are comments to plumb. Files the
/// journal does not list are not migrations, as for Drizzle (drizzle-orm, `migrator.ts`).
#[derive(Debug, Clone)]
pub struct DrizzleDir {
    dir: PathBuf,
}

impl DrizzleDir {
    /// The layout rooted at `dir`.
    pub fn new(dir: &Path) -> Self {
        DrizzleDir { dir: dir.to_path_buf() }
    }
}

impl MigrationSource for DrizzleDir {
    fn load(&self) -> Result<MigrationSet, LoadError> {
        let journal_path = self.dir.join("meta/_journal.json");
        let text = read_text(&journal_path)?;
        let bad = |reason: String| LoadError::Layout { path: journal_path.clone(), reason };
        let journal: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a Drizzle journal: {e}")))?;
        let entries = journal["entries"].as_array().ok_or_else(|| bad("no \"entries\" list".into()))?;
        let mut migrations = Vec::new();
        for entry in entries {
            let tag = entry["tag"].as_str().ok_or_else(|| bad(format!("an entry without a tag: {entry}")))?;
            let when = entry["when"].as_i64().ok_or_else(|| bad(format!("entry {tag} has no \"when\"")))?;
            let path = self.dir.join(format!("{tag}.sql"));
            if !path.is_file() {
                return Err(bad(format!("the journal lists {tag}, and {} is missing", path.display())));
            }
            let (version, name) = tag.split_once('_').unwrap_or((tag, ""));
            let version =
                Version::parse_digits(version).ok_or_else(|| LoadError::BadFileName { path: path.clone() })?;
            migrations
                .push(Migration::new(version, name.to_owned(), path.clone(), read_text(&path)?)?.with_stamp(when));
        }
        Ok(MigrationSet::new(migrations)?.with_layout(Layout::Drizzle))
    }
}

/// Flyway's SQL layout: `V<version>__<description>.sql` anywhere under `<dir>` (Flyway scans its
/// locations recursively), the version's groups joined by `.` or `_` (`V1_2__x.sql` is 1.2),
/// applied in version order, each in its own transaction unless it holds a statement that
/// cannot run in one (Flyway's parser detects those) or its `<file>.conf` says
/// `executeInTransaction=false` (flyway-core, `resolver/sql/SqlMigrationResolver`,
/// `ResourceNameParser`). The checksum Flyway records is [`crate::checksum::flyway_crc32`].
/// `U` undo files are not migrations; `R__` repeatables are listed in the set's notes: plumb
/// does not replay them yet.
#[derive(Debug, Clone)]
pub struct FlywayDir {
    dir: PathBuf,
}

impl FlywayDir {
    /// The layout rooted at `dir`.
    pub fn new(dir: &Path) -> Self {
        FlywayDir { dir: dir.to_path_buf() }
    }

    /// Every `.sql` file under `dir`, with its path relative to the root (`/`-separated).
    fn files(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, String)>) -> Result<(), LoadError> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| LoadError::Folder { path: dir.to_owned(), reason: e.to_string() })?;
        for entry in entries {
            let path = entry.map_err(|e| LoadError::Folder { path: dir.to_owned(), reason: e.to_string() })?.path();
            if path.is_dir() {
                FlywayDir::files(&path, root, out)?;
            } else if path.extension().is_some_and(|e| e == "sql") {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let script = relative.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>().join("/");
                out.push((path, script));
            }
        }
        Ok(())
    }
}

/// `V1_2__add_users.sql` → (`1.2`, `add users`); `None` for any other name.
fn flyway_name(file_name: &str) -> Option<(Version, String)> {
    let stem = file_name.strip_suffix(".sql")?.strip_prefix('V')?;
    let (version, description) = stem.split_once("__")?;
    Some((Version::parse(&version.replace('_', "."))?, description.replace('_', " ")))
}

impl MigrationSource for FlywayDir {
    fn load(&self) -> Result<MigrationSet, LoadError> {
        let mut files = Vec::new();
        FlywayDir::files(&self.dir, &self.dir, &mut files)?;
        files.sort();
        let mut migrations = Vec::new();
        let mut repeatables = Vec::new();
        for (path, relative) in files {
            let file_name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if file_name.starts_with("R__") {
                repeatables.push(relative);
                continue;
            }
            if file_name.strip_prefix('U').is_some_and(|rest| flyway_name(&format!("V{rest}")).is_some()) {
                continue;
            }
            let Some((version, description)) = flyway_name(&file_name) else {
                return Err(LoadError::Layout {
                    path,
                    reason: "not a Flyway migration name: expected V<version>__<description>.sql".into(),
                });
            };
            let sql = read_text(&path)?;
            let conf = std::fs::read_to_string(format!("{}.conf", path.display())).unwrap_or_default();
            let no_transaction = conf.lines().any(|l| l.replace(' ', "") == "executeInTransaction=false");
            let checksum = format!("crc32:{}", crate::checksum::flyway_crc32(&sql));
            let given = Directives { no_transaction };
            let m = match Migration::with_directives(
                version.clone(),
                description.clone(),
                path.clone(),
                sql.clone(),
                given,
            ) {
                // Flyway runs a file holding such a statement outside a transaction by itself.
                Err(LoadError::ConcurrentlyInTransaction { .. }) => {
                    Migration::with_directives(version, description, path, sql, Directives { no_transaction: true })?
                }
                other => other?,
            };
            migrations.push(m.with_tool_checksum(checksum));
        }
        let mut set = MigrationSet::new(migrations)?.with_layout(Layout::Flyway);
        if !repeatables.is_empty() {
            set = set.with_note(format!(
                "{} Flyway repeatable migration(s) ({}) are not replayed or checked: plumb reads versioned migrations only",
                repeatables.len(),
                repeatables.join(", ")
            ));
        }
        Ok(set)
    }
}

/// Atlas's versioned layout: `<version>_<name>.sql` at the top of `<dir>`, applied in file-name
/// order, with `atlas.sum` holding each file's hash ([`crate::checksum::atlas_hashes`]), which
/// Atlas records and checks before it runs anything: a folder whose `atlas.sum` does not match
/// its files is refused, as Atlas refuses it. `-- atlas:txmode none` runs a file outside a
/// transaction; checkpoint files (`-- atlas:checkpoint`) stand for the files before them and are
/// skipped, as Atlas skips them on a database that has history (atlas, `sql/migrate/dir.go`).
#[derive(Debug, Clone)]
pub struct AtlasDir {
    dir: PathBuf,
}

impl AtlasDir {
    /// The layout rooted at `dir`.
    pub fn new(dir: &Path) -> Self {
        AtlasDir { dir: dir.to_path_buf() }
    }
}

impl MigrationSource for AtlasDir {
    fn load(&self) -> Result<MigrationSet, LoadError> {
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| LoadError::Folder { path: self.dir.clone(), reason: e.to_string() })?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        // Atlas sorts names as bytes.
        names.sort();
        let texts = names.iter().map(|n| read_text(&self.dir.join(n))).collect::<Result<Vec<_>, _>>()?;
        let hashes =
            crate::checksum::atlas_hashes(names.iter().map(String::as_str).zip(texts.iter().map(|t| t.as_bytes())));
        let sum_path = self.dir.join("atlas.sum");
        let sum = read_text(&sum_path)?;
        let expected = format!(
            "h1:{}",
            crate::checksum::atlas_sum(names.iter().map(String::as_str).zip(hashes.iter().map(String::as_str)))
        );
        if sum.lines().next().map(str::trim) != Some(expected.as_str()) {
            return Err(LoadError::Layout {
                path: sum_path,
                reason: "atlas.sum does not match the migration files (Atlas refuses to run too): if the edits are \
                         intended, run `atlas migrate hash`"
                    .into(),
            });
        }
        let mut migrations = Vec::new();
        let mut checkpoints = 0;
        for ((name, sql), hash) in names.iter().zip(texts).zip(hashes) {
            let path = self.dir.join(name);
            let header: Vec<&str> = sql.lines().take_while(|l| l.starts_with("--") || l.starts_with('#')).collect();
            if header.iter().any(|l| l.trim() == "-- atlas:checkpoint" || l.trim().starts_with("-- atlas:checkpoint "))
            {
                checkpoints += 1;
                continue;
            }
            let no_transaction =
                header.iter().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["--", "atlas:txmode", "none"]);
            let stem = name.trim_end_matches(".sql");
            let (version, description) = stem.split_once('_').unwrap_or((stem, ""));
            let version =
                Version::parse_digits(version).ok_or_else(|| LoadError::BadFileName { path: path.clone() })?;
            let m =
                Migration::with_directives(version, description.to_owned(), path, sql, Directives { no_transaction })?;
            migrations.push(m.with_tool_checksum(format!("h1:{hash}")));
        }
        let mut set = MigrationSet::new(migrations)?.with_layout(Layout::Atlas);
        if checkpoints > 0 {
            set = set.with_note(format!(
                "{checkpoints} Atlas checkpoint file(s) skipped: the files before them are replayed instead"
            ));
        }
        Ok(set)
    }
}

/// Reads `dir` as `tool`'s folder (`--tool`), whatever its shape suggests; `None`: as its
/// shape says ([`load_dir`]).
pub fn load_dir_as(dir: &Path, tool: Option<Layout>) -> Result<MigrationSet, LoadError> {
    match tool {
        None => load_dir(dir),
        Some(Layout::Prisma) => PrismaDir::new(dir).load(),
        Some(Layout::Diesel) => DieselDir::new(dir).load(),
        Some(Layout::Drizzle) => DrizzleDir::new(dir).load(),
        Some(Layout::Flyway) => FlywayDir::new(dir).load(),
        Some(Layout::Atlas) => AtlasDir::new(dir).load(),
        Some(Layout::Alembic) if dir.is_file() => crate::alembic::AlembicSql::new(dir).load(),
        Some(Layout::Alembic) => crate::alembic::AlembicDir::new(dir).load(),
        Some(Layout::Django) => crate::django::DjangoDir::new(dir).load(),
        Some(layout) => Ok(NativeDir::new(dir).load()?.with_layout(layout)),
    }
}

/// Reads `dir` in the layout its shape says: a Drizzle journal, an `atlas.sum` (Atlas),
/// `V<version>__<description>.sql` files (Flyway), subfolders holding `migration.sql` (Prisma)
/// or `up.sql` (Diesel), else `<version>_<name>.sql` files (plumb, the Supabase CLI, and the
/// tools whose files look the same). A folder that fits two layouts is an error that names them.
pub fn load_dir(dir: &Path) -> Result<MigrationSet, LoadError> {
    match detect(dir)? {
        Some(layout) => load_dir_as(dir, Some(layout)),
        None => NativeDir::new(dir).load(),
    }
}

/// The layout `dir`'s shape says; `None`: versioned `.sql` files at the top (plumb's layout and
/// the tools whose files look like it, told apart by their contents). A folder that fits two
/// layouts is an error that names them.
fn detect(dir: &Path) -> Result<Option<Layout>, LoadError> {
    // A file, not a folder: Alembic's offline SQL.
    if crate::alembic::AlembicSql::looks_like(dir) || crate::alembic::AlembicDir::looks_like(dir) {
        return Ok(Some(Layout::Alembic));
    }
    if dir.join("meta/_journal.json").is_file() {
        return Ok(Some(Layout::Drizzle));
    }
    if dir.join("atlas.sum").is_file() {
        return Ok(Some(Layout::Atlas));
    }
    if crate::django::DjangoDir::looks_like(dir) {
        return Ok(Some(Layout::Django));
    }
    let names: Vec<(String, bool)> = std::fs::read_dir(dir)
        .map_err(|e| LoadError::Folder { path: dir.to_owned(), reason: e.to_string() })?
        .filter_map(Result::ok)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path().is_file()))
        .collect();
    if names.iter().any(|(name, _)| flyway_name(name).is_some()) {
        return Ok(Some(Layout::Flyway));
    }
    // Drizzle's `meta` folder aside, subfolders are migrations in the tools that use them.
    let folders: Vec<PathBuf> = subfolders(dir)?.into_iter().filter(|f| !f.ends_with("meta")).collect();
    let prisma = folders.iter().any(|f| f.join("migration.sql").is_file());
    let diesel = folders.iter().any(|f| f.join("up.sql").is_file());
    // Versioned `.sql` files at the top; a tool's folder may hold other files (Diesel's
    // crates.io folder has a README and a data script), which that tool ignores too.
    let files = names
        .iter()
        .any(|(name, file)| *file && name.ends_with(".sql") && name.starts_with(|c: char| c.is_ascii_digit()));
    match (prisma, diesel, files) {
        (true, false, false) => Ok(Some(Layout::Prisma)),
        (false, true, false) => Ok(Some(Layout::Diesel)),
        (false, false, _) => Ok(None),
        _ => {
            let mut found = Vec::new();
            if prisma {
                found.push("Prisma (<timestamp>_<name>/migration.sql)");
            }
            if diesel {
                found.push("Diesel (<version>_<name>/up.sql)");
            }
            if files {
                found.push("plumb (<version>_<name>.sql files)");
            }
            Err(LoadError::Layout {
                path: dir.to_owned(),
                reason: format!(
                    "the folder mixes layouts: {}; keep one tool's migrations per folder",
                    found.join(", ")
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn prisma_folders_are_read_in_name_order_with_the_file_checksum() {
        let dir = folder(&[
            ("20230411134605_doc_208/migration.sql", "ALTER TABLE a ADD COLUMN b int;"),
            ("20230404095503_initial/migration.sql", "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n"),
            ("migration_lock.toml", "provider = \"postgresql\""),
        ]);
        let set = load_dir(dir.path()).unwrap();
        assert_eq!(set.layout(), Layout::Prisma);
        let m = &set.migrations()[0];
        assert_eq!((m.version.as_str(), m.name.as_str()), ("20230404095503", "initial"));
        // The file's own wrapper gives way to plumb's transaction; the checksum is the file's.
        assert_eq!(m.script.statements.len(), 1);
        assert!(m.is_transactional());
        assert_eq!(m.checksum, crate::migration::hex_sha256(b"BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n"));
    }

    #[test]
    fn diesel_versions_lose_their_dashes_and_metadata_says_no_transaction() {
        let dir = folder(&[
            ("2017-10-08-193512_category_trees/up.sql", "CREATE INDEX CONCURRENTLY i ON t (x);"),
            ("2017-10-08-193512_category_trees/down.sql", "DROP INDEX i;"),
            ("2017-10-08-193512_category_trees/metadata.toml", "run_in_transaction = false\n"),
            ("00000000000000_diesel_initial_setup/up.sql", "CREATE TABLE t (x int);"),
        ]);
        let set = load_dir(dir.path()).unwrap();
        assert_eq!(set.layout(), Layout::Diesel);
        let versions: Vec<&str> = set.migrations().iter().map(|m| m.version.as_str()).collect();
        assert_eq!(versions, ["00000000000000", "20171008193512"]);
        assert!(!set.migrations()[1].is_transactional());
    }

    #[test]
    fn an_unknown_goose_annotation_is_refused_where_it_is() {
        let dir =
            folder(&[("1_a.sql", "-- +goose Up\nCREATE TABLE a (id int);\n-- +goose StatmentBegin\n-- +goose Down\n")]);
        let e = load_dir(dir.path()).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("unknown goose annotation `-- +goose StatmentBegin`"), "{text}");
        assert_eq!(e.location().map(|l| l.line), Some(3));
        let dir = folder(&[("1_a.sql", "-- +goose up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n")]);
        assert!(load_dir(dir.path()).is_ok());
    }

    #[test]
    fn a_folder_of_two_layouts_or_a_broken_one_is_an_error_that_says_so() {
        let dir = folder(&[("1_a/up.sql", "SELECT 1;"), ("2_b.sql", "SELECT 2;")]);
        let e = load_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("mixes layouts") && e.contains("Diesel") && e.contains("plumb"), "{e}");
        let dir = folder(&[("1_a/up.sql", "SELECT 1;"), ("2_b/down.sql", "SELECT 2;")]);
        let e = load_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("without up.sql"), "{e}");
    }
}
