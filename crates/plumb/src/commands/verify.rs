//! `plumb verify` and `plumb locate`: the history held against the catalog.

use miette::Result;

use super::Exit;
use crate::cli::DoctorArgs;
use crate::doctor::gather;
use crate::output::Output;
use crate::report;
use crate::settings::GlobalSettings;
use crate::target::Access;
use crate::views::diagnosis::{frontier_line, render, summary};

pub async fn verify(settings: &GlobalSettings, args: &DoctorArgs, output: Output) -> Result<Exit> {
    let g = gather(settings, args, output, Access::ReadOnly).await?;
    let (e, target) = (&g.situation, g.conn.target());
    let diagnosis = e.diagnose();
    let clean = diagnosis.agrees(args.strict);
    if output.settings.json {
        output.json(&report::VerifyReport {
            format: report::FORMAT,
            target,
            migrations: diagnosis.migrations.iter().map(report::VerifyMigration::new).collect(),
            frontier: report::FrontierReport::new(&diagnosis.frontier, &e.set),
            unexplained: diagnosis.unexplained.iter().map(ToString::to_string).collect(),
            missing_files: diagnosis
                .missing_files
                .iter()
                .map(|m| report::MissingFile { version: &m.version, name: &m.name })
                .collect(),
            summary: summary(&diagnosis.migrations, diagnosis.unexplained.len()),
        });
    } else {
        render(&diagnosis, &e.set, target, output);
    }
    Ok(if clean { Exit::Ok } else { Exit::Findings })
}

pub async fn locate(settings: &GlobalSettings, args: &DoctorArgs, output: Output) -> Result<Exit> {
    let g = gather(settings, args, output, Access::ReadOnly).await?;
    let (e, target) = (&g.situation, g.conn.target());
    let located = e.locate();
    let recorded: Vec<String> = located.migrations.iter().filter(|m| m.recorded).map(|m| m.version.clone()).collect();
    // Agreement is judged on the migrations the catalog can speak for.
    let agrees = located.residual.is_empty() && located.migrations.iter().all(|m| m.applied == m.recorded);
    if output.settings.json {
        output.json(&report::LocateReport {
            format: report::FORMAT,
            applied: &located.applied,
            best_version: located.best_version.as_deref(),
            frontier: report::FrontierReport::new(&located.frontier, &e.set),
            migrations: located
                .migrations
                .iter()
                .map(|m| report::LocatedMigration {
                    version: &m.version,
                    status: crate::views::diagnosis::status_word(m.status),
                    confidence: m.confidence,
                })
                .collect(),
            residual: located.residual.iter().map(ToString::to_string).collect(),
        });
    } else {
        output.result(target);
        output.result(&frontier_line(&located.frontier, &e.set));
        output.result(&format!("migrations really present: {}", located.applied.join(", ")));
        if recorded != located.applied {
            output.result(&format!("the history records:        {}", recorded.join(", ")));
        }
        if !located.residual.is_empty() {
            output.result("remaining differences:");
            for r in &located.residual {
                output.result(&format!("  {r}"));
            }
        }
    }
    Ok(if agrees { Exit::Ok } else { Exit::Findings })
}
