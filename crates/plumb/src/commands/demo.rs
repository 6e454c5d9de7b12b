//! `plumb demo`: the embedded example, end to end, on a throwaway cluster.

use anyhow::{Context, Result};
use plumb_migrate::{ApplyOptions, Migration, MigrationSet, Version};
use plumb_pg::{Cluster, ClusterConfig};

use super::Exit;
use crate::output::Output;
use crate::settings::GlobalSettings;
use crate::target::{self, Access, Notices};

/// The quickstart migrations, embedded so the demo needs no files.
const QUICKSTART: [(&str, &str); 4] = [
    (
        "0001_organizations_and_users.sql",
        include_str!("../../../../examples/quickstart/migrations/0001_organizations_and_users.sql"),
    ),
    ("0002_projects.sql", include_str!("../../../../examples/quickstart/migrations/0002_projects.sql")),
    (
        "0003_projects_by_owner_index.sql",
        include_str!("../../../../examples/quickstart/migrations/0003_projects_by_owner_index.sql"),
    ),
    (
        "0004_row_level_security.sql",
        include_str!("../../../../examples/quickstart/migrations/0004_row_level_security.sql"),
    ),
];

pub async fn run(settings: &GlobalSettings, output: Output) -> Result<Exit> {
    let binaries = plumb_pg::discover(settings.pg_version)?;
    output.info(&format!("starting a throwaway PostgreSQL {} ({})", binaries.version, binaries.bin_dir.display()));
    let cluster = Cluster::start(&binaries, &ClusterConfig::default()).context("could not start a local cluster")?;
    output.info(&format!("cluster ready in {} ms: {}", cluster.started_in().as_millis(), cluster.conninfo("postgres")));

    let set = quickstart()?;
    let notices = Notices::default();
    let conn = target::connect_to(&cluster.conninfo("postgres"), output, Access::ReadWrite, &notices).await?;
    let options = ApplyOptions { plumb_version: env!("CARGO_PKG_VERSION").to_owned(), ..ApplyOptions::default() };

    output.result("\n== status before apply ==");
    let history = plumb_migrate::read_history(&conn).await?;
    super::status::render(&plumb_migrate::status(&set, history.as_deref()), None, conn.target(), output);

    output.result("\n== apply ==");
    super::apply::apply_and_report(&conn, &set, &options, output, &notices).await?;

    output.result("\n== status after apply ==");
    let history = plumb_migrate::read_history(&conn).await?;
    super::status::render(&plumb_migrate::status(&set, history.as_deref()), None, conn.target(), output);

    output.result("\n== apply again ==");
    super::apply::apply_and_report(&conn, &set, &options, output, &notices).await?;
    drop(conn);
    drop(cluster);
    output.info("throwaway cluster stopped and removed");
    Ok(Exit::Ok)
}

fn quickstart() -> Result<MigrationSet> {
    let migrations = QUICKSTART
        .iter()
        .map(|(file, sql)| {
            let (version, name) = file.trim_end_matches(".sql").split_once('_').expect("embedded names have versions");
            Migration::new(
                Version::parse(version).expect("embedded versions are digits"),
                name.to_owned(),
                format!("examples/quickstart/migrations/{file}").into(),
                sql.to_string(),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MigrationSet::new(migrations)?)
}
