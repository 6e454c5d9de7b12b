//! Running a repair plan, guarded: the advisory lock; the guards before anything runs;
//! a backup of what the plan touches; then one transaction in which the plan runs, the
//! schema is inspected and verified again, and every table the plan does not name is
//! held to its row count and content checksum. Only if all of that holds does it commit;
//! otherwise it rolls back and says why. Either way, `plumb.events` records it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use plumb_catalog::{HISTORY_SCHEMAS, HISTORY_TABLES, InspectOptions};
use plumb_migrate::{MigrationSet, failpoint};
use plumb_pg::{ConnInfo, Connection, PgError};
use serde::Serialize;

use crate::diagnose::{diagnose, unconverged};
use crate::objects::objects;
use crate::plan::Plan;
use crate::replay::Replay;

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct ExecuteOptions {
    /// `lock_timeout` inside the transaction: a repair waits this long for a table, then gives up.
    pub lock_timeout: Duration,
    /// How long to wait for another apply or repair to finish.
    pub lock_wait: Duration,
    /// Where backups go: each run in a folder of its own, named by the server's clock
    /// (`<backups>/20261202T071500.123Z`).
    pub backups: PathBuf,
    /// Recorded in `plumb.events`.
    pub plumb_version: String,
}

/// A repair that could not start, or broke off; the database is as it was.
#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    /// A guard failed: nothing ran.
    #[error("refused before anything ran: {0}")]
    Guard(String),
    /// Another apply or repair holds the lock, or the lock could not be taken.
    #[error("{0}")]
    Lock(#[from] plumb_migrate::ApplyError),
    /// The backup could not be written: nothing ran.
    #[error("could not back up before repairing: {}: {source}", path.display())]
    Backup {
        /// The folder or file that could not be written.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A step failed; the transaction was rolled back.
    #[error("step {index} ({summary}) failed, so nothing was changed: {error}")]
    Step {
        /// 1-based.
        index: usize,
        /// What the step does.
        summary: String,
        /// The server's error, with its SQLSTATE.
        #[source]
        error: PgError,
    },
    /// Talking to the database failed.
    #[error("{0}")]
    Pg(#[from] PgError),
    /// Inspecting the result failed; the transaction was rolled back.
    #[error("could not re-inspect the result, so nothing was changed: {0}")]
    Inspect(#[from] plumb_catalog::InspectError),
    /// Reading the history back failed; the transaction was rolled back.
    #[error("could not re-read the history, so nothing was changed: {0}")]
    History(#[source] plumb_migrate::ApplyError),
    /// The adoption migration the plan records could not join the set; nothing ran.
    #[error("the adoption migration cannot join the set, so nothing was changed: {0}")]
    Adoption(#[source] plumb_migrate::LoadError),
    /// Phase 1 committed (history and schema agree up to the convergence point), then a
    /// migration after it failed as `plumb apply` would fail: nothing of that one is applied.
    #[error("history and schema now agree up to {converged}; then {error}")]
    RollForward {
        /// The version phase 1 converged to (`none`).
        converged: String,
        /// What failed.
        #[source]
        error: plumb_migrate::ApplyError,
    },
}

plumb_pg::forward_diagnostic!(RepairError, |e| match e {
    RepairError::Lock(e) | RepairError::History(e) | RepairError::RollForward { error: e, .. } => Some(e),
    RepairError::Step { error: e, .. } | RepairError::Pg(e) => Some(e),
    RepairError::Inspect(e) => Some(e),
    RepairError::Adoption(e) => Some(e),
    RepairError::Guard(_) | RepairError::Backup { .. } => None,
});

/// The row count and a content checksum of one table.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    /// Rows.
    rows: i64,
    /// Order-independent sum of the rows' hashes (empty: not computed, only counted).
    checksum: String,
}

/// Where the backup is and how to restore it.
#[derive(Debug, Clone)]
pub struct Backup {
    /// The folder.
    pub dir: PathBuf,
    /// `pg_dump` or `copy`.
    pub method: &'static str,
    /// The tables in it.
    pub tables: Vec<String>,
    /// How to restore it, in words.
    pub restore: String,
}

/// What an execution did.
#[derive(Debug, Clone)]
pub struct Executed {
    /// The backup taken first.
    pub backup: Backup,
    /// Whether the plan committed.
    pub committed: bool,
    /// Why it rolled back (empty when it committed).
    pub reasons: Vec<String>,
    /// Tables held to their row count and checksum.
    pub tables_checked: usize,
    /// Per table: rows before and after the plan.
    pub rows: BTreeMap<String, (Option<i64>, Option<i64>)>,
    /// Milliseconds the transaction took.
    pub duration_ms: u128,
    /// Migrations applied after the convergence, in order (phase 2).
    pub rolled_forward: Vec<String>,
}

const AUDIT_TABLE: &str = "
CREATE SCHEMA IF NOT EXISTS plumb;
CREATE TABLE IF NOT EXISTS plumb.events (
    id            bigserial   PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    command       text        NOT NULL,
    outcome       text        NOT NULL,
    detail        text,
    plan          jsonb       NOT NULL,
    by_role       text        NOT NULL DEFAULT current_user,
    plumb_version text        NOT NULL
);
COMMENT ON TABLE plumb.events IS 'What plumb repair did to this database, and how it ended.';
";

/// Runs `plan` on `conn` (the database described by `info`), checking its result against
/// `set` as `replay` expects it; then applies the migrations after the convergence point,
/// telling `observer` as `apply` does. See the module documentation for the guarantees.
pub async fn execute(
    conn: &Connection,
    info: &ConnInfo,
    plan: &Plan,
    set: &MigrationSet,
    replay: &Replay,
    options: &ExecuteOptions,
    observer: &dyn plumb_migrate::ApplyObserver,
) -> Result<Executed, RepairError> {
    // The adopted migration is recorded by the plan: the history is read with it.
    let with_adopted;
    let set = match &plan.adopted {
        Some(m) => {
            with_adopted = set.with_migration(m.clone()).map_err(RepairError::Adoption)?;
            &with_adopted
        }
        None => set,
    };
    plumb_migrate::lock(conn, options.lock_wait).await?;
    let result = execute_locked(conn, info, plan, set, replay, options).await;
    let result = match result {
        Ok(mut executed) if executed.committed && !plan.roll_forward.is_empty() => {
            match roll_forward(conn, plan, set, options, observer).await {
                Ok(applied) => {
                    executed.rolled_forward = applied;
                    Ok(executed)
                }
                Err(error) => Err(RepairError::RollForward {
                    converged: plan.converge_version.clone().unwrap_or_else(|| "none".into()),
                    error,
                }),
            }
        }
        other => other,
    };
    plumb_migrate::unlock(conn).await;
    result
}

/// Phase 2: the ordinary apply path, up to the last migration the plan names. The lock is
/// held already (advisory locks nest within a session).
async fn roll_forward(
    conn: &Connection,
    plan: &Plan,
    set: &MigrationSet,
    options: &ExecuteOptions,
    observer: &dyn plumb_migrate::ApplyObserver,
) -> Result<Vec<String>, plumb_migrate::ApplyError> {
    let apply = plumb_migrate::ApplyOptions {
        to: plan.roll_forward.last().and_then(|v| plumb_migrate::Version::parse(v)),
        lock_wait: options.lock_wait,
        plumb_version: options.plumb_version.clone(),
        create_history: plan.history,
        ..plumb_migrate::ApplyOptions::default()
    };
    let report = plumb_migrate::apply(conn, set, &apply, observer).await?;
    Ok(report.applied.into_iter().map(|a| a.version).collect())
}

async fn execute_locked(
    conn: &Connection,
    info: &ConnInfo,
    plan: &Plan,
    set: &MigrationSet,
    replay: &Replay,
    options: &ExecuteOptions,
) -> Result<Executed, RepairError> {
    if plan.steps.is_empty() {
        // Nothing for phase 1: the history already tells the truth up to the convergence point.
        let backup =
            Backup { dir: options.backups.clone(), method: "none", tables: Vec::new(), restore: String::new() };
        return Ok(Executed {
            backup,
            committed: true,
            reasons: Vec::new(),
            tables_checked: 0,
            rows: BTreeMap::new(),
            duration_ms: 0,
            rolled_forward: Vec::new(),
        });
    }
    // Guards first, read-only: a refusal leaves not even a backup behind.
    conn.batch("BEGIN READ ONLY").await?;
    let guards = run_guards(conn, plan).await;
    conn.batch("ROLLBACK").await?;
    guards?;

    let existing = existing_tables(conn).await?;
    let mut touched: Vec<String> = plan.tables.iter().filter(|t| existing.contains(*t)).cloned().collect();
    let history = plan.history.table();
    let history_exists: bool =
        conn.client().query_one("SELECT to_regclass($1) IS NOT NULL", &[&history]).await.map_err(PgError::from)?.get(0);
    if history_exists {
        touched.push(history.to_owned());
    }
    let stamp: String = conn
        .client()
        .query_one("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS.MS\"Z\"')", &[])
        .await
        .map_err(PgError::from)?
        .get(0);
    let pg_dump = pg_dump_for(conn.server_major());
    let backup = backup(conn, info, touched, &options.backups.join(stamp), pg_dump.as_deref()).await?;

    let started = Instant::now();
    conn.batch(&format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ;\nSET LOCAL lock_timeout = '{}ms';\nSET LOCAL check_function_bodies = false;",
        options.lock_timeout.as_millis()
    ))
    .await?;
    let outcome = run_in_transaction(conn, plan, set, replay).await;
    let (reasons, rows, tables_checked) = match outcome {
        Ok(checked) => checked,
        Err(e) => {
            let _ = conn.batch("ROLLBACK").await;
            audit(conn, plan, "failed", &e.to_string(), options).await;
            return Err(e);
        }
    };
    let committed = reasons.is_empty();
    if committed {
        audit_in_transaction(conn, plan, options).await?;
        failpoint("repair:before-commit");
        conn.batch("COMMIT").await?;
    } else {
        conn.batch("ROLLBACK").await?;
        audit(conn, plan, "rolled back", &reasons.join("; "), options).await;
    }
    Ok(Executed {
        backup,
        committed,
        reasons,
        tables_checked,
        rows,
        duration_ms: started.elapsed().as_millis(),
        rolled_forward: Vec::new(),
    })
}

type Checked = (Vec<String>, BTreeMap<String, (Option<i64>, Option<i64>)>, usize);

/// Inside the transaction: guards again, the steps, then the checks. Returns why it must
/// roll back (nothing: commit), the row counts and how many tables were held to theirs.
async fn run_in_transaction(
    conn: &Connection,
    plan: &Plan,
    set: &MigrationSet,
    replay: &Replay,
) -> Result<Checked, RepairError> {
    run_guards(conn, plan).await?;
    let before = fingerprints(conn, &plan.tables).await?;
    for (i, step) in plan.steps.iter().enumerate() {
        failpoint(&format!("repair:step:{}", i + 1));
        conn.batch(&step.sql).await.map_err(|error| RepairError::Step {
            index: i + 1,
            summary: step.summary.clone(),
            error,
        })?;
    }
    failpoint("repair:before-verify");
    let mut reasons = Vec::new();

    // The schema and the history, as this transaction leaves them, must be at the
    // convergence point exactly.
    let options = InspectOptions { within_transaction: true, ..InspectOptions::default() };
    let live = plumb_catalog::inspect(conn, &options).await?;
    let live = objects(&live);
    for d in unconverged(replay, plan.converge_to, &live) {
        reasons.push(format!("after the plan, {d}"));
    }
    let history = plumb_migrate::read_history(conn, set).await.map_err(RepairError::History)?.unwrap_or_default();
    // By number: a tool that keeps integers records 30 for the file 030.
    let recorded: BTreeSet<&str> = history
        .iter()
        .filter(|r| r.status == plumb_migrate::HistoryStatus::Applied)
        .map(|r| r.version.significant_or_zero())
        .collect();
    let wanted_versions: Vec<plumb_migrate::Version> =
        plan.recorded_after.iter().filter_map(|v| plumb_migrate::Version::parse(v)).collect();
    let wanted: BTreeSet<&str> = wanted_versions.iter().map(|v| v.significant_or_zero()).collect();
    if recorded != wanted {
        let extra: Vec<&&str> = recorded.difference(&wanted).collect();
        let lacking: Vec<&&str> = wanted.difference(&recorded).collect();
        reasons.push(format!("after the plan, the history records {extra:?} too many and lacks {lacking:?}"));
    }
    let kept: BTreeSet<_> = plan.kept.iter().collect();
    for u in diagnose(set, replay, &history, &live).unexplained.iter().filter(|u| !kept.contains(u)) {
        reasons.push(format!("after the plan, {u} exists and no migration creates it"));
    }

    // Every table the plan does not name keeps its rows, exactly.
    let after = fingerprints(conn, &plan.tables).await?;
    let named: BTreeSet<&str> = plan.tables.iter().map(String::as_str).collect();
    let mut checked = 0;
    let mut rows = BTreeMap::new();
    for (table, fp) in &before {
        let now = after.get(table);
        rows.insert(table.clone(), (Some(fp.rows), now.map(|f| f.rows)));
        if named.contains(table.as_str()) {
            continue;
        }
        checked += 1;
        match now {
            None => reasons.push(format!("{table} is gone, and the plan does not name it")),
            Some(now) if now != fp => reasons.push(format!(
                "{table} changed ({} rows before, {} after, checksum {}), and the plan does not name it",
                fp.rows,
                now.rows,
                if now.checksum == fp.checksum { "same" } else { "differs" }
            )),
            Some(_) => {}
        }
    }
    for (table, fp) in &after {
        rows.entry(table.clone()).or_insert((None, Some(fp.rows)));
    }
    Ok((reasons, rows, checked))
}

async fn run_guards(conn: &Connection, plan: &Plan) -> Result<(), RepairError> {
    for guard in &plan.guards {
        if let Err(e) = conn.batch(&guard.sql()).await {
            let message = e.server_error().map(|s| s.message.clone()).unwrap_or_else(|| e.to_string());
            return Err(RepairError::Guard(plumb_pg::redact(&message)));
        }
    }
    Ok(())
}

/// Every user table (leaf tables and materialized views hold the rows), outside the history
/// schemas, named as the catalog model names them: `schema.table`, each part quoted where SQL
/// needs it, so a name is usable in SQL as it is.
async fn existing_tables(conn: &Connection) -> Result<BTreeSet<String>, PgError> {
    let rows = conn
        .client()
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'm')
                AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
                AND n.nspname <> ALL ($1) AND c.relname <> ALL ($2)",
            &[&HISTORY_SCHEMAS.to_vec(), &HISTORY_TABLES.to_vec()],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Rows of each of `tables` that exists (one the plan creates has none yet).
pub async fn count_rows(conn: &Connection, tables: &[String]) -> Result<BTreeMap<String, i64>, PgError> {
    let existing = existing_tables(conn).await?;
    let mut out = BTreeMap::new();
    for table in tables.iter().filter(|t| existing.contains(*t)) {
        let row = conn.client().query_one(&format!("SELECT count(*) FROM {table}"), &[]).await?;
        out.insert(table.clone(), row.get(0));
    }
    Ok(out)
}

/// Row count and content checksum of every user table; only the count for the tables in
/// `count_only` (a plan's own tables, whose content it may change). The checksum sums a 64-bit
/// hash of each row's text, so it is independent of row order and sees every changed, added or
/// removed row.
async fn fingerprints(conn: &Connection, count_only: &[String]) -> Result<BTreeMap<String, Fingerprint>, PgError> {
    let mut out = BTreeMap::new();
    for table in existing_tables(conn).await? {
        let checksum =
            if count_only.contains(&table) { "''" } else { "coalesce(sum(hashtextextended(t::text, 0)), 0)::text" };
        let sql = format!("SELECT count(*), {checksum} FROM {table} t");
        let row = conn.client().query_one(&sql, &[]).await?;
        out.insert(table, Fingerprint { rows: row.get(0), checksum: row.get(1) });
    }
    Ok(out)
}

/// A `pg_dump` at least as new as the server: the server's own major first (`PLUMB_PG_BIN`
/// is honoured there), else any newer installation.
fn pg_dump_for(server_major: u32) -> Option<PathBuf> {
    plumb_pg::discover(Some(server_major))
        .into_iter()
        .chain(plumb_pg::installed())
        .filter(|b| b.major >= server_major)
        .map(|b| b.program("pg_dump"))
        .find(|p| p.is_file())
}

/// Backs up `tables` (existing ones, named as the catalog model names them) with `pg_dump`,
/// else with `COPY`.
async fn backup(
    conn: &Connection,
    info: &ConnInfo,
    tables: Vec<String>,
    dir: &Path,
    pg_dump: Option<&Path>,
) -> Result<Backup, RepairError> {
    std::fs::create_dir_all(dir).map_err(|source| RepairError::Backup { path: dir.to_owned(), source })?;
    let mut why_not_pg_dump = String::from("pg_dump not found");
    if let Some(pg_dump) = pg_dump {
        let file = dir.join("backup.sql");
        let mut without_password = info.clone();
        without_password.password = None;
        let mut command = std::process::Command::new(pg_dump);
        command.arg("--dbname").arg(without_password.to_url_with_password()).arg("--file").arg(&file);
        for t in &tables {
            command.arg("--table").arg(t);
        }
        // The password goes by environment, never on a command line others can read.
        if let Some(p) = &info.password {
            command.env("PGPASSWORD", p);
        }
        match command.output() {
            Ok(out) if out.status.success() => {
                return Ok(Backup {
                    dir: dir.to_owned(),
                    method: "pg_dump",
                    restore: format!(
                        "the touched tables, schema and rows, are in {}: to restore, drop them and run that file with psql (psql -1 -f backup.sql)",
                        file.display()
                    ),
                    tables,
                });
            }
            Ok(out) => why_not_pg_dump = plumb_pg::redact(String::from_utf8_lossy(&out.stderr).trim()),
            Err(e) => why_not_pg_dump = e.to_string(),
        }
    }
    for t in &tables {
        let file = dir.join(format!("{t}.copy"));
        let data = copy_out(conn, &format!("COPY {t} TO STDOUT")).await?;
        std::fs::write(&file, data).map_err(|source| RepairError::Backup { path: file.clone(), source })?;
    }
    Ok(Backup {
        dir: dir.to_owned(),
        method: "copy",
        restore: format!(
            "pg_dump was not usable ({why_not_pg_dump}); the rows of each touched table are in {}/<table>.copy (COPY text format): to restore one, TRUNCATE it and load the file with psql's \\copy <table> FROM '<file>'",
            dir.display()
        ),
        tables,
    })
}

async fn copy_out(conn: &Connection, sql: &str) -> Result<Vec<u8>, PgError> {
    let stream = conn.client().copy_out(sql).await?;
    let mut stream = std::pin::pin!(stream);
    let mut data = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| futures_core::Stream::poll_next(stream.as_mut(), cx)).await {
        data.extend_from_slice(&chunk?);
    }
    Ok(data)
}

/// The audit row of a committing repair, in its own transaction.
async fn audit_in_transaction(conn: &Connection, plan: &Plan, options: &ExecuteOptions) -> Result<(), PgError> {
    // "schema plumb already exists" is no news.
    conn.batch(&format!("SET LOCAL client_min_messages = warning;\n{AUDIT_TABLE}")).await?;
    insert_event(conn, plan, "committed", "", options).await
}

/// The audit row of a repair that did not commit (best effort: the connection may be gone).
async fn audit(conn: &Connection, plan: &Plan, outcome: &str, detail: &str, options: &ExecuteOptions) {
    if conn.batch(&format!("BEGIN;\nSET LOCAL client_min_messages = warning;\n{AUDIT_TABLE}")).await.is_ok()
        && insert_event(conn, plan, outcome, detail, options).await.is_ok()
    {
        let _ = conn.batch("COMMIT").await;
    } else {
        let _ = conn.batch("ROLLBACK").await;
    }
}

/// What `plumb.events` keeps of a plan: a versioned record, not the internal `Plan` (which
/// may change shape from one plumb version to the next).
#[derive(Serialize)]
struct AuditRecord<'a> {
    /// Bumped when a field changes meaning or disappears.
    format: u32,
    history_table: &'static str,
    converge_to: Option<&'a str>,
    guards: Vec<String>,
    steps: Vec<AuditStep<'a>>,
    roll_forward: &'a [String],
    tables: &'a [String],
    kept: Vec<String>,
}

#[derive(Serialize)]
struct AuditStep<'a> {
    kind: &'static str,
    migrations: &'a [String],
    summary: &'a str,
    sql: &'a str,
}

impl<'a> AuditRecord<'a> {
    fn of(plan: &'a Plan) -> Self {
        AuditRecord {
            format: 1,
            history_table: plan.history.table(),
            converge_to: plan.converge_version.as_deref(),
            guards: plan.guards.iter().map(|g| g.describe()).collect(),
            steps: plan
                .steps
                .iter()
                .map(|s| AuditStep {
                    kind: s.kind.as_str(),
                    migrations: &s.migrations,
                    summary: &s.summary,
                    sql: &s.sql,
                })
                .collect(),
            roll_forward: &plan.roll_forward,
            tables: &plan.tables,
            kept: plan.kept.iter().map(ToString::to_string).collect(),
        }
    }
}

async fn insert_event(
    conn: &Connection,
    plan: &Plan,
    outcome: &str,
    detail: &str,
    options: &ExecuteOptions,
) -> Result<(), PgError> {
    let plan_json = plumb_pg::redact(&serde_json::to_string(&AuditRecord::of(plan)).expect("records serialize"));
    conn.client()
        .execute(
            "INSERT INTO plumb.events (command, outcome, detail, plan, plumb_version) VALUES ('repair', $1, $2, $3::text::jsonb, $4)",
            &[&outcome, &detail, &plan_json, &options.plumb_version],
        )
        .await?;
    Ok(())
}
