//! A diagnosis for people: the table of migrations, the frontier in words, what is missing,
//! drifted and unexplained; and the summary counts of `verify --json`.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use plumb_doctor::{MigrationDiagnosis, Status};

use crate::output::{Output, Style};
use crate::report;

/// The diagnosis as a table, then where the schema stands, what is missing, drifted and unexplained.
pub fn render(diagnosis: &plumb_doctor::Diagnosis, set: &plumb_migrate::MigrationSet, target: &str, output: Output) {
    output.result(&format!("{target}\n{}", table(&diagnosis.migrations, output)));
    output.result(&frontier_line(&diagnosis.frontier, set));
    for m in diagnosis.migrations.iter().filter(|m| !m.missing.is_empty() || !m.drift.is_empty()) {
        if matches!(m.status, Status::Pending) {
            continue;
        }
        output.result(&format!("{} {} ({}):", m.version, m.name, status_word(m.status)));
        for b in &m.blocked_by {
            output.result(&format!("  blocked  by the missing {b}, which its foreign keys reference"));
        }
        for d in &m.drift {
            output.result(&format!("  drift    {d}"));
        }
        for missing in m.missing.iter().filter(|o| !m.drift.iter().any(|d| d.id == **o)) {
            output.result(&format!("  missing  {missing}"));
        }
    }
    for f in &diagnosis.missing_files {
        output.result(&format!(
            "{} {}: recorded, but no file has its version (`plumb repair` can un-record it)",
            f.version, f.name
        ));
    }
    if !diagnosis.unexplained.is_empty() {
        output.result("unexplained (live objects no migration creates):");
        for u in &diagnosis.unexplained {
            output.result(&format!("  {u}"));
        }
    }
    let access = diagnosis.unexplained.iter().filter(|u| u.is_access()).count();
    output.result(&if diagnosis.is_clean() && access > 0 {
        output.paint(
            &format!(
                "history and schema agree ({access} grant(s) made outside the migrations, listed above, do not count \
                 unless --strict)"
            ),
            Style::Ok,
        )
    } else if diagnosis.is_clean() {
        output.paint("history and schema agree", Style::Ok)
    } else {
        output.paint("history and schema disagree", Style::Error)
    });
}

/// "closest to 0112 (3 objects differ); 0111 would be 5, 0113 would be 41".
pub fn frontier_line(frontier: &plumb_doctor::Frontier, set: &plumb_migrate::MigrationSet) -> String {
    let name = |k: usize| match k {
        0 => "no migration applied".to_owned(),
        k => format!("migration {}", set.migrations()[k - 1].version),
    };
    let f = frontier.position;
    let mut line =
        format!("the live schema is closest to {} ({} managed object(s) differ", name(f), frontier.distance());
    let neighbours: Vec<String> = [f.checked_sub(1), Some(f + 1)]
        .into_iter()
        .flatten()
        .filter(|k| *k < frontier.distances.len())
        .map(|k| format!("{} would be {}", name(k).trim_start_matches("migration "), frontier.distances[k]))
        .collect();
    if !neighbours.is_empty() {
        line.push_str(&format!("; {}", neighbours.join(", ")));
    }
    line.push(')');
    line
}

pub fn status_word(s: Status) -> &'static str {
    match s {
        Status::Verified => "verified",
        Status::Phantom => "phantom",
        Status::Partial => "partial",
        Status::Unrecorded => "unrecorded",
        Status::Modified => "modified",
        Status::Unverifiable => "unverifiable",
        Status::Pending => "pending",
        Status::Failed => "failed",
        Status::InProgress => "in_progress",
        Status::Unknown => "unknown",
    }
}

pub fn table(migrations: &[MigrationDiagnosis], output: Output) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(["version", "name", "recorded", "status", "present", "missing"]);
    for m in migrations {
        let style = match m.status {
            Status::Verified => Style::Ok,
            Status::Pending | Status::Unverifiable => Style::Dim,
            _ => Style::Error,
        };
        table.add_row([
            m.version.clone(),
            m.name.clone(),
            if m.recorded { "yes".into() } else { "no".into() },
            output.paint(status_word(m.status), style),
            m.present.len().to_string(),
            m.missing.len().to_string(),
        ]);
    }
    table
}

pub fn summary(migrations: &[MigrationDiagnosis], unexplained: usize) -> report::VerifySummary {
    let count = |s: Status| migrations.iter().filter(|m| m.status == s).count();
    report::VerifySummary {
        verified: count(Status::Verified),
        phantom: count(Status::Phantom),
        partial: count(Status::Partial),
        unrecorded: count(Status::Unrecorded),
        modified: count(Status::Modified),
        unverifiable: count(Status::Unverifiable),
        pending: count(Status::Pending),
        failed: count(Status::Failed) + count(Status::InProgress),
        unknown: count(Status::Unknown),
        unexplained,
    }
}
