//! `plumb demo`: the embedded example, end to end, on a throwaway cluster.

use anyhow::{Context, Result};
use plumb_catalog::InspectOptions;
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

pub async fn run(settings: &GlobalSettings, _args: &crate::cli::DemoArgs, output: Output) -> Result<Exit> {
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

    // Drift: the history says all four applied; someone changed the schema by hand since.
    output.result("\n== someone drops a policy and adds an index by hand; plumb verify ==");
    conn.batch(
        "DROP POLICY projects_by_organization ON projects; CREATE INDEX hotfix_projects_name ON projects (name);",
    )
    .await?;
    let shadow = fresh_database(&cluster, "plumb_demo_shadow", output).await?;
    let replay = plumb_doctor::replay(&shadow, &set).await?;
    let target_schema = plumb_catalog::inspect(&conn, &InspectOptions::default()).await?;
    let live = plumb_doctor::objects(&target_schema);
    let history = plumb_migrate::read_history(&conn).await?.unwrap_or_default();
    super::verify::render(&plumb_doctor::diagnose(&set, &replay, &history, &live), conn.target(), output);

    // Preflight: a pending migration written for another database (Supabase's auth schema).
    output.result("\n== a new migration written for another database; plumb check ==");
    let mut with_pending = set.migrations().to_vec();
    with_pending.push(Migration::new(
        Version::parse("0005").expect("digits"),
        "project_members".into(),
        "examples/quickstart/migrations/0005_project_members.sql".into(),
        PENDING.to_owned(),
    )?);
    let with_pending = MigrationSet::new(with_pending)?;
    let (pending, _) = plumb_migrate::plan(&with_pending, &history, &options)?;
    let clone_db = fresh_database(&cluster, "plumb_demo_clone", output).await?;
    let clone = plumb_doctor::clone_target(&clone_db, &target_schema).await?;
    let checked = plumb_doctor::check(&clone_db, &with_pending, &pending, &target_schema, clone).await?;
    super::check::text(conn.target(), &checked, &[], output);
    drop((shadow, clone_db));
    drop(conn);
    drop(cluster);
    output.info("throwaway cluster stopped and removed");
    Ok(Exit::Ok)
}

/// The demo's pending migration: written for a database with Supabase's `auth` schema.
const PENDING: &str = "CREATE TABLE project_members (
    project_id bigint NOT NULL REFERENCES projects (id),
    user_id    uuid NOT NULL REFERENCES auth.users (id),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);
";

async fn fresh_database(cluster: &Cluster, name: &str, output: Output) -> Result<plumb_pg::Connection> {
    let admin =
        target::connect_to(&cluster.conninfo("postgres"), output, Access::ReadWrite, &Notices::silent()).await?;
    admin.batch(&format!("CREATE DATABASE {name}")).await?;
    target::connect_to(&cluster.conninfo(name), output, Access::ReadWrite, &Notices::silent()).await
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
