//! The apply algorithm, top to bottom: lock, ensure history, refuse on
//! modified or missing files, apply each pending migration with its history
//! row, unlock.
//!
//! A transactional migration is sent as the file's own text inside a
//! transaction that also writes its history row: both commit or neither does.
//! A `-- plumb:no-transaction` migration is recorded `in_progress` first; then
//! each statement commits together with the counter of statements done, except
//! statements PostgreSQL refuses to run in a transaction (such as
//! `CREATE INDEX CONCURRENTLY`), which run alone with the counter updated right
//! after. A crash leaves the row `in_progress` at the first unfinished
//! statement, where the next apply resumes.

use std::time::{Duration, Instant};

use plumb_pg::{CATALOG_COUNTS_SQL, CatalogCounts, CatalogWrites};
use plumb_pg::{Connection, PgError, ServerError};
use plumb_sql::StatementKind;

use crate::error::{ApplyError, LockHolder, MigrationFailure, SourceLocation};
use crate::failpoint::failpoint;
use crate::history::{self, HistoryFormat, HistoryRow, HistoryStatus};
use crate::migration::{Migration, MigrationSet, Version};

/// The advisory lock key all plumb applies take: "plumb" in ASCII.
const LOCK_KEY: i64 = 0x70_6c_75_6d_62;

/// How an apply behaves.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Apply up to and including this version only.
    pub to: Option<Version>,
    /// `lock_timeout` for migration statements (none: the server's setting).
    pub lock_timeout: Option<Duration>,
    /// `statement_timeout` for migration statements (none: the server's setting).
    pub statement_timeout: Option<Duration>,
    /// How long to wait for another apply to release the lock.
    pub lock_wait: Duration,
    /// Apply even though applied migrations' files changed or are missing.
    pub allow_modified: bool,
    /// Recorded in each history row.
    pub plumb_version: String,
    /// The history table to create when the database keeps none: the one of the tool whose
    /// layout the migrations come in, so that the tool agrees afterwards.
    pub create_history: HistoryFormat,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            to: None,
            lock_timeout: None,
            statement_timeout: None,
            lock_wait: Duration::from_secs(60),
            allow_modified: false,
            plumb_version: String::new(),
            create_history: HistoryFormat::Plumb,
        }
    }
}

/// Progress, as it happens. Every method has a do-nothing default.
pub trait ApplyObserver {
    /// The plan is known: these migrations will run, in this order.
    fn planned(&self, _planned: &[PlannedMigration<'_>]) {}
    /// A migration starts; `resume_from` > 0 when an interrupted one resumes.
    fn migration_started(&self, _migration: &Migration, _resume_from: usize) {}
    /// Statement `index` (0-based) of a no-transaction migration committed.
    fn statement_done(&self, _migration: &Migration, _index: usize) {}
    /// A migration committed with its history row.
    fn migration_done(&self, _migration: &Migration, _elapsed: Duration) {}
    /// Something the user should know that does not stop the run.
    fn warning(&self, _message: &str) {}
}

/// A migration the apply will run.
#[derive(Debug, Clone)]
pub struct PlannedMigration<'a> {
    /// The migration.
    pub migration: &'a Migration,
    /// First statement to run (non-zero when resuming an interrupted no-transaction migration).
    pub resume_from: usize,
    /// Whether it has a history row already (in_progress/failed).
    pub recorded: bool,
}

/// What an apply did.
#[derive(Debug, Clone, Default)]
pub struct ApplyReport {
    /// Migrations applied, in order.
    pub applied: Vec<AppliedMigration>,
    /// Things the user should know.
    pub warnings: Vec<String>,
}

/// One applied migration.
#[derive(Debug, Clone)]
pub struct AppliedMigration {
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// Statements it has.
    pub statements: usize,
    /// Where it resumed, if it was interrupted before.
    pub resumed_from: Option<usize>,
    /// How long it took this time.
    pub duration: Duration,
}

/// Decides what to run: pending migrations in order, interrupted ones resumed,
/// refusing when applied files changed or vanished (unless allowed). Pure.
pub fn plan_apply<'a>(
    set: &'a MigrationSet,
    history: &[HistoryRow],
    options: &ApplyOptions,
) -> Result<(Vec<PlannedMigration<'a>>, Vec<String>), ApplyError> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for row in history {
        match set.get(&row.version) {
            None => problems.push(format!(
                "migration {} ({}) is recorded as {} but no file has its version",
                row.version,
                row.name,
                row.status.as_str()
            )),
            // An empty recorded checksum: the history format keeps none, so no change can be seen.
            Some(m) if !m.checksum_matches(&row.checksum) => problems.push(format!(
                "{} changed after it was {} (recorded checksum {}, file {})",
                m.path.display(),
                if row.status == HistoryStatus::Applied { "applied" } else { "started" },
                &row.checksum[..row.checksum.len().min(12)],
                &m.checksum[..12]
            )),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        if !options.allow_modified {
            problems.push(
                "restore the files as they were applied, or pass --allow-modified to go on anyway (the changes will NOT be applied)"
                    .into(),
            );
            return Err(ApplyError::Refused { problems });
        }
        warnings.extend(problems.into_iter().map(|p| format!("--allow-modified: {p}")));
    }
    if let Some(to) = &options.to
        && set.get(to).is_none()
    {
        return Err(ApplyError::Refused { problems: vec![format!("--to {to}: no migration has that version")] });
    }
    let latest_applied = history.iter().filter(|r| r.status == HistoryStatus::Applied).map(|r| &r.version).max();
    let rows: std::collections::HashMap<&str, &HistoryRow> =
        history.iter().map(|r| (r.version.as_str().trim_start_matches('0'), r)).collect();
    let mut planned = Vec::new();
    for m in set.migrations() {
        if options.to.as_ref().is_some_and(|to| m.version > *to) {
            break;
        }
        let row = rows.get(m.version.as_str().trim_start_matches('0')).copied();
        let resume_from = match row {
            Some(r) if r.status == HistoryStatus::Applied => continue,
            // A transactional migration is never half-done: if it is marked so, run it whole.
            Some(r) if m.directives.no_transaction => r.statements_done.min(m.script.statements.len()),
            _ => 0,
        };
        if row.is_none()
            && let Some(latest) = latest_applied
            && m.version < *latest
        {
            warnings.push(format!(
                "migration {} is older than the latest applied ({latest}); applying it out of order",
                m.version
            ));
        }
        if m.script.statements.is_empty() && m.runner.is_none() {
            warnings.push(format!(
                "{} has no statements: it will be recorded as applied and change nothing",
                m.path.display()
            ));
        }
        planned.push(PlannedMigration { migration: m, resume_from, recorded: row.is_some() });
    }
    Ok((planned, warnings))
}

/// Applies every pending migration of `set`. See the module documentation for the guarantees.
pub async fn apply(
    conn: &Connection,
    set: &MigrationSet,
    options: &ApplyOptions,
    observer: &dyn ApplyObserver,
) -> Result<ApplyReport, ApplyError> {
    acquire_lock(conn, options.lock_wait).await?;
    let result = apply_locked(conn, set, options, observer).await;
    // Best effort: a broken connection released the lock already.
    let _ = conn.batch(&format!("SELECT pg_advisory_unlock({LOCK_KEY})")).await;
    result
}

async fn apply_locked(
    conn: &Connection,
    set: &MigrationSet,
    options: &ApplyOptions,
    observer: &dyn ApplyObserver,
) -> Result<ApplyReport, ApplyError> {
    let (format, planned, warnings) = prepare(conn, set, options).await?;
    for w in &warnings {
        observer.warning(w);
    }
    observer.planned(&planned);
    let mut report = ApplyReport { applied: Vec::new(), warnings };
    for p in planned {
        let started = Instant::now();
        observer.migration_started(p.migration, p.resume_from);
        run_planned(conn, &p, options, observer, format, false).await?;
        let duration = started.elapsed();
        observer.migration_done(p.migration, duration);
        report.applied.push(AppliedMigration {
            version: p.migration.version.to_string(),
            name: p.migration.name.clone(),
            statements: p.migration.script.statements.len(),
            resumed_from: p.recorded.then_some(p.resume_from),
            duration,
        });
    }
    Ok(report)
}

/// The history table to write (created when there is none) and the migrations to run.
async fn prepare<'a>(
    conn: &Connection,
    set: &'a MigrationSet,
    options: &ApplyOptions,
) -> Result<(HistoryFormat, Vec<PlannedMigration<'a>>, Vec<String>), ApplyError> {
    // A code-first tool keeps its own history as it runs (Alembic writes `alembic_version`):
    // that table, never plumb's, even in a fresh shadow.
    let create = match set.layout() {
        crate::Layout::Alembic | crate::Layout::Django => set.layout().history(),
        _ => options.create_history,
    };
    let format = HistoryFormat::detect_for(conn, set.layout()).await?.unwrap_or(create);
    let history = match history::read_history(conn, set).await? {
        Some(h) => h,
        // Alembic and Django create their tables as they run their migrations: a tool that
        // cannot start leaves nothing behind.
        None if set.migrations().iter().any(|m| m.runner.is_some()) && format != HistoryFormat::Plumb => Vec::new(),
        None => {
            conn.batch(format.create_sql()).await?;
            Vec::new()
        }
    };
    let (planned, warnings) = plan_apply(set, &history, options)?;
    Ok((format, planned, warnings))
}

/// Runs one planned migration and records it, as its kind needs. With `count_writes`, a
/// migration run in one transaction of plumb's says which catalogs it wrote
/// ([`plumb_pg::CatalogWrites`]); the others say nothing.
async fn run_planned(
    conn: &Connection,
    p: &PlannedMigration<'_>,
    options: &ApplyOptions,
    observer: &dyn ApplyObserver,
    format: HistoryFormat,
    count_writes: bool,
) -> Result<Option<CatalogWrites>, ApplyError> {
    if let Some(runner) = &p.migration.runner {
        // The tool runs it, on a connection of its own; Alembic and Django record it
        // themselves, in plumb's own history plumb does.
        runner.run_async(conn.info()).await?;
        if format == HistoryFormat::Plumb {
            conn.batch(&format.record_sql(p.migration, &options.plumb_version)).await?;
        }
    } else if p.migration.is_transactional() {
        return run_transactional(conn, p.migration, options, format, count_writes).await;
    } else if format != HistoryFormat::Plumb {
        // Other tools' tables keep no progress: the row is written at the end.
        run_unrecorded_statements(conn, p, options, observer, format).await?;
    } else {
        run_no_transaction(conn, p, options, observer).await?;
    }
    Ok(None)
}

/// The pending migrations of a set, run one at a time on request: what a replay in a private
/// shadow database needs, with something to do between them. The history is read and planned
/// once (a replay of 1,000 migrations would otherwise read it 1,000 times), and no advisory
/// lock is taken: nobody else uses the shadow.
pub struct Steps<'a> {
    conn: &'a Connection,
    planned: std::vec::IntoIter<PlannedMigration<'a>>,
    options: ApplyOptions,
    format: HistoryFormat,
    /// Whether the catalogs a migration writes are counted ([`Step::writes`]).
    count_writes: bool,
}

impl<'a> Steps<'a> {
    /// Reads the history (creating the table when there is none) and plans `set`.
    pub async fn start(
        conn: &'a Connection,
        set: &'a MigrationSet,
        options: &ApplyOptions,
    ) -> Result<Steps<'a>, ApplyError> {
        let (format, planned, _) = prepare(conn, set, options).await?;
        Ok(Steps { conn, planned: planned.into_iter(), options: options.clone(), format, count_writes: true })
    }

    /// Runs the next pending migration; `None` when none is left.
    pub async fn next(&mut self) -> Option<Result<Step<'a>, ApplyError>> {
        struct Quiet;
        impl ApplyObserver for Quiet {}
        let p = self.planned.next()?;
        // Counts with `track_counts` off are all zero, and a migration may turn it off and back
        // on again before the count is read, itself or through a function it makes for later:
        // from the first migration that names the setting on, nothing is counted.
        if p.migration.sql.as_bytes().windows(12).any(|w| w.eq_ignore_ascii_case(b"track_counts")) {
            self.count_writes = false;
        }
        Some(
            run_planned(self.conn, &p, &self.options, &Quiet, self.format, self.count_writes)
                .await
                .map(|writes| Step { migration: p.migration, writes }),
        )
    }
}

/// A migration [`Steps`] ran.
#[derive(Debug)]
pub struct Step<'a> {
    /// The migration.
    pub migration: &'a Migration,
    /// The catalogs its transaction wrote, when it ran in one transaction of plumb's (not a
    /// tool's, not statement by statement).
    pub writes: Option<CatalogWrites>,
}

/// Takes the session-level advisory lock every plumb apply and repair holds on a
/// database, waiting up to `wait` for another holder (named in the error).
pub async fn lock(conn: &Connection, wait: Duration) -> Result<(), ApplyError> {
    acquire_lock(conn, wait).await
}

/// Releases [`lock`] (best effort: a broken connection released it already).
pub async fn unlock(conn: &Connection) {
    let _ = conn.batch(&format!("SELECT pg_advisory_unlock({LOCK_KEY})")).await;
}

async fn acquire_lock(conn: &Connection, wait: Duration) -> Result<(), ApplyError> {
    let started = Instant::now();
    loop {
        let got: bool = conn
            .client()
            .query_one(&format!("SELECT pg_try_advisory_lock({LOCK_KEY})"), &[])
            .await
            .map_err(PgError::from)?
            .get(0);
        if got {
            return Ok(());
        }
        if started.elapsed() >= wait {
            return Err(ApplyError::Locked {
                holder: lock_holder(conn).await,
                waited: format!("{:.1}s", started.elapsed().as_secs_f64()),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn lock_holder(conn: &Connection) -> Option<LockHolder> {
    // A bigint advisory key shows in pg_locks as classid (high half), objid (low half), objsubid 1.
    let sql = format!(
        "SELECT a.pid, coalesce(a.application_name, ''),
                coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '?')
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid = {} AND l.objid = {} AND l.objsubid = 1
          LIMIT 1",
        (LOCK_KEY >> 32) as u32,
        (LOCK_KEY & 0xffff_ffff) as u32
    );
    let row = conn.client().query_opt(&sql, &[]).await.ok()??;
    Some(LockHolder { pid: row.get(0), application: row.get(1), since: row.get(2) })
}

fn timeout_settings(options: &ApplyOptions, scope: &str) -> String {
    let mut sql = String::new();
    if let Some(t) = options.lock_timeout {
        sql.push_str(&format!("SET {scope} lock_timeout = '{}ms';\n", t.as_millis()));
    }
    if let Some(t) = options.statement_timeout {
        sql.push_str(&format!("SET {scope} statement_timeout = '{}ms';\n", t.as_millis()));
    }
    sql
}

async fn run_transactional(
    conn: &Connection,
    m: &Migration,
    options: &ApplyOptions,
    format: HistoryFormat,
    count_writes: bool,
) -> Result<Option<CatalogWrites>, ApplyError> {
    let started = Instant::now();
    failpoint(&format!("before:{}", m.version));
    // BEGIN and the migration are sent together (the server takes them in order): one round
    // trip less per migration. The migration stays a query of its own, so the positions the
    // server gives in its errors are positions in the file. Should BEGIN fail, the connection
    // is gone and the migration with it: it never runs outside the transaction.
    // Counting what it writes starts right after BEGIN (see plumb_pg::CatalogWrites).
    let counts = if count_writes { CATALOG_COUNTS_SQL } else { "" };
    let begin = format!("BEGIN;\n{}{counts}", timeout_settings(options, "LOCAL"));
    let (begun, ran) = tokio::join!(conn.client().simple_query(&begin), conn.batch(&m.sql));
    let start = match begun {
        Ok(messages) => counts_in(&messages),
        Err(e) => {
            let _ = conn.batch("ROLLBACK").await;
            return Err(PgError::from(e).into());
        }
    };
    if let Err(e) = ran {
        let _ = conn.batch("ROLLBACK").await;
        return Err(locate_transactional_failure(conn, m, options, e).await);
    }
    failpoint(&format!("before-commit:{}", m.version));
    // The record and COMMIT in one query (after the count of what the migration wrote, when
    // asked): a record that fails skips the COMMIT and leaves the transaction to roll back.
    let record = format.record_timed_sql(m, &options.plumb_version, Some(started.elapsed()));
    let finish = match count_writes {
        true => format!("{CATALOG_COUNTS_SQL};\n{record}\nCOMMIT"),
        false => format!("{record}\nCOMMIT"),
    };
    match conn.client().simple_query(&finish).await {
        Ok(messages) => Ok(start.zip(counts_in(&messages)).and_then(|(s, e)| CatalogWrites::between(&s, &e))),
        Err(e) => {
            let _ = conn.batch("ROLLBACK").await;
            Err(PgError::from(e).into())
        }
    }
}

/// The row [`CATALOG_COUNTS_SQL`] answered among `messages`, if it was asked.
fn counts_in(messages: &[tokio_postgres::SimpleQueryMessage]) -> Option<CatalogCounts> {
    messages.iter().find_map(|message| match message {
        tokio_postgres::SimpleQueryMessage::Row(row) => CatalogCounts::from_text_row(row),
        _ => None,
    })
}

/// The whole file ran as one string. When the server gave a position, it points
/// into the file; otherwise the statements are replayed one by one in a
/// transaction that is rolled back, to find which one fails.
async fn locate_transactional_failure(
    conn: &Connection,
    m: &Migration,
    options: &ApplyOptions,
    error: PgError,
) -> ApplyError {
    let Some(server) = error.server_error().cloned() else { return ApplyError::Pg(error) };
    if server.position.is_some() {
        return failed(m, m.error_location(None, 0, server.position), server, 0);
    }
    let mut location = None;
    if conn.batch(&format!("BEGIN;\n{}", timeout_settings(options, "LOCAL"))).await.is_ok() {
        for statement in &m.script.statements {
            if let Err(e) = conn.batch(&m.sql[statement.range.clone()]).await {
                if e.code() == Some(server.code.as_str()) {
                    location = Some(SourceLocation::new(&m.path, &m.sql, statement.range.clone()));
                }
                break;
            }
        }
        let _ = conn.batch("ROLLBACK").await;
    }
    let location = location.unwrap_or_else(|| SourceLocation::new(&m.path, &m.sql, 0..0));
    failed(m, location, server, 0)
}

fn failed(m: &Migration, location: SourceLocation, error: ServerError, statements_done: usize) -> ApplyError {
    ApplyError::MigrationFailed(Box::new(MigrationFailure {
        version: m.version.to_string(),
        name: m.name.clone(),
        location,
        error,
        statements_done,
    }))
}

async fn run_no_transaction(
    conn: &Connection,
    p: &PlannedMigration<'_>,
    options: &ApplyOptions,
    observer: &dyn ApplyObserver,
) -> Result<(), ApplyError> {
    let m = p.migration;
    let started = Instant::now();
    let version = m.version.as_str();
    failpoint(&format!("before:{version}"));
    // The row first, committed on its own: from here on a crash is visible.
    conn.client()
        .execute(
            "INSERT INTO plumb.migrations (version, name, checksum, status, statements_done, plumb_version)
             VALUES ($1, $2, $3, 'in_progress', 0, $4)
             ON CONFLICT (version) DO UPDATE SET status = 'in_progress', error = NULL, checksum = EXCLUDED.checksum",
            &[&version, &m.name, &m.checksum, &options.plumb_version],
        )
        .await
        .map_err(PgError::from)?;
    let settings = timeout_settings(options, "SESSION");
    if !settings.is_empty() {
        conn.batch(&settings).await?;
    }
    for index in p.resume_from..m.script.statements.len() {
        failpoint(&format!("before-statement:{version}:{}", index + 1));
        let statement = &m.script.statements[index];
        if index == p.resume_from
            && p.recorded
            && let StatementKind::CreateIndexConcurrently { name: Some(name) } = &statement.kind
            && finish_interrupted_index(conn, name, observer).await?
        {
            set_statements_done(conn, version, index + 1).await?;
            observer.statement_done(m, index);
            continue;
        }
        let sql = m.statement_sql(index);
        let alone = matches!(statement.kind, StatementKind::CreateIndexConcurrently { .. });
        let outcome =
            if alone { Err(None) } else { run_with_counter(conn, sql, version, index + 1).await.map_err(Some) };
        match outcome {
            Ok(()) => {}
            // Statements PostgreSQL refuses inside a transaction block run alone.
            Err(Some(e)) if e.code() != Some("25001") => {
                return Err(record_failure(conn, m, index, "BEGIN;\n".len(), e).await);
            }
            Err(_) => {
                if let Err(e) = conn.batch(sql).await {
                    return Err(record_failure(conn, m, index, 0, e).await);
                }
                failpoint(&format!("after-statement:{version}:{}", index + 1));
                set_statements_done(conn, version, index + 1).await?;
            }
        }
        observer.statement_done(m, index);
    }
    if !settings.is_empty() {
        conn.batch("RESET lock_timeout; RESET statement_timeout;").await?;
    }
    failpoint(&format!("before-commit:{version}"));
    conn.client()
        .execute(
            "UPDATE plumb.migrations
                SET status = 'applied', statements_done = $2, duration_ms = coalesce(duration_ms, 0) + $3,
                    applied_at = now(), applied_by = current_user, plumb_version = $4
              WHERE version = $1",
            &[
                &version,
                &(m.script.statements.len() as i32),
                &(started.elapsed().as_millis() as i64),
                &options.plumb_version,
            ],
        )
        .await
        .map_err(PgError::from)?;
    Ok(())
}

/// A no-transaction migration under another tool's history format: each statement on its own,
/// the history row once all have run. Where the tool's row said how far a stopped run got
/// (Atlas's `applied`), it resumes there, as the tool does; formats that keep no progress
/// (Supabase) start over, and an interruption shows as partial in the next verify.
async fn run_unrecorded_statements(
    conn: &Connection,
    p: &PlannedMigration<'_>,
    options: &ApplyOptions,
    observer: &dyn ApplyObserver,
    format: HistoryFormat,
) -> Result<(), ApplyError> {
    let m = p.migration;
    for index in p.resume_from..m.script.statements.len() {
        if let Err(e) = conn.batch(m.statement_sql(index)).await {
            let Some(server) = e.server_error().cloned() else { return Err(ApplyError::Pg(e)) };
            let location = m.error_location(Some(index), 0, server.position);
            return Err(failed(m, location, server, index));
        }
        observer.statement_done(m, index);
    }
    conn.batch(&format.record_sql(m, &options.plumb_version)).await?;
    Ok(())
}

/// One statement and its counter update, committed together.
async fn run_with_counter(conn: &Connection, sql: &str, version: &str, done: usize) -> Result<(), PgError> {
    // The prefix length matters: error positions count from the start of this string.
    let wrapped = format!(
        "BEGIN;\n{sql}\n;\nUPDATE plumb.migrations SET statements_done = {done} WHERE version = '{version}';\nCOMMIT;"
    );
    let result = conn.batch(&wrapped).await;
    if result.is_err() {
        let _ = conn.batch("ROLLBACK").await;
    }
    result
}

async fn set_statements_done(conn: &Connection, version: &str, done: usize) -> Result<(), ApplyError> {
    conn.client()
        .execute("UPDATE plumb.migrations SET statements_done = $2 WHERE version = $1", &[&version, &(done as i32)])
        .await
        .map_err(PgError::from)?;
    Ok(())
}

/// An interrupted `CREATE INDEX CONCURRENTLY`: a valid index means it finished
/// (returns true: count it done); an invalid one is dropped so the statement can rebuild it.
async fn finish_interrupted_index(
    conn: &Connection,
    name: &str,
    observer: &dyn ApplyObserver,
) -> Result<bool, ApplyError> {
    let row = conn
        .client()
        .query_opt("SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1)", &[&name])
        .await
        .map_err(PgError::from)?;
    match row.map(|r| r.get::<_, bool>(0)) {
        Some(true) => Ok(true),
        Some(false) => {
            observer.warning(&format!(
                "index {name} was left invalid by an interrupted CREATE INDEX CONCURRENTLY; dropping and rebuilding it"
            ));
            conn.batch(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name}")).await?;
            Ok(false)
        }
        None => Ok(false),
    }
}

/// Marks the migration failed (best effort: the connection may be gone) and builds the error.
async fn record_failure(conn: &Connection, m: &Migration, index: usize, prefix_len: usize, e: PgError) -> ApplyError {
    let Some(server) = e.server_error().cloned() else { return ApplyError::Pg(e) };
    let _ = conn
        .client()
        .execute(
            "UPDATE plumb.migrations SET status = 'failed', error = $2 WHERE version = $1",
            &[&m.version.as_str(), &server.to_string()],
        )
        .await;
    let location = m.error_location(Some(index), prefix_len as u32, server.position);
    failed(m, location, server, index)
}

/// The SQL an apply would run, as one script that runs unchanged in psql and in
/// a web SQL editor (no meta-commands). For `--dry-run`. `history` is the table the
/// database keeps (`None`: none yet, so plumb's own is created first).
pub fn plan_script(planned: &[PlannedMigration<'_>], history: Option<HistoryFormat>, options: &ApplyOptions) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "-- plumb apply --dry-run: {} migration(s) pending.\n-- Each transactional migration and its history row commit together.\n\n",
        planned.len()
    ));
    let format = history.unwrap_or_else(|| {
        out.push_str("-- The history table, created on first apply.\n");
        out.push_str(options.create_history.create_sql());
        out.push_str("\n\n");
        options.create_history
    });
    for p in planned {
        let m = p.migration;
        let record = format.record_sql(m, &options.plumb_version);
        out.push_str(&format!("-- {} ({})\n", m.path.display(), m.version));
        if m.is_transactional() {
            out.push_str("BEGIN;\n");
            out.push_str(&timeout_settings(options, "LOCAL"));
            out.push_str(m.sql.trim_end());
            out.push_str(&format!("\n;\n{record}\nCOMMIT;\n\n"));
        } else {
            out.push_str("-- no-transaction: each statement runs on its own.\n");
            if p.resume_from > 0 {
                out.push_str(&format!("-- resuming at statement {}\n", p.resume_from + 1));
            }
            for index in p.resume_from..m.script.statements.len() {
                out.push_str(m.statement_sql(index).trim_end());
                out.push_str("\n;\n");
            }
            out.push_str(&format!("{record}\n\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(files: &[(&str, &str)]) -> MigrationSet {
        MigrationSet::new(
            files
                .iter()
                .map(|(v, sql)| {
                    Migration::new(
                        Version::parse(v).unwrap(),
                        format!("m{v}"),
                        format!("{v}_m{v}.sql").into(),
                        sql.to_string(),
                    )
                    .unwrap()
                })
                .collect(),
        )
        .unwrap()
    }

    fn row(m: &Migration, status: HistoryStatus, done: usize) -> HistoryRow {
        HistoryRow {
            version: m.version.clone(),
            name: m.name.clone(),
            checksum: m.checksum.clone(),
            status,
            statements_done: done,
            applied_at: String::new(),
            duration_ms: None,
            applied_by: String::new(),
            plumb_version: String::new(),
            error: None,
        }
    }

    #[test]
    fn plans_pending_in_order_and_resumes_interrupted() {
        let s = set(&[
            ("1", "SELECT 1;"),
            ("2", "-- plumb:no-transaction\nSELECT 1; SELECT 2; SELECT 3;"),
            ("3", "SELECT 3;"),
        ]);
        let ms = s.migrations();
        let history = vec![row(&ms[0], HistoryStatus::Applied, 1), row(&ms[1], HistoryStatus::InProgress, 2)];
        let (planned, warnings) = plan_apply(&s, &history, &ApplyOptions::default()).unwrap();
        let got: Vec<(&str, usize)> = planned.iter().map(|p| (p.migration.version.as_str(), p.resume_from)).collect();
        assert_eq!(got, [("2", 2), ("3", 0)]);
        assert!(warnings.is_empty());
    }

    #[test]
    fn refuses_modified_and_missing_files() {
        let s = set(&[("1", "SELECT 1;")]);
        let mut changed = row(&s.migrations()[0], HistoryStatus::Applied, 1);
        changed.checksum = "0".repeat(64);
        let mut gone = changed.clone();
        gone.version = Version::parse("9").unwrap();
        let err = plan_apply(&s, &[changed.clone(), gone.clone()], &ApplyOptions::default()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("1_m1.sql changed after it was applied"), "{text}");
        assert!(text.contains("migration 9 (m1) is recorded as applied but no file has its version"), "{text}");
        let allow = ApplyOptions { allow_modified: true, ..ApplyOptions::default() };
        let (planned, warnings) = plan_apply(&s, &[changed, gone], &allow).unwrap();
        assert!(planned.is_empty());
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn to_stops_at_the_version_and_must_exist() {
        let s = set(&[("1", "SELECT 1;"), ("2", "SELECT 2;"), ("3", "SELECT 3;")]);
        let to_two = ApplyOptions { to: Version::parse("2"), ..ApplyOptions::default() };
        let (planned, _) = plan_apply(&s, &[], &to_two).unwrap();
        assert_eq!(planned.len(), 2);
        let to_nine = ApplyOptions { to: Version::parse("9"), ..ApplyOptions::default() };
        assert!(plan_apply(&s, &[], &to_nine).is_err());
    }

    #[test]
    fn warns_about_out_of_order_migrations() {
        let s = set(&[("1", "SELECT 1;"), ("2", "SELECT 2;")]);
        let history = vec![row(&s.migrations()[1], HistoryStatus::Applied, 1)];
        let (planned, warnings) = plan_apply(&s, &history, &ApplyOptions::default()).unwrap();
        assert_eq!(planned.len(), 1);
        assert!(warnings[0].contains("out of order"), "{warnings:?}");
    }

    #[test]
    fn dry_run_script_has_no_meta_commands_and_records_history() {
        let s = set(&[
            ("1", "CREATE TABLE a (id int);"),
            ("2", "-- plumb:no-transaction\nCREATE INDEX CONCURRENTLY i ON a (id);"),
        ]);
        let (planned, _) = plan_apply(&s, &[], &ApplyOptions::default()).unwrap();
        let script = plan_script(&planned, None, &ApplyOptions::default());
        assert!(script.contains("CREATE TABLE IF NOT EXISTS plumb.migrations"));
        assert!(script.contains("BEGIN;\nCREATE TABLE a (id int);\n;\nINSERT INTO plumb.migrations"));
        assert!(script.contains("CREATE INDEX CONCURRENTLY i ON a (id);\n;\nINSERT"));
        assert!(!plumb_sql::split(&script).statements.is_empty());
        assert!(plumb_sql::split(&script).meta_commands.is_empty());
    }
}
