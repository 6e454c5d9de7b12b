//! Command-line arguments as clap sees them. Resolved into [`crate::settings`] once.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// plumb: PostgreSQL migrations that tell the truth.
///
/// plumb applies migrations so that history and schema never disagree: each
/// migration commits together with its history row, a crash is visible and
/// resumable, and two runs never apply the same migration twice.
///
/// Without --database-url (or DATABASE_URL), commands use the project's local
/// cluster under .plumb/pg, starting it if needed, and say so on stderr.
#[derive(Debug, Parser)]
#[command(name = "plumb", version, propagate_version = true, max_term_width = 100)]
#[command(after_help = "Exit codes: 0 ok, 1 findings (e.g. status found modified or missing files), 2 error.\n\
Examples:\n  plumb demo\n  plumb apply --dir migrations\n  DATABASE_URL=postgres://app@db/app plumb status --json")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Target database: a URL (postgres://user@host/db) or key=value settings, as psql takes them.
    /// PG* variables and .pgpass fill in what it leaves out.
    #[arg(long, short = 'd', env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// PostgreSQL major version for local clusters (default: the newest installed).
    #[arg(long, env = "PLUMB_PG_VERSION", global = true, value_name = "MAJOR")]
    pub pg_version: Option<u32>,

    /// Machine-readable output on stdout (see the README for the format).
    #[arg(long, global = true)]
    pub json: bool,

    /// When to use colors.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

/// When to use colors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations: each one together with its history row, or not at all.
    ///
    /// Takes a session advisory lock so that concurrent runs apply each migration once.
    /// Refuses to run when an applied migration's file changed or is missing.
    /// A no-transaction migration (first line `-- plumb:no-transaction`) is recorded
    /// in_progress first and resumed at its first unfinished statement after a crash.
    #[command(
        after_help = "Examples:\n  plumb apply\n  plumb apply --dir db/migrations --to 20240101120000\n  plumb apply --dry-run > plan.sql\n  plumb apply --lock-timeout 5s --statement-timeout 10min"
    )]
    Apply(ApplyArgs),

    /// Show each migration's state: applied, pending, modified, missing-file, in_progress, failed.
    ///
    /// Read-only. Exits 1 when a migration is modified, missing, failed or in_progress.
    /// With --verify, adds the truth: whether each migration is really present in the
    /// catalog (as `plumb verify` finds it), and exits 1 when history and schema disagree.
    #[command(
        after_help = "Examples:\n  plumb status\n  plumb status --dir prisma/migrations --json\n  plumb status --verify"
    )]
    Status(StatusArgs),

    /// Print the schema of a database: a summary, --json (the normalized catalog) or --sql.
    ///
    /// Read-only, one snapshot. System schemas, extension members and plumb's own
    /// history schema are left out.
    #[command(
        after_help = "Examples:\n  plumb inspect\n  plumb inspect --json > schema.json\n  plumb inspect --sql --schema public > schema.sql"
    )]
    Inspect(InspectArgs),

    /// The SQL that turns FROM into TO; exits 0 when they are equal, 1 when not.
    ///
    /// FROM and TO are each a database URL, a .sql file or a migrations folder
    /// (DIR@VERSION: up to that version). Files and folders are applied to a
    /// throwaway local cluster first.
    #[command(
        after_help = "Examples:\n  plumb diff migrations $DATABASE_URL\n  plumb diff migrations@0041 migrations --json\n  plumb diff old.sql new.sql"
    )]
    Diff(DiffArgs),

    /// Does the live schema match what the history says? Where not, why.
    ///
    /// Replays the migrations in a shadow database to learn what each one does (cached
    /// under .plumb/cache), then holds every migration's surviving effects against the
    /// live catalog: verified, phantom, partial, unrecorded, modified, unverifiable,
    /// pending. Read-only on the target. Exits 0 when history and schema agree, 1 when not.
    #[command(after_help = "Examples:\n  plumb verify\n  plumb verify --dir db/migrations --json")]
    Verify(DoctorArgs),

    /// Which migrations does the live schema really contain, whatever the history says?
    ///
    /// The frontier: the version whose expected schema the live one is closest to, with how
    /// many managed objects differ there and at its neighbours; the migrations the schema
    /// really holds; what remains different. Read-only. Exits 0 when that agrees with the
    /// history, 1 when not.
    #[command(after_help = "Examples:\n  plumb locate\n  plumb locate --json   (the distance at every candidate)")]
    Locate(DoctorArgs),

    /// What would happen if the pending migrations ran on that database? Nothing is written there.
    ///
    /// Clones the target's schema (no data; its roles as NOLOGIN roles) into a shadow,
    /// runs each pending statement there and reports, per statement: ok or failed (SQLSTATE,
    /// message, file:line:col), the locks it took, whether it rewrote a table or validates
    /// existing rows, and what a failure means (a missing relation, schema or function and
    /// which migration would create it; "already exists" from a partial earlier run; IF NOT
    /// EXISTS skipping a table of another shape). Lint findings are included.
    #[command(
        after_help = "Examples:\n  plumb check\n  plumb check --format markdown > preflight.md\n  plumb check --format github"
    )]
    Check(CheckArgs),

    /// A reviewed plan that brings history and schema back to the truth; --execute runs it.
    ///
    /// Plans from `verify`'s diagnosis, in two phases. Phase 1, one transaction: the history
    /// is rewritten to exactly the migrations up to the frontier (the point the live schema
    /// is closest to; further when a later migration is partly there), and every object the
    /// migrations manage is brought to the schema expected there: missing objects created,
    /// drift restored with its dependents (--partial undo drops a partial migration's empty
    /// tables instead). A missing migration whose file writes rows is run again where that
    /// is safe. Phase 2: the migrations after the frontier, in order, each in its own
    /// transaction, as `plumb apply` runs them. Unexplained objects are kept (--adopt
    /// captures them in a new migration). Without --execute, prints the plan in words and as
    /// a SQL script that runs unchanged in psql or a web SQL editor, and exits 1 when there
    /// is something to repair.
    ///
    /// --execute: the guards first (values that would not convert, tables that are not
    /// empty), a backup under .plumb/backups/, then phase 1 in one transaction that
    /// re-inspects before COMMIT (the schema must be the expected one, the history exactly
    /// the plan's) and holds every table the plan does not name to its row count and content
    /// checksum; otherwise ROLLBACK. Then phase 2. Recorded in plumb.events.
    #[command(
        after_help = "Examples:\n  plumb repair\n  plumb repair > repair.sql   (the script; review it, or run it with psql -1 -f)\n  plumb repair --execute --yes\n  plumb repair --partial undo --json"
    )]
    Repair(RepairArgs),

    /// Dangerous or broken statements in migration files, without a database.
    ///
    /// Each finding names its rule (`plumb lint --rules` lists them). Suppress one with a
    /// comment in the statement or on the line before it: `-- plumb:allow <rule-id> <reason>`.
    /// Exits 1 when a finding is at or above --fail-on (default: error).
    #[command(
        after_help = "Examples:\n  plumb lint\n  plumb lint migrations/0042_calls.sql --fail-on warning\n  plumb lint --format github"
    )]
    Lint(LintArgs),

    /// Manage the project's local PostgreSQL cluster under .plumb/pg.
    #[command(subcommand)]
    Pg(PgCommand),

    /// The five incidents of examples/incidents/README.md, each built, diagnosed and repaired.
    ///
    /// On a throwaway local cluster: each incident gets a database with data in it; plumb
    /// runs status, verify, locate and check on it, shows the diagnosis, repairs it, verifies
    /// it clean and prints a summary table. Nothing outside the throwaway cluster is touched.
    #[command(after_help = "Examples:\n  plumb demo\n  plumb demo --report demo-report")]
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Also write the summary as Markdown and HTML (demo.md, demo.html) into this folder.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,

    /// Instead: build incident N (1-5) on the target database (--database-url), with its
    /// migrations written to --dir, to try plumb status/verify/repair on it by hand.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    pub build: Option<u8>,

    /// Where --build writes the incident's migrations.
    #[arg(long, default_value = "migrations", requires = "build")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    #[command(flatten)]
    pub doctor: DoctorArgs,

    /// Write the SQL script to this file (mode 0600) instead of stdout: plumb never prints a
    /// script with a secret in it masked, since it would build something else.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Run the plan (asks for confirmation on a terminal; pass --yes otherwise).
    #[arg(long)]
    pub execute: bool,

    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// How to repair a partially applied migration.
    #[arg(long, value_enum, default_value_t = PartialChoice::Complete)]
    pub partial: PartialChoice,

    /// Never run this missing migration's file again: create its objects by DDL (its data
    /// statements are listed, not run). Repeatable.
    #[arg(long, value_name = "VERSION")]
    pub no_rerun: Vec<String>,

    /// Run this missing migration's file again even where plumb cannot tell that is safe (a
    /// later migration touched its tables); the transaction still holds the result to the
    /// expected schema, and rolls back if it is not. Repeatable.
    #[arg(long, value_name = "VERSION", conflicts_with = "no_rerun")]
    pub rerun: Vec<String>,

    /// Write a new migration that creates the unexplained objects, and record it.
    #[arg(long)]
    pub adopt: bool,

    /// How long a step may wait for a lock before the repair gives up (and changes nothing).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5s", value_name = "DURATION")]
    pub lock_timeout: std::time::Duration,
}

/// How to repair a partially applied migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PartialChoice {
    /// Create only what is missing, from the expected schema; keep what exists.
    Complete,
    /// Drop what exists (only tables without rows; dependents listed), then apply it whole.
    Undo,
}

#[derive(Debug, Args)]
pub struct DirArgs {
    /// Folder of migrations: plumb's <version>_<name>.sql files, or another tool's folder
    /// (Prisma, Diesel, Drizzle, golang-migrate, dbmate, goose, sqlx, Flyway, Atlas, Supabase
    /// CLI). Default: `migrations` in plumb.toml, else ./migrations.
    #[arg(long, env = "PLUMB_MIGRATIONS_DIR")]
    pub dir: Option<PathBuf>,

    /// Read the folder as this tool's, whatever its shape suggests, and prefer its history
    /// table: plumb, supabase, prisma, diesel, drizzle, golang-migrate, dbmate, goose, sqlx,
    /// flyway, atlas. Default: `tool` in plumb.toml, else what the folder's shape says.
    #[arg(long, value_name = "NAME", env = "PLUMB_TOOL")]
    pub tool: Option<String>,

    /// Any other tool, by command: run it once per version, `{version}` replaced, against the
    /// database plumb points it at (DATABASE_URL and PG* set). Rails:
    /// 'bin/rails db:migrate VERSION={version}'; Knex: 'npx knex migrate:up {version}_*.js'.
    #[arg(long, value_name = "CMD", env = "PLUMB_REPLAY_WITH")]
    pub replay_with: Option<String>,

    /// With --replay-with: a command that prints the versions, one per line (`<version>
    /// [name]`), oldest first. Default: the <version>_<name> files of --dir.
    #[arg(long, value_name = "CMD", env = "PLUMB_VERSIONS_FROM", requires = "replay_with")]
    pub versions_from: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub dir: DirArgs,

    /// Write the SQL script to this file (mode 0600) instead of stdout: plumb never prints a
    /// script with a secret in it masked, since it would build something else.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Apply up to and including this version.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,

    /// Print the SQL that would run (runs unchanged in psql or a web SQL editor); change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// lock_timeout for migration statements, e.g. 5s (default: the server's setting).
    #[arg(long, value_name = "DURATION")]
    pub lock_timeout: Option<String>,

    /// statement_timeout for migration statements, e.g. 10min (default: the server's setting).
    #[arg(long, value_name = "DURATION")]
    pub statement_timeout: Option<String>,

    /// How long to wait for another apply to finish before giving up.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub lock_wait: String,

    /// Go on although applied migrations' files changed or are missing (their changes are NOT applied).
    #[arg(long)]
    pub allow_modified: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub doctor: DoctorArgs,

    /// Output format (--json is the same as --format json).
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,

    /// Exit 1 when a finding is at least this severe (failed statements are errors).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

/// How the preflight report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// A table per statement, then the failures explained.
    Text,
    /// The JSON contract.
    Json,
    /// The verification report: PASS/FAIL per area, every failure with its fix.
    Markdown,
    /// The same report as a standalone HTML page.
    Html,
    /// GitHub Actions workflow annotations.
    Github,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or folders to lint (default: the migrations folder).
    pub paths: Vec<std::path::PathBuf>,

    /// The migrations folder, when no PATH is given.
    #[arg(long, default_value = "migrations", env = "PLUMB_MIGRATIONS_DIR")]
    pub dir: std::path::PathBuf,

    /// Output format (--json is the same as --format json).
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,

    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    /// List the rules and exit.
    #[arg(long)]
    pub rules: bool,
}

/// How lint findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// file:line:column: severity [rule] message.
    Text,
    /// The JSON contract.
    Json,
    /// GitHub Actions workflow annotations.
    Github,
}

/// The severity that fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Warnings and errors.
    Warning,
    /// Errors only.
    Error,
    /// Never.
    Never,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub doctor: DoctorArgs,

    /// Also say whether each migration is really present (replays the migrations; cached).
    #[arg(long)]
    pub verify: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub dir: DirArgs,

    /// verify, status --verify: count grants made outside the migrations (a read-only role's
    /// GRANT SELECT) as disagreement too. By default they are listed and do not fail.
    #[arg(long)]
    pub strict: bool,

    #[command(flatten)]
    pub shadow: ShadowArgs,
}

/// Where migrations are replayed.
#[derive(Debug, Args)]
pub struct ShadowArgs {
    /// A server where plumb may create (and drops afterwards) a temporary database to replay
    /// migrations in. Default: the project cluster (.plumb/pg, started if stopped) when it is of
    /// the target's major version, else a throwaway local cluster of that version.
    #[arg(long, env = "PLUMB_SHADOW_URL", hide_env_values = true)]
    pub shadow_url: Option<String>,

    /// Replay in a temporary database on the target's own server (needs CREATEDB there).
    #[arg(long, conflicts_with = "shadow_url")]
    pub shadow_on_target: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Write the SQL script to this file (mode 0600) instead of stdout: plumb never prints a
    /// script with a secret in it masked, since it would build something else.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the schema as a SQL script that recreates it (runs in psql or a web SQL editor).
    #[arg(long, conflicts_with = "json")]
    pub sql: bool,

    /// Only these schemas (repeatable).
    #[arg(long = "schema", value_name = "SCHEMA")]
    pub schemas: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Write the SQL script to this file (mode 0600) instead of stdout: plumb never prints a
    /// script with a secret in it masked, since it would build something else.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The schema to start from: a database URL, a .sql file, or a migrations folder (DIR@VERSION).
    pub from: String,
    /// The schema to arrive at, in the same forms.
    pub to: String,
    /// Only these schemas (repeatable).
    #[arg(long = "schema", value_name = "SCHEMA")]
    pub schemas: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum PgCommand {
    /// Create (first time) and start the project cluster; prints its URL.
    Start,
    /// Stop the project cluster.
    Stop,
    /// Say whether the project cluster runs, and where.
    Status,
    /// Print the project cluster's connection URL.
    Url,
}
