//! `plumb demo`: the five incidents (examples/incidents/README.md), each built in its own database on
//! a throwaway cluster, diagnosed (status, verify, locate, check), repaired and verified
//! again. `--build N` builds one incident on the target instead, for trying plumb by hand.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use miette::{Context, IntoDiagnostic, Result};
use plumb_doctor::{Diagnosis, ExecuteOptions, PlanOptions, Shadow, Situation, Status};
use plumb_migrate::{ApplyOptions, MigrationSet};
use plumb_pg::{Cluster, ClusterConfig};

use super::Exit;
use crate::cli::DemoArgs;
use crate::incidents::{self, INCIDENTS, Incident};
use crate::output::{Output, Style};
use crate::settings::GlobalSettings;
use crate::target::{self, Access, Notices};
use crate::views;

/// The outcome of an incident whose migration `check` refuses and that has nothing to repair.
const PREVENTED: &str = "untouched: check refuses it";

/// One line of the summary table, and the details the report shows.
struct Outcome {
    number: u8,
    title: &'static str,
    found: String,
    check: String,
    repair: String,
    after: String,
    rows: String,
    plan_summary: Vec<String>,
    script: String,
}

pub async fn run(settings: &GlobalSettings, args: &DemoArgs, output: Output) -> Result<Exit> {
    if let Some(number) = args.build {
        return build_on_target(settings, number, &args.dir, output).await;
    }
    let started = Instant::now();
    let binaries = plumb_pg::discover(settings.pg_version)?;
    output.info(&format!("starting a throwaway PostgreSQL {} ({})", binaries.version, binaries.bin_dir.display()));
    let cluster = Cluster::start(&binaries, &ClusterConfig::default()).context("could not start a local cluster")?;
    output.info(&format!("cluster ready in {} ms: {}", cluster.started_in().as_millis(), cluster.conninfo("postgres")));
    let work = tempfile::tempdir().into_diagnostic().context("could not create a temporary folder")?;

    // Backups of what the repairs touched: kept in the report folder when there is one; else
    // they go with the temporary folder (and the cluster they came from) when the demo ends.
    let backups = args.report.as_ref().map_or_else(|| work.path().join("backups"), |dir| dir.join("backups"));
    let mut outcomes = Vec::new();
    for incident in &INCIDENTS {
        outcomes.push(run_incident(&cluster, incident, work.path(), &backups, output).await?);
    }
    // Incident 2 again, on Alembic, the tool it happened on: Alembic runs its revisions.
    match plumb_migrate::alembic_ready() {
        Ok(()) => {
            outcomes.push(run_incident(&cluster, &incidents::ALEMBIC_INCIDENT, work.path(), &backups, output).await?)
        }
        Err(why) => output.info(&format!("incident 2 on Alembic skipped: {why}")),
    }

    output.result(&format!("\n{}", output.paint("== summary ==", Style::Ok)));
    output.result(&summary_table(&outcomes).to_string());
    output.result(&format!("{} incidents in {:.1} s", outcomes.len(), started.elapsed().as_secs_f64()));
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir)
            .into_diagnostic()
            .with_context(|| format!("could not create {}", dir.display()))?;
        std::fs::write(dir.join("demo.md"), markdown(&outcomes)).into_diagnostic()?;
        std::fs::write(dir.join("demo.html"), html(&outcomes)).into_diagnostic()?;
        output.info(&format!("wrote {0}/demo.md and {0}/demo.html", dir.display()));
    }
    drop(cluster);
    match &args.report {
        Some(dir) => output.info(&format!(
            "throwaway cluster stopped and removed; the repairs' backups are kept in {}",
            dir.join("backups").display()
        )),
        None => output.info(
            "throwaway cluster stopped and removed, with the repairs' backups (the databases they could restore \
             are gone too); --report DIR keeps them in DIR/backups",
        ),
    }
    let all_good = outcomes.iter().all(|o| o.after == "clean" || o.after == PREVENTED);
    Ok(if all_good { Exit::Ok } else { Exit::Findings })
}

/// `plumb demo --build N --dir DIR`: incident N on the target database, its migrations in DIR.
async fn build_on_target(settings: &GlobalSettings, number: u8, dir: &Path, output: Output) -> Result<Exit> {
    let incident =
        incidents::find(number).with_context(|| format!("no incident {number}: they are numbered 1 to 5"))?;
    let conn = target::connect(settings, output, Access::ReadWrite, &Notices::silent()).await?;
    incidents::build(&conn, incident, dir).await?;
    output.info(&format!(
        "built incident {number} ({}) on {}; its migrations are in {}",
        incident.title,
        conn.target(),
        dir.display()
    ));
    Ok(Exit::Ok)
}

async fn run_incident(
    cluster: &Cluster,
    incident: &Incident,
    work: &Path,
    backups: &Path,
    output: Output,
) -> Result<Outcome> {
    let n = incident.number;
    output.result(&format!("\n{}", output.paint(&format!("━━ incident {n}: {} ━━", incident.title), Style::Ok)));
    let server = cluster.conninfo("postgres");
    // Named by the folder: incident 2 runs twice (plumb's history, then Alembic's).
    let name = format!("incident_{}", incident.slug.replace('-', "_"));
    let database = Shadow::database(&server, &name).await?;
    let conn = database.connection();
    let dir = work.join(incident.slug).join("migrations");
    let set = incidents::build(conn, incident, &dir).await?;

    output.result("\n$ plumb status");
    let history = plumb_migrate::read_history_with_format(conn, &set).await?;
    let source = crate::report::SourceReport::new(&set, history.as_ref().map(|(f, _)| *f));
    let history = history.map(|(_, rows)| rows).unwrap_or_default();
    views::status::render(&plumb_migrate::status(&set, Some(&history)), None, source, conn.target(), output);

    output.result("\n$ plumb verify");
    let replay = replay_in(cluster, &format!("{name}_shadow"), &set).await?;
    let situation = Situation::read(conn, set, replay).await?;
    let diagnosis = situation.diagnose();
    views::diagnosis::render(&diagnosis, &situation.set, conn.target(), output);

    output.result("\n$ plumb locate");
    let located = situation.locate();
    output.result(&format!(
        "the live schema is closest to {}; really present: {}",
        located.best_version.as_deref().map_or("no migration applied".to_owned(), |v| format!("migration {v}")),
        located.applied.join(", ")
    ));

    let options = ApplyOptions::default();
    let (pending, _) = plumb_migrate::plan_apply(&situation.set, &situation.history, &options)?;
    let check = if pending.is_empty() {
        "-".to_owned()
    } else {
        check_pending(conn.target(), &server, &name, &situation, &pending, output).await?
    };

    output.result(&format!("\n$ plumb repair --execute{}", if incident.adopt { " --adopt" } else { "" }));
    let mut plan_options =
        PlanOptions { plumb_version: env!("CARGO_PKG_VERSION").to_owned(), ..PlanOptions::default() };
    if incident.adopt && !diagnosis.unexplained.is_empty() {
        let adopted = situation.write_adoption(&dir, &diagnosis.unexplained)?;
        let objects: Vec<String> = diagnosis.unexplained.iter().map(ToString::to_string).collect();
        output.result(&format!("wrote {} for {}", adopted.path.display(), objects.join(", ")));
        plan_options.adopt = Some(adopted);
    }
    let plan = situation.plan(&diagnosis, &plan_options);
    views::plan::render_plan(&plan, &BTreeMap::new(), output);
    let info = cluster.conninfo(&name);
    let executed = if plan.is_empty() {
        None
    } else {
        let options = ExecuteOptions {
            lock_timeout: Duration::from_secs(5),
            lock_wait: Duration::from_secs(60),
            backups: backups.to_owned(),
            plumb_version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        let progress = views::progress::Progress::new(output, Notices::silent());
        let executed =
            plumb_doctor::execute(conn, &info, &plan, &situation.set, &situation.replay, &options, &progress).await?;
        views::plan::executed(&plan, &executed, output);
        Some(executed)
    };
    let repaired = match &executed {
        None => "nothing to repair".to_owned(),
        Some(e) if e.committed && e.rolled_forward.is_empty() => format!("{} step(s) committed", plan.steps.len()),
        Some(e) if e.committed => {
            format!("{} step(s) committed, {} applied after", plan.steps.len(), e.rolled_forward.len())
        }
        Some(e) => format!("rolled back: {}", e.reasons.join("; ")),
    };

    output.result("\n$ plumb verify");
    let set = plumb_migrate::load_dir(&dir)?;
    let replay = if set.migrations().len() == situation.set.migrations().len() {
        situation.replay.clone()
    } else {
        replay_in(cluster, &format!("{name}_shadow_after"), &set).await?
    };
    let after_situation = Situation::read(conn, set, replay).await?;
    let after_diagnosis = after_situation.diagnose();
    views::diagnosis::render(&after_diagnosis, &after_situation.set, conn.target(), output);

    let after = if after_diagnosis.is_clean() {
        "clean".into()
    } else if plan.is_empty() && check.starts_with("FAIL") {
        // Nothing to repair: the history is right, and check stopped the migration before it ran.
        PREVENTED.into()
    } else {
        "NOT clean".into()
    };
    Ok(Outcome {
        after,
        number: n,
        title: incident.title,
        found: found(&diagnosis),
        check,
        repair: repaired,
        rows: rows_intact(executed.as_ref(), &plan.tables),
        plan_summary: plan.summary(),
        script: situation.script(&plan, env!("CARGO_PKG_VERSION")),
    })
}

/// `plumb check` on a clone of the incident's database: `PASS`, or why it fails, in a few words.
async fn check_pending(
    target: &str,
    server: &plumb_pg::ConnInfo,
    name: &str,
    situation: &Situation,
    pending: &[plumb_migrate::PlannedMigration<'_>],
    output: Output,
) -> Result<String> {
    output.result("\n$ plumb check");
    let shadow = Shadow::database(server, &format!("{name}_clone")).await?;
    let clone = plumb_doctor::clone_target(shadow.connection(), &situation.live).await?;
    let checked = plumb_doctor::check(shadow.connection(), &situation.set, pending, &situation.live, clone).await;
    shadow.close().await;
    let checked = checked?;
    views::check::text(target, &checked, &[], pending.len(), output);
    Ok(match checked.statements.iter().find(|s| s.status == plumb_doctor::StatementStatus::Failed) {
        None => "PASS".to_owned(),
        Some(_) if !checked.missing_objects.is_empty() => {
            format!("FAIL: needs {}", checked.missing_objects.join(", "))
        }
        Some(s) => {
            let file = Path::new(&s.file).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            let error = s.error.as_ref().map(|e| e.message.clone()).unwrap_or_default();
            format!("FAIL: {file}:{} {error}", s.line)
        }
    })
}

/// The findings in a few words: `006 partial, 003 pending`.
fn found(d: &Diagnosis) -> String {
    let mut parts: Vec<String> = d
        .migrations
        .iter()
        .filter(|m| !matches!(m.status, Status::Verified | Status::Unverifiable))
        .map(|m| format!("{} {}", m.version, views::diagnosis::status_word(m.status)))
        .collect();
    let drift: usize = d.migrations.iter().map(|m| m.drift.len()).sum();
    if drift > 0 {
        parts.push(format!("{drift} drifted"));
    }
    if !d.unexplained.is_empty() {
        parts.push(format!("{} unexplained", d.unexplained.len()));
    }
    if parts.is_empty() { "history and schema agree".into() } else { parts.join(", ") }
}

/// What became of the rows that were there. A committed repair has held every table its plan
/// does not name to its row count and content checksum; here the tables it names must keep
/// their row count too.
fn rows_intact(executed: Option<&plumb_doctor::Executed>, named: &[String]) -> String {
    let Some(executed) = executed else { return "nothing ran: rows intact".into() };
    if !executed.committed {
        return "rolled back: rows as they were".into();
    }
    let total: i64 = executed.rows.values().filter_map(|(before, _)| *before).sum();
    let changed: Vec<&str> = executed
        .rows
        .iter()
        .filter(|(table, (before, after))| named.contains(table) && before.is_some() && before != after)
        .map(|(table, _)| table.as_str())
        .collect();
    if changed.is_empty() { format!("{total} rows intact") } else { format!("CHANGED: {}", changed.join(", ")) }
}

/// The replay of `set` in a database of its own on the demo's cluster.
async fn replay_in(cluster: &Cluster, name: &str, set: &MigrationSet) -> Result<plumb_doctor::Replay> {
    let shadow = Shadow::database(&cluster.conninfo("postgres"), name).await?;
    let replay = plumb_doctor::replay(shadow.connection(), set).await;
    shadow.close().await;
    Ok(replay?)
}

const HEADER: [&str; 6] = ["incident", "plumb found", "check", "repair", "after", "existing rows"];

fn cells(o: &Outcome) -> [String; 6] {
    [
        format!("{}. {}", o.number, o.title),
        o.found.clone(),
        o.check.clone(),
        o.repair.clone(),
        o.after.clone(),
        o.rows.clone(),
    ]
}

/// The summary, wrapped to read well at 100 columns.
fn summary_table(outcomes: &[Outcome]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(100)
        .set_header(HEADER);
    for o in outcomes {
        table.add_row(cells(o));
    }
    table
}

fn markdown(outcomes: &[Outcome]) -> String {
    let mut out = String::from("# plumb demo: the five incidents\n\n");
    out.push_str(&format!("| {} |\n|{}\n", HEADER.join(" | "), "---|".repeat(HEADER.len())));
    for o in outcomes {
        out.push_str(&format!("| {} |\n", cells(o).map(|c| c.replace('|', "\\|")).join(" | ")));
    }
    for o in outcomes {
        out.push_str(&format!("\n## {}. {}\n\nplumb found: {}\n\n", o.number, o.title, o.found));
        for line in &o.plan_summary {
            out.push_str(&format!("- {line}\n"));
        }
        out.push_str(&format!("\n```sql\n{}```\n", o.script));
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn html(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "<!doctype html>\n<meta charset=\"utf-8\">\n<title>plumb demo</title>\n<style>body{font-family:sans-serif;max-width:72rem;margin:2rem auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}pre{background:#f6f6f6;padding:1rem;overflow:auto}</style>\n<h1>plumb demo: the five incidents</h1>\n<table>\n<tr>",
    );
    for h in HEADER {
        out.push_str(&format!("<th>{h}</th>"));
    }
    out.push_str("</tr>\n");
    for o in outcomes {
        out.push_str("<tr>");
        for c in cells(o) {
            out.push_str(&format!("<td>{}</td>", escape(&c)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    for o in outcomes {
        out.push_str(&format!(
            "<h2>{}. {}</h2>\n<p>plumb found: {}</p>\n<ul>\n",
            o.number,
            escape(o.title),
            escape(&o.found)
        ));
        for line in &o.plan_summary {
            out.push_str(&format!("<li>{}</li>\n", escape(line)));
        }
        out.push_str(&format!("</ul>\n<pre>{}</pre>\n", escape(&o.script)));
    }
    out
}
