//! History tables: the claims a migration tool makes about what ran.
//!
//! plumb's own is `plumb.migrations`. A database whose migrations the Supabase CLI
//! ran keeps them in `supabase_migrations.schema_migrations` (version, name and the
//! statements, no checksum); plumb reads and writes that one instead, so that the
//! Supabase CLI agrees with every history plumb writes.

use plumb_pg::Connection;
use std::time::Duration;
use tokio_postgres::Row;

use crate::error::ApplyError;
use crate::migration::{Layout, Migration, MigrationSet, Version};

/// The qualified name of the history table.
pub const HISTORY_TABLE: &str = "plumb.migrations";

/// Created on first apply, under the apply lock (so no two runs race to create it).
/// The CHECK keeps hand edits honest: a status plumb does not know is refused by the server.
const CREATE_HISTORY: &str = "
CREATE SCHEMA IF NOT EXISTS plumb;
CREATE TABLE IF NOT EXISTS plumb.migrations (
    version         text        PRIMARY KEY CHECK (version ~ '^[0-9]+(\\.[0-9]+)*$'),
    name            text        NOT NULL,
    checksum        text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('applied', 'in_progress', 'failed')),
    statements_done integer     NOT NULL DEFAULT 0,
    applied_at      timestamptz NOT NULL DEFAULT now(),
    duration_ms     bigint,
    applied_by      text        NOT NULL DEFAULT current_user,
    plumb_version   text        NOT NULL,
    error           text
);
COMMENT ON TABLE plumb.migrations IS 'Migration history written by plumb. Edit with plumb repair, not by hand.';
";

/// What a history row says about its migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryStatus {
    /// Ran to the end and committed.
    Applied,
    /// A no-transaction migration that started and has not finished (a crash, or still running).
    InProgress,
    /// A no-transaction migration that stopped on an error; `statements_done` say how far it got.
    Failed,
    /// golang-migrate's `dirty`: it started and did not finish cleanly; how far it got is
    /// for the catalog to say.
    Dirty,
}

impl HistoryStatus {
    /// The spelling in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryStatus::Applied => "applied",
            HistoryStatus::InProgress => "in_progress",
            HistoryStatus::Failed => "failed",
            HistoryStatus::Dirty => "dirty",
        }
    }
}

/// One row of `plumb.migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The migration's version.
    pub version: Version,
    /// Its name when it ran.
    pub name: String,
    /// SHA-256 of the file that ran; empty when the history format keeps none (Supabase).
    pub checksum: String,
    /// How far it got.
    pub status: HistoryStatus,
    /// Statements committed (all of them for an applied migration).
    pub statements_done: usize,
    /// When it was recorded, UTC, RFC 3339.
    pub applied_at: String,
    /// How long it took.
    pub duration_ms: Option<i64>,
    /// The database role that ran it.
    pub applied_by: String,
    /// The plumb version that ran it.
    pub plumb_version: String,
    /// The error it failed with, if it failed.
    pub error: Option<String>,
}

/// Which tool's history table a database keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryFormat {
    /// `plumb.migrations`.
    Plumb,
    /// The Supabase CLI's `supabase_migrations.schema_migrations`.
    Supabase,
    /// Prisma's `_prisma_migrations` (one row per attempt: `finished_at` set when it
    /// succeeded, `rolled_back_at` when `prisma migrate resolve --rolled-back` said it did not
    /// count; the checksum is the SHA-256 of `migration.sql`).
    Prisma,
    /// Diesel's `__diesel_schema_migrations (version, run_on)`: no checksum.
    Diesel,
    /// golang-migrate's `schema_migrations (version bigint, dirty boolean)`: one row, the
    /// newest version applied (every older file counts as applied), `dirty` while it runs or
    /// after it failed part-way (migrate/database/postgres/postgres.go).
    GolangMigrate,
    /// dbmate's `schema_migrations (version varchar)`: a row per migration, no checksum
    /// (dbmate, `pkg/driver/postgres/postgres.go`).
    Dbmate,
    /// goose's `goose_db_version (id, version_id, is_applied, tstamp)`: the latest row per
    /// version says whether it is applied; version 0 is goose's own first row
    /// (goose, `internal/dialect/dialectquery/postgres.go`).
    Goose,
    /// sqlx's `_sqlx_migrations (version, description, installed_on, success, checksum,
    /// execution_time)`, the checksum the SHA-384 of the file (sqlx-core, `migrate/migration.rs`).
    Sqlx,
    /// Drizzle's `drizzle.__drizzle_migrations (id, hash, created_at)`: a migration counts as
    /// applied when its journal `when` is at most the newest `created_at`; `hash` is the
    /// SHA-256 of the file (drizzle-orm, `pg-core/dialect.ts` and `migrator.ts`).
    Drizzle,
    /// Flyway's `flyway_schema_history (installed_rank, version, description, type, script,
    /// checksum, installed_by, installed_on, execution_time, success)`: a row per attempt in
    /// `installed_rank` order, the checksum its CRC-32; `BASELINE` rows stand for every version
    /// up to theirs, `UNDO_SQL` and `DELETE` rows take a version back (flyway-core,
    /// `schemahistory/JdbcTableSchemaHistory`, `database/postgresql/createMetaDataTable.sql`).
    Flyway,
    /// Atlas's `atlas_schema_revisions.atlas_schema_revisions`: a row per version with the
    /// statements `applied` of `total` (fewer, or an `error`: stopped part-way), the file's
    /// `atlas.sum` hash, and a `type` bit mask (1 baseline, 2 executed, 4 resolved by hand)
    /// (atlas, `cmd/atlas/internal/migrate/ent/schema/revision.go`).
    Atlas,
    /// Alembic's `alembic_version (version_num)`: one row per head; every ancestor of a head
    /// counts as applied (alembic, `runtime/migration.py`). Alembic writes it itself as it runs
    /// a revision; plumb writes it only when repair sets the history straight.
    Alembic,
    /// Django's `django_migrations (id, app, name, applied)`: a row per applied migration,
    /// written by Django as it runs one (django, `db/migrations/recorder.py`). Rows of
    /// migrations no longer in the project (squashed, deleted) are Django's business and left out.
    Django,
}

impl HistoryFormat {
    /// The qualified name of the table.
    pub fn table(self) -> &'static str {
        match self {
            HistoryFormat::Plumb => HISTORY_TABLE,
            HistoryFormat::Supabase => "supabase_migrations.schema_migrations",
            HistoryFormat::Prisma => "_prisma_migrations",
            HistoryFormat::Diesel => "__diesel_schema_migrations",
            HistoryFormat::GolangMigrate | HistoryFormat::Dbmate => "schema_migrations",
            HistoryFormat::Goose => "goose_db_version",
            HistoryFormat::Sqlx => "_sqlx_migrations",
            HistoryFormat::Drizzle => "drizzle.__drizzle_migrations",
            HistoryFormat::Flyway => "flyway_schema_history",
            HistoryFormat::Atlas => "atlas_schema_revisions.atlas_schema_revisions",
            HistoryFormat::Alembic => "alembic_version",
            HistoryFormat::Django => "django_migrations",
        }
    }

    /// Whether the table keeps versions as integers (`30` for the file `030`).
    pub fn integer_versions(self) -> bool {
        matches!(self, HistoryFormat::GolangMigrate | HistoryFormat::Goose | HistoryFormat::Sqlx)
    }

    /// Whether the table keeps one row, the newest version, rather than a row per migration
    /// (Alembic's keeps its heads: one, for the one history plumb replays).
    pub fn single_row(self) -> bool {
        matches!(self, HistoryFormat::GolangMigrate | HistoryFormat::Alembic)
    }

    /// The tool that owns the table.
    pub fn tool(self) -> &'static str {
        match self {
            HistoryFormat::Plumb => "plumb",
            HistoryFormat::Supabase => "the Supabase CLI",
            HistoryFormat::Prisma => "Prisma",
            HistoryFormat::Diesel => "Diesel",
            HistoryFormat::GolangMigrate => "golang-migrate",
            HistoryFormat::Dbmate => "dbmate",
            HistoryFormat::Goose => "goose",
            HistoryFormat::Sqlx => "sqlx",
            HistoryFormat::Drizzle => "Drizzle",
            HistoryFormat::Flyway => "Flyway",
            HistoryFormat::Atlas => "Atlas",
            HistoryFormat::Alembic => "Alembic",
            HistoryFormat::Django => "Django",
        }
    }

    /// Which history table `conn`'s database keeps (`None`: none yet). plumb's own wins
    /// over any other: it is the one plumb wrote last. Of several other tools' tables, the one
    /// of `layout` (the folder's tool) is used; none of them being it is an error that names
    /// them all, never a guess.
    pub async fn detect_for(conn: &Connection, layout: Layout) -> Result<Option<HistoryFormat>, ApplyError> {
        let found = HistoryFormat::present(conn).await?;
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ if found.contains(&HistoryFormat::Plumb) => Ok(Some(HistoryFormat::Plumb)),
            _ if found.contains(&layout.history()) => Ok(Some(layout.history())),
            _ => Err(ApplyError::CorruptHistory {
                table: found.iter().map(|f| f.table()).collect::<Vec<_>>().join(", "),
                reason: format!(
                    "the database keeps the histories of {}, and the folder is {}'s: say which tool this is with --tool",
                    found.iter().map(|f| f.tool()).collect::<Vec<_>>().join(", "),
                    layout.tool()
                ),
            }),
        }
    }

    /// As [`HistoryFormat::detect_for`], for plumb's own layout.
    pub async fn detect(conn: &Connection) -> Result<Option<HistoryFormat>, ApplyError> {
        HistoryFormat::detect_for(conn, Layout::Plumb).await
    }

    /// Every history table the database has.
    async fn present(conn: &Connection) -> Result<Vec<HistoryFormat>, ApplyError> {
        let row = conn
            .client()
            .query_one(
                "SELECT to_regclass('plumb.migrations') IS NOT NULL,
                        to_regclass('supabase_migrations.schema_migrations') IS NOT NULL,
                        to_regclass('_prisma_migrations') IS NOT NULL,
                        to_regclass('__diesel_schema_migrations') IS NOT NULL,
                        EXISTS (SELECT FROM pg_attribute
                                 WHERE attrelid = to_regclass('schema_migrations') AND attname = 'dirty' AND NOT attisdropped),
                        to_regclass('schema_migrations') IS NOT NULL
                          AND NOT EXISTS (SELECT FROM pg_attribute
                                           WHERE attrelid = to_regclass('schema_migrations') AND attname = 'dirty'
                                             AND NOT attisdropped),
                        to_regclass('goose_db_version') IS NOT NULL,
                        to_regclass('_sqlx_migrations') IS NOT NULL,
                        to_regclass('drizzle.__drizzle_migrations') IS NOT NULL,
                        to_regclass('flyway_schema_history') IS NOT NULL,
                        to_regclass('atlas_schema_revisions.atlas_schema_revisions') IS NOT NULL,
                        to_regclass('alembic_version') IS NOT NULL,
                        to_regclass('django_migrations') IS NOT NULL",
                &[],
            )
            .await
            .map_err(plumb_pg::PgError::from)?;
        let formats = [
            HistoryFormat::Plumb,
            HistoryFormat::Supabase,
            HistoryFormat::Prisma,
            HistoryFormat::Diesel,
            HistoryFormat::GolangMigrate,
            // A `schema_migrations` without `dirty`.
            HistoryFormat::Dbmate,
            HistoryFormat::Goose,
            HistoryFormat::Sqlx,
            HistoryFormat::Drizzle,
            HistoryFormat::Flyway,
            HistoryFormat::Atlas,
            HistoryFormat::Alembic,
            HistoryFormat::Django,
        ];
        Ok(formats.into_iter().enumerate().filter(|(i, _)| row.get::<_, bool>(*i)).map(|(_, f)| f).collect())
    }

    /// The DDL that creates the table if it is missing.
    pub fn create_sql(self) -> &'static str {
        match self {
            HistoryFormat::Plumb => CREATE_HISTORY.trim(),
            HistoryFormat::Supabase => CREATE_SUPABASE_HISTORY.trim(),
            HistoryFormat::Prisma => CREATE_PRISMA_HISTORY.trim(),
            HistoryFormat::Diesel => CREATE_DIESEL_HISTORY.trim(),
            HistoryFormat::GolangMigrate => {
                "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);"
            }
            HistoryFormat::Dbmate => "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) PRIMARY KEY);",
            HistoryFormat::Goose => CREATE_GOOSE_HISTORY.trim(),
            HistoryFormat::Sqlx => CREATE_SQLX_HISTORY.trim(),
            HistoryFormat::Drizzle => {
                "CREATE SCHEMA IF NOT EXISTS drizzle;\nCREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint);"
            }
            HistoryFormat::Flyway => CREATE_FLYWAY_HISTORY.trim(),
            HistoryFormat::Atlas => CREATE_ATLAS_HISTORY.trim(),
            HistoryFormat::Alembic => {
                "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));"
            }
            HistoryFormat::Django => {
                "CREATE TABLE IF NOT EXISTS django_migrations (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, app varchar(255) NOT NULL, name varchar(255) NOT NULL, applied timestamptz NOT NULL);"
            }
        }
    }

    /// A statement recording `m` as applied (replacing any row of its version).
    pub fn record_sql(self, m: &Migration, plumb_version: &str) -> String {
        self.record_timed_sql(m, plumb_version, None)
    }

    /// As [`HistoryFormat::record_sql`], with how long `m` took where the table keeps it
    /// (plumb's `duration_ms`).
    pub fn record_timed_sql(self, m: &Migration, plumb_version: &str, duration: Option<Duration>) -> String {
        let version = m.version.as_str();
        let name = literal(&m.name);
        match self {
            HistoryFormat::Plumb => {
                // The duration is written (and replaces the row's) only when it is known.
                let (column, value, update) = match duration {
                    Some(d) => {
                        (", duration_ms", format!(", {}", d.as_millis()), " duration_ms = EXCLUDED.duration_ms,")
                    }
                    None => ("", String::new(), ""),
                };
                format!(
                    "INSERT INTO plumb.migrations (version, name, checksum, status, statements_done{column}, plumb_version)\n  VALUES ('{version}', {name}, '{}', 'applied', {}{value}, {})\n  ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, status = 'applied',\n    statements_done = EXCLUDED.statements_done,{update} plumb_version = EXCLUDED.plumb_version, applied_at = now(),\n    applied_by = current_user, error = NULL;",
                    m.checksum,
                    m.script.statements.len(),
                    literal(plumb_version)
                )
            }
            HistoryFormat::Supabase => {
                let statements: Vec<String> =
                    (0..m.script.statements.len()).map(|i| literal(m.statement_sql(i).trim())).collect();
                format!(
                    "INSERT INTO supabase_migrations.schema_migrations (version, name, statements)\n  VALUES ('{version}', {name}, ARRAY[{}]::text[])\n  ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, statements = EXCLUDED.statements;",
                    statements.join(", ")
                )
            }
            // As `prisma migrate deploy` leaves a migration that ran: one finished row.
            HistoryFormat::Prisma => {
                let folder = literal(&prisma_name(m));
                format!(
                    "DELETE FROM _prisma_migrations WHERE migration_name = {folder};\nINSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)\n  VALUES (gen_random_uuid()::text, '{}', now(), {folder}, now(), 1);",
                    m.checksum
                )
            }
            HistoryFormat::Diesel => format!(
                "INSERT INTO __diesel_schema_migrations (version) VALUES ('{version}') ON CONFLICT (version) DO NOTHING;"
            ),
            HistoryFormat::Dbmate => format!(
                "INSERT INTO schema_migrations (version) VALUES ('{version}') ON CONFLICT (version) DO NOTHING;"
            ),
            HistoryFormat::Goose => format!(
                "INSERT INTO goose_db_version (version_id, is_applied) VALUES ({}, true);",
                m.version.significant_or_zero()
            ),
            HistoryFormat::Sqlx => format!(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)\n  VALUES ({}, {}, true, decode('{}', 'hex'), 0)\n  ON CONFLICT (version) DO UPDATE SET description = EXCLUDED.description, success = true, checksum = EXCLUDED.checksum;",
                m.version.significant_or_zero(),
                literal(&m.name.replace('_', " ")),
                m.checksum_sha384
            ),
            HistoryFormat::Drizzle => {
                let when = m.stamp.unwrap_or(0);
                format!(
                    "INSERT INTO drizzle.__drizzle_migrations (hash, created_at)\n  SELECT '{}', {when} WHERE NOT EXISTS (SELECT FROM drizzle.__drizzle_migrations WHERE created_at = {when});",
                    m.checksum
                )
            }
            // As `flyway migrate` leaves a migration that ran: one successful row, ranked last
            // (earlier failed attempts are what `flyway repair` removes).
            HistoryFormat::Flyway => {
                let script = m.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let checksum = m.tool_checksum.as_deref().and_then(|c| c.strip_prefix("crc32:")).unwrap_or("NULL");
                format!(
                    "DELETE FROM flyway_schema_history WHERE version = '{version}';\nINSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)\n  SELECT coalesce(max(installed_rank), 0) + 1, '{version}', {name}, 'SQL', {}, {checksum}, current_user, 0, true FROM flyway_schema_history;",
                    literal(&script)
                )
            }
            // As `atlas migrate apply` leaves a file that ran: every statement applied.
            HistoryFormat::Atlas => {
                let hash = m.tool_checksum.as_deref().and_then(|c| c.strip_prefix("h1:")).unwrap_or("");
                let total = m.script.statements.len();
                format!(
                    "INSERT INTO atlas_schema_revisions.atlas_schema_revisions (version, description, type, applied, total, executed_at, execution_time, hash, operator_version)\n  VALUES ('{version}', {name}, 2, {total}, {total}, now(), 0, {}, {})\n  ON CONFLICT (version) DO UPDATE SET description = EXCLUDED.description, type = 2, applied = EXCLUDED.applied,\n    total = EXCLUDED.total, executed_at = now(), error = NULL, error_stmt = NULL, hash = EXCLUDED.hash,\n    partial_hashes = NULL, operator_version = EXCLUDED.operator_version;",
                    literal(hash),
                    literal(&format!("plumb {plumb_version}"))
                )
            }
            // As `manage.py migrate` records a migration it ran.
            HistoryFormat::Django => {
                let (app, name) = django_key(m);
                format!(
                    "INSERT INTO django_migrations (app, name, applied)\n  SELECT {app}, {name}, now() WHERE NOT EXISTS (SELECT FROM django_migrations WHERE app = {app} AND name = {name});"
                )
            }
            // The newest revision is the head: what `alembic upgrade <rev>` leaves.
            HistoryFormat::Alembic => self.set_newest_sql(Some(m)),
            // The newest version applied, clean: what `migrate up` leaves.
            HistoryFormat::GolangMigrate => format!(
                "DELETE FROM schema_migrations;\nINSERT INTO schema_migrations (version, dirty) VALUES ({}, false);",
                m.version.significant_or_zero()
            ),
        }
    }

    /// For a single-row table: the statement that leaves it saying `version` was the newest
    /// migration applied (`None`: none applied).
    pub fn set_newest_sql(self, newest: Option<&Migration>) -> String {
        match newest {
            Some(m) if self == HistoryFormat::Alembic => format!(
                "DELETE FROM alembic_version;\nINSERT INTO alembic_version (version_num) VALUES ({});",
                literal(m.revision.as_ref().map_or(m.version.as_str(), |r| r.id.as_str()))
            ),
            Some(m) => format!(
                "DELETE FROM {table};\nINSERT INTO {table} (version, dirty) VALUES ({}, false);",
                m.version.significant_or_zero(),
                table = self.table()
            ),
            None => format!("DELETE FROM {};", self.table()),
        }
    }

    /// A statement removing the row of migration `m` (Drizzle's is found by its `when`).
    pub fn unrecord_migration_sql(self, m: &Migration) -> String {
        if self == HistoryFormat::Django {
            let (app, name) = django_key(m);
            return format!("DELETE FROM django_migrations WHERE app = {app} AND name = {name};");
        }
        match (self, m.stamp) {
            (HistoryFormat::Drizzle, Some(when)) => {
                format!("DELETE FROM drizzle.__drizzle_migrations WHERE created_at = {when};")
            }
            _ => self.unrecord_sql(&m.version),
        }
    }

    /// A statement removing the row of `version` (Drizzle's: of that `created_at`, for a row
    /// no file has).
    pub fn unrecord_sql(self, version: &Version) -> String {
        match self {
            HistoryFormat::Prisma => format!(
                "DELETE FROM _prisma_migrations WHERE split_part(migration_name, '_', 1) = '{}';",
                version.as_str()
            ),
            HistoryFormat::Goose => {
                format!("DELETE FROM goose_db_version WHERE version_id = {};", version.significant_or_zero())
            }
            HistoryFormat::Drizzle => {
                format!(
                    "DELETE FROM drizzle.__drizzle_migrations WHERE created_at = {};",
                    version.significant_or_zero()
                )
            }
            HistoryFormat::GolangMigrate | HistoryFormat::Sqlx => {
                format!("DELETE FROM {} WHERE version = {};", self.table(), version.significant_or_zero())
            }
            _ => format!("DELETE FROM {} WHERE version = '{}';", self.table(), version.as_str()),
        }
    }
}

/// A Django migration's `(app, name)`, as SQL literals.
fn django_key(m: &Migration) -> (String, String) {
    match m.runner.as_ref().and_then(|r| r.django()) {
        Some(step) => (literal(&step.app), literal(&step.name)),
        None => {
            let (app, name) = m.name.split_once('.').unwrap_or(("", &m.name));
            (literal(app), literal(name))
        }
    }
}

/// A Prisma migration's folder name, which `_prisma_migrations` records.
fn prisma_name(m: &Migration) -> String {
    if m.name.is_empty() { m.version.to_string() } else { format!("{}_{}", m.version, m.name) }
}

/// Prisma's history table, as prisma-engines creates it on PostgreSQL.
const CREATE_PRISMA_HISTORY: &str = r#"
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);
"#;

/// goose's history table and the first row goose writes into it.
const CREATE_GOOSE_HISTORY: &str = "
CREATE TABLE IF NOT EXISTS goose_db_version (
    id         serial PRIMARY KEY,
    version_id bigint NOT NULL,
    is_applied boolean NOT NULL,
    tstamp     timestamp NULL DEFAULT now()
);
INSERT INTO goose_db_version (version_id, is_applied)
    SELECT 0, true WHERE NOT EXISTS (SELECT FROM goose_db_version);
";

/// sqlx's history table, as sqlx-cli creates it on PostgreSQL.
const CREATE_SQLX_HISTORY: &str = "
CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version        BIGINT PRIMARY KEY,
    description    TEXT NOT NULL,
    installed_on   TIMESTAMPTZ NOT NULL DEFAULT now(),
    success        BOOLEAN NOT NULL,
    checksum       BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);
";

/// Flyway's history table, as flyway-core creates it on PostgreSQL
/// (`database/postgresql/createMetaDataTable.sql`).
const CREATE_FLYWAY_HISTORY: &str = r#"
CREATE TABLE IF NOT EXISTS "flyway_schema_history" (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL,
    CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank")
);
CREATE INDEX IF NOT EXISTS "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success");
"#;

/// Atlas's revisions table, as Atlas creates it on PostgreSQL.
const CREATE_ATLAS_HISTORY: &str = r#"
CREATE SCHEMA IF NOT EXISTS "atlas_schema_revisions";
CREATE TABLE IF NOT EXISTS "atlas_schema_revisions"."atlas_schema_revisions" (
    "version" character varying NOT NULL,
    "description" character varying NOT NULL,
    "type" bigint NOT NULL DEFAULT 2,
    "applied" bigint NOT NULL DEFAULT 0,
    "total" bigint NOT NULL DEFAULT 0,
    "executed_at" timestamptz NOT NULL,
    "execution_time" bigint NOT NULL,
    "error" text NULL,
    "error_stmt" text NULL,
    "hash" character varying NOT NULL,
    "partial_hashes" jsonb NULL,
    "operator_version" character varying NOT NULL,
    PRIMARY KEY ("version")
);
"#;

/// Diesel's history table, as diesel_migrations creates it on PostgreSQL.
const CREATE_DIESEL_HISTORY: &str = "
CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
    version VARCHAR(50) PRIMARY KEY NOT NULL,
    run_on  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
";

/// The Supabase CLI's history table, as the CLI creates it.
const CREATE_SUPABASE_HISTORY: &str = "
CREATE SCHEMA IF NOT EXISTS supabase_migrations;
CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;
";

/// `text` as an SQL string literal that reads the same whatever `standard_conforming_strings`
/// is (a migration may turn it off for the session): a backslash makes it an `E''` literal,
/// with the backslash doubled.
fn literal(text: &str) -> String {
    if text.contains('\\') {
        format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// Reads the history, from whichever table the database keeps; `None` when it keeps
/// none yet (nothing was ever applied). Rows of the Supabase CLI carry no checksum:
/// their `checksum` is empty, meaning unknown.
///
/// `set` is what the rows are read for: a single-row history (golang-migrate's) says "up to
/// this version", which becomes a row for every file of `set` up to it.
pub async fn read_history(conn: &Connection, set: &MigrationSet) -> Result<Option<Vec<HistoryRow>>, ApplyError> {
    Ok(read_history_with_format(conn, set).await?.map(|(_, rows)| rows))
}

/// As [`read_history`], saying which table it read.
pub async fn read_history_with_format(
    conn: &Connection,
    set: &MigrationSet,
) -> Result<Option<(HistoryFormat, Vec<HistoryRow>)>, ApplyError> {
    let Some(format) = HistoryFormat::detect_for(conn, set.layout()).await? else { return Ok(None) };
    let rows = match format {
        HistoryFormat::Plumb => read_plumb_history(conn).await?,
        HistoryFormat::Supabase => read_supabase_history(conn).await?,
        HistoryFormat::Prisma => read_prisma_history(conn).await?,
        HistoryFormat::Diesel => read_versions(conn, HistoryFormat::Diesel).await?,
        HistoryFormat::GolangMigrate => up_to(read_golang_migrate_history(conn).await?, set),
        HistoryFormat::Dbmate => read_versions(conn, HistoryFormat::Dbmate).await?,
        HistoryFormat::Goose => read_goose_history(conn).await?,
        HistoryFormat::Sqlx => read_sqlx_history(conn).await?,
        HistoryFormat::Drizzle => read_drizzle_history(conn, set).await?,
        HistoryFormat::Flyway => read_flyway_history(conn, set).await?,
        HistoryFormat::Atlas => read_atlas_history(conn, set).await?,
        HistoryFormat::Alembic => read_alembic_history(conn, set).await?,
        HistoryFormat::Django => read_django_history(conn, set).await?,
    };
    Ok(Some((format, rows)))
}

/// goose's rows: the latest per version says whether it is applied; version 0 is goose's own.
async fn read_goose_history(conn: &Connection) -> Result<Vec<HistoryRow>, ApplyError> {
    let table = HistoryFormat::Goose.table();
    let rows = query(
        conn,
        HistoryFormat::Goose,
        "SELECT DISTINCT ON (version_id) version_id::text, is_applied,
                    to_char(tstamp, 'YYYY-MM-DD\"T\"HH24:MI:SS')
               FROM goose_db_version WHERE version_id <> 0 ORDER BY version_id, id DESC",
    )
    .await?;
    let mut history = Vec::new();
    for row in rows.iter().filter(|r| r.get::<_, Option<bool>>(1).unwrap_or(false)) {
        let text: String = row.get::<_, Option<String>>(0).unwrap_or_default();
        let version = Version::parse(&text)
            .ok_or_else(|| corrupt_table(table, format!("version_id \"{text}\" is not a number")))?;
        history.push(plain_row(version, String::new(), HistoryStatus::Applied, row.get(2)));
    }
    Ok(history)
}

/// sqlx's rows: `success = false` is a migration that failed; the checksum is the SHA-384.
async fn read_sqlx_history(conn: &Connection) -> Result<Vec<HistoryRow>, ApplyError> {
    let table = HistoryFormat::Sqlx.table();
    let rows = query(
        conn,
        HistoryFormat::Sqlx,
        "SELECT version::text, description, success, encode(checksum, 'hex'),
                    to_char(installed_on AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
               FROM _sqlx_migrations ORDER BY version",
    )
    .await?;
    let mut history = Vec::new();
    for row in rows {
        let text: String = row.get::<_, Option<String>>(0).unwrap_or_default();
        let version =
            Version::parse(&text).ok_or_else(|| corrupt_table(table, format!("version \"{text}\" is not a number")))?;
        let success: bool = row.get::<_, Option<bool>>(2).unwrap_or(false);
        let status = if success { HistoryStatus::Applied } else { HistoryStatus::Failed };
        let mut r = plain_row(version, row.get::<_, Option<String>>(1).unwrap_or_default(), status, row.get(4));
        r.checksum = format!("sha384:{}", row.get::<_, Option<String>>(3).unwrap_or_default());
        history.push(r);
    }
    Ok(history)
}

/// Drizzle's rows, as Drizzle reads them: every migration whose journal `when` is at most the
/// newest `created_at` is applied (its hash from the row of its own `when`, if any); a row
/// whose `created_at` no journal entry has shows as a missing file, its `created_at` as version.
async fn read_drizzle_history(conn: &Connection, set: &MigrationSet) -> Result<Vec<HistoryRow>, ApplyError> {
    let table = HistoryFormat::Drizzle.table();
    let rows = query(
        conn,
        HistoryFormat::Drizzle,
        "SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY created_at",
    )
    .await?;
    let rows: Vec<(String, i64)> = rows
        .iter()
        .map(|r| (r.get::<_, Option<String>>(0).unwrap_or_default(), r.get::<_, Option<i64>>(1).unwrap_or(0)))
        .collect();
    let Some(newest) = rows.iter().map(|(_, at)| *at).max() else { return Ok(Vec::new()) };
    let mut history = Vec::new();
    for m in set.migrations() {
        let Some(when) = m.stamp.filter(|w| *w <= newest) else { continue };
        let mut row = plain_row(m.version.clone(), m.name.clone(), HistoryStatus::Applied, None);
        row.checksum = rows.iter().find(|(_, at)| *at == when).map(|(hash, _)| hash.clone()).unwrap_or_default();
        history.push(row);
    }
    for (_, at) in rows.iter().filter(|(_, at)| !set.migrations().iter().any(|m| m.stamp == Some(*at))) {
        let version = Version::parse(&at.to_string())
            .ok_or_else(|| corrupt_table(table, format!("created_at {at} is not a time in milliseconds")))?;
        history.push(plain_row(version, String::new(), HistoryStatus::Applied, None));
    }
    Ok(history)
}

/// Flyway's rows in `installed_rank` order, as Flyway reads them: the last attempt per version
/// counts (successful: applied; not: failed), `UNDO_SQL` and `DELETE` rows take it back, and a
/// `BASELINE` row stands for every file up to its version (its own row, `<< Flyway Baseline >>`,
/// is not a migration). Repeatable rows (no version) are left out, as their files are.
async fn read_flyway_history(conn: &Connection, set: &MigrationSet) -> Result<Vec<HistoryRow>, ApplyError> {
    let table = HistoryFormat::Flyway.table();
    let rows = query(
        conn,
        HistoryFormat::Flyway,
        "SELECT version::text, description::text, type::text, checksum, success,
                    to_char(installed_on, 'YYYY-MM-DD\"T\"HH24:MI:SS')
               FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank",
    )
    .await?;
    let mut latest: Vec<HistoryRow> = Vec::new();
    let mut baseline: Option<Version> = None;
    for row in rows {
        let text: String = row.get::<_, Option<String>>(0).unwrap_or_default();
        let version = Version::parse(&text)
            .ok_or_else(|| corrupt_table(table, format!("version \"{text}\" is not a version")))?;
        let kind: String = row.get::<_, Option<String>>(2).unwrap_or_default();
        latest.retain(|r| !r.version.same_number(&version));
        match kind.as_str() {
            "BASELINE" => baseline = Some(version),
            k if k.starts_with("UNDO") || k == "DELETE" => {}
            _ => {
                let success: bool = row.get::<_, Option<bool>>(4).unwrap_or(false);
                let status = if success { HistoryStatus::Applied } else { HistoryStatus::Failed };
                let mut r = plain_row(version, row.get::<_, Option<String>>(1).unwrap_or_default(), status, row.get(5));
                r.checksum = row.get::<_, Option<i32>>(3).map(|c| format!("crc32:{c}")).unwrap_or_default();
                if !success {
                    r.error = Some("Flyway recorded this migration as failed".into());
                }
                latest.push(r);
            }
        }
    }
    if let Some(baseline) = baseline {
        for m in set.migrations().iter().filter(|m| m.version <= baseline || m.version.same_number(&baseline)) {
            if !latest.iter().any(|r| r.version.same_number(&m.version)) {
                latest.push(plain_row(m.version.clone(), m.name.clone(), HistoryStatus::Applied, None));
            }
        }
    }
    latest.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(latest)
}

/// Atlas's rows: a file whose statements were not all applied, or with an error, stopped
/// part-way (failed, how far in `applied`) unless resolved by hand (type bit 4). A file's hash
/// covers every file before it, so after the first hash that differs the later ones say
/// nothing about their own files: their checksums are left unknown.
async fn read_atlas_history(conn: &Connection, set: &MigrationSet) -> Result<Vec<HistoryRow>, ApplyError> {
    let table = HistoryFormat::Atlas.table();
    let rows = query(
        conn,
        HistoryFormat::Atlas,
        "SELECT version::text, description::text, type, applied, total, error, hash::text,
                    to_char(executed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
               FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY version",
    )
    .await?;
    let mut history = Vec::new();
    for row in rows {
        let text: String = row.get::<_, Option<String>>(0).unwrap_or_default();
        // Atlas keeps rows of its own under versions that start with a dot.
        if text.starts_with('.') {
            continue;
        }
        let version = Version::parse_digits(&text)
            .ok_or_else(|| corrupt_table(table, format!("version \"{text}\" is not a number")))?;
        let kind: i64 = row.get::<_, Option<i64>>(2).unwrap_or(2);
        let (applied, total): (i64, i64) =
            (row.get::<_, Option<i64>>(3).unwrap_or(0), row.get::<_, Option<i64>>(4).unwrap_or(0));
        let error: Option<String> = row.get(5);
        let stopped = (applied < total || error.is_some()) && kind & 4 == 0 && kind & 1 == 0;
        let status = if stopped { HistoryStatus::Failed } else { HistoryStatus::Applied };
        let mut r = plain_row(version, row.get::<_, Option<String>>(1).unwrap_or_default(), status, row.get(7));
        r.checksum =
            row.get::<_, Option<String>>(6).filter(|h| !h.is_empty()).map(|h| format!("h1:{h}")).unwrap_or_default();
        if stopped {
            r.statements_done = applied.max(0) as usize;
            r.error = Some(error.unwrap_or_else(|| format!("Atlas applied {applied} of {total} statements")));
        }
        history.push(r);
    }
    history.sort_by(|a, b| a.version.cmp(&b.version));
    let first_changed = set
        .migrations()
        .iter()
        .find(|m| history.iter().any(|r| r.version.same_number(&m.version) && !m.checksum_matches(&r.checksum)));
    if let Some(changed) = first_changed {
        for r in history.iter_mut().filter(|r| r.version > changed.version) {
            r.checksum.clear();
        }
    }
    Ok(history)
}

/// Alembic's heads, as Alembic reads them: every revision that is a head or an ancestor of
/// one is applied. A head no revision file has is an error naming it (the folder is another
/// project's, or a file is gone): plumb does not guess what it stood for.
async fn read_alembic_history(conn: &Connection, set: &MigrationSet) -> Result<Vec<HistoryRow>, ApplyError> {
    let table = HistoryFormat::Alembic.table();
    let rows = query(conn, HistoryFormat::Alembic, "SELECT version_num::text FROM alembic_version").await?;
    let revisions: Vec<(&Migration, &crate::alembic::Revision)> =
        set.migrations().iter().filter_map(|m| m.revision.as_ref().map(|r| (m, r))).collect();
    let mut pending: Vec<String> = Vec::new();
    for row in &rows {
        let head: String = row.get::<_, Option<String>>(0).unwrap_or_default();
        if !revisions.iter().any(|(_, r)| r.id == head) {
            return Err(corrupt_table(
                table,
                format!(
                    "it names revision {head}, which no revision file of the folder has (an Alembic project's folder, \
                     with its versions/, is what plumb reads with it)"
                ),
            ));
        }
        pending.push(head);
    }
    let mut applied = std::collections::BTreeSet::new();
    while let Some(id) = pending.pop() {
        if applied.insert(id.clone())
            && let Some((_, r)) = revisions.iter().find(|(_, r)| r.id == id)
        {
            pending.extend(r.parents.iter().cloned());
        }
    }
    Ok(revisions
        .iter()
        .filter(|(_, r)| applied.contains(&r.id))
        .map(|(m, _)| plain_row(m.version.clone(), m.name.clone(), HistoryStatus::Applied, None))
        .collect())
}

/// Django's rows, matched to the project's migrations by `(app, name)`.
async fn read_django_history(conn: &Connection, set: &MigrationSet) -> Result<Vec<HistoryRow>, ApplyError> {
    let rows = query(
        conn,
        HistoryFormat::Django,
        "SELECT app::text, name::text, to_char(applied AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
           FROM django_migrations",
    )
    .await?;
    let recorded: std::collections::BTreeMap<(String, String), Option<String>> = rows
        .iter()
        .map(|r| {
            let text = |i: usize| r.get::<_, Option<String>>(i).unwrap_or_default();
            ((text(0), text(1)), r.get(2))
        })
        .collect();
    Ok(set
        .migrations()
        .iter()
        .filter_map(|m| {
            let step = m.runner.as_ref()?.django()?;
            let when = recorded.get(&(step.app.clone(), step.name.clone()))?;
            Some(plain_row(m.version.clone(), m.name.clone(), HistoryStatus::Applied, when.clone()))
        })
        .collect())
}

/// A row with only what tools other than plumb keep.
fn plain_row(version: Version, name: String, status: HistoryStatus, applied_at: Option<String>) -> HistoryRow {
    HistoryRow {
        version,
        name,
        checksum: String::new(),
        status,
        statements_done: 0,
        applied_at: applied_at.unwrap_or_default(),
        duration_ms: None,
        applied_by: String::new(),
        plumb_version: String::new(),
        error: None,
    }
}

/// golang-migrate's one row: the newest version, and whether it is dirty.
async fn read_golang_migrate_history(conn: &Connection) -> Result<Option<HistoryRow>, ApplyError> {
    let table = HistoryFormat::GolangMigrate.table();
    let rows = query(conn, HistoryFormat::GolangMigrate, "SELECT version::text, dirty FROM schema_migrations").await?;
    if rows.len() > 1 {
        return Err(corrupt_table(table, format!("{} rows where golang-migrate keeps one", rows.len())));
    }
    let Some(row) = rows.first() else { return Ok(None) };
    let text: String = row.get::<_, Option<String>>(0).unwrap_or_default();
    let version =
        Version::parse(&text).ok_or_else(|| corrupt_table(table, format!("version \"{text}\" is not a number")))?;
    let dirty: bool = row.get::<_, Option<bool>>(1).unwrap_or(false);
    let status = if dirty { HistoryStatus::Dirty } else { HistoryStatus::Applied };
    Ok(Some(HistoryRow {
        error: dirty.then(|| "golang-migrate left this version dirty: it failed part-way".to_owned()),
        ..plain_row(version, String::new(), status, None)
    }))
}

/// "Up to `newest`" as one row per file of `set` (the newest keeps its own status); a newest
/// version no file has stays as it is, so it shows as a missing file.
fn up_to(newest: Option<HistoryRow>, set: &MigrationSet) -> Vec<HistoryRow> {
    let Some(newest) = newest else { return Vec::new() };
    let mut rows: Vec<HistoryRow> = set
        .migrations()
        .iter()
        .filter(|m| m.version < newest.version && !m.version.same_number(&newest.version))
        .map(|m| HistoryRow {
            version: m.version.clone(),
            name: m.name.clone(),
            error: None,
            status: HistoryStatus::Applied,
            ..newest.clone()
        })
        .collect();
    // The file's own spelling of the number (`030` for golang-migrate's 30).
    match set.get(&newest.version) {
        Some(m) => rows.push(HistoryRow { name: m.name.clone(), version: m.version.clone(), ..newest }),
        None => rows.push(newest),
    }
    rows
}

async fn read_supabase_history(conn: &Connection) -> Result<Vec<HistoryRow>, ApplyError> {
    let table = HistoryFormat::Supabase.table();
    let rows =
        query(conn, HistoryFormat::Supabase, &format!("SELECT version::text, coalesce(name::text, '') FROM {table}"))
            .await?;
    let mut history = Vec::new();
    for row in rows {
        let text: Option<String> = row.get(0);
        let text = text.unwrap_or_default();
        let version = Version::parse(&text)
            .ok_or_else(|| corrupt_table(table, format!("row with version \"{text}\" is not a number")))?;
        history.push(plain_row(version, row.get(1), HistoryStatus::Applied, None));
    }
    history.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(history)
}

/// Prisma's rows, the latest attempt per migration: finished → applied; rolled back → not
/// applied (left out); neither → failed, with Prisma's logs as the error (its P3009 state).
async fn read_prisma_history(conn: &Connection) -> Result<Vec<HistoryRow>, ApplyError> {
    let table = HistoryFormat::Prisma.table();
    let rows = query(
        conn,
        HistoryFormat::Prisma,
        "SELECT migration_name::text, checksum::text, finished_at IS NOT NULL, rolled_back_at IS NOT NULL, logs::text,
                    to_char(coalesce(finished_at, started_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
               FROM _prisma_migrations ORDER BY started_at, migration_name",
    )
    .await?;
    let mut latest: std::collections::BTreeMap<String, HistoryRow> = std::collections::BTreeMap::new();
    for row in rows {
        let folder: String = row.get::<_, Option<String>>(0).unwrap_or_default();
        let (version_text, name) = folder.split_once('_').unwrap_or((&folder, ""));
        let version = Version::parse(version_text).ok_or_else(|| {
            corrupt_table(table, format!("migration_name \"{folder}\" does not start with a timestamp"))
        })?;
        let (finished, rolled_back): (bool, bool) = (row.get(2), row.get(3));
        if rolled_back {
            latest.remove(&folder);
            continue;
        }
        latest.insert(
            folder.clone(),
            HistoryRow {
                checksum: row.get::<_, Option<String>>(1).unwrap_or_default(),
                error: if finished { None } else { row.get(4) },
                ..plain_row(
                    version,
                    name.to_owned(),
                    if finished { HistoryStatus::Applied } else { HistoryStatus::Failed },
                    row.get(5),
                )
            },
        );
    }
    let mut history: Vec<HistoryRow> = latest.into_values().collect();
    history.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(history)
}

/// A table of versions (Diesel's, dbmate's): every row applied, no checksum.
async fn read_versions(conn: &Connection, format: HistoryFormat) -> Result<Vec<HistoryRow>, ApplyError> {
    let table = format.table();
    let when =
        if format == HistoryFormat::Diesel { "to_char(run_on, 'YYYY-MM-DD\"T\"HH24:MI:SS')" } else { "NULL::text" };
    let rows = query(conn, format, &format!("SELECT version::text, {when} FROM {table}")).await?;
    let mut history = Vec::new();
    for row in rows {
        let text: String = row.get::<_, Option<String>>(0).unwrap_or_default();
        let version = Version::parse(&text)
            .ok_or_else(|| corrupt_table(table, format!("row with version \"{text}\" is not a number")))?;
        history.push(plain_row(version, String::new(), HistoryStatus::Applied, row.get(1)));
    }
    history.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(history)
}

/// Runs one of the readers' queries; a failure names the table as unusable, never "empty".
async fn query(conn: &Connection, format: HistoryFormat, sql: &str) -> Result<Vec<Row>, ApplyError> {
    conn.client()
        .query(sql, &[])
        .await
        .map_err(|e| corrupt_table(format.table(), plumb_pg::PgError::from(e).to_string()))
}

fn corrupt_table(table: &str, reason: String) -> ApplyError {
    ApplyError::CorruptHistory {
        table: table.to_owned(),
        reason: format!("{reason}. Inspect it with `SELECT * FROM {table}`"),
    }
}

async fn read_plumb_history(conn: &Connection) -> Result<Vec<HistoryRow>, ApplyError> {
    let rows = conn
        .client()
        .query(
            "SELECT version::text, name::text, checksum::text, status::text, statements_done::int4,
                    to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    duration_ms::int8, applied_by::text, plumb_version::text, error::text
               FROM plumb.migrations",
            &[],
        )
        .await
        .map_err(|e| corrupt(plumb_pg::PgError::from(e).to_string()))?;
    let mut history = rows.iter().map(parse_row).collect::<Result<Vec<_>, _>>()?;
    history.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(history)
}

fn corrupt(reason: String) -> ApplyError {
    ApplyError::CorruptHistory {
        table: HISTORY_TABLE.to_owned(),
        reason: format!(
            "{reason}. Inspect it with `SELECT * FROM plumb.migrations` and fix the row by hand; or, if the \
             table is beyond repair, drop it (DROP TABLE plumb.migrations): verify then shows each migration the \
             schema holds as unrecorded, and `plumb repair --execute` records them"
        ),
    }
}

fn parse_row(row: &Row) -> Result<HistoryRow, ApplyError> {
    let version_text: Option<String> = row.get(0);
    let version_text = version_text.unwrap_or_default();
    let version = Version::parse(&version_text)
        .ok_or_else(|| corrupt(format!("row with version \"{version_text}\" is not a number")))?;
    let status_text: Option<String> = row.get(3);
    let status = match status_text.as_deref() {
        Some("applied") => HistoryStatus::Applied,
        Some("in_progress") => HistoryStatus::InProgress,
        Some("failed") => HistoryStatus::Failed,
        Some(other) => {
            return Err(corrupt(format!(
                "row {version} has the status \"{other}\", which is none of applied, in_progress, failed"
            )));
        }
        None => return Err(corrupt(format!("row {version} has no status"))),
    };
    let checksum: Option<String> = row.get(2);
    let statements_done: Option<i32> = row.get(4);
    Ok(HistoryRow {
        version,
        name: row.get::<_, Option<String>>(1).unwrap_or_default(),
        checksum: checksum.ok_or_else(|| corrupt(format!("row {version_text} has no checksum")))?,
        status,
        statements_done: statements_done.unwrap_or(0).max(0) as usize,
        applied_at: row.get::<_, Option<String>>(5).unwrap_or_default(),
        duration_ms: row.get(6),
        applied_by: row.get::<_, Option<String>>(7).unwrap_or_default(),
        plumb_version: row.get::<_, Option<String>>(8).unwrap_or_default(),
        error: row.get(9),
    })
}
