//! `plumb repair`: the plan that brings history and schema back to the truth, and,
//! with `--execute`, running it under every guard `plumb-doctor` has.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use plumb_catalog::{InspectOptions, Schema};
use plumb_doctor::{Diagnosis, Executed, PartialFix, Plan, PlanOptions, Replay};
use plumb_migrate::{HistoryFormat, HistoryRow, Migration, MigrationSet, Version};
use plumb_pg::{ConnInfo, Connection};

use super::{Exit, load_migrations};
use crate::cli::{PartialChoice, RepairArgs};
use crate::output::{Output, Style};
use crate::report;
use crate::settings::GlobalSettings;
use crate::target::{self, Access, Notices};

/// What a repair starts from: the files, the history and its format (`None`: no history
/// table yet), the live schema, the replay.
pub struct Situation {
    pub set: MigrationSet,
    pub history: Vec<HistoryRow>,
    pub format: Option<HistoryFormat>,
    pub live: Schema,
    pub replay: Replay,
}

impl Situation {
    /// Reads the history and the live schema of `conn`; `replay` is the set's.
    pub async fn read(conn: &Connection, set: MigrationSet, replay: Replay) -> Result<Situation> {
        let (format, history) = match plumb_migrate::read_history_with_format(conn).await? {
            Some((format, history)) => (Some(format), history),
            None => (None, Vec::new()),
        };
        let live = plumb_catalog::inspect(conn, &InspectOptions::default()).await?;
        Ok(Situation { set, history, format, live, replay })
    }

    /// What is true of each migration, and what no migration explains.
    pub fn diagnose(&self) -> Diagnosis {
        plumb_doctor::diagnose(&self.set, &self.replay, &self.history, &plumb_doctor::objects(&self.live))
    }

    /// The plan that repairs what `diagnosis` (of this situation) found.
    pub fn plan(&self, diagnosis: &Diagnosis, options: &PlanOptions) -> Plan {
        plumb_doctor::plan(&self.set, &self.replay, diagnosis, &self.history, self.format, &self.live, options)
    }

    /// The plan as one script.
    pub fn script(&self, plan: &Plan) -> String {
        plan.script(&self.set, env!("CARGO_PKG_VERSION"))
    }
}

pub async fn run(settings: &GlobalSettings, args: &RepairArgs, output: Output) -> Result<Exit> {
    let dir = &args.doctor.dir.dir;
    let set = load_migrations(dir)?;
    let info = target::conninfo(settings, output)?;
    let access = if args.execute { Access::ReadWrite } else { Access::ReadOnly };
    let conn = target::connect_to(&info, output, access, &Notices::default()).await?;
    let replay = crate::shadow::replay(&set, &info, conn.server_major(), &args.doctor.shadow, output).await?;
    let situation = Situation::read(&conn, set, replay).await?;

    let mut options = PlanOptions {
        partial: match args.partial {
            PartialChoice::Complete => PartialFix::Complete,
            PartialChoice::Undo => PartialFix::Undo,
        },
        adopt: None,
        plumb_version: env!("CARGO_PKG_VERSION").to_owned(),
        no_rerun: args.no_rerun.iter().cloned().collect(),
        rerun: args.rerun.iter().cloned().collect(),
    };
    let diagnosis = situation.diagnose();
    if args.adopt && !diagnosis.unexplained.is_empty() {
        let adopted = write_adoption(dir, &situation, &diagnosis.unexplained)?;
        output.info(&format!("wrote {}: it creates the unexplained objects", adopted.path.display()));
        options.adopt = Some(adopted);
    }
    let plan = situation.plan(&diagnosis, &options);
    let rows = plumb_doctor::count_rows(&conn, &plan.tables).await?;

    if !args.execute {
        if output.settings.json {
            output.json(&report::RepairReport::new(conn.target(), &plan, situation.script(&plan), &rows, None));
        } else {
            // The words on stderr, the script on stdout: `plumb repair > repair.sql` keeps a
            // script that runs as it is (it carries the same words as comments).
            for line in plan_lines(&plan, &rows) {
                output.info(&line);
            }
            output.result(&situation.script(&plan));
        }
        return Ok(if plan.is_empty() && plan.unresolved.is_empty() { Exit::Ok } else { Exit::Findings });
    }

    if plan.is_empty() {
        if output.settings.json {
            output.json(&report::RepairReport::new(conn.target(), &plan, situation.script(&plan), &rows, None));
        } else {
            render_plan(&plan, &rows, output);
        }
        return Ok(if plan.unresolved.is_empty() { Exit::Ok } else { Exit::Findings });
    }
    if !output.settings.json {
        render_plan(&plan, &rows, output);
    }
    confirm(args.yes, conn.target())?;
    let backups = std::env::current_dir()?.join(".plumb/backups");
    let executed = execute(&conn, &info, &situation, &plan, args.lock_timeout, &backups, output).await?;
    if output.settings.json {
        output.json(&report::RepairReport::new(conn.target(), &plan, situation.script(&plan), &rows, Some(&executed)));
    }
    Ok(if executed.committed { Exit::Ok } else { Exit::Findings })
}

/// Asks on a terminal; elsewhere, only `--yes` says yes.
fn confirm(yes: bool, target: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("--execute changes {target}; pass --yes to confirm when not on a terminal");
    }
    eprint!("Run this plan on {}? [y/N] ", plumb_pg::redact(target));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        bail!("not confirmed; nothing was changed");
    }
    Ok(())
}

/// Runs the plan with a backup under `<backups>/<time>/`, and says what happened.
pub async fn execute(
    conn: &Connection,
    info: &ConnInfo,
    situation: &Situation,
    plan: &Plan,
    lock_timeout: Duration,
    backups: &Path,
    output: Output,
) -> Result<Executed> {
    let stamp: String = conn
        .client()
        .query_one("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS.MS\"Z\"')", &[])
        .await?
        .get(0);
    let backup_dir = backups.join(stamp);
    // pg_dump must be at least as new as the server: the server's own major first (PLUMB_PG_BIN
    // is honoured there), else any newer installation.
    let pg_dump = plumb_pg::discover(Some(conn.server_major()))
        .into_iter()
        .chain(plumb_pg::installed())
        .filter(|b| b.major >= conn.server_major())
        .map(|b| b.program("pg_dump"))
        .find(|p| p.is_file());
    let options = plumb_doctor::ExecuteOptions {
        lock_timeout,
        lock_wait: Duration::from_secs(60),
        backup_dir,
        pg_dump,
        plumb_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let observer = super::apply::Progress::new(output, Notices::default());
    let executed =
        plumb_doctor::execute(conn, info, plan, &situation.set, &situation.replay, &options, &observer).await?;
    if !executed.backup.tables.is_empty() {
        output.info(&format!(
            "backup ({}) of {}: {}",
            executed.backup.method,
            executed.backup.tables.join(", "),
            executed.backup.restore
        ));
    }
    if output.settings.json {
        // The JSON report says it all.
    } else if executed.committed {
        output.result(&output.paint(
            &format!(
                "repaired: {} step(s) committed in {} ms, {} migration(s) applied after; history and schema agree; {} other table(s) kept their rows and checksums",
                plan.steps.len(),
                executed.duration_ms,
                executed.rolled_forward.len(),
                executed.tables_checked
            ),
            Style::Ok,
        ));
    } else {
        output.result(&output.paint("rolled back, nothing changed:", Style::Error));
        for r in &executed.reasons {
            output.result(&format!("  {r}"));
        }
    }
    Ok(executed)
}

/// The plan in plain words, on stdout.
pub fn render_plan(plan: &Plan, rows: &BTreeMap<String, i64>, output: Output) {
    for line in plan_lines(plan, rows) {
        output.result(&line);
    }
}

/// The plan in plain words, line by line.
fn plan_lines(plan: &Plan, rows: &BTreeMap<String, i64>) -> Vec<String> {
    let mut lines = vec![if plan.is_empty() {
        "nothing to run".to_owned()
    } else {
        format!(
            "Repair plan (history in {}): converge to {} in one transaction ({} step(s)), then apply {} migration(s)",
            plan.history.table(),
            plan.converge_version.as_deref().unwrap_or("no migration"),
            plan.steps.len(),
            plan.roll_forward.len()
        )
    }];
    lines.extend(plan.summary().into_iter().map(|l| format!("  {l}")));
    if !rows.is_empty() {
        let touched: Vec<String> = rows.iter().map(|(t, n)| format!("{t} ({n} rows)")).collect();
        lines.push(format!("  rows touched: only in {}", touched.join(", ")));
    }
    lines.extend(plan.alternatives.iter().map(|a| format!("  alternative: {a}")));
    lines
}

/// Writes the migration that adopts the unexplained objects; returns it as a value.
pub fn write_adoption(dir: &Path, situation: &Situation, unexplained: &[plumb_doctor::ObjectId]) -> Result<Migration> {
    let version = next_version(&situation.set);
    let path: PathBuf = dir.join(format!("{version}_adopted.sql"));
    let sql = plumb_doctor::adoption_sql(&situation.live, unexplained);
    std::fs::write(&path, &sql).with_context(|| format!("could not write {}", path.display()))?;
    Ok(Migration::new(Version::parse(&version).expect("digits"), "adopted".into(), path, sql)?)
}

/// One past the newest version, keeping its width (`0007` → `0008`).
fn next_version(set: &MigrationSet) -> String {
    let last = set.migrations().last().map(|m| m.version.as_str().to_owned()).unwrap_or_else(|| "0000".into());
    let next = last.parse::<u128>().map(|n| n + 1).unwrap_or(1);
    format!("{next:0width$}", width = last.len())
}
