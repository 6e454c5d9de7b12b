//! The five incidents (examples/incidents/README.md) as data: their migration files (embedded from
//! `examples/incidents/`), and how a database came to be broken — SQL run before the
//! migrations, the version they were applied to, history rows stamped without running, a
//! migration that stopped part-way, SQL run by hand afterwards. `plumb demo` builds them; so do the tests, through
//! `plumb demo --build N`.

use std::path::Path;

use miette::{Context, IntoDiagnostic, Result};
use plumb_migrate::{ApplyOptions, HistoryFormat, MigrationSet, Version};
use plumb_pg::Connection;

/// One incident, as a recipe.
pub struct Incident {
    /// 1 to 5, as numbered in examples/incidents/README.md.
    pub number: u8,
    /// Its folder under `examples/incidents/`.
    pub slug: &'static str,
    /// Its title.
    pub title: &'static str,
    /// The migration files: (path in the migrations folder, text).
    pub migrations: &'static [(&'static str, &'static str)],
    /// SQL run before any migration (a history table of another tool, an older table).
    pub before: &'static str,
    /// The migrations were applied up to this version, properly.
    pub applied_to: &'static str,
    /// History rows written without running the migrations (a stamp, a lost schema change).
    pub stamped: &'static [&'static str],
    /// A migration run by hand in an editor that commits statement by statement, and the
    /// number of its statements that ran before it stopped.
    pub interrupted: Option<(&'static str, usize)>,
    /// SQL run by hand afterwards: partial runs, hotfixes, and the data.
    pub after: &'static str,
    /// Whether the demo adopts the unexplained objects into a new migration.
    pub adopt: bool,
}

macro_rules! migration {
    ($dir:literal, $file:literal) => {
        ($file, include_str!(concat!("../../../examples/incidents/", $dir, "/migrations/", $file)))
    };
}

/// A file of a tool's project (an Alembic project: `alembic.ini`, `alembic/env.py`, …), by its
/// path in the incident's folder.
macro_rules! project_file {
    ($dir:literal, $file:literal) => {
        ($file, include_str!(concat!("../../../examples/incidents/", $dir, "/", $file)))
    };
}

macro_rules! script {
    ($dir:literal, $file:literal) => {
        include_str!(concat!("../../../examples/incidents/", $dir, "/", $file))
    };
}

/// Incident 2 on the tool it happened on: the same revisions as an Alembic project, upgraded to
/// revision 3 by Alembic itself, changed by hand, then stamped to head. `plumb demo` runs it
/// when a Python with Alembic is there (`plumb_migrate::alembic_ready`).
pub const ALEMBIC_INCIDENT: Incident = Incident {
    number: 2,
    slug: "2-stamped-ahead-alembic",
    title: "history stamped to head (Alembic)",
    migrations: &[
        project_file!("2-stamped-ahead-alembic", "alembic.ini"),
        project_file!("2-stamped-ahead-alembic", "alembic/env.py"),
        project_file!("2-stamped-ahead-alembic", "alembic/versions/1f0b5c9a2d31_organizations.py"),
        project_file!("2-stamped-ahead-alembic", "alembic/versions/2b7f9d3e8a14_folders.py"),
        project_file!("2-stamped-ahead-alembic", "alembic/versions/7c2e4a8b9f12_users.py"),
        project_file!("2-stamped-ahead-alembic", "alembic/versions/9d4b2e8f1c73_rbac_audit_logs.py"),
        project_file!("2-stamped-ahead-alembic", "alembic/versions/a93d1e6f4b07_projects.py"),
        project_file!("2-stamped-ahead-alembic", "alembic/versions/c4e8f2a1d5b9_string_ids.py"),
        project_file!("2-stamped-ahead-alembic", "alembic/versions/e5a1c7b3f962_pipeline_templates.py"),
    ],
    before: "",
    applied_to: "0003",
    stamped: &["0004", "0005", "0006", "0007"],
    interrupted: None,
    after: script!("2-stamped-ahead-alembic", "after.sql"),
    adopt: false,
};

/// The five, in order.
pub const INCIDENTS: [Incident; 5] = [
    Incident {
        number: 1,
        slug: "1-half-applied",
        title: "half-applied migration",
        migrations: &[
            migration!("1-half-applied", "001_users.sql"),
            migration!("1-half-applied", "002_reports.sql"),
            migration!("1-half-applied", "003_organizations.sql"),
            migration!("1-half-applied", "006_integration.sql"),
        ],
        before: "",
        applied_to: "002",
        stamped: &[],
        interrupted: Some(("006", 3)),
        after: script!("1-half-applied", "after.sql"),
        adopt: false,
    },
    Incident {
        number: 2,
        slug: "2-stamped-ahead",
        title: "history stamped to head",
        migrations: &[
            migration!("2-stamped-ahead", "001_organizations.sql"),
            migration!("2-stamped-ahead", "002_users.sql"),
            migration!("2-stamped-ahead", "003_projects.sql"),
            migration!("2-stamped-ahead", "004_string_ids.sql"),
            migration!("2-stamped-ahead", "005_folders.sql"),
            migration!("2-stamped-ahead", "006_pipeline_templates.sql"),
            migration!("2-stamped-ahead", "007_rbac_audit_logs.sql"),
        ],
        before: "",
        applied_to: "003",
        stamped: &["004", "005", "006", "007"],
        interrupted: None,
        after: script!("2-stamped-ahead", "after.sql"),
        adopt: false,
    },
    Incident {
        number: 3,
        slug: "3-if-not-exists",
        title: "IF NOT EXISTS hid an older table",
        migrations: &[
            migration!("3-if-not-exists", "001_organizations.sql"),
            migration!("3-if-not-exists", "002_calls.sql"),
        ],
        before: script!("3-if-not-exists", "before.sql"),
        applied_to: "001",
        stamped: &[],
        interrupted: None,
        after: script!("3-if-not-exists", "after.sql"),
        adopt: true,
    },
    Incident {
        number: 4,
        slug: "4-never-applies",
        title: "migration that can never apply",
        migrations: &[
            migration!("4-never-applies", "0023_sync_jobs.sql"),
            migration!("4-never-applies", "0024_sync_preview_progress_logs.sql"),
        ],
        before: "",
        applied_to: "0023",
        stamped: &[],
        interrupted: None,
        after: script!("4-never-applies", "after.sql"),
        adopt: false,
    },
    Incident {
        number: 5,
        slug: "5-phantom-supabase",
        title: "phantom migrations (Supabase)",
        migrations: &[
            migration!("5-phantom-supabase", "20250101000000_collections.sql"),
            migration!("5-phantom-supabase", "20250201000000_user_consents.sql"),
            migration!("5-phantom-supabase", "20250413093000_organizations.sql"),
            migration!("5-phantom-supabase", "20251001211923_prompts_catalog.sql"),
            migration!("5-phantom-supabase", "20251101000000_collections_organization.sql"),
        ],
        before: script!("5-phantom-supabase", "before.sql"),
        applied_to: "20250201000000",
        stamped: &["20250413093000", "20251001211923"],
        interrupted: None,
        after: script!("5-phantom-supabase", "after.sql"),
        adopt: false,
    },
];

/// The incident numbered `number`.
pub fn find(number: u8) -> Option<&'static Incident> {
    INCIDENTS.iter().find(|i| i.number == number)
}

struct Quiet;
impl plumb_migrate::ApplyObserver for Quiet {}

/// Writes the incident's migrations into `dir` and breaks the empty database behind
/// `conn` the way the incident broke its team's. Returns the migrations as loaded from `dir`.
pub async fn build(conn: &Connection, incident: &Incident, dir: &Path) -> Result<MigrationSet> {
    std::fs::create_dir_all(dir).into_diagnostic().with_context(|| format!("could not create {}", dir.display()))?;
    for (file, sql) in incident.migrations {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .into_diagnostic()
                .with_context(|| format!("could not create {}", parent.display()))?;
        }
        std::fs::write(&path, sql).into_diagnostic().with_context(|| format!("could not write {file}"))?;
    }
    let set = plumb_migrate::load_dir(dir)?;
    if !incident.before.is_empty() {
        conn.batch(incident.before).await?;
    }
    let options = ApplyOptions {
        to: Version::parse(incident.applied_to),
        plumb_version: env!("CARGO_PKG_VERSION").to_owned(),
        ..ApplyOptions::default()
    };
    plumb_migrate::apply(conn, &set, &options, &Quiet).await?;
    let format = HistoryFormat::detect_for(conn, set.layout()).await?.unwrap_or(HistoryFormat::Plumb);
    let migration = |version: &str| set.migrations().iter().find(|m| m.version.as_str() == version);
    for version in incident.stamped {
        let m = migration(version).expect("stamped versions exist");
        conn.batch(&format.record_sql(m, env!("CARGO_PKG_VERSION"))).await?;
    }
    if let Some((version, statements)) = incident.interrupted {
        let m = migration(version).expect("interrupted versions exist");
        for index in 0..statements {
            conn.batch(m.statement_sql(index)).await?;
        }
    }
    conn.batch(incident.after).await?;
    Ok(set)
}
