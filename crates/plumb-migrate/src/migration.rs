//! One migration file as a value, and an ordered set of them.

use std::cmp::Ordering;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use plumb_sql::{Script, StatementKind};
use sha2::{Digest, Sha256};

use crate::error::{LoadError, SourceLocation};

/// A migration version: digits (timestamps included), or digit groups joined by dots
/// (Flyway's `1.2.10`), ordered by numeric value group by group.
///
/// Kept as written (`0001`, `20240101120000`) so history rows match file names
/// exactly; compared as numbers, so `9` sorts before `10` and `1.2` before `1.10`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

impl Version {
    /// A version from its digits, or digit groups joined by single dots; `None` otherwise.
    pub fn parse(s: &str) -> Option<Version> {
        s.split('.')
            .all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Version(s.to_owned()))
    }

    /// A version of digits only (no dots): what every layout but Flyway's names files with.
    pub fn parse_digits(s: &str) -> Option<Version> {
        Version::parse(s).filter(|v| !v.0.contains('.'))
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digit groups, each without leading zeros, trailing zero groups dropped (Flyway
    /// reads `1.0` as `1`).
    fn groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = self
            .0
            .split('.')
            .map(|g| {
                let trimmed = g.trim_start_matches('0');
                if trimmed.is_empty() { "0" } else { trimmed }
            })
            .collect();
        while groups.len() > 1 && groups.last() == Some(&"0") {
            groups.pop();
        }
        groups
    }

    fn significant(&self) -> &str {
        let trimmed = self.0.trim_start_matches('0');
        if trimmed.is_empty() { "0" } else { trimmed }
    }

    /// The number without leading zeros (`0` for all zeros): what tools that keep versions
    /// as integers record.
    pub fn significant_or_zero(&self) -> &str {
        self.significant()
    }

    /// Whether two versions name the same number (`007` and `7`; `1.0` and `1`).
    pub fn same_number(&self, other: &Version) -> bool {
        self.groups() == other.groups()
    }
}

impl Version {
    /// By number only, group by group: `Equal` for `007` and `7`.
    fn cmp_number(&self, other: &Version) -> Ordering {
        let by_number = |a: &str, b: &str| a.len().cmp(&b.len()).then_with(|| a.cmp(b));
        let (a, b) = (self.groups(), other.groups());
        a.iter().zip(&b).map(|(x, y)| by_number(x, y)).find(|o| o.is_ne()).unwrap_or_else(|| a.len().cmp(&b.len()))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_number(other).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Instructions a migration gives plumb in its leading comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    /// `-- plumb:no-transaction`: run statement by statement, outside a transaction.
    pub no_transaction: bool,
}

/// One migration, read and checked.
#[derive(Debug, Clone)]
pub struct Migration {
    /// Its version.
    pub version: Version,
    /// The descriptive part of the file name.
    pub name: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// The file's text.
    pub sql: Arc<str>,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub checksum: String,
    /// SHA-384 of the file's bytes, lower-case hex: the checksum sqlx records.
    pub checksum_sha384: String,
    /// Its directives.
    pub directives: Directives,
    /// Its statements (byte ranges into `sql`).
    pub script: Script,
    /// The time a tool orders and records it by (Drizzle's journal `when`, in milliseconds).
    pub stamp: Option<i64>,
    /// The checksum its tool records when that is neither the SHA-256 nor the SHA-384, with the
    /// prefix its history rows are read with: Flyway's `crc32:<int>`, Atlas's `h1:<base64>`.
    pub tool_checksum: Option<String>,
    /// For a migration its tool runs itself (an Alembic revision, a Django migration, a
    /// `--replay-with` step): how. Its `sql` is empty: plumb has the tool run it.
    pub runner: Option<crate::runner::Runner>,
    /// An Alembic revision's id and parents, which `alembic_version` is read against.
    pub revision: Option<crate::alembic::Revision>,
}

impl Migration {
    /// Builds a migration from its text, checking what can be checked without a server.
    pub fn new(version: Version, name: String, path: PathBuf, sql: String) -> Result<Migration, LoadError> {
        Migration::with_directives(version, name, path, sql, Directives::default())
    }

    /// As [`Migration::new`], with directives a tool's layout gives besides the file's own
    /// comments (Diesel's `metadata.toml`, dbmate's `transaction:false`).
    ///
    /// A file wrapped whole in its own `BEGIN; … COMMIT;` (common in golang-migrate and
    /// Prisma folders) is one transactional migration: the wrapper is blanked out (with
    /// spaces, so positions stay true) and plumb's own transaction takes its place. Its
    /// checksum is still the file's.
    pub fn with_directives(
        version: Version,
        name: String,
        path: PathBuf,
        sql: String,
        given: Directives,
    ) -> Result<Migration, LoadError> {
        let checksum = hex_sha256(sql.as_bytes());
        let checksum_sha384 = crate::hex(&sha2::Sha384::digest(sql.as_bytes()));
        let mut directives = parse_directives(&path, &sql)?;
        directives.no_transaction |= given.no_transaction;
        let (sql, script) = without_wrapper(sql, directives.no_transaction);
        let sql: Arc<str> = Arc::from(sql);
        if let Some(meta) = script.meta_commands.first() {
            return Err(LoadError::MetaCommand {
                command: meta.command.clone(),
                location: SourceLocation::new(&path, &sql, meta.range.clone()),
            });
        }
        for statement in &script.statements {
            match &statement.kind {
                StatementKind::TransactionControl(keyword) => {
                    return Err(LoadError::TransactionControl {
                        keyword: keyword.clone(),
                        no_transaction: directives.no_transaction,
                        location: SourceLocation::new(&path, &sql, statement.range.clone()),
                    });
                }
                StatementKind::CreateIndexConcurrently { .. } if !directives.no_transaction => {
                    return Err(LoadError::ConcurrentlyInTransaction {
                        location: SourceLocation::new(&path, &sql, statement.range.clone()),
                    });
                }
                _ => {}
            }
        }
        Ok(Migration {
            version,
            name,
            path,
            sql,
            checksum,
            checksum_sha384,
            directives,
            script,
            stamp: None,
            tool_checksum: None,
            runner: None,
            revision: None,
        })
    }

    /// The text of statement `index`.
    pub fn statement_sql(&self, index: usize) -> &str {
        &self.sql[self.script.statements[index].range.clone()]
    }

    /// Where a server error points in the file. `position` (1-based characters) counts into
    /// what was sent: `prefix_chars` characters of plumb's own, then statement `index` (or the
    /// whole file when `None`). Without a usable position: the statement (or the file's start).
    pub fn error_location(&self, index: Option<usize>, prefix_chars: u32, position: Option<u32>) -> SourceLocation {
        let whole = index.map_or(0..0, |i| self.script.statements[i].range.clone());
        let sent = if index.is_some() { &self.sql[whole.clone()] } else { &self.sql[..] };
        let span = match position.and_then(|p| p.checked_sub(prefix_chars)).filter(|p| *p > 0) {
            Some(p) => {
                let byte = plumb_sql::byte_offset_of_char_position(sent, p);
                if byte < sent.len() { whole.start + byte..whole.start + byte + 1 } else { whole }
            }
            None => whole,
        };
        SourceLocation::new(&self.path, &self.sql, span)
    }

    /// The same migration, with the time its tool records it by.
    pub fn with_stamp(mut self, stamp: i64) -> Migration {
        self.stamp = Some(stamp);
        self
    }

    /// The same migration, with the checksum its tool records ([`Migration::tool_checksum`]).
    pub fn with_tool_checksum(mut self, checksum: String) -> Migration {
        self.tool_checksum = Some(checksum);
        self
    }

    /// Whether a checksum a history recorded is this file's: empty (the format keeps none)
    /// matches; `sha384:<hex>` (sqlx's) is held to the SHA-384; `crc32:` (Flyway's) and `h1:`
    /// (Atlas's) to the tool's own; anything else to the SHA-256.
    pub fn checksum_matches(&self, recorded: &str) -> bool {
        match recorded.split_once(':') {
            _ if recorded.is_empty() => true,
            Some(("sha384", hex)) => hex.eq_ignore_ascii_case(&self.checksum_sha384),
            Some(("crc32" | "h1", _)) => self.tool_checksum.as_deref() == Some(recorded),
            _ => recorded == self.checksum,
        }
    }

    /// Whether it runs in one transaction with its history row.
    pub fn is_transactional(&self) -> bool {
        !self.directives.no_transaction
    }
}

/// The text and statements of a migration, a top-level `BEGIN; … COMMIT;` wrapper blanked out
/// (a transactional file only, with no other transaction control inside).
fn without_wrapper(sql: String, no_transaction: bool) -> (String, Script) {
    let script = plumb_sql::split(&sql);
    let control = |s: &plumb_sql::Statement, words: &[&str]| matches!(&s.kind, StatementKind::TransactionControl(k) if words.contains(&k.as_str()));
    let statements = &script.statements;
    let wrapped = !no_transaction
        && statements.len() >= 2
        && control(&statements[0], &["BEGIN", "START"])
        && control(&statements[statements.len() - 1], &["COMMIT", "END"])
        && !statements[1..statements.len() - 1].iter().any(|s| matches!(s.kind, StatementKind::TransactionControl(_)));
    if !wrapped {
        return (sql, script);
    }
    let mut bytes = sql.into_bytes();
    for s in [&statements[0], &statements[statements.len() - 1]] {
        for b in &mut bytes[s.range.clone()] {
            *b = b' ';
        }
    }
    let sql = String::from_utf8(bytes).expect("ASCII keywords blanked with spaces");
    let mut script = script;
    script.statements.pop();
    script.statements.remove(0);
    (sql, script)
}

/// SHA-256 as lower-case hex.
pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    crate::hex(&Sha256::digest(bytes))
}

fn parse_directives(path: &std::path::Path, sql: &str) -> Result<Directives, LoadError> {
    let mut directives = Directives::default();
    let mut offset = 0;
    for line in sql.split_inclusive('\n') {
        let trimmed = line.trim();
        let start = offset;
        offset += line.len();
        if trimmed.is_empty() {
            continue;
        }
        let Some(comment) = trimmed.strip_prefix("--") else { break };
        // sqlx's marker, on the first line.
        if comment.trim() == "no-transaction" {
            directives.no_transaction = true;
            continue;
        }
        let Some(directive) = comment.trim().strip_prefix("plumb:") else { continue };
        let word = directive.split_whitespace().next().unwrap_or("");
        match word {
            "no-transaction" => directives.no_transaction = true,
            // Lint suppressions are read by the linter.
            "allow" => {}
            _ => {
                let col = line.find("plumb:").unwrap_or(0);
                return Err(LoadError::UnknownDirective {
                    directive: word.to_owned(),
                    location: SourceLocation::new(path, sql, start + col..start + line.trim_end().len()),
                });
            }
        }
    }
    Ok(directives)
}

/// Which tool's folder layout a set was read from: it decides the history table plumb
/// creates when a database has none, so that the tool agrees afterwards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Layout {
    /// `<version>_<name>.sql` files: plumb's own, and the Supabase CLI's.
    #[default]
    Plumb,
    /// Prisma: `<timestamp>_<name>/migration.sql`.
    Prisma,
    /// Diesel: `<version>_<name>/up.sql` (and `metadata.toml`).
    Diesel,
    /// golang-migrate: `<version>_<name>.up.sql` (and `.down.sql`, ignored).
    GolangMigrate,
    /// dbmate: `<version>_<name>.sql` with `-- migrate:up` and `-- migrate:down` sections.
    Dbmate,
    /// goose: `<version>_<name>.sql` with `-- +goose Up` and `-- +goose Down` sections.
    Goose,
    /// Drizzle Kit: `meta/_journal.json` and `<tag>.sql` files.
    Drizzle,
    /// sqlx: `<version>_<description>.sql` (or `.up.sql`), like plumb's; known by `--tool sqlx`
    /// or by its `_sqlx_migrations` table.
    Sqlx,
    /// The Supabase CLI: `<timestamp>_<name>.sql`, like plumb's.
    Supabase,
    /// Flyway: `V<version>__<description>.sql`, dotted versions (`R__` repeatables and `U` undo
    /// files are not versioned migrations).
    Flyway,
    /// Atlas (versioned): `<version>_<name>.sql` and `atlas.sum`.
    Atlas,
    /// Alembic: `alembic.ini` and Python revisions in `versions/`, run by Alembic itself.
    Alembic,
    /// Django: `manage.py` and its apps' migrations, run by Django itself.
    Django,
    /// A tool known only by command (`--replay-with`): steps it runs itself.
    Command,
}

impl Layout {
    /// Every tool by the name `--tool` takes.
    pub const NAMES: [(&'static str, Layout); 13] = [
        ("plumb", Layout::Plumb),
        ("supabase", Layout::Supabase),
        ("prisma", Layout::Prisma),
        ("diesel", Layout::Diesel),
        ("golang-migrate", Layout::GolangMigrate),
        ("dbmate", Layout::Dbmate),
        ("goose", Layout::Goose),
        ("drizzle", Layout::Drizzle),
        ("sqlx", Layout::Sqlx),
        ("flyway", Layout::Flyway),
        ("atlas", Layout::Atlas),
        ("alembic", Layout::Alembic),
        ("django", Layout::Django),
    ];

    /// The tool called `name` (`--tool`).
    pub fn named(name: &str) -> Option<Layout> {
        Layout::NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, l)| *l)
    }
}

impl Layout {
    /// The tool's name, as people call it.
    pub fn tool(self) -> &'static str {
        match self {
            Layout::Plumb => "plumb",
            Layout::Prisma => "Prisma",
            Layout::Diesel => "Diesel",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Dbmate => "dbmate",
            Layout::Goose => "goose",
            Layout::Drizzle => "Drizzle",
            Layout::Sqlx => "sqlx",
            Layout::Supabase => "the Supabase CLI",
            Layout::Flyway => "Flyway",
            Layout::Atlas => "Atlas",
            Layout::Alembic => "Alembic",
            Layout::Django => "Django",
            Layout::Command => "the --replay-with command",
        }
    }

    /// The history table the tool keeps.
    pub fn history(self) -> crate::history::HistoryFormat {
        use crate::history::HistoryFormat;
        match self {
            Layout::Plumb => HistoryFormat::Plumb,
            Layout::Prisma => HistoryFormat::Prisma,
            Layout::Diesel => HistoryFormat::Diesel,
            Layout::GolangMigrate => HistoryFormat::GolangMigrate,
            Layout::Dbmate => HistoryFormat::Dbmate,
            Layout::Goose => HistoryFormat::Goose,
            Layout::Drizzle => HistoryFormat::Drizzle,
            Layout::Sqlx => HistoryFormat::Sqlx,
            Layout::Supabase => HistoryFormat::Supabase,
            Layout::Flyway => HistoryFormat::Flyway,
            Layout::Atlas => HistoryFormat::Atlas,
            Layout::Alembic => HistoryFormat::Alembic,
            Layout::Django => HistoryFormat::Django,
            // What the tool keeps is found in the database; plumb's own when it is nothing
            // plumb reads.
            Layout::Command => HistoryFormat::Plumb,
        }
    }
}

/// Migrations in version order, versions unique.
#[derive(Debug, Clone, Default)]
pub struct MigrationSet {
    migrations: Vec<Migration>,
    layout: Layout,
    /// What the source read and left out, for the user to hear (Flyway's repeatables).
    notes: Vec<String>,
}

impl MigrationSet {
    /// The same migrations, read from `layout`.
    pub fn with_layout(mut self, layout: Layout) -> MigrationSet {
        self.layout = layout;
        self
    }

    /// The same set with `m` added (a migration plumb wrote, such as `repair --adopt`'s).
    pub fn with_migration(&self, m: Migration) -> Result<MigrationSet, LoadError> {
        let mut migrations = self.migrations.clone();
        migrations.push(m);
        let mut set = MigrationSet::new(migrations)?.with_layout(self.layout);
        set.notes = self.notes.clone();
        Ok(set)
    }

    /// The same set, with a note for the user.
    pub fn with_note(mut self, note: String) -> MigrationSet {
        self.notes.push(note);
        self
    }

    /// What the source read and left out (one line each), for the user to hear.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Which tool's folder layout it was read from.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Orders `migrations` by version; two files with the same version number are an error.
    pub fn new(mut migrations: Vec<Migration>) -> Result<MigrationSet, LoadError> {
        migrations.sort_by(|a, b| a.version.cmp(&b.version));
        for pair in migrations.windows(2) {
            if pair[0].version.same_number(&pair[1].version) {
                return Err(LoadError::DuplicateVersion {
                    version: pair[1].version.to_string(),
                    first: pair[0].path.clone(),
                    second: pair[1].path.clone(),
                });
            }
        }
        // Said by every command that reads the set (status included), not only when applied.
        let notes = migrations
            .iter()
            .filter(|m| m.script.statements.is_empty() && m.runner.is_none())
            .map(|m| format!("{} has no statements: applying it records it and changes nothing", m.path.display()))
            .collect();
        Ok(MigrationSet { migrations, layout: Layout::Plumb, notes })
    }

    /// All migrations, in order.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    /// The migration with this version number.
    pub fn get(&self, version: &Version) -> Option<&Migration> {
        // Sorted by number (no two the same number): a binary search.
        self.migrations.binary_search_by(|m| m.version.cmp_number(version)).ok().map(|i| &self.migrations[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_order_numerically() {
        let mut versions = [v("10"), v("9"), v("0002"), v("20240101120000"), v("1")];
        versions.sort();
        let order: Vec<&str> = versions.iter().map(|v| v.as_str()).collect();
        assert_eq!(order, ["1", "0002", "9", "10", "20240101120000"]);
        assert!(v("007").same_number(&v("7")));
        assert_eq!(Version::parse("12a"), None);
    }

    #[test]
    fn dotted_versions_order_group_by_group_as_flyway_does() {
        let mut versions = [v("1.10"), v("2"), v("1.2"), v("1.2.1"), v("1")];
        versions.sort();
        let order: Vec<&str> = versions.iter().map(|v| v.as_str()).collect();
        assert_eq!(order, ["1", "1.2", "1.2.1", "1.10", "2"]);
        assert!(v("1.0").same_number(&v("1")));
        assert!(!v("1.1").same_number(&v("11")));
        assert_eq!(Version::parse("1..2"), None);
        assert_eq!(Version::parse_digits("1.2"), None);
    }

    fn migration(sql: &str) -> Result<Migration, LoadError> {
        Migration::new(v("1"), "m".into(), "1_m.sql".into(), sql.into())
    }

    #[test]
    fn checksum_is_sha256_of_the_bytes() {
        let m = migration("SELECT 1;").unwrap();
        // printf 'SELECT 1;' | sha256sum
        assert_eq!(m.checksum, "17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a");
        assert_ne!(m.checksum, migration("SELECT 2;").unwrap().checksum);
    }

    #[test]
    fn directives_in_leading_comments() {
        let m = migration("-- a comment\n-- plumb:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);").unwrap();
        assert!(m.directives.no_transaction);
        // A directive after the first statement is not a directive.
        let m = migration("SELECT 1;\n-- plumb:no-transaction\n").unwrap();
        assert!(!m.directives.no_transaction);
        let err = migration("-- plumb:no-transacton\nSELECT 1;").unwrap_err();
        assert!(err.to_string().contains("no-transacton"), "{err}");
    }

    #[test]
    fn rejects_what_cannot_run() {
        let err = migration("SELECT 1;\n  \\echo hi\n").unwrap_err();
        let LoadError::MetaCommand { location, .. } = &err else { panic!("{err:?}") };
        assert_eq!((location.line, location.column), (2, 3));
        // A transaction of its own in the middle of a file cannot run in plumb's.
        let err = migration("SELECT 1;\nCOMMIT;\nSELECT 2;").unwrap_err();
        assert!(matches!(err, LoadError::TransactionControl { .. }), "{err:?}");
        // A whole-file wrapper gives way to plumb's transaction, positions kept.
        let m = migration("BEGIN;\nSELECT 1;\nCOMMIT;").unwrap();
        assert_eq!(m.script.statements.len(), 1);
        assert_eq!(m.statement_sql(0), "SELECT 1;");
        assert_eq!(&*m.sql, "      \nSELECT 1;\n       ");
        let err = migration("CREATE INDEX CONCURRENTLY i ON t (x);").unwrap_err();
        assert!(matches!(err, LoadError::ConcurrentlyInTransaction { .. }), "{err:?}");
    }
}
