//! Connecting to the database a command is about: the given URL, or the project cluster.

use std::sync::{Arc, Mutex};

use indicatif::ProgressBar;
use miette::{Context, Result};
use plumb_pg::{ConnInfo, Connection, Environment, NoticeSink, ProjectCluster, ProjectClusterState};

use crate::output::{Output, Style};
use crate::settings::{GlobalSettings, Target};

/// Whether the command may write to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Diagnosis: every transaction is read-only.
    ReadOnly,
    /// apply.
    ReadWrite,
}

/// Where NOTICE and WARNING messages go: above the progress bar, when there is one.
#[derive(Clone, Default)]
pub struct Notices {
    bar: Arc<Mutex<Option<ProgressBar>>>,
    silent: bool,
}

impl Notices {
    /// Notices are dropped: for work the user did not write (replaying files to compare them).
    pub fn silent() -> Self {
        Notices { silent: true, ..Notices::default() }
    }

    /// Notices print above `bar` from now on.
    pub fn attach(&self, bar: Option<ProgressBar>) {
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = bar;
    }

    fn sink(&self, output: Output) -> NoticeSink {
        let bar = self.bar.clone();
        let silent = self.silent;
        Arc::new(move |notice| {
            if silent {
                return;
            }
            let line = format!("{}: {}", notice.severity, notice.message);
            let line = match &notice.detail {
                Some(d) => format!("{line}\n  DETAIL: {d}"),
                None => line,
            };
            let styled = output.paint(&line, if notice.severity == "WARNING" { Style::Warn } else { Style::Dim });
            match bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                Some(b) => b.suspend(|| output.info(&styled)),
                None => output.info(&styled),
            }
        })
    }
}

/// Resolves the target's connection settings, starting the project cluster when that is the target.
pub fn conninfo(settings: &GlobalSettings, output: Output) -> Result<ConnInfo> {
    match &settings.target {
        Target::Url(url) => {
            let info = ConnInfo::parse(url, &Environment::process())?;
            for w in &info.warnings {
                output.warn(w);
            }
            Ok(info)
        }
        Target::ProjectCluster { project_dir } => {
            let cluster = ProjectCluster::in_project(project_dir);
            match cluster.state() {
                ProjectClusterState::Running { .. } => {
                    output.info(&format!(
                        "using the project cluster in {} (no --database-url or DATABASE_URL given)",
                        cluster.root().display()
                    ));
                }
                _ => {
                    let binaries = plumb_pg::discover(settings.pg_version)?;
                    output.info(&format!(
                        "starting the project cluster in {} with PostgreSQL {} (no --database-url or DATABASE_URL given)",
                        cluster.root().display(),
                        binaries.version
                    ));
                    cluster.start(&binaries).context("could not start the project cluster")?;
                }
            }
            Ok(cluster.conninfo("postgres"))
        }
    }
}

/// Connects to the target with the access the command needs.
pub async fn connect(
    settings: &GlobalSettings,
    output: Output,
    access: Access,
    notices: &Notices,
) -> Result<Connection> {
    let info = conninfo(settings, output)?;
    connect_to(&info, output, access, notices).await
}

/// Connects with resolved settings.
pub async fn connect_to(info: &ConnInfo, output: Output, access: Access, notices: &Notices) -> Result<Connection> {
    let conn = plumb_pg::connect(info, Some(notices.sink(output))).await?;
    if access == Access::ReadOnly {
        // Diagnosis never writes: the server enforces it for every transaction of this session.
        conn.batch("SET default_transaction_read_only = on").await?;
    }
    Ok(conn)
}
