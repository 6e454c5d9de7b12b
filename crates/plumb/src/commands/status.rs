//! `plumb status`: each migration's file held against its history row.

use miette::Result;

use super::{Exit, load_migrations};
use crate::cli::StatusArgs;
use crate::output::Output;
use crate::settings::GlobalSettings;
use crate::target::{self, Access, Notices};
use crate::views::diagnosis::status_word;
use crate::views::status::render;

pub async fn run(settings: &GlobalSettings, args: &StatusArgs, output: Output) -> Result<Exit> {
    if args.verify {
        let g = crate::doctor::gather(settings, &args.doctor, output, Access::ReadOnly).await?;
        let diagnosis = g.situation.diagnose();
        let entries = plumb_migrate::status(&g.situation.set, Some(&g.situation.history));
        let truth: Vec<Option<&'static str>> = entries
            .iter()
            .map(|e| diagnosis.migrations.iter().find(|m| m.version == e.version).map(|m| status_word(m.status)))
            .collect();
        let source = crate::report::SourceReport::new(&g.situation.set, g.situation.format);
        render(&entries, Some(&truth), source, g.conn.target(), output);
        let problem = entries.iter().any(|e| e.state.is_problem()) || !diagnosis.agrees(args.doctor.strict);
        return Ok(if problem { Exit::Findings } else { Exit::Ok });
    }
    let set = load_migrations(&args.doctor.dir)?;
    let conn = target::connect(settings, output, Access::ReadOnly, &Notices::default()).await?;
    let history = plumb_migrate::read_history_with_format(&conn, &set).await?;
    let history_format = history.as_ref().map(|(f, _)| *f);
    crate::doctor::say_source(&set, history_format, output);
    let history = history.map(|(_, rows)| rows);
    let entries = plumb_migrate::status(&set, history.as_deref());
    let source = crate::report::SourceReport::new(&set, history_format);
    render(&entries, None, source, conn.target(), output);
    Ok(if entries.iter().any(|e| e.state.is_problem()) { Exit::Findings } else { Exit::Ok })
}
