//! The CLI's side of the doctor's pipeline: the shadow arguments resolved into a
//! `ShadowServer`, the replay cache in the project folder, and one `gather` that every
//! doctor command (verify, locate, status --verify, repair) starts from.

use miette::Result;
use plumb_doctor::{ReplayCache, ShadowServer, Situation};
use plumb_pg::{ConnInfo, Connection, Environment};

use crate::cli::{DoctorArgs, ShadowArgs};
use crate::output::Output;
use crate::settings::GlobalSettings;
use crate::target::{self, Access, Notices};

/// Where the shadow lives: `--shadow-url`, the target's own server (`--shadow-on-target`), the
/// project cluster (`.plumb/pg`) when it is of the target's major, or a throwaway cluster.
pub fn shadow_server(args: &ShadowArgs, target: &ConnInfo, target_major: u32) -> Result<ShadowServer> {
    Ok(match (&args.shadow_url, args.shadow_on_target) {
        (Some(url), _) => ShadowServer::Server(Box::new(ConnInfo::parse(url, &Environment::process())?)),
        (None, true) => ShadowServer::Server(Box::new(target.clone())),
        (None, false) => {
            let dir = crate::settings::current_dir()?;
            match plumb_pg::ProjectCluster::in_project(&dir).major() {
                Some(major) if major == target_major => ShadowServer::Project { dir, major },
                _ => ShadowServer::Throwaway { major: target_major },
            }
        }
    })
}

/// One stderr line saying which tool's migrations and history table plumb is using, when it
/// is not plumb's own, and a line for each thing the folder holds that plumb did not read.
pub fn say_source(set: &plumb_migrate::MigrationSet, history: Option<plumb_migrate::HistoryFormat>, output: Output) {
    let layout = set.layout();
    let history = history.unwrap_or(layout.history());
    if layout != plumb_migrate::Layout::Plumb || history != plumb_migrate::HistoryFormat::Plumb {
        output.info(&format!(
            "{} migrations ({}); history in {} ({})",
            layout.tool(),
            set.migrations().len(),
            history.table(),
            history.tool()
        ));
    }
    for note in set.notes() {
        output.warn(note);
    }
}

/// The target, connected with `access`, and its situation: history, live schema, replay.
pub struct Gathered {
    pub conn: Connection,
    pub info: ConnInfo,
    pub situation: Situation,
}

/// Loads the migrations, connects, and gathers the situation (replaying, or from the cache).
pub async fn gather(settings: &GlobalSettings, args: &DoctorArgs, output: Output, access: Access) -> Result<Gathered> {
    let set = crate::commands::load_migrations(&args.dir)?;
    let info = target::conninfo(settings, output)?;
    let conn = target::connect_to(&info, output, access, &Notices::default()).await?;
    let server = shadow_server(&args.shadow, &info, conn.server_major())?;
    let cache_dir = crate::settings::current_dir()?.join(".plumb/cache");
    let cache = ReplayCache { dir: &cache_dir, tool_version: env!("CARGO_PKG_VERSION") };
    let situation = Situation::gather(&conn, set, &server, &cache, &output).await?;
    say_source(&situation.set, situation.format, output);
    Ok(Gathered { conn, info, situation })
}
