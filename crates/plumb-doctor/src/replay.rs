//! Replaying migrations in a shadow database, inspecting after each one.

use std::path::Path;

use plumb_catalog::{InspectOptions, Inspector, Schema};
use plumb_migrate::{ApplyOptions, MigrationSet};
use plumb_pg::{Connection, PgError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::objects::{Footprint, ObjectId, Objects, apply_footprint, footprint, objects};

/// What replaying a migration set taught: the empty schema, and what each migration changed.
/// Snapshot `S(k)` (the schema after the first `k` migrations) is the empty one with the
/// first `k` footprints applied: [`Replay::snapshot`]. Only the footprints are kept, so
/// memory grows with what the migrations changed, not with their number times the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// `S0`: the empty shadow.
    pub empty: Objects,
    /// `footprints[i]`: what migration `i` changed (one per replayed migration).
    pub footprints: Vec<Footprint>,
    /// The migration that failed in the shadow (its index and the error): nothing after it was replayed.
    pub failure: Option<(usize, String)>,
    /// The expected schema in full (after every replayed migration), as inspected.
    pub schema: Schema,
}

/// Bumped whenever [`CachedReplay`] changes shape: older files are then ignored.
const CACHE_FORMAT: u32 = 3;

/// What is kept on disk: the replay as it is.
#[derive(Serialize, Deserialize)]
struct CachedReplay {
    format: u32,
    empty: Objects,
    footprints: Vec<Footprint>,
    failure: Option<(usize, String)>,
    schema: Schema,
}

impl Replay {
    /// The cache key of replaying `set` on a server of `server_major`: changes whenever a
    /// migration's content, the server version or plumb's version changes.
    pub fn cache_key(set: &MigrationSet, server_major: u32, tool_version: &str) -> String {
        let mut text = format!("plumb {tool_version} postgres {server_major}\n");
        for m in set.migrations() {
            text.push_str(&format!("{} {}\n", m.version, m.checksum));
        }
        plumb_migrate::hex(&Sha256::digest(text.as_bytes()))
    }

    /// Reads a cached replay, if there is a usable one.
    pub fn load(path: &Path) -> Option<Replay> {
        let cached: CachedReplay = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
        (cached.format == CACHE_FORMAT).then_some(Replay {
            empty: cached.empty,
            footprints: cached.footprints,
            failure: cached.failure,
            schema: cached.schema,
        })
    }

    /// Writes the replay for the next run (best effort: a cache that cannot be written only costs time).
    pub fn store(&self, path: &Path) {
        let cached = CachedReplay {
            format: CACHE_FORMAT,
            empty: self.empty.clone(),
            footprints: self.footprints.clone(),
            failure: self.failure.clone(),
            schema: self.schema.clone(),
        };
        // The cache holds definitions from the migration files, secrets included: owner only.
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
            }
        }
        // Written aside and renamed: a concurrent reader sees the old file or the new one, never half.
        if let Ok(bytes) = serde_json::to_vec(&cached) {
            let partial = path.with_extension(format!("tmp{}", std::process::id()));
            if write_private(&partial, &bytes).is_ok() {
                let _ = std::fs::rename(&partial, path);
            }
        }
    }

    /// Every id some migration changed: the objects the migrations manage. Others (the empty
    /// database's, hand-made ones) are never judged, converged or dropped.
    pub fn managed(&self) -> std::collections::BTreeSet<&ObjectId> {
        self.footprints.iter().flatten().map(|e| &e.id).collect()
    }

    /// How many migrations were replayed.
    pub fn replayed(&self) -> usize {
        self.footprints.len()
    }

    /// `S(k)`: the expected schema after the first `k` migrations (`k` at most [`Replay::replayed`]).
    pub fn snapshot(&self, k: usize) -> Objects {
        let mut objects = self.empty.clone();
        for f in &self.footprints[..k] {
            apply_footprint(&mut objects, f);
        }
        objects
    }

    /// The expected schema after every replayed migration.
    pub fn expected(&self) -> Objects {
        self.snapshot(self.replayed())
    }
}

/// Writes `bytes` to a new file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

/// Replay could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Talking to the shadow failed.
    #[error("shadow database: {0}")]
    Shadow(#[from] PgError),
    /// Reading the shadow's catalog failed.
    #[error("shadow database: {0}")]
    Inspect(#[from] plumb_catalog::InspectError),
    /// The shadow's history could not be set up to apply the migrations.
    #[error("shadow database: {0}")]
    Steps(#[source] plumb_migrate::ApplyError),
    /// The migrations' own tool (Alembic, Django, a command) could not run at all.
    #[error("cannot replay: {0}")]
    Tool(#[source] plumb_migrate::ApplyError),
}

plumb_pg::forward_diagnostic!(ReplayError, |e| match e {
    ReplayError::Shadow(e) => Some(e),
    ReplayError::Inspect(e) => Some(e),
    ReplayError::Steps(e) | ReplayError::Tool(e) => Some(e),
});

/// How a replay reads the shadow after each migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inspection {
    /// Only what the migration changed ([`plumb_catalog::Inspector::refresh`]): the default.
    Targeted,
    /// The whole catalog every time: the reference the targeted reading is tested against.
    Whole,
}

/// Applies `set` one migration at a time to the empty database behind `shadow`,
/// inspecting after each. A migration that fails stops the replay; what it could
/// not establish is said by [`Replay::failure`].
pub async fn replay(shadow: &Connection, set: &MigrationSet) -> Result<Replay, ReplayError> {
    replay_with(shadow, set, Inspection::Targeted).await
}

/// As [`replay`], reading the shadow as `inspection` says.
pub async fn replay_with(
    shadow: &Connection,
    set: &MigrationSet,
    inspection: Inspection,
) -> Result<Replay, ReplayError> {
    // The shadow is thrown away: its commits need not wait for the disk (a project cluster
    // keeps fsync on, and a replay commits twice per migration).
    shadow.batch("SET synchronous_commit = off").await?;
    // The catalog is read on a connection of its own, set up for reading once: nothing writes
    // while it reads (the migrations run between the reads, on `shadow`).
    let reader = plumb_pg::connect(shadow.info(), None).await?;
    let inspector = Inspector::dedicated(&reader).await?;
    let options = InspectOptions::default();
    let mut tracked = inspector.track(&reader, &options).await?;
    let empty = objects(tracked.schema());
    let mut last = empty.clone();
    let mut footprints = Vec::new();
    let mut failure = None;
    let mut steps =
        plumb_migrate::Steps::start(shadow, set, &ApplyOptions::default()).await.map_err(ReplayError::Steps)?;
    for i in 0..set.migrations().len() {
        let writes = match steps.next().await {
            None => break,
            Some(Ok(step)) => step.writes,
            // Without its tool nothing can be learned: an error, not a migration that fails.
            Some(Err(e @ plumb_migrate::ApplyError::Tool { missing: true, .. })) => return Err(ReplayError::Tool(e)),
            Some(Err(e)) => {
                failure = Some((i, plumb_pg::redact(&e.to_string())));
                break;
            }
        };
        let effects = match inspection {
            // Only what was read again is flattened and compared: the rest did not change.
            Inspection::Targeted => {
                let change = inspector.refresh(&reader, &mut tracked, writes.as_ref()).await?;
                footprint(&objects(&change.before), &objects(&change.after))
            }
            Inspection::Whole => {
                tracked = inspector.track(&reader, &options).await?;
                let after = objects(tracked.schema());
                let effects = footprint(&last, &after);
                last = after;
                effects
            }
        };
        footprints.push(effects);
    }
    Ok(Replay { empty, footprints, failure, schema: tracked.schema().clone() })
}
