//! `plumb diff FROM TO`: the SQL that turns one schema into another.

use std::path::{Path, PathBuf};

use miette::{Context, IntoDiagnostic, Result, bail};
use plumb_catalog::{InspectOptions, Schema};
use plumb_migrate::{ApplyOptions, MigrationSet, Version};
use plumb_pg::{Cluster, ClusterConfig, ConnInfo, Environment};

use super::{Exit, load_folder};
use crate::cli::DiffArgs;
use crate::output::Output;
use crate::report;
use crate::settings::GlobalSettings;
use crate::target::{self, Access, Notices};

/// Where a schema comes from.
#[derive(Debug)]
enum Source {
    Database(String),
    SqlFile(PathBuf),
    Migrations { dir: PathBuf, up_to: Option<Version> },
}

impl Source {
    fn parse(text: &str) -> Result<Source> {
        let is_url = text.starts_with("postgres://") || text.starts_with("postgresql://");
        // A key=value connection string, unless a file or folder of that name exists.
        if is_url || (text.contains('=') && !Path::new(text).exists()) {
            return Ok(Source::Database(text.to_owned()));
        }
        let (path, version) = match text.rsplit_once('@') {
            Some((p, v)) if Path::new(p).is_dir() => {
                (p, Some(Version::parse(v).with_context(|| format!("{text}: the part after @ must be a version"))?))
            }
            _ => (text, None),
        };
        let path = PathBuf::from(path);
        if path.is_dir() {
            Ok(Source::Migrations { dir: path, up_to: version })
        } else if path.is_file() {
            Ok(Source::SqlFile(path))
        } else {
            bail!("{text}: not a database URL, a .sql file or a migrations folder")
        }
    }

    fn needs_cluster(&self) -> bool {
        !matches!(self, Source::Database(_))
    }
}

pub async fn run(settings: &GlobalSettings, args: &DiffArgs, output: Output) -> Result<Exit> {
    let from = Source::parse(&args.from)?;
    let to = Source::parse(&args.to)?;
    let options = InspectOptions {
        schemas: (!args.schemas.is_empty()).then(|| args.schemas.clone()),
        ..InspectOptions::default()
    };
    let cluster = if from.needs_cluster() || to.needs_cluster() {
        let binaries = plumb_pg::discover(settings.pg_version)?;
        output.info(&format!("applying files in a throwaway PostgreSQL {}", binaries.version));
        Some(Cluster::start(&binaries, &ClusterConfig::default()).context("could not start a local cluster")?)
    } else {
        None
    };
    let from_schema = load(&from, "plumb_diff_from", cluster.as_ref(), &options, output).await?;
    let to_schema = load(&to, "plumb_diff_to", cluster.as_ref(), &options, output).await?;
    let diff = plumb_diff::diff(&from_schema, &to_schema);
    if output.settings.json {
        output.json(&report::DiffReport::new(&diff));
    } else if diff.is_empty() {
        output.info("no differences");
    } else {
        output.script(&diff.script(), args.output.as_deref())?;
    }
    Ok(if diff.is_empty() { Exit::Ok } else { Exit::Findings })
}

/// Inspects a source, applying files to a fresh database of `cluster` first.
async fn load(
    source: &Source,
    dbname: &str,
    cluster: Option<&Cluster>,
    options: &InspectOptions,
    output: Output,
) -> Result<Schema> {
    let cluster = match source {
        Source::Database(url) => {
            let info = ConnInfo::parse(url, &Environment::process())?;
            let conn = target::connect_to(&info, output, Access::ReadOnly, &Notices::silent()).await?;
            return Ok(plumb_catalog::inspect(&conn, options).await?);
        }
        _ => cluster.expect("a cluster is started for file sources"),
    };
    let database = plumb_doctor::Shadow::database(&cluster.conninfo("postgres"), dbname).await?;
    let conn = database.connection();
    match source {
        Source::SqlFile(path) => {
            let sql = std::fs::read_to_string(path)
                .into_diagnostic()
                .with_context(|| format!("cannot read {}", path.display()))?;
            if let Some(meta) = plumb_sql::split(&sql).meta_commands.first() {
                let (line, col) = plumb_sql::LineIndex::new(&sql).line_col(&sql, meta.range.start);
                bail!("{}:{line}:{col}: psql meta-command {} is not SQL", path.display(), meta.command);
            }
            conn.batch(&sql).await.with_context(|| format!("{} failed to apply", path.display()))?;
        }
        Source::Migrations { dir, up_to } => {
            let set: MigrationSet = load_folder(dir)?;
            let apply = ApplyOptions {
                to: up_to.clone(),
                plumb_version: env!("CARGO_PKG_VERSION").into(),
                ..ApplyOptions::default()
            };
            plumb_migrate::apply(conn, &set, &apply, &NoProgress).await?;
        }
        Source::Database(_) => unreachable!("returned above"),
    }
    let schema = plumb_catalog::inspect(conn, options).await;
    database.close().await;
    Ok(schema?)
}

struct NoProgress;
impl plumb_migrate::ApplyObserver for NoProgress {}
