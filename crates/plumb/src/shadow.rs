//! The shadow database migrations are replayed in: given by URL, a temporary database on
//! the target's server, or (by default) a throwaway local cluster of the target's major version.

use anyhow::{Context, Result};
use plumb_doctor::Replay;
use plumb_migrate::MigrationSet;
use plumb_pg::{Cluster, ClusterConfig, ConnInfo, Connection, Environment};

use crate::cli::ShadowArgs;
use crate::output::Output;
use crate::target::{self, Access, Notices};

/// Replays `set` for a target of `target_major` (or loads the cached replay).
pub async fn replay(
    set: &MigrationSet,
    target: &ConnInfo,
    target_major: u32,
    args: &ShadowArgs,
    output: Output,
) -> Result<Replay> {
    let cache = std::env::current_dir()?
        .join(".plumb/cache")
        .join(format!("replay-{}.json", Replay::cache_key(set, target_major, env!("CARGO_PKG_VERSION"))));
    if let Some(cached) = Replay::load(&cache) {
        return Ok(cached);
    }
    let notices = Notices::silent();
    let replay = match (&args.shadow_url, args.shadow_on_target) {
        (Some(url), _) => on_server(set, &ConnInfo::parse(url, &Environment::process())?, output, &notices).await?,
        (None, true) => on_server(set, target, output, &notices).await?,
        (None, false) => {
            let binaries = match plumb_pg::discover(Some(target_major)) {
                Ok(b) => b,
                Err(_) => {
                    let b = plumb_pg::discover(None)?;
                    output.warn(&format!(
                        "no PostgreSQL {target_major} binaries here; replaying on {} instead, so definitions the two versions print differently may show as drift. Install PostgreSQL {target_major} or pass --shadow-url",
                        b.version
                    ));
                    b
                }
            };
            output.info(&format!(
                "replaying {} migrations in a throwaway PostgreSQL {}",
                set.migrations().len(),
                binaries.version
            ));
            let cluster =
                Cluster::start(&binaries, &ClusterConfig::default()).context("could not start a shadow cluster")?;
            let conn = target::connect_to(&cluster.conninfo("postgres"), output, Access::ReadWrite, &notices).await?;
            run(&conn, set).await?
        }
    };
    if let Some((index, error)) = &replay.failure {
        let m = &set.migrations()[*index];
        output.warn(&format!(
            "{} fails in the shadow ({error}); migrations from it on could not be replayed, so their status is unknown",
            m.path.display()
        ));
    }
    replay.store(&cache);
    Ok(replay)
}

/// Replays in a temporary database on the server `server` points at, dropped afterwards.
async fn on_server(set: &MigrationSet, server: &ConnInfo, output: Output, notices: &Notices) -> Result<Replay> {
    let admin = target::connect_to(server, output, Access::ReadWrite, notices).await?;
    let name = format!("plumb_shadow_{}", std::process::id());
    admin.batch(&format!("CREATE DATABASE {name}")).await.context("could not create the shadow database")?;
    output.info(&format!("replaying {} migrations in temporary database {name}", set.migrations().len()));
    let result = async {
        let conn = target::connect_to(&server.with_dbname(&name), output, Access::ReadWrite, notices).await?;
        run(&conn, set).await
    }
    .await;
    let _ = admin.batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    result
}

async fn run(conn: &Connection, set: &MigrationSet) -> Result<Replay> {
    Ok(plumb_doctor::replay(conn, set).await?)
}
