//! `plumb pg start|stop|status|url`: the project's own local cluster.

use miette::{Result, bail};
use plumb_pg::{ProjectCluster, ProjectClusterState};

use super::Exit;
use crate::cli::PgCommand;
use crate::output::Output;
use crate::report;
use crate::settings::GlobalSettings;

pub fn run(settings: &GlobalSettings, command: &PgCommand, output: Output) -> Result<Exit> {
    let project_dir = crate::settings::current_dir()?;
    let cluster = ProjectCluster::in_project(&project_dir);
    match command {
        PgCommand::Start => {
            if let ProjectClusterState::Running { pid } = cluster.state() {
                output.info(&format!("the project cluster already runs (pid {pid})"));
            } else {
                let binaries = plumb_pg::discover(settings.pg_version)?;
                output.info(&format!("starting PostgreSQL {} in {}", binaries.version, cluster.root().display()));
                cluster.start(&binaries)?;
            }
            output.result(&cluster.conninfo("postgres").to_url_with_password());
        }
        PgCommand::Stop => match cluster.state() {
            ProjectClusterState::Running { .. } => {
                let binaries = plumb_pg::discover(settings.pg_version)?;
                cluster.stop(&binaries)?;
                output.info("stopped the project cluster");
            }
            _ => output.info("the project cluster is not running"),
        },
        PgCommand::Status => {
            let state = cluster.state();
            let (name, pid) = match state {
                ProjectClusterState::Absent => ("absent", None),
                ProjectClusterState::Stopped => ("stopped", None),
                ProjectClusterState::Running { pid } => ("running", Some(pid)),
            };
            let url = pid.map(|_| cluster.conninfo("postgres").to_url_with_password());
            if output.settings.json {
                output.json(&report::PgStatusReport {
                    format: report::FORMAT,
                    state: name,
                    pid,
                    url,
                    folder: cluster.root().display().to_string(),
                });
            } else {
                match (pid, url) {
                    (Some(pid), Some(url)) => output.result(&format!("running (pid {pid}): {url}")),
                    _ => output.result(&format!("{name}: start it with `plumb pg start`")),
                }
            }
        }
        PgCommand::Url => match cluster.state() {
            ProjectClusterState::Running { .. } => output.result(&cluster.conninfo("postgres").to_url_with_password()),
            _ => bail!("the project cluster is not running; start it with `plumb pg start`"),
        },
    }
    Ok(Exit::Ok)
}
