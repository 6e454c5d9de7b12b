//! What every doctor command starts from, gathered once: the migrations, the history and
//! the table it is kept in, the live schema, and the replay. `verify`, `locate`,
//! `status --verify`, `repair` and `demo` all read a `Situation` and go on from it.

use std::path::Path;

use plumb_catalog::{InspectOptions, Schema};
use plumb_migrate::{HistoryFormat, HistoryRow, Layout, Migration, MigrationSet, Version};
use plumb_pg::Connection;

use crate::diagnose::{Diagnosis, Locate, diagnose, locate};
use crate::error::DoctorError;
use crate::objects::{ObjectId, Objects, objects};
use crate::plan::{Plan, PlanOptions, adoption_sql, plan};
use crate::replay::Replay;
use crate::shadow::{Progress, ReplayCache, ShadowServer, cached_replay};

/// What is read from the target: its history and the table it is kept in, and its schema.
struct Target {
    history: Vec<HistoryRow>,
    format: Option<HistoryFormat>,
    live: Schema,
}

impl Target {
    async fn read(conn: &Connection, set: &MigrationSet) -> Result<Target, DoctorError> {
        let (format, history) = match plumb_migrate::read_history_with_format(conn, set).await? {
            Some((format, history)) => (Some(format), history),
            None => (None, Vec::new()),
        };
        let live = plumb_catalog::inspect(conn, &InspectOptions::default()).await?;
        Ok(Target { history, format, live })
    }

    fn with(self, set: MigrationSet, replay: Replay) -> Situation {
        let Target { history, format, live } = self;
        let objects = objects(&live);
        Situation { set, history, format, live, objects, replay }
    }
}

/// The migrations, the history, the live schema and the replay of one target.
pub struct Situation {
    /// The migrations.
    pub set: MigrationSet,
    /// The history rows.
    pub history: Vec<HistoryRow>,
    /// The table the history is kept in (`None`: there is none yet).
    pub format: Option<HistoryFormat>,
    /// The live schema.
    pub live: Schema,
    /// The live schema, flattened.
    pub objects: Objects,
    /// The replay of `set`.
    pub replay: Replay,
}

impl Situation {
    /// Everything a doctor command starts from: the replay of `set` for `conn`'s server major
    /// (from `cache`, or replayed in a shadow on `server`), then `conn`'s history and schema.
    pub async fn gather(
        conn: &Connection,
        set: MigrationSet,
        server: &ShadowServer,
        cache: &ReplayCache<'_>,
        progress: &dyn Progress,
    ) -> Result<Situation, DoctorError> {
        // The shadow (a cluster starting, a database created, the replay) and the target are
        // read side by side. Both run to the end even when one fails: a replay cut short would
        // leave its temporary database behind.
        let (replay, target) =
            tokio::join!(cached_replay(&set, server, conn.server_major(), cache, progress), Target::read(conn, &set));
        let (replay, target) = (replay?, target?);
        Ok(target.with(set, replay))
    }

    /// Reads the history and the live schema of `conn`; `replay` is the set's.
    pub async fn read(conn: &Connection, set: MigrationSet, replay: Replay) -> Result<Situation, DoctorError> {
        Ok(Target::read(conn, &set).await?.with(set, replay))
    }

    /// What is true of each migration, and what no migration explains.
    pub fn diagnose(&self) -> Diagnosis {
        diagnose(&self.set, &self.replay, &self.history, &self.objects)
    }

    /// Which migrations the live schema really contains.
    pub fn locate(&self) -> Locate {
        locate(&self.set, &self.replay, &self.history, &self.objects)
    }

    /// The plan that repairs what `diagnosis` (of this situation) found.
    pub fn plan(&self, diagnosis: &Diagnosis, options: &PlanOptions) -> Plan {
        plan(&self.set, &self.replay, diagnosis, &self.history, self.format, &self.live, options)
    }

    /// A plan as one script, recording `tool_version` in the history rows it writes.
    pub fn script(&self, plan: &Plan, tool_version: &str) -> String {
        plan.script(&self.set, tool_version)
    }

    /// Writes a new migration into `dir`, in the folder's own layout (`<next version>_adopted.sql`,
    /// or `<next version>_adopted/up.sql` for Diesel, `/migration.sql` for Prisma), that creates
    /// the `unexplained` objects as they are live (for `repair --adopt`, which records it).
    pub fn write_adoption(&self, dir: &Path, unexplained: &[ObjectId]) -> Result<Migration, DoctorError> {
        let version = next_version(&self.set);
        let path = match self.set.layout() {
            Layout::Plumb
            | Layout::Supabase
            | Layout::Sqlx
            | Layout::Dbmate
            | Layout::Goose
            | Layout::Drizzle
            | Layout::Atlas => dir.join(format!("{version}_adopted.sql")),
            Layout::Flyway => dir.join(format!("V{version}__adopted.sql")),
            Layout::Alembic => return self.write_alembic_adoption(dir, unexplained),
            Layout::Django | Layout::Command => {
                return Err(DoctorError::Write {
                    path: dir.to_owned(),
                    source: std::io::Error::other(format!(
                        "--adopt cannot write a migration for {} yet: write one that creates the unexplained objects, \
                         or repair without --adopt (they are kept)",
                        self.set.layout().tool()
                    )),
                });
            }
            Layout::GolangMigrate => dir.join(format!("{version}_adopted.up.sql")),
            Layout::Diesel => dir.join(format!("{version}_adopted")).join("up.sql"),
            Layout::Prisma => dir.join(format!("{version}_adopted")).join("migration.sql"),
        };
        let mut sql = adoption_sql(&self.live, unexplained);
        match self.set.layout() {
            Layout::Dbmate => sql = format!("-- migrate:up\n{sql}\n-- migrate:down\n"),
            Layout::Goose => sql = format!("-- +goose Up\n{sql}\n-- +goose Down\n"),
            _ => {}
        }
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|source| DoctorError::Write { path: folder.to_owned(), source })?;
        }
        std::fs::write(&path, &sql).map_err(|source| DoctorError::Write { path: path.clone(), source })?;
        if matches!(self.set.layout(), Layout::Flyway | Layout::Atlas) {
            if self.set.layout() == Layout::Atlas {
                rewrite_atlas_sum(dir)?;
            }
            // The folder read again gives the migration with its tool's checksum.
            let parsed = Version::parse(&version).expect("digits");
            let set = plumb_migrate::load_dir_as(dir, Some(self.set.layout()))?;
            return Ok(set.get(&parsed).expect("the file just written").clone());
        }
        let parsed = Version::parse(&version).expect("digits");
        let migration = Migration::new(parsed, "adopted".into(), path, sql)?;
        if self.set.layout() == Layout::Drizzle {
            // Drizzle reads only what its journal lists, by `when`: one past the newest.
            let when = self.set.migrations().iter().filter_map(|m| m.stamp).max().unwrap_or(0) + 1;
            add_to_journal(dir, &format!("{version}_adopted"), when)?;
            return Ok(migration.with_stamp(when));
        }
        Ok(migration)
    }
}

impl Situation {
    /// `repair --adopt` on an Alembic project: a revision after the head whose `upgrade()`
    /// executes the SQL that creates the unexplained objects, in the project's `versions/`.
    fn write_alembic_adoption(&self, dir: &Path, unexplained: &[ObjectId]) -> Result<Migration, DoctorError> {
        let head = self.set.migrations().last().and_then(|m| Some((m.revision.as_ref()?.id.clone(), m.path.parent()?)));
        let Some((head, versions)) = head else {
            return Err(DoctorError::Write {
                path: dir.to_owned(),
                source: std::io::Error::other("an Alembic project without revisions has nothing to adopt after"),
            });
        };
        let id = format!("plumb{}", next_version(&self.set));
        let sql = adoption_sql(&self.live, unexplained);
        let text = format!(
            "\"\"\"adopted by plumb repair: objects the live schema had and no revision created\n\nRevision ID: {id}\nRevises: {head}\n\"\"\"\nfrom alembic import op\n\nrevision = \"{id}\"\ndown_revision = \"{head}\"\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    op.execute(\n        r\"\"\"\n{sql}\n\"\"\"\n    )\n\n\ndef downgrade():\n    pass\n"
        );
        let path = versions.join(format!("{id}_adopted.py"));
        std::fs::write(&path, text).map_err(|source| DoctorError::Write { path: path.clone(), source })?;
        let set = plumb_migrate::load_dir_as(dir, Some(Layout::Alembic))?;
        Ok(set.migrations().last().expect("the revision just written").clone())
    }
}

/// Writes Atlas's `atlas.sum` for the folder's files as they are now (what `atlas migrate hash`
/// does), after plumb added a file to it.
fn rewrite_atlas_sum(dir: &Path) -> Result<(), DoctorError> {
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| DoctorError::Write { path, source }
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(write_error(dir))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    let texts = names
        .iter()
        .map(|n| std::fs::read(dir.join(n)).map_err(write_error(&dir.join(n))))
        .collect::<Result<Vec<_>, _>>()?;
    let hashes = plumb_migrate::atlas_hashes(names.iter().map(String::as_str).zip(texts.iter().map(Vec::as_slice)));
    let mut text = format!(
        "h1:{}\n",
        plumb_migrate::atlas_sum(names.iter().map(String::as_str).zip(hashes.iter().map(String::as_str)))
    );
    for (name, hash) in names.iter().zip(&hashes) {
        text.push_str(&format!("{name} h1:{hash}\n"));
    }
    let path = dir.join("atlas.sum");
    std::fs::write(&path, text).map_err(write_error(&path))
}

/// Appends an entry to Drizzle's `meta/_journal.json`.
fn add_to_journal(dir: &Path, tag: &str, when: i64) -> Result<(), DoctorError> {
    let path = dir.join("meta/_journal.json");
    let write_error = |source| DoctorError::Write { path: path.clone(), source };
    let text = std::fs::read_to_string(&path).map_err(write_error)?;
    let mut journal: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| write_error(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    if let Some(entries) = journal["entries"].as_array_mut() {
        let idx = entries.len();
        entries.push(serde_json::json!({"idx": idx, "version": "7", "when": when, "tag": tag, "breakpoints": true}));
    }
    let text = serde_json::to_string_pretty(&journal).expect("a journal serializes");
    std::fs::write(&path, text).map_err(write_error)
}

/// One past the newest version, keeping its width (`0007` → `0008`).
fn next_version(set: &MigrationSet) -> String {
    let last = set.migrations().last().map(|m| m.version.as_str().to_owned()).unwrap_or_else(|| "0000".into());
    // A dotted version (Flyway's `1.2`): the next whole number.
    let last = last.split('.').next().unwrap_or("0").to_owned();
    let next = last.parse::<u128>().map(|n| n + 1).unwrap_or(1);
    format!("{next:0width$}", width = last.len())
}

/// What `lint` needs to know of the target inside `check`: its tables (lower-case names),
/// their estimated rows and whether row level security is on.
pub async fn lint_facts(conn: &Connection) -> Result<plumb_sql::lint::Target, DoctorError> {
    let mut facts = plumb_sql::lint::Target::default();
    let rows = conn
        .client()
        .query(
            "SELECT lower(c.relname), c.reltuples::int8, c.relrowsecurity FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
            &[],
        )
        .await
        .map_err(plumb_pg::PgError::from)?;
    for row in rows {
        let rows: i64 = row.get(1);
        let entry = facts.tables.entry(row.get(0)).or_insert(plumb_sql::lint::TableFacts { rows, rls: row.get(2) });
        entry.rows = entry.rows.max(rows);
    }
    Ok(facts)
}
