//! The shadow database migrations are replayed (and targets cloned) in: a temporary database
//! on a server the user names (`--shadow-url`) or on the target's own server
//! (`--shadow-on-target`), or, by default, a throwaway local cluster of the target's major
//! version. And the replay cache: a replay is kept under the project's `.plumb/cache/`, keyed
//! by the content of every migration, the server major and plumb's version.

use std::path::Path;

use plumb_migrate::MigrationSet;
use plumb_pg::{Cluster, ClusterConfig, ConnInfo, Connection};

use crate::error::DoctorError;
use crate::replay::Replay;

/// Where the shadow database lives.
#[derive(Debug, Clone)]
pub enum ShadowServer {
    /// A temporary database on this server, created and dropped by plumb.
    Server(Box<ConnInfo>),
    /// The project's own cluster (`.plumb/pg` of this folder), made by this major: started
    /// when stopped (and left running, as `plumb pg start` leaves it), a temporary database in
    /// it per run. No `initdb` per run: the warm shadow.
    Project {
        /// The project folder (the one holding `.plumb`).
        dir: std::path::PathBuf,
        /// Its major version, the target's.
        major: u32,
    },
    /// A throwaway local cluster of this major (another one, with a warning, when it is not
    /// installed).
    Throwaway {
        /// The target's major version.
        major: u32,
    },
}

/// What a shadow tells the user as it goes. Every method does nothing by default.
pub trait Progress {
    /// Work is starting: `replaying 30 migrations in a throwaway PostgreSQL 15.18`.
    fn info(&self, _message: &str) {}
    /// Something the user should know that does not stop the work.
    fn warn(&self, _message: &str) {}
}

/// A `Progress` that says nothing.
pub struct Quiet;
impl Progress for Quiet {}

/// An empty database to work in, dropped (with its cluster, if plumb started one) on close.
pub struct Shadow {
    connection: Connection,
    temporary: Option<(Connection, String)>,
    /// The project cluster's next spare database, being made.
    spare: Option<tokio::task::JoinHandle<()>>,
    // Dropped last: stops and removes the throwaway cluster.
    _cluster: Option<Cluster>,
}

impl Shadow {
    /// Opens a shadow; `purpose` says what for (`replaying 30 migrations`).
    pub async fn open(server: &ShadowServer, purpose: &str, progress: &dyn Progress) -> Result<Shadow, DoctorError> {
        match server {
            ShadowServer::Server(info) => {
                let name = format!("plumb_shadow_{}", std::process::id());
                let shadow = Shadow::database(info, &name).await?;
                progress.info(&format!("{purpose} in temporary database {name}"));
                Ok(shadow)
            }
            ShadowServer::Project { dir, major } => {
                let cluster = plumb_pg::ProjectCluster::in_project(dir);
                if !matches!(cluster.state(), plumb_pg::ProjectClusterState::Running { .. }) {
                    let binaries = plumb_pg::discover(Some(*major))?;
                    progress.info(&format!(
                        "starting the project cluster ({}) as the shadow server; it keeps running (`plumb pg stop`)",
                        cluster.root().display()
                    ));
                    cluster.start(&binaries)?;
                }
                let name = format!("plumb_shadow_{}", std::process::id());
                let shadow = Shadow::project_database(&cluster.conninfo("postgres"), &name).await?;
                progress.info(&format!("{purpose} in temporary database {name} of the project cluster"));
                Ok(shadow)
            }
            ShadowServer::Throwaway { major } => {
                let binaries = match plumb_pg::discover(Some(*major)) {
                    Ok(b) => b,
                    Err(_) => {
                        let b = plumb_pg::discover(None)?;
                        progress.warn(&format!(
                            "no PostgreSQL {major} binaries here; using {} instead, so definitions the two versions print differently may show as drift. Install PostgreSQL {major} or pass --shadow-url",
                            b.version
                        ));
                        b
                    }
                };
                progress.info(&format!("{purpose} in a throwaway PostgreSQL {}", binaries.version));
                // initdb and the start take a second of their own: off this thread, so what
                // runs beside the shadow (reading the target) goes on meanwhile.
                let start = tokio::task::spawn_blocking(move || Cluster::start(&binaries, &ClusterConfig::default()));
                // The task fails only by panicking: the panic goes on here.
                let cluster = start.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
                let connection = plumb_pg::connect(&cluster.conninfo("postgres"), None).await?;
                Ok(Shadow { connection, temporary: None, _cluster: Some(cluster), spare: None })
            }
        }
    }

    /// A new, empty database `name` on the server `server` points at, dropped on close.
    pub async fn database(server: &ConnInfo, name: &str) -> Result<Shadow, DoctorError> {
        let admin = plumb_pg::connect(server, None).await?;
        admin.batch(&format!("CREATE DATABASE {name}")).await?;
        let connection = plumb_pg::connect(&server.with_dbname(name), None).await?;
        Ok(Shadow { connection, temporary: Some((admin, name.to_owned())), _cluster: None, spare: None })
    }

    /// As [`Shadow::database`], on the project cluster, which keeps an empty database ready:
    /// `CREATE DATABASE` takes 50-250 ms with the cluster's fsync on, so a run takes the spare
    /// one (renamed to `name`: a rename is a catalog update) and makes the next run's while it
    /// works. The cluster is plumb's own, so a spare there is no litter on someone's server.
    async fn project_database(server: &ConnInfo, name: &str) -> Result<Shadow, DoctorError> {
        let admin = plumb_pg::connect(server, None).await?;
        let spares: Vec<String> = admin
            .client()
            .query(SPARES, &[])
            .await
            .map_err(plumb_pg::PgError::from)?
            .iter()
            .map(|row| row.get(0))
            .collect();
        // A rename fails when another run took that spare first (it is gone) or is taking it:
        // the next one is tried, and none left means a database made now.
        let mut taken = false;
        for spare in &spares {
            if admin.batch(&format!("ALTER DATABASE {spare} RENAME TO {name}")).await.is_ok() {
                taken = true;
                break;
            }
        }
        if !taken {
            admin.batch(&format!("CREATE DATABASE {name}")).await?;
        }
        // One spare is enough: runs one after another each take it and leave one.
        let spare = (spares.len() <= usize::from(taken)).then(|| {
            let server = server.clone();
            let spare = format!("{SPARE_PREFIX}{}_{}", std::process::id(), spare_suffix());
            tokio::spawn(async move {
                // Made on a session of its own, beside the work; a failure only costs the next
                // run the time of a CREATE DATABASE.
                if let Ok(conn) = plumb_pg::connect(&server, None).await {
                    let _ = conn.batch(&format!("CREATE DATABASE {spare}")).await;
                }
            })
        });
        let connection = plumb_pg::connect(&server.with_dbname(name), None).await?;
        Ok(Shadow { connection, temporary: Some((admin, name.to_owned())), _cluster: None, spare })
    }

    /// The connection to the shadow database.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Drops a temporary database; a throwaway cluster goes with `self`.
    pub async fn close(self) {
        let Shadow { connection, temporary, _cluster, spare } = self;
        // A code-first tool's worker on this database ends with it.
        plumb_migrate::end_workers(connection.info());
        drop(connection);
        if let Some((admin, name)) = temporary {
            // DROP DATABASE waits in steps of 100 ms for the sessions it ends to be gone: the
            // replay's own sessions, just closed, are let go first (a few ms each).
            wait_for_sessions_to_end(&admin, &name).await;
            let _ = admin.batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
        // The next spare is not waited for: a short run would wait the CREATE DATABASE it
        // spares the next one. Cut off by the exit, the server finishes the statement all the
        // same (it looks for the client only when it answers); cut off before it was sent,
        // there is no spare and the next run makes its database itself.
        drop(spare);
    }
}

/// The project cluster's spare databases are named `plumb_spare_<pid>_<nanos>`.
const SPARE_PREFIX: &str = "plumb_spare_";

/// The spare databases ready on the project cluster, oldest first.
const SPARES: &str = "SELECT datname::text FROM pg_database WHERE datname LIKE 'plumb\\_spare\\_%' ORDER BY oid";

/// What tells two spares made by one process apart.
fn spare_suffix() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
}

/// Waits, for at most a second, until no session is connected to the database `name`.
async fn wait_for_sessions_to_end(admin: &Connection, name: &str) {
    const CONNECTED: &str = "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = $1)";
    for _ in 0..200 {
        match admin.client().query_one(CONNECTED, &[&name]).await.map(|row| row.get::<_, bool>(0)) {
            Ok(true) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
            // Gone, or the question cannot be asked: DROP DATABASE ends what is left.
            Ok(false) | Err(_) => return,
        }
    }
}

/// Where replays are kept between runs.
#[derive(Debug, Clone)]
pub struct ReplayCache<'a> {
    /// The folder (`.plumb/cache`).
    pub dir: &'a Path,
    /// plumb's version: a replay by another version is never reused.
    pub tool_version: &'a str,
}

/// The replay of `set` for a target of `target_major`: from `cache` when it holds one, else
/// replayed in a shadow on `server` (and stored for the next run).
pub async fn cached_replay(
    set: &MigrationSet,
    server: &ShadowServer,
    target_major: u32,
    cache: &ReplayCache<'_>,
    progress: &dyn Progress,
) -> Result<Replay, DoctorError> {
    let cache = cache.dir.join(format!("replay-{}.json", Replay::cache_key(set, target_major, cache.tool_version)));
    if let Some(cached) = Replay::load(&cache) {
        return Ok(cached);
    }
    let purpose = format!("replaying {} migrations", set.migrations().len());
    let shadow = Shadow::open(server, &purpose, progress).await?;
    let replay = crate::replay::replay(shadow.connection(), set).await;
    shadow.close().await;
    let replay = replay?;
    if let Some((index, error)) = &replay.failure {
        let m = &set.migrations()[*index];
        progress.warn(&format!(
            "{} fails in the shadow ({error}); migrations from it on could not be replayed, so their status is unknown",
            m.path.display()
        ));
    }
    replay.store(&cache);
    Ok(replay)
}
