//! `plumb repair`: the plan that brings history and schema back to the truth, and,
//! with `--execute`, running it under every guard `plumb-doctor` has.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use miette::{IntoDiagnostic, Result, bail};
use plumb_doctor::{ExecuteOptions, PartialFix, PlanOptions};

use super::Exit;
use crate::cli::{PartialChoice, RepairArgs};
use crate::doctor::gather;
use crate::output::Output;
use crate::report;
use crate::settings::GlobalSettings;
use crate::target::{Access, Notices};
use crate::views::plan::{executed as render_executed, plan_lines, render_plan};
use crate::views::progress::Progress;

pub async fn run(settings: &GlobalSettings, args: &RepairArgs, output: Output) -> Result<Exit> {
    let dir = &crate::settings::migrations_source(&args.doctor.dir)?.dir;
    let access = if args.execute { Access::ReadWrite } else { Access::ReadOnly };
    let g = gather(settings, &args.doctor, output, access).await?;
    let (conn, situation) = (&g.conn, &g.situation);
    let script = |plan: &plumb_doctor::Plan| situation.script(plan, env!("CARGO_PKG_VERSION"));

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
        let adopted = situation.write_adoption(dir, &diagnosis.unexplained)?;
        output.info(&format!("wrote {}: it creates the unexplained objects", adopted.path.display()));
        options.adopt = Some(adopted);
    }
    let plan = situation.plan(&diagnosis, &options);
    let rows = plumb_doctor::count_rows(conn, &plan.tables).await?;

    if !args.execute {
        if output.settings.json {
            output.json(&report::RepairReport::new(conn.target(), &plan, script(&plan), &rows, None));
        } else {
            // The words on stderr, the script on stdout: `plumb repair > repair.sql` keeps a
            // script that runs as it is (it carries the same words as comments).
            for line in plan_lines(&plan, &rows) {
                output.info(&line);
            }
            output.script(&script(&plan), args.output.as_deref())?;
        }
        return Ok(if plan.is_empty() && plan.unresolved.is_empty() { Exit::Ok } else { Exit::Findings });
    }

    if plan.is_empty() {
        if output.settings.json {
            output.json(&report::RepairReport::new(conn.target(), &plan, script(&plan), &rows, None));
        } else {
            render_plan(&plan, &rows, output);
        }
        return Ok(if plan.unresolved.is_empty() { Exit::Ok } else { Exit::Findings });
    }
    if !output.settings.json {
        render_plan(&plan, &rows, output);
    }
    confirm(args.yes, conn.target())?;
    let options = ExecuteOptions {
        lock_timeout: args.lock_timeout,
        lock_wait: Duration::from_secs(60),
        backups: crate::settings::current_dir()?.join(".plumb/backups"),
        plumb_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let progress = Progress::new(output, Notices::default());
    let executed =
        plumb_doctor::execute(conn, &g.info, &plan, &situation.set, &situation.replay, &options, &progress).await?;
    render_executed(&plan, &executed, output);
    if output.settings.json {
        output.json(&report::RepairReport::new(conn.target(), &plan, script(&plan), &rows, Some(&executed)));
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
    std::io::stdin().lock().read_line(&mut answer).into_diagnostic()?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        bail!("not confirmed; nothing was changed");
    }
    Ok(())
}
