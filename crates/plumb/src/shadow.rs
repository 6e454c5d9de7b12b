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
    let purpose = format!("replaying {} migrations", set.migrations().len());
    let shadow = Shadow::open(target, target_major, args, output, &purpose).await?;
    let replay = run(shadow.connection(), set).await;
    shadow.close().await;
    let replay = replay?;
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

/// An empty database to work in: a throwaway local cluster, or a temporary database on a
/// server (`--shadow-url`, or the target's with `--shadow-on-target`), dropped on close.
pub struct Shadow {
    connection: Connection,
    temporary: Option<(Connection, String)>,
    // Dropped last: stops and removes the throwaway cluster.
    _cluster: Option<Cluster>,
}

impl Shadow {
    /// Opens the shadow for a target of `target_major`; `purpose` says what for ("replaying 30 migrations").
    pub async fn open(
        target: &ConnInfo,
        target_major: u32,
        args: &ShadowArgs,
        output: Output,
        purpose: &str,
    ) -> Result<Shadow> {
        let notices = Notices::silent();
        let server = match (&args.shadow_url, args.shadow_on_target) {
            (Some(url), _) => Some(ConnInfo::parse(url, &Environment::process())?),
            (None, true) => Some(target.clone()),
            (None, false) => None,
        };
        if let Some(server) = server {
            let admin = target::connect_to(&server, output, Access::ReadWrite, &notices).await?;
            let name = format!("plumb_shadow_{}", std::process::id());
            admin.batch(&format!("CREATE DATABASE {name}")).await.context("could not create the shadow database")?;
            output.info(&format!("{purpose} in temporary database {name}"));
            let connection =
                target::connect_to(&server.with_dbname(&name), output, Access::ReadWrite, &notices).await?;
            return Ok(Shadow { connection, temporary: Some((admin, name)), _cluster: None });
        }
        let binaries = match plumb_pg::discover(Some(target_major)) {
            Ok(b) => b,
            Err(_) => {
                let b = plumb_pg::discover(None)?;
                output.warn(&format!(
                    "no PostgreSQL {target_major} binaries here; using {} instead, so definitions the two versions print differently may show as drift. Install PostgreSQL {target_major} or pass --shadow-url",
                    b.version
                ));
                b
            }
        };
        output.info(&format!("{purpose} in a throwaway PostgreSQL {}", binaries.version));
        let cluster =
            Cluster::start(&binaries, &ClusterConfig::default()).context("could not start a shadow cluster")?;
        let connection = target::connect_to(&cluster.conninfo("postgres"), output, Access::ReadWrite, &notices).await?;
        Ok(Shadow { connection, temporary: None, _cluster: Some(cluster) })
    }

    /// The connection to the shadow database.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Drops a temporary database; a throwaway cluster goes with `self`.
    pub async fn close(self) {
        let Shadow { connection, temporary, _cluster } = self;
        drop(connection);
        if let Some((admin, name)) = temporary {
            let _ = admin.batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }
}

async fn run(conn: &Connection, set: &MigrationSet) -> Result<Replay> {
    Ok(plumb_doctor::replay(conn, set).await?)
}
