//! Preflight: the pending migrations run against a clone of the target's schema, statement
//! by statement, and every failure explained in plain words. The target is only read.

use std::collections::BTreeSet;
use std::time::Instant;

use plumb_catalog::Schema;
use plumb_migrate::{Migration, MigrationSet, PlannedMigration};
use plumb_pg::{Connection, PgError};
use plumb_sql::lint::{Context, Stmt};

use crate::stand_in::StandIns;

/// What cloning the target's schema into the shadow did.
#[derive(Debug, Clone, Default)]
pub struct CloneReport {
    /// Roles the schema names, created in the shadow as NOLOGIN roles.
    pub roles: Vec<String>,
    /// Extensions the target has and the shadow's server cannot install.
    pub missing_extensions: Vec<String>,
    /// Statements of the clone script that failed (with why): the clone is incomplete there.
    pub failures: Vec<String>,
    /// How long cloning took.
    pub duration_ms: u64,
}

/// Recreates `schema` (the target's, inspected read-only) in the empty database behind `shadow`.
/// No data is copied.
pub async fn clone_target(shadow: &Connection, schema: &Schema) -> Result<CloneReport, PgError> {
    let started = Instant::now();
    let mut clone = CloneReport::default();
    let mut roles: BTreeSet<String> = BTreeSet::new();
    fn add(roles: &mut BTreeSet<String>, grants: &[plumb_catalog::Grant]) {
        roles.extend(grants.iter().map(|g| g.grantee.clone()));
    }
    for n in schema.schemas.values() {
        add(&mut roles, &n.privileges);
    }
    for t in schema.tables.values() {
        add(&mut roles, &t.privileges);
        for c in &t.columns {
            add(&mut roles, &c.privileges);
        }
        for p in t.policies.values() {
            roles.extend(p.roles.iter().cloned());
        }
    }
    for v in schema.views.values() {
        add(&mut roles, &v.privileges);
    }
    for f in schema.functions.values() {
        add(&mut roles, &f.privileges);
    }
    for s in schema.sequences.values() {
        add(&mut roles, &s.privileges);
    }
    for d in &schema.default_privileges {
        roles.insert(d.role.clone());
        roles.insert(d.grant.grantee.clone());
    }
    roles.remove("PUBLIC");
    for role in &roles {
        let name = role.trim_matches('"').replace('\'', "''");
        shadow
            .batch(&format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
            ))
            .await?;
    }
    clone.roles = roles.into_iter().collect();

    let available: BTreeSet<String> = shadow
        .client()
        .query("SELECT quote_ident(name) FROM pg_available_extensions", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut schema = schema.clone();
    let missing: Vec<String> = schema.extensions.keys().filter(|e| !available.contains(*e)).cloned().collect();
    for name in &missing {
        schema.extensions.remove(name);
    }
    clone.missing_extensions = missing;

    let script = plumb_diff::create_script(&schema, shadow.server_major());
    for statement in plumb_sql::split(&script).statements {
        let sql = &script[statement.range];
        if let Err(e) = shadow.batch(sql).await {
            let head: String = sql.lines().find(|l| !l.starts_with("--")).unwrap_or("").chars().take(80).collect();
            clone.failures.push(format!("{head}: {e}"));
        }
    }
    clone.duration_ms = started.elapsed().as_millis() as u64;
    Ok(clone)
}

/// The outcome of one statement of a pending migration.
#[derive(Debug, Clone)]
pub struct StatementOutcome {
    /// The migration's file.
    pub file: String,
    /// 1-based line of the statement (or of the error position).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The statement's first line, shortened.
    pub sql_head: String,
    /// Whether it ran (on the target it would fail when it needs a stand-in).
    pub status: StatementStatus,
    /// The server's error.
    pub error: Option<StatementError>,
    /// Locks the statement took, e.g. `AccessExclusiveLock on public.calls`.
    pub locks: Vec<String>,
    /// Whether it rewrote a table or index (its file node changed).
    pub rewrites: bool,
    /// Whether it checks existing rows (a constraint added without NOT VALID).
    pub validates_rows: bool,
    /// Time on the clone.
    pub duration_ms: u64,
    /// What went wrong, in plain words.
    pub diagnosis: Option<String>,
    /// What it needs that the target lacks (`relation organization`, `schema auth`): every
    /// such object, found by running it again against stand-ins until it runs.
    pub needs: Vec<String>,
}

/// Whether a pending statement runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementStatus {
    /// It ran on the clone (without stand-ins).
    Ok,
    /// It failed, or ran only against stand-ins for what the target lacks.
    Failed,
}

impl StatementStatus {
    /// `ok` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatementStatus::Ok => "ok",
            StatementStatus::Failed => "failed",
        }
    }
}

/// A server error of a statement.
#[derive(Debug, Clone)]
pub struct StatementError {
    /// SQLSTATE.
    pub code: String,
    /// The primary message.
    pub message: String,
}

/// Everything `check` found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// How the clone went.
    pub clone: CloneReport,
    /// Every statement of every pending migration, in order.
    pub statements: Vec<StatementOutcome>,
    /// Objects the migrations need that neither the target nor an earlier migration provides.
    pub missing_objects: Vec<String>,
}

impl CheckReport {
    /// Whether every statement ran.
    pub fn passed(&self) -> bool {
        self.statements.iter().all(|s| s.status == StatementStatus::Ok)
    }
}

/// A migration its tool runs (an Alembic revision, a Django migration), run by the tool against
/// the clone: one outcome for the whole step, the tool's words when it fails.
async fn run_tool_step(
    shadow: &Connection,
    m: &plumb_migrate::Migration,
    runner: &plumb_migrate::Runner,
) -> StatementOutcome {
    let started = Instant::now();
    let error = match runner.run_async(shadow.info()).await {
        Ok(()) => None,
        Err(plumb_migrate::ApplyError::Tool { output, hint, .. }) => {
            let last = output.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().trim().to_owned();
            Some(StatementError { code: "tool".into(), message: format!("{last} ({hint})") })
        }
        Err(e) => Some(StatementError { code: "tool".into(), message: e.to_string() }),
    };
    StatementOutcome {
        file: m.path.display().to_string(),
        line: 1,
        column: 1,
        sql_head: format!("{} runs {}", runner.tool(), m.name),
        status: if error.is_none() { StatementStatus::Ok } else { StatementStatus::Failed },
        error,
        locks: Vec::new(),
        rewrites: false,
        validates_rows: false,
        duration_ms: started.elapsed().as_millis() as u64,
        diagnosis: None,
        needs: Vec::new(),
    }
}

/// Runs the pending migrations against the clone behind `shadow`, statement by statement,
/// going on past failures (a failed statement is rolled back to its savepoint).
pub async fn check(
    shadow: &Connection,
    set: &MigrationSet,
    pending: &[PlannedMigration<'_>],
    target: &Schema,
    clone: CloneReport,
) -> Result<CheckReport, PgError> {
    let creators = Creators::of(set);
    let mut statements = Vec::new();
    let mut missing: BTreeSet<String> = BTreeSet::new();
    let mut stand_ins = StandIns::default();
    // Locks matter on what production already has, not on what the migrations create.
    // File nodes before each statement: the previous statement's "after" (a failed one is rolled back).
    let mut nodes = file_nodes(shadow).await?;
    let existing: BTreeSet<u32> = nodes.iter().map(|(oid, _)| *oid).collect();
    // A tool that runs its own migrations (Alembic, Django) reads its history first: the clone
    // gets the rows of what the target has applied, so the tool runs exactly the pending ones.
    if pending.iter().any(|p| p.migration.runner.is_some()) {
        seed_tool_history(shadow, set, pending).await?;
    }
    for p in pending {
        let m = p.migration;
        if let Some(runner) = &m.runner {
            statements.push(run_tool_step(shadow, m, runner).await);
            continue;
        }
        let transactional = m.is_transactional();
        if transactional {
            shadow.batch("BEGIN").await?;
        }
        for index in p.resume_from..m.script.statements.len() {
            let sql = m.statement_sql(index);
            if transactional {
                shadow.batch("SAVEPOINT plumb_check").await?;
            }
            let held_before = if transactional { own_locks(shadow).await? } else { Vec::new() };
            let started = Instant::now();
            let result = shadow.batch(sql).await;
            let duration_ms = started.elapsed().as_millis() as u64;
            let locks_after = if transactional && result.is_ok() { Some(own_locks(shadow).await?) } else { None };
            let location = m.error_location(Some(index), 0, None);
            let stmt = tokens(sql);
            // A lock an earlier statement of the same transaction took is still this statement's
            // when it names the relation: it needs it too, held or not.
            let locks = match &locks_after {
                Some(after) => statement_locks(after, &held_before, &existing, &stmt),
                None => Vec::new(),
            };
            let validates_rows = stmt.starts_with(&["ALTER", "TABLE"])
                && (stmt.has(&["FOREIGN", "KEY"]) || stmt.has(&["REFERENCES"]) || stmt.has(&["CHECK"]))
                && !stmt.has(&["NOT", "VALID"]);
            let mut outcome = StatementOutcome {
                file: m.path.display().to_string(),
                line: location.line,
                column: location.column,
                sql_head: sql.lines().next().unwrap_or("").chars().take(80).collect(),
                status: StatementStatus::Ok,
                error: None,
                locks,
                rewrites: false,
                validates_rows,
                duration_ms,
                diagnosis: None,
                needs: Vec::new(),
            };
            let mentions = |name: &str| mentions(&stmt, name);
            match result {
                Ok(()) => {
                    let after = file_nodes(shadow).await?;
                    outcome.rewrites = nodes.iter().any(|(oid, node)| after.iter().any(|(o, n)| o == oid && n != node));
                    nodes = after;
                    if let Some(masked) = shape_masking(&stmt, target) {
                        outcome.diagnosis = Some(masked);
                    }
                    needs_stand_ins(&mut outcome, stand_ins.needed_by(&mentions));
                }
                Err(e) => {
                    if transactional {
                        shadow.batch("ROLLBACK TO SAVEPOINT plumb_check").await?;
                    }
                    let server = e.server_error().cloned();
                    let at = m.error_location(Some(index), 0, server.as_ref().and_then(|s| s.position));
                    (outcome.line, outcome.column) = (at.line, at.column);
                    outcome.status = StatementStatus::Failed;
                    outcome.error = Some(StatementError {
                        code: server.as_ref().map_or_else(String::new, |s| s.code.clone()),
                        message: server.as_ref().map_or_else(|| e.to_string(), |s| s.message.clone()),
                    });
                    outcome.diagnosis = server.as_ref().map(|s| explain(s, m, &stmt, &creators, &mut missing));
                    outcome.needs = stand_ins.needed_by(&mentions);
                    if let Some(server) = server {
                        let found =
                            run_with_stand_ins(shadow, sql, server, transactional, &mut stand_ins, &mentions).await?;
                        missing.extend(found.iter().cloned());
                        also_needs(&mut outcome, found);
                    }
                }
            }
            if transactional {
                shadow.batch("RELEASE SAVEPOINT plumb_check").await.ok();
            }
            statements.push(outcome);
        }
        if transactional {
            shadow.batch("COMMIT").await?;
        }
    }
    Ok(CheckReport { clone, statements, missing_objects: missing.into_iter().collect() })
}

/// The clone's history table holding what the target has applied, for a tool that reads its
/// own history before it runs (Alembic, Django): it then runs exactly the pending ones.
async fn seed_tool_history(
    shadow: &Connection,
    set: &MigrationSet,
    pending: &[PlannedMigration<'_>],
) -> Result<(), PgError> {
    let format = set.layout().history();
    shadow.batch(format.create_sql()).await?;
    let applied = set.migrations().iter().filter(|m| !pending.iter().any(|p| p.migration.version == m.version));
    for m in applied {
        shadow.batch(&format.record_sql(m, "check")).await?;
    }
    Ok(())
}

/// The locks a statement needs on relations the target already has (`existing`): those it
/// took, and those an earlier statement of the same transaction took when it names the
/// relation (it needs them too, held or not).
fn statement_locks(
    after: &[(u32, String)],
    held_before: &[(u32, String)],
    existing: &BTreeSet<u32>,
    stmt: &Stmt<'_>,
) -> Vec<String> {
    after
        .iter()
        .filter(|(oid, lock)| {
            let relation = lock.rsplit(" on ").next().unwrap_or_default();
            existing.contains(oid)
                && (!held_before.iter().any(|(_, l)| l == lock)
                    || mentions(stmt, relation)
                    || mentions(stmt, relation.rsplit('.').next().unwrap_or_default()))
        })
        .map(|(_, lock)| lock.clone())
        .collect()
}

/// A statement that ran only against stand-ins for what the target lacks: on the target it fails.
fn needs_stand_ins(outcome: &mut StatementOutcome, needs: Vec<String>) {
    let Some(first) = needs.first() else { return };
    outcome.status = StatementStatus::Failed;
    outcome.error = Some(StatementError { code: missing_code(first).into(), message: server_words(first) });
    outcome.diagnosis =
        Some(format!("needs {}, which the target lacks (plumb checked it against stand-ins)", needs.join(", ")));
    outcome.needs = needs;
}

/// What running a failed statement against stand-ins found it needs, added to its diagnosis.
fn also_needs(outcome: &mut StatementOutcome, found: Vec<String>) {
    if found.is_empty() {
        return;
    }
    outcome.needs.extend(found);
    let said = outcome.diagnosis.clone().unwrap_or_default();
    let more: Vec<&str> = outcome.needs.iter().map(String::as_str).filter(|n| !said.contains(n)).collect();
    if !more.is_empty() {
        outcome.diagnosis = Some(format!("{said}; it also needs {}", more.join(", ")));
    }
}

/// Runs `sql` again after a failure with `first`, creating stand-ins for what is missing
/// until it runs or fails for another reason (at most a dozen times). Returns what was
/// missing; the statement's objects and the stand-ins stay in the clone when it ran.
async fn run_with_stand_ins(
    shadow: &Connection,
    sql: &str,
    first: plumb_pg::ServerError,
    transactional: bool,
    stand_ins: &mut StandIns,
    mentions: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, PgError> {
    let mut found = Vec::new();
    let mut error = first;
    for _ in 0..12 {
        let Some(fix) = stand_ins.fix(&error, mentions) else { break };
        if transactional {
            shadow.batch("SAVEPOINT plumb_stand_in").await?;
        }
        if shadow.batch(&fix.sql).await.is_err() {
            if transactional {
                shadow.batch("ROLLBACK TO SAVEPOINT plumb_stand_in").await?;
            }
            break;
        }
        found.extend(fix.missing);
        match shadow.batch(sql).await {
            Ok(()) => break,
            Err(e) => {
                if transactional {
                    // Back to just after the stand-in: it stays, the statement's part goes.
                    shadow.batch("ROLLBACK TO SAVEPOINT plumb_stand_in").await?;
                    shadow.batch(&fix.sql).await?;
                }
                let Some(server) = e.server_error().cloned() else { break };
                error = server;
            }
        }
    }
    Ok(found)
}

/// Whether a statement names `name` (lower-case; `schema.name` as three tokens).
fn mentions(stmt: &Stmt<'_>, name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    let words: Vec<String> = stmt.tokens.iter().map(|t| t.text.trim_matches('"').to_lowercase()).collect();
    let texts: Vec<&str> = stmt.tokens.iter().map(|t| t.text).collect();
    (0..words.len()).any(|i| {
        let qualified = parts.iter().enumerate().all(|(k, p)| {
            words.get(i + 2 * k).is_some_and(|w| w == p) && (k == 0 || texts.get(i + 2 * k - 1) == Some(&"."))
        });
        // A bare name must not be the end of a qualified one (`other.organization`).
        qualified && (parts.len() > 1 || i == 0 || texts[i - 1] != ".")
    })
}

/// What PostgreSQL says of a missing object (`relation "organization" does not exist`).
fn server_words(what: &str) -> String {
    match what.split_once(' ') {
        Some(("function", name)) => format!("function {name}() does not exist"),
        Some((kind, name)) => format!("{kind} \"{name}\" does not exist"),
        None => format!("{what} does not exist"),
    }
}

/// The SQLSTATE PostgreSQL gives for a missing object of this kind.
fn missing_code(what: &str) -> &'static str {
    match what.split(' ').next() {
        Some("schema") => "3F000",
        Some("function") => "42883",
        Some("type") => "42704",
        _ => "42P01",
    }
}

fn tokens(sql: &str) -> Stmt<'_> {
    let script = plumb_sql::split(sql);
    let ctx = Context::new(sql, &script, false);
    ctx.statements.into_iter().next().unwrap_or(Stmt { range: 0..0, tokens: Vec::new() })
}

/// `CREATE TABLE IF NOT EXISTS t (...)` where the target's `t` has other columns: shows both shapes.
fn shape_masking(stmt: &Stmt<'_>, target: &Schema) -> Option<String> {
    if !(stmt.starts_with(&["CREATE"]) && stmt.has(&["TABLE", "IF", "NOT", "EXISTS"])) {
        return None;
    }
    let name = stmt.name_after(&["TABLE"])?;
    let existing = target.tables.values().find(|t| t.name.trim_matches('"').eq_ignore_ascii_case(&name))?;
    // Column names: the first word after the opening parenthesis and after each top-level comma.
    let mut wanted = Vec::new();
    let mut depth = 0;
    let mut expect_name = false;
    for t in &stmt.tokens {
        match t.text {
            "(" => {
                depth += 1;
                expect_name = depth == 1;
                continue;
            }
            ")" => depth -= 1,
            "," if depth == 1 => {
                expect_name = true;
                continue;
            }
            _ => {}
        }
        if expect_name && depth == 1 {
            if !["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE", "LIKE"].contains(&t.upper.as_str()) {
                wanted.push(t.text.trim_matches('"').to_lowercase());
            }
            expect_name = false;
        }
    }
    let have: Vec<String> = existing.columns.iter().map(|c| c.name.trim_matches('"').to_lowercase()).collect();
    let lacking: Vec<&String> = wanted.iter().filter(|c| !have.contains(c)).collect();
    if lacking.is_empty() {
        return None;
    }
    Some(format!(
        "IF NOT EXISTS skipped {name}: the target's {name} has ({}), the migration's has ({}); missing in the target: {}",
        have.join(", "),
        wanted.join(", "),
        lacking.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    ))
}

/// Which migration creates which relation, schema, function or type (by name, lower-case).
struct Creators {
    by_name: Vec<(String, String)>,
}

impl Creators {
    fn of(set: &MigrationSet) -> Creators {
        let mut by_name = Vec::new();
        for m in set.migrations() {
            let ctx = Context::new(&m.sql, &m.script, !m.is_transactional());
            for s in &ctx.statements {
                if !s.starts_with(&["CREATE"]) {
                    continue;
                }
                for kind in [&["TABLE"][..], &["VIEW"], &["SCHEMA"], &["FUNCTION"], &["TYPE"], &["INDEX"]] {
                    if let Some(name) = s.name_after(kind) {
                        by_name.push((name, m.version.to_string()));
                        break;
                    }
                }
            }
        }
        Creators { by_name }
    }

    fn creator(&self, name: &str) -> Option<&str> {
        let short = name.rsplit('.').next().unwrap_or(name).trim_matches('"').to_lowercase();
        let short = short.split('(').next().unwrap_or(&short).to_owned();
        self.by_name.iter().find(|(n, _)| *n == short).map(|(_, v)| v.as_str())
    }
}

/// The failure in plain words, noting what is missing.
fn explain(
    e: &plumb_pg::ServerError,
    m: &Migration,
    stmt: &Stmt<'_>,
    creators: &Creators,
    missing: &mut BTreeSet<String>,
) -> String {
    let quoted = e.message.split('"').nth(1).unwrap_or("").to_owned();
    if e.code == "3F000" {
        // A missing schema hides what the statement wanted from it: name those too.
        let mut wanted = vec![format!("schema {quoted}")];
        for (i, t) in stmt.tokens.iter().enumerate() {
            if t.text.trim_matches('"') == quoted
                && stmt.tokens.get(i + 1).is_some_and(|d| d.text == ".")
                && let Some(name) = stmt.tokens.get(i + 2)
            {
                // `REFERENCES auth.users (id)` names a table; `auth.uid()` elsewhere calls a function.
                let names_relation = i > 0
                    && ["REFERENCES", "FROM", "JOIN", "TABLE", "INTO", "UPDATE", "ON"]
                        .contains(&stmt.tokens[i - 1].upper.as_str());
                let called = stmt.tokens.get(i + 3).is_some_and(|p| p.text == "(");
                let kind = if called && !names_relation { "function" } else { "relation" };
                wanted.push(format!("{kind} {quoted}.{}", name.text.trim_matches('"')));
            }
        }
        let who = match creators.creator(&quoted) {
            Some(v) => format!("migration {v} creates the schema"),
            None => "no migration creates it: this migration expects a database that has it (e.g. Supabase's auth)"
                .to_owned(),
        };
        let listed = wanted.join(", ");
        missing.extend(wanted);
        return format!("{listed} do not exist: {who}");
    }
    let (kind, name) = match e.code.as_str() {
        "42P01" => ("relation", quoted),
        "3F000" => ("schema", quoted),
        // Named without its arguments, as a stand-in and the schema check name it.
        "42883" if e.message.starts_with("function ") => {
            ("function", e.message.trim_start_matches("function ").split('(').next().unwrap_or("").to_owned())
        }
        "42704" => ("type", quoted),
        "42P07" | "42710" => {
            let explained = match creators.creator(&quoted) {
                Some(v) if v == m.version.as_str() => format!(
                    "{quoted} already exists in the target, and this very migration creates it: an earlier run of {} stopped half-way (partial). `plumb verify` shows which of its objects exist",
                    m.version
                ),
                Some(v) => format!("{quoted} already exists in the target; migration {v} creates it"),
                None => {
                    format!("{quoted} already exists in the target, and no migration creates it (created by hand?)")
                }
            };
            return explained;
        }
        _ => return e.message.clone(),
    };
    let entry = format!("{kind} {name}");
    if creators.creator(&name) == Some(m.version.as_str()) {
        return format!("{entry} does not exist because the statement of this migration that creates it failed above");
    }
    let who = match creators.creator(&name) {
        Some(v) if v.parse::<u128>().ok() > m.version.as_str().parse::<u128>().ok() => {
            format!("migration {v} creates it, but runs later: reorder the migrations")
        }
        Some(v) => format!("migration {v} creates it; it is missing from the target (run `plumb verify`)"),
        None => "no migration creates it: create it first, or this migration belongs to another database".to_owned(),
    };
    missing.insert(entry.clone());
    format!("{entry} does not exist: {who}")
}

async fn file_nodes(conn: &Connection) -> Result<Vec<(u32, u32)>, PgError> {
    let rows = conn
        .client()
        .query(
            "SELECT c.oid, c.relfilenode FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'm', 'i') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The relation locks this session holds: (relation, "Mode on schema.name").
async fn own_locks(conn: &Connection) -> Result<Vec<(u32, String)>, PgError> {
    let rows = conn
        .client()
        .query(
            "SELECT DISTINCT c.oid, l.mode || ' on ' || format('%I.%I', n.nspname, c.relname)
               FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relkind IN ('r', 'p', 'm')
                AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              ORDER BY 2",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
