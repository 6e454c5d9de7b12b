//! Repair plans, by convergence: from a diagnosis to (1) one guarded transaction that
//! rewrites the history to exactly the migrations up to the convergence point `G` and
//! brings every managed object to `S(G)`, then (2) the migrations after `G`, run by the
//! ordinary apply path, in order, each in its own transaction. Pure: the live schema, the
//! replay and the history come in, a [`Plan`] goes out; [`crate::execute`] runs it.
//!
//! `G` is the frontier, or further when a migration after it is partly there (its part is
//! kept and completed, never dropped; with [`PartialFix::Undo`] it is dropped instead, tables
//! only when empty, and the migration runs again whole in phase 2).
//!
//! Phase 1 never re-runs an old file on a schema that has moved past it. A hole below `G`
//! (a migration whose effects are all missing) whose file writes data is re-run, so that its
//! rows come back, when that is safe: it runs in a transaction, every object it changes is
//! still in its before-state, and no later migration up to `G` touched its tables. Every
//! other difference is converged by `plumb-diff` (missing objects created, drift restored
//! under conversion guards, dependents dropped and re-created), and the data statements of
//! holes converged that way are listed, never silently lost.

use std::collections::BTreeSet;

use plumb_catalog::Schema;
use plumb_migrate::{HistoryFormat, HistoryRow, HistoryStatus, Migration, MigrationSet};

use crate::diagnose::{Diagnosis, Status};
use crate::objects::{Effect, ObjectId, Objects, Part, objects};
use crate::replay::Replay;

/// What to do with a migration after the frontier that is partly there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PartialFix {
    /// Keep what is there and create the rest.
    #[default]
    Complete,
    /// Drop what is there (tables only when empty), then apply the migration whole.
    Undo,
}

/// How to plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// The fix for partial migrations.
    pub partial: PartialFix,
    /// Capture the unexplained objects in this new migration (written by the caller).
    pub adopt: Option<Migration>,
    /// Recorded in history rows plumb writes.
    pub plumb_version: String,
    /// Holes whose files are never re-run, even where that would be safe (converged by DDL).
    pub no_rerun: BTreeSet<String>,
    /// Holes whose files are re-run even where plumb cannot tell that is safe (the
    /// transaction's own check still holds the result to the expected schema).
    pub rerun: BTreeSet<String>,
}

/// What one step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Creates the history table, in the database's format.
    CreateHistory,
    /// Removes history rows that claim what is not there.
    Unrecord,
    /// Adds or corrects history rows for what is there.
    Record,
    /// Runs a missing migration's file again (its data comes back).
    Rerun,
    /// Brings every managed object to the expected schema, by DDL.
    Converge,
}

/// One step of phase 1.
#[derive(Debug, Clone)]
pub struct Step {
    /// What kind of step.
    pub kind: StepKind,
    /// The migrations it is about.
    pub migrations: Vec<String>,
    /// What it does, in plain words.
    pub summary: String,
    /// The statements, each ending with `;`.
    pub sql: String,
    /// What it can lose (`None`: nothing).
    pub loses: Option<String>,
    /// The locks it takes on existing objects.
    pub locks: Vec<String>,
}

/// A condition checked before anything runs; the plan is refused while it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// The table holds no rows (it is about to be dropped).
    Empty {
        /// The table.
        table: String,
    },
    /// Every value of the column converts to the type (its type is about to change).
    Converts {
        /// The table.
        table: String,
        /// The column, as the catalog model names it (quoted where SQL needs it).
        column: String,
        /// The type it changes from.
        from: String,
        /// The type it changes to.
        to: String,
    },
}

impl StepKind {
    /// `create_history`, `unrecord`, `record`, `rerun` or `converge`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::CreateHistory => "create_history",
            StepKind::Unrecord => "unrecord",
            StepKind::Record => "record",
            StepKind::Rerun => "rerun",
            StepKind::Converge => "converge",
        }
    }
}

impl Guard {
    /// The guard as a `DO` block that raises, naming the count and a sample, when it fails.
    /// The same text runs in the printed script and in `--execute`.
    pub fn sql(&self) -> String {
        match self {
            Guard::Empty { table } => format!(
                "DO $plumb$\nBEGIN\n  IF EXISTS (SELECT FROM {table}) THEN\n    RAISE EXCEPTION 'plumb guard: % holds rows; refusing to drop it', '{table}';\n  END IF;\nEND\n$plumb$;"
            ),
            // Table and column are named as the catalog model names them: quoted where SQL needs it.
            Guard::Converts { table, column: col, to, .. } => {
                let label = format!("{table}.{col}").replace('\'', "''");
                let to_label = to.replace('\'', "''");
                format!(
                    "DO $plumb$\nDECLARE\n  value text;\n  bad bigint := 0;\n  sample text[] := '{{}}';\nBEGIN\n  -- A type the plan itself creates cannot be checked before it exists.\n  IF to_regtype('{to_label}') IS NULL THEN\n    RETURN;\n  END IF;\n  FOR value IN SELECT {col}::text FROM {table} WHERE {col} IS NOT NULL LOOP\n    BEGIN\n      PERFORM value::{to};\n      IF '{to_label}' ~ '^(character varying|character)\\(' AND length(value) > substring('{to_label}' from '\\((\\d+)\\)')::int THEN\n        RAISE EXCEPTION 'too long';\n      END IF;\n    EXCEPTION WHEN others THEN\n      bad := bad + 1;\n      IF cardinality(sample) < 5 THEN sample := sample || value; END IF;\n    END;\n  END LOOP;\n  IF bad > 0 THEN\n    RAISE EXCEPTION 'plumb guard: % value(s) of {label} do not convert to {to_label}, e.g. %', bad, sample;\n  END IF;\nEND\n$plumb$;"
                )
            }
        }
    }

    /// The guard in plain words.
    pub fn describe(&self) -> String {
        match self {
            Guard::Empty { table } => format!("{table} holds no rows"),
            Guard::Converts { table, column, from, to } => {
                format!("every value of {table}.{column} converts from {from} to {to}")
            }
        }
    }
}

/// A reviewed repair: what runs, what is checked first, what stays as it is.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The history table the plan writes.
    pub history: HistoryFormat,
    /// How many migrations the schema converges to (phase 1); the version of the last one.
    pub converge_to: usize,
    /// The version at the convergence point (`None`: none applied).
    pub converge_version: Option<String>,
    /// Checked before anything runs.
    pub guards: Vec<Guard>,
    /// Phase 1, in order, all in one transaction.
    pub steps: Vec<Step>,
    /// The versions the history records as applied once phase 1 commits: exactly these.
    pub recorded_after: Vec<String>,
    /// Phase 2: the migrations after the convergence point, applied in order by `apply`.
    pub roll_forward: Vec<String>,
    /// Tables whose rows phase 1 may change (altered, dropped or written by a re-run file);
    /// every other table must keep its row count and content checksum.
    pub tables: Vec<String>,
    /// Live objects no migration explains: kept as they are.
    pub kept: Vec<ObjectId>,
    /// The new migration that captures the kept objects (with `adopt`).
    pub adopted: Option<Migration>,
    /// Data statements of missing migrations that phase 1 does not re-run (their objects are
    /// created by DDL instead), with what to do about them.
    pub not_rerun: Vec<String>,
    /// Other ways to fix what the plan fixes, in words.
    pub alternatives: Vec<String>,
    /// Findings the plan leaves to the user, and why.
    pub unresolved: Vec<String>,
}

impl Plan {
    /// Whether there is nothing to run.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.roll_forward.is_empty()
    }

    /// The plan as one script that runs unchanged in psql and in a web SQL editor: phase 1 in
    /// one transaction, guards first; then each migration of phase 2 as `apply` runs it.
    pub fn script(&self, set: &MigrationSet, plumb_version: &str) -> String {
        let mut out = String::new();
        out.push_str(
            "-- plumb repair plan. Phase 1: one transaction; the guards raise (and nothing changes) if they fail.\n",
        );
        for line in self.summary() {
            out.push_str(&format!("-- {line}\n"));
        }
        if self.is_empty() {
            out.push_str("-- nothing to run\n");
            return out;
        }
        if !self.steps.is_empty() {
            out.push_str("\nBEGIN;\nSET LOCAL lock_timeout = '5s';\n");
            // As pg_dump does: function bodies may name objects created further down.
            out.push_str("SET LOCAL check_function_bodies = false;\n");
            for guard in &self.guards {
                out.push_str(&format!("\n-- guard: {}\n{}\n", guard.describe(), guard.sql()));
            }
            for (i, step) in self.steps.iter().enumerate() {
                out.push_str(&format!("\n-- step {}: {}\n", i + 1, step.summary));
                if let Some(loses) = &step.loses {
                    out.push_str(&format!("-- can lose: {loses}\n"));
                }
                out.push_str(step.sql.trim_end());
                out.push('\n');
            }
            out.push_str("\nCOMMIT;\n");
        }
        if !self.roll_forward.is_empty() {
            out.push_str(
                "\n-- Phase 2: the migrations after the convergence point, in order, as `plumb apply` runs them.\n",
            );
            let planned: Vec<plumb_migrate::PlannedMigration<'_>> = self
                .roll_forward
                .iter()
                .filter_map(|v| set.migrations().iter().find(|m| m.version.as_str() == v))
                .map(|migration| plumb_migrate::PlannedMigration { migration, resume_from: 0, recorded: false })
                .collect();
            let options = plumb_migrate::ApplyOptions {
                plumb_version: plumb_version.to_owned(),
                create_history: self.history,
                ..Default::default()
            };
            out.push_str(&plumb_migrate::plan_script(&planned, Some(self.history), &options));
        }
        out
    }

    /// What the plan does, in plain words, one line each.
    pub fn summary(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            lines.push(format!("{}. {}", i + 1, step.summary));
        }
        if !self.roll_forward.is_empty() {
            lines.push(format!(
                "then apply {} migration(s) in order, each in its own transaction: {}",
                self.roll_forward.len(),
                abbreviate(&self.roll_forward)
            ));
        }
        let losses: Vec<&str> = self.steps.iter().filter_map(|s| s.loses.as_deref()).collect();
        if losses.is_empty() {
            lines.push("can lose: nothing".into());
        } else {
            lines.push(format!("can lose: {}", losses.join("; ")));
        }
        let locks: BTreeSet<&str> = self.steps.iter().flat_map(|s| s.locks.iter().map(String::as_str)).collect();
        if !locks.is_empty() {
            lines.push(format!("locks: {}", locks.into_iter().collect::<Vec<_>>().join(", ")));
        }
        for guard in &self.guards {
            lines.push(format!("checked first: {}", guard.describe()));
        }
        for k in &self.kept {
            match self.adopted.as_ref().map(|m| &m.version) {
                Some(version) => lines.push(format!("kept: {k} (now created by the adopted migration {version})")),
                None => lines.push(format!("kept: {k} (no migration creates it)")),
            }
        }
        for n in &self.not_rerun {
            lines.push(format!("not re-run: {n}"));
        }
        for u in &self.unresolved {
            lines.push(format!("not repaired: {u}"));
        }
        lines
    }
}

/// `a, b, c` or `a, b, …, z (26)`.
fn abbreviate(versions: &[String]) -> String {
    if versions.len() <= 6 {
        versions.join(", ")
    } else {
        format!("{}, {}, …, {} ({})", versions[0], versions[1], versions[versions.len() - 1], versions.len())
    }
}

/// Plans the repair of `live`, whose history (kept in `format`; `None`: there is no history
/// table yet) `diagnosis` has held against the migrations `set` as `replay` learned them.
pub fn plan(
    set: &MigrationSet,
    replay: &Replay,
    diagnosis: &Diagnosis,
    history: &[HistoryRow],
    format: Option<HistoryFormat>,
    live: &Schema,
    options: &PlanOptions,
) -> Plan {
    let history_format = format.unwrap_or(set.layout().history());
    let mut plan = Plan {
        history: history_format,
        converge_to: diagnosis.frontier.position,
        converge_version: None,
        guards: Vec::new(),
        steps: Vec::new(),
        recorded_after: Vec::new(),
        roll_forward: Vec::new(),
        tables: Vec::new(),
        kept: diagnosis.unexplained.clone(),
        adopted: None,
        not_rerun: Vec::new(),
        alternatives: Vec::new(),
        unresolved: Vec::new(),
    };
    for d in &diagnosis.migrations {
        match d.status {
            Status::Failed | Status::InProgress => plan.unresolved.push(format!(
                "{} {} stopped part-way as a no-transaction migration: `plumb apply` resumes it",
                d.version, d.name
            )),
            Status::Unknown => plan.unresolved.push(format!(
                "{} {} could not be replayed (an earlier migration fails in the shadow): fix that migration first",
                d.version, d.name
            )),
            _ => {}
        }
    }
    if !diagnosis.unexplained.is_empty() && options.adopt.is_none() {
        plan.alternatives
            .push("--adopt: write a new migration that creates the unexplained objects, and record it".into());
    }
    let needs_repair = !diagnosis.missing_files.is_empty()
        || diagnosis.migrations.iter().any(|m| match m.status {
            Status::Phantom | Status::Partial | Status::Unrecorded | Status::Modified => true,
            Status::Unverifiable => !m.recorded,
            _ => false,
        });
    if !needs_repair && options.adopt.is_none() {
        // Unexplained objects alone are kept, not repaired; pending migrations alone are apply's job.
        return plan;
    }

    let g = convergence_point(diagnosis, options.partial, &mut plan);
    plan.converge_to = g;
    plan.converge_version = (g > 0).then(|| set.migrations()[g - 1].version.to_string());
    let mut planner = Planner { set, replay, diagnosis, options, plan, tables: BTreeSet::new() };
    if format.is_none() {
        planner.plan.steps.push(Step {
            kind: StepKind::CreateHistory,
            migrations: Vec::new(),
            summary: format!("create the history table {}", history_format.table()),
            sql: history_format.create_sql().to_owned(),
            loses: None,
            locks: Vec::new(),
        });
    }
    planner.history(history, g);
    let mut current = objects(live);
    planner.reruns(&mut current, g);
    planner.partial_data(g);
    planner.converge(&current, g);
    planner.adopt();
    // Phase 2: every replayed migration after G (those after a replay failure are unknown).
    let replayed = replay.replayed();
    planner.plan.roll_forward = set.migrations()[g.min(replayed)..replayed]
        .iter()
        .zip(&diagnosis.migrations[g.min(replayed)..replayed])
        .filter(|(_, d)| !matches!(d.status, Status::Failed | Status::InProgress))
        .map(|(m, _)| m.version.to_string())
        .collect();
    let mut plan = planner.plan;
    plan.tables = planner.tables.into_iter().collect();
    plan
}

/// `G`: the frontier, or past it over migrations that are partly there; with `Undo`, before
/// the last such migration when it is the one that ends the applied run.
fn convergence_point(diagnosis: &Diagnosis, partial: PartialFix, plan: &mut Plan) -> usize {
    let g = diagnosis.converge_to();
    let last = g.checked_sub(1).map(|i| &diagnosis.migrations[i]);
    match (partial, last) {
        (PartialFix::Undo, Some(m)) if m.status == Status::Partial => {
            plan.alternatives
                .push(format!("--partial complete: keep what exists of {} and create only what is missing", m.version));
            g - 1
        }
        (PartialFix::Complete, Some(m)) if m.status == Status::Partial => {
            plan.alternatives.push(format!(
                "--partial undo: drop what exists of {} (only tables without rows) and apply it whole",
                m.version
            ));
            g
        }
        _ => g,
    }
}

struct Planner<'a> {
    set: &'a MigrationSet,
    replay: &'a Replay,
    diagnosis: &'a Diagnosis,
    options: &'a PlanOptions,
    plan: Plan,
    tables: BTreeSet<String>,
}

impl Planner<'_> {
    /// The history rewritten to exactly the migrations up to `g`: rows that claim more, or a
    /// file that is gone, go; rows that are missing or carry another checksum are written.
    fn history(&mut self, history: &[HistoryRow], g: usize) {
        let format = self.plan.history;
        if format.single_row() {
            return self.single_row_history(history, g);
        }
        let table = format.table();
        let migrations = self.set.migrations();
        let mut unrecord = Vec::new();
        let mut record = Vec::new();
        for row in history.iter().filter(|r| r.status == HistoryStatus::Applied) {
            match migrations.iter().position(|m| m.version.same_number(&row.version)) {
                Some(i) if i < g => {}
                // In-progress and failed rows are `apply`'s to resume; they stay.
                _ => unrecord.push(row.version.clone()),
            }
        }
        for (i, m) in migrations[..g].iter().enumerate() {
            let d = &self.diagnosis.migrations[i];
            if matches!(d.status, Status::Failed | Status::InProgress) {
                continue;
            }
            let row = history.iter().find(|r| r.version.same_number(&m.version));
            // Integer versions (`30` for `030`) match by number; text ones by spelling.
            let spelled = |r: &HistoryRow| format.integer_versions() || r.version.as_str() == m.version.as_str();
            let exact = row
                .is_some_and(|r| r.status == HistoryStatus::Applied && spelled(r) && m.checksum_matches(&r.checksum));
            if !exact {
                // A row of the same number spelled otherwise (`7` for `007`) is replaced.
                if let Some(r) = row.filter(|r| !spelled(r)) {
                    unrecord.push(r.version.clone());
                }
                record.push(m);
            }
            self.plan.recorded_after.push(m.version.to_string());
        }
        if !unrecord.is_empty() {
            let versions: Vec<String> = unrecord.iter().map(ToString::to_string).collect();
            self.plan.steps.push(Step {
                kind: StepKind::Unrecord,
                migrations: versions.clone(),
                summary: format!(
                    "un-record {} in {table}: recorded as applied, but not in the schema (or no file)",
                    abbreviate(&versions)
                ),
                sql: unrecord
                    .iter()
                    .map(|v| match self.set.get(v) {
                        Some(m) => format.unrecord_migration_sql(m),
                        None => format.unrecord_sql(v),
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                loses: None,
                locks: Vec::new(),
            });
        }
        if !record.is_empty() {
            let versions: Vec<String> = record.iter().map(|m| m.version.to_string()).collect();
            self.plan.steps.push(Step {
                kind: StepKind::Record,
                migrations: versions.clone(),
                summary: format!(
                    "record {} in {table}: in the schema once this transaction ends, not (or wrongly) recorded",
                    abbreviate(&versions)
                ),
                sql: record
                    .iter()
                    .map(|m| format.record_sql(m, &self.options.plumb_version))
                    .collect::<Vec<_>>()
                    .join("\n"),
                loses: None,
                locks: Vec::new(),
            });
        }
    }

    /// A table that keeps only the newest version (golang-migrate's): it must say exactly `g`'s,
    /// clean (a `dirty` flag cleared: the migration's true state comes from the catalog).
    fn single_row_history(&mut self, history: &[HistoryRow], g: usize) {
        let newest = g.checked_sub(1).map(|i| &self.set.migrations()[i]);
        let now = history.last();
        let right = match (newest, now) {
            (None, None) => true,
            (Some(m), Some(row)) => row.version.same_number(&m.version) && row.status == HistoryStatus::Applied,
            _ => false,
        };
        self.plan.recorded_after = self.set.migrations()[..g].iter().map(|m| m.version.to_string()).collect();
        if right {
            return;
        }
        let format = self.plan.history;
        let what = newest.map_or("no migration".to_owned(), |m| format!("{} {}", m.version, m.name));
        self.plan.steps.push(Step {
            kind: StepKind::Record,
            migrations: newest.map(|m| vec![m.version.to_string()]).unwrap_or_default(),
            summary: format!("set {} to {what}, clean: the newest migration the schema holds", format.table()),
            sql: format.set_newest_sql(newest),
            loses: None,
            locks: Vec::new(),
        });
    }

    /// Holes below `g` whose files write data, re-run where that is safe; `current` follows.
    fn reruns(&mut self, current: &mut Objects, g: usize) {
        let migrations = self.set.migrations()[..g].iter().zip(&self.diagnosis.migrations).zip(&self.replay.footprints);
        for (i, ((m, d), footprint)) in migrations.enumerate() {
            let hole = !d.applied || (d.status == Status::Phantom && d.present.is_empty());
            if !hole || footprint.is_empty() {
                continue;
            }
            let writes = data_statements(m);
            if writes.is_empty() {
                continue;
            }
            let untouched = footprint.iter().all(|e| current.get(&e.id) == e.before.as_ref());
            let own_tables: BTreeSet<String> = footprint.iter().filter_map(table_of).collect();
            let later_touch =
                self.replay.footprints[i + 1..g].iter().flatten().filter_map(table_of).any(|t| own_tables.contains(&t));
            let forced = self.options.rerun.contains(m.version.as_str()) && m.is_transactional();
            let safe = forced || (m.is_transactional() && untouched && !later_touch);
            if !safe || self.options.no_rerun.contains(m.version.as_str()) {
                let why = if !m.is_transactional() {
                    "it runs outside a transaction"
                } else if !untouched || later_touch {
                    "later migrations changed what it touches"
                } else {
                    "--no-rerun"
                };
                let instead = if m.is_transactional() && why != "--no-rerun" {
                    format!(" `--rerun {}` runs the file instead, if it still runs here.", m.version)
                } else {
                    String::new()
                };
                self.plan.not_rerun.push(format!(
                    "{} {}: {} ({why}); its objects are created by DDL, its rows are not written.{instead}",
                    m.version,
                    m.name,
                    writes.join("; ")
                ));
                continue;
            }
            for e in footprint {
                current.set(&e.id, e.after.as_ref());
            }
            self.tables.extend(own_tables);
            self.tables.extend(written_tables(m));
            self.plan.steps.push(Step {
                kind: StepKind::Rerun,
                migrations: vec![m.version.to_string()],
                summary: format!(
                    "run {} again: it is missing, and its data ({}) would be lost if its objects were only created",
                    m.path.display(),
                    writes.join("; ")
                ),
                sql: format!("{}\n;", m.sql.trim_end()),
                loses: None,
                locks: Vec::new(),
            });
        }
    }

    /// Partial migrations completed by DDL: their data statements may not have run.
    fn partial_data(&mut self, g: usize) {
        for (m, d) in self.set.migrations()[..g].iter().zip(&self.diagnosis.migrations) {
            if d.status != Status::Partial {
                continue;
            }
            let writes = data_statements(m);
            if !writes.is_empty() {
                self.plan.not_rerun.push(format!(
                    "{} {} is completed by DDL; its data statements ({}) may not have run: check them",
                    m.version,
                    m.name,
                    writes.join("; ")
                ));
            }
        }
    }

    /// The DDL that takes `current` to `S(g)` on every managed object, guarded.
    fn converge(&mut self, current: &Objects, g: usize) {
        let expected = self.replay.snapshot(g);
        let managed = self.replay.managed();
        // Only where the compared value differs: what the text does not show (a column's
        // position) stays as it is live.
        let mut target = current.clone();
        for id in &managed {
            if current.get(id) != expected.get(id) {
                target.set(id, expected.get(id));
            }
        }
        if target == *current {
            return;
        }
        // Type changes are guarded (every value must convert); dropped tables must be empty.
        let mut guarded = BTreeSet::new();
        for id in &managed {
            match (current.get(id).map(|v| &v.part), target.get(id).map(|v| &v.part)) {
                (Some(Part::Column { column: old, .. }), Some(Part::Column { column: new, .. }))
                    if old.data_type != new.data_type =>
                {
                    guarded.insert(id.to_string());
                    self.plan.guards.push(Guard::Converts {
                        table: id.qualified(),
                        column: id.member.clone().unwrap_or_default(),
                        from: old.data_type.clone(),
                        to: new.data_type.clone(),
                    });
                }
                (Some(Part::Table(_)), None) => {
                    guarded.insert(id.to_string());
                    self.plan.guards.push(Guard::Empty { table: id.qualified() });
                }
                _ => {}
            }
        }
        let from = current.to_schema();
        let to = target.to_schema();
        let diff = plumb_diff::diff(&from, &to);
        for (name, t) in &to.tables {
            if from.tables.get(name) != Some(t) {
                self.tables.insert(name.clone());
            }
        }
        for name in from.tables.keys().filter(|n| !to.tables.contains_key(*n)) {
            self.tables.insert(name.clone());
        }
        let losses: Vec<String> = diff
            .changes
            .iter()
            .filter(|c| c.data_loss && !guarded.contains(&c.object))
            .map(|c| format!("{} {}", c.action.as_str(), c.object))
            .collect();
        let differing = managed.iter().filter(|id| current.get(id) != target.get(id)).count();
        let version = self.plan.converge_version.clone().unwrap_or_else(|| "none".into());
        let locks: BTreeSet<&String> = diff.changes.iter().filter_map(|c| c.lock.as_ref()).collect();
        self.plan.steps.push(Step {
            kind: StepKind::Converge,
            migrations: Vec::new(),
            summary: format!(
                "bring {differing} object(s) to the schema after {version}: create what is missing, restore what drifted"
            ),
            sql: diff.script(),
            loses: (!losses.is_empty()).then(|| losses.join(", ")),
            locks: locks.into_iter().cloned().collect(),
        });
    }

    /// With `adopt`, the new migration that captures the unexplained objects is recorded.
    fn adopt(&mut self) {
        let Some(adopted) = &self.options.adopt else { return };
        self.plan.adopted = Some(adopted.clone());
        self.plan.recorded_after.push(adopted.version.to_string());
        self.plan.steps.push(Step {
            kind: StepKind::Record,
            migrations: vec![adopted.version.to_string()],
            summary: format!(
                "record {}, the new migration that captures the {} unexplained objects",
                adopted.path.display(),
                self.diagnosis.unexplained.len()
            ),
            sql: self.plan.history.record_sql(adopted, &self.options.plumb_version),
            loses: None,
            locks: Vec::new(),
        });
    }
}

/// The table an effect's object belongs to, if any.
fn table_of(e: &Effect) -> Option<String> {
    e.id.table().or_else(|| e.after.as_ref().or(e.before.as_ref()).and_then(|v| v.table()).map(str::to_owned))
}

/// The statements of `m` that write rows, each shortened to its first line.
fn data_statements(m: &Migration) -> Vec<String> {
    (0..m.script.statements.len())
        .map(|i| m.statement_sql(i).trim())
        .filter(|sql| matches!(first_word(sql).as_str(), "INSERT" | "UPDATE" | "DELETE" | "COPY" | "MERGE"))
        .map(|sql| {
            let line = sql.lines().next().unwrap_or_default();
            if line.chars().count() > 60 {
                format!("{}…", line.chars().take(60).collect::<String>())
            } else {
                line.into()
            }
        })
        .collect()
}

/// The first keyword of a statement, after comments.
fn first_word(sql: &str) -> String {
    let code = sql.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("--")).unwrap_or_default();
    code.split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or_default().to_ascii_uppercase()
}

/// The tables `m`'s data statements write (`INSERT INTO x`, `UPDATE x`, `DELETE FROM x`,
/// `COPY x`), qualified with `public` when written without a schema, as the catalog names them.
fn written_tables(m: &Migration) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..m.script.statements.len() {
        let sql = m.statement_sql(i);
        let words: Vec<&str> = sql.split_whitespace().collect();
        let target = match words.iter().map(|w| w.to_ascii_uppercase()).collect::<Vec<_>>().as_slice() {
            [a, b, ..] if a == "INSERT" && b == "INTO" => words.get(2),
            [a, b, ..] if a == "DELETE" && b == "FROM" => words.get(2),
            [a, ..] if a == "UPDATE" || a == "COPY" => words.get(1),
            _ => None,
        };
        if let Some(t) = target {
            let name = t.split(['(', ';']).next().unwrap_or_default();
            if !name.is_empty() {
                out.push(if name.contains('.') { name.to_owned() } else { format!("public.{name}") });
            }
        }
    }
    out
}

/// The SQL of a migration that creates `unexplained` objects as they are in `live`.
pub fn adoption_sql(live: &Schema, unexplained: &[ObjectId]) -> String {
    let all = objects(live);
    let mut without = all.clone();
    for id in unexplained {
        without.set(id, None);
    }
    let diff = plumb_diff::diff(&without.to_schema(), &all.to_schema());
    format!(
        "-- Objects found in the database that no migration created, adopted by plumb repair --adopt.\n{}",
        diff.script()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::diagnose;
    use crate::test_support::{objects_of, recorded, replay_of, set_of, table};

    /// Three migrations creating tables a, b and c, one each; the third also inserts rows.
    fn fixture() -> (MigrationSet, Replay) {
        let (_, replay) = replay_of(&[
            &[table("a", "1")],
            &[table("a", "1"), table("b", "1")],
            &[table("a", "1"), table("b", "1"), table("c", "1")],
        ]);
        let set = MigrationSet::new(
            ["a", "b", "c"]
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let version = plumb_migrate::Version::parse(&format!("00{}", i + 1)).unwrap();
                    let mut sql = format!("CREATE TABLE {name} ();");
                    if *name == "c" {
                        sql.push_str("\nINSERT INTO c DEFAULT VALUES;");
                    }
                    Migration::new(version, name.to_string(), format!("{name}.sql").into(), sql).unwrap()
                })
                .collect(),
        )
        .unwrap();
        (set, replay)
    }

    fn plan_for(history: &[HistoryRow], live: &Objects, format: Option<HistoryFormat>) -> Plan {
        let (set, replay) = fixture();
        let diagnosis = diagnose(&set, &replay, history, live);
        plan(&set, &replay, &diagnosis, history, format, &live.to_schema(), &PlanOptions::default())
    }

    fn kinds(plan: &Plan) -> Vec<StepKind> {
        plan.steps.iter().map(|s| s.kind).collect()
    }

    #[test]
    fn stamped_history_is_cut_back_and_the_rest_rolls_forward_in_order() {
        let (set, _) = fixture();
        let plan = plan_for(
            &recorded(&set, &["001", "002", "003"]),
            &objects_of(&[table("a", "1")]),
            Some(HistoryFormat::Plumb),
        );
        assert_eq!(kinds(&plan), [StepKind::Unrecord]);
        assert_eq!(
            plan.steps[0].sql,
            "DELETE FROM plumb.migrations WHERE version = '002';\nDELETE FROM plumb.migrations WHERE version = '003';"
        );
        assert_eq!(plan.converge_to, 1);
        assert_eq!(plan.recorded_after, ["001"]);
        assert_eq!(plan.roll_forward, ["002", "003"]);
        assert!(plan.tables.is_empty(), "phase 1 writes no rows: {:?}", plan.tables);
        let script = plan.script(&set, "test");
        assert!(script.contains("\nBEGIN;\n") && script.contains("\nCOMMIT;\n"), "{script}");
        assert!(script.find("CREATE TABLE b").unwrap() < script.find("CREATE TABLE c").unwrap(), "{script}");
        assert!(!script.lines().any(|l| l.trim_start().starts_with('\\')), "no psql meta-commands: {script}");
    }

    #[test]
    fn a_hole_without_data_is_created_by_ddl_and_a_missing_last_migration_rolls_forward() {
        let (set, _) = fixture();
        let all = recorded(&set, &["001", "002", "003"]);
        // b is gone (no data in 002): DDL; the history is right already.
        let plan = plan_for(&all, &objects_of(&[table("a", "1"), table("c", "1")]), Some(HistoryFormat::Plumb));
        assert_eq!(plan.converge_to, 3);
        assert_eq!(kinds(&plan), [StepKind::Converge]);
        assert!(plan.roll_forward.is_empty());
        // c is gone and 003 inserts rows: its file runs again, naming the table it writes.
        let plan = plan_for(&all, &objects_of(&[table("a", "1"), table("b", "1")]), Some(HistoryFormat::Plumb));
        assert_eq!(plan.converge_to, 2, "the frontier: 003 is a phantom after it");
        assert_eq!(kinds(&plan), [StepKind::Unrecord]);
        assert_eq!(plan.roll_forward, ["003"]);
    }

    #[test]
    fn without_a_history_table_it_is_created_and_everything_recorded() {
        let (_, replay) = fixture();
        let plan = plan_for(&[], &replay.expected(), None);
        assert_eq!(kinds(&plan), [StepKind::CreateHistory, StepKind::Record]);
        assert_eq!(plan.recorded_after, ["001", "002", "003"]);
        assert!(plan.steps[0].sql.contains("CREATE TABLE IF NOT EXISTS plumb.migrations"));
    }

    #[test]
    fn pending_migrations_alone_are_apply_s_job_and_unexplained_objects_are_kept() {
        let (set, _) = fixture();
        let live = objects_of(&[table("a", "1"), table("hotfix", "1")]);
        let plan = plan_for(&recorded(&set, &["001"]), &live, Some(HistoryFormat::Plumb));
        assert!(plan.is_empty(), "{:?}", kinds(&plan));
        assert_eq!(plan.kept.iter().map(ToString::to_string).collect::<Vec<_>>(), ["table public.hotfix"]);
        assert!(plan.alternatives[0].starts_with("--adopt"));
        assert_eq!(plan.script(&set, "test").lines().last(), Some("-- nothing to run"));
    }

    #[test]
    fn a_hole_below_the_frontier_with_data_is_run_again_when_nothing_later_touched_it() {
        // 1: a; 2: c with rows; 3: b. c is gone, a and b are there.
        let (_, replay) = replay_of(&[
            &[table("a", "1")],
            &[table("a", "1"), table("c", "1")],
            &[table("a", "1"), table("b", "1"), table("c", "1")],
        ]);
        let set = set_of(&[
            ("001", "CREATE TABLE a ();"),
            ("002", "CREATE TABLE c ();\nINSERT INTO c DEFAULT VALUES;"),
            ("003", "CREATE TABLE b ();"),
        ]);
        let history = recorded(&set, &["001", "002", "003"]);
        let live = objects_of(&[table("a", "1"), table("b", "1")]);
        let diagnosis = diagnose(&set, &replay, &history, &live);
        assert_eq!(diagnosis.frontier.position, 3);
        let p = plan(
            &set,
            &replay,
            &diagnosis,
            &history,
            Some(HistoryFormat::Plumb),
            &live.to_schema(),
            &PlanOptions::default(),
        );
        assert_eq!(kinds(&p), [StepKind::Rerun]);
        assert!(p.tables.contains(&"public.c".to_owned()), "{:?}", p.tables);
        let options = PlanOptions { no_rerun: BTreeSet::from(["002".to_owned()]), ..PlanOptions::default() };
        let p = plan(&set, &replay, &diagnosis, &history, Some(HistoryFormat::Plumb), &live.to_schema(), &options);
        assert_eq!(kinds(&p), [StepKind::Converge]);
        assert!(p.not_rerun[0].starts_with("002 m002: INSERT INTO c DEFAULT VALUES;"), "{:?}", p.not_rerun);
    }

    #[test]
    fn a_hole_whose_table_a_later_migration_changed_is_created_by_ddl_unless_asked() {
        // 1: a; 2: c with rows; 3: changes c and creates b. c is gone, a and b are there.
        let (_, replay) = replay_of(&[
            &[table("a", "1")],
            &[table("a", "1"), table("c", "1")],
            &[table("a", "1"), table("b", "1"), table("c", "2")],
        ]);
        let files = [
            ("001", "CREATE TABLE a ();"),
            ("002", "CREATE TABLE c ();\nINSERT INTO c DEFAULT VALUES;"),
            ("003", "CREATE TABLE b ();"),
        ];
        let set = set_of(&files);
        let history = recorded(&set, &["001", "002", "003"]);
        let live = objects_of(&[table("a", "1"), table("b", "1")]);
        let diagnosis = diagnose(&set, &replay, &history, &live);
        assert_eq!(diagnosis.frontier.position, 3);
        let run = |options: &PlanOptions| {
            plan(&set, &replay, &diagnosis, &history, Some(HistoryFormat::Plumb), &live.to_schema(), options)
        };
        let p = run(&PlanOptions::default());
        assert_eq!(kinds(&p), [StepKind::Converge]);
        assert!(p.not_rerun[0].contains("later migrations changed what it touches"), "{:?}", p.not_rerun);
        assert!(p.not_rerun[0].contains("`--rerun 002`"), "{:?}", p.not_rerun);
        let p = run(&PlanOptions { rerun: BTreeSet::from(["002".to_owned()]), ..PlanOptions::default() });
        assert_eq!(kinds(&p), [StepKind::Rerun, StepKind::Converge]);
    }

    #[test]
    fn guards_raise_with_a_count_and_a_sample() {
        let converts = Guard::Converts {
            table: "public.accounts".into(),
            column: "\"Ref\"".into(),
            from: "text".into(),
            to: "uuid".into(),
        };
        let sql = converts.sql();
        assert!(sql.contains("SELECT \"Ref\"::text FROM public.accounts WHERE \"Ref\" IS NOT NULL"), "{sql}");
        assert!(sql.contains("PERFORM value::uuid;"), "{sql}");
        assert!(sql.contains("do not convert to uuid, e.g. %', bad, sample;"), "{sql}");
        let empty = Guard::Empty { table: "public.jobs".into() };
        assert!(empty.sql().contains("IF EXISTS (SELECT FROM public.jobs) THEN"));
        assert_eq!(empty.describe(), "public.jobs holds no rows");
    }
}
