//! `plumb inspect`: the normalized schema of a database.

use miette::Result;
use plumb_catalog::{InspectOptions, Schema};

use super::Exit;
use crate::cli::InspectArgs;
use crate::output::Output;
use crate::report;
use crate::settings::GlobalSettings;
use crate::target::{self, Access, Notices};

pub async fn run(settings: &GlobalSettings, args: &InspectArgs, output: Output) -> Result<Exit> {
    let info = target::conninfo(settings, output)?;
    let conn = target::connect_to(&info, output, Access::ReadOnly, &Notices::default()).await?;
    // A second connection lets the server read the catalog on two cores; without one, plumb reads alone.
    let helper = target::connect_to(&info, output, Access::ReadOnly, &Notices::default()).await.ok();
    let options = InspectOptions {
        schemas: (!args.schemas.is_empty()).then(|| args.schemas.clone()),
        ..InspectOptions::default()
    };
    let schema = plumb_catalog::inspect_with(&conn, helper.as_ref(), &options).await?;
    if output.settings.json {
        output.json(&report::InspectReport {
            format: report::FORMAT,
            server_version_num: conn.server_version_num(),
            schema: &schema,
        });
    } else if args.sql {
        output.script(&plumb_diff::create_script(&schema, conn.server_major()), args.output.as_deref())?;
    } else {
        output.result(&summary(&schema, conn.target()));
    }
    Ok(Exit::Ok)
}

/// One line per object kind with its count.
pub fn summary(schema: &Schema, target: &str) -> String {
    let tables = &schema.tables;
    let count = |f: fn(&plumb_catalog::Table) -> usize| tables.values().map(f).sum::<usize>();
    let rows = [
        ("schemas", schema.schemas.len()),
        ("extensions", schema.extensions.len()),
        ("types", schema.types.len()),
        ("sequences", schema.sequences.len()),
        ("tables", tables.len()),
        ("columns", count(|t| t.columns.len())),
        ("constraints", count(|t| t.constraints.len())),
        ("indexes", count(|t| t.indexes.len()) + schema.views.values().map(|v| v.indexes.len()).sum::<usize>()),
        ("triggers", count(|t| t.triggers.len())),
        ("policies", count(|t| t.policies.len())),
        ("views", schema.views.values().filter(|v| !v.materialized).count()),
        ("materialized views", schema.views.values().filter(|v| v.materialized).count()),
        ("functions", schema.functions.len()),
    ];
    let mut out = format!("{target}\n");
    for (what, n) in rows {
        out.push_str(&format!("  {n:>6} {what}\n"));
    }
    out.push_str("(--json for the whole catalog, --sql for a script that recreates it)");
    out
}
