//! Repair plans: from a diagnosis to the history edits, DDL and guards that bring
//! history and schema back to the truth. Pure: the live schema, the replay and the
//! history come in, a [`Plan`] goes out; [`crate::execute`] runs it.
//!
//! Per finding, the default and its alternative:
//! - phantom (recorded, absent): un-record it, then apply it again with the pending ones;
//! - unrecorded (present, not recorded): record it with its file's checksum;
//! - partial: complete it — create only the missing part, from the expected schema — or,
//!   with [`PartialFix::Undo`], drop the part that exists (tables only if empty, dependents
//!   listed) and apply it again;
//! - drift (an object present with another value, e.g. `uuid` where `varchar(36)` is
//!   expected): the DDL restoring the expected definition, dependents dropped and re-created
//!   by `plumb-diff`, guarded by a count of the values that would not convert;
//! - modified (file changed after it ran): when every effect is present, record the file's
//!   checksum; otherwise left to the user;
//! - unexplained objects: kept and listed; `adopt` captures them in a new migration.
//!
//! Once the history tells the truth, the plan applies every pending migration too, so the
//! history ends at the last file (a no-transaction migration is left to `plumb apply`).

use std::collections::BTreeSet;

use plumb_catalog::Schema;
use plumb_migrate::{HistoryFormat, Migration, MigrationSet};
use serde::Serialize;

use crate::diagnose::{Diagnosis, Status};
use crate::edit;
use crate::replay::Replay;

/// What to do with a partially applied migration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartialFix {
    /// Create only what is missing.
    #[default]
    Complete,
    /// Drop what exists (only empty tables), then apply the whole migration again.
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
}

/// What one step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Removes history rows that claim what is not there.
    Unrecord,
    /// Adds or corrects a history row for what is there.
    Record,
    /// Runs a migration file and records it.
    Apply,
    /// Creates the missing part of a migration and restores drifted objects.
    Complete,
    /// Drops the part of a migration that exists, before it is applied again.
    Undo,
}

/// One step of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// What kind of step.
    pub kind: StepKind,
    /// The migration it is about, if one.
    pub migration: Option<String>,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
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
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The history table the plan writes.
    pub history: HistoryFormat,
    /// Checked before anything runs.
    pub guards: Vec<Guard>,
    /// In order, all in one transaction.
    pub steps: Vec<Step>,
    /// Tables whose rows the plan may change (altered, dropped or written by a migration
    /// it applies); every other table must keep its row count and content checksum.
    pub tables: Vec<String>,
    /// Live objects no migration explains: kept as they are.
    pub kept: Vec<String>,
    /// The new migration that captures the kept objects (with `adopt`).
    pub adopted: Option<String>,
    /// Other ways to fix what the plan fixes, in words.
    pub alternatives: Vec<String>,
    /// Findings the plan leaves to the user, and why.
    pub unresolved: Vec<String>,
    /// No-transaction migrations left for `plumb apply`, after the repair.
    pub deferred: Vec<String>,
}

impl Plan {
    /// Whether there is nothing to run.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The plan as one script that runs unchanged in psql and in a web SQL editor:
    /// one transaction, guards first.
    pub fn script(&self) -> String {
        let mut out = String::new();
        out.push_str("-- plumb repair plan: one transaction; the guards raise (and nothing changes) if they fail.\n");
        for line in self.summary() {
            out.push_str(&format!("-- {line}\n"));
        }
        if self.steps.is_empty() {
            out.push_str("-- nothing to run\n");
            return out;
        }
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
        out
    }

    /// What the plan does, in plain words, one line each.
    pub fn summary(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            lines.push(format!("{}. {}", i + 1, step.summary));
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
            match &self.adopted {
                Some(version) => lines.push(format!("kept: {k} (now created by the adopted migration {version})")),
                None => lines.push(format!("kept: {k} (no migration creates it)")),
            }
        }
        for d in &self.deferred {
            lines.push(format!("after the repair: {d}"));
        }
        for u in &self.unresolved {
            lines.push(format!("not repaired: {u}"));
        }
        lines
    }
}

/// Plans the repair of `live`, whose history (kept in `format`) `diagnosis` has held against
/// the migrations `set` as `replay` learned them.
pub fn plan(
    set: &MigrationSet,
    replay: &Replay,
    diagnosis: &Diagnosis,
    format: HistoryFormat,
    live: &Schema,
    options: &PlanOptions,
) -> Plan {
    let mut planner = Planner {
        set,
        replay,
        live,
        options,
        plan: Plan {
            history: format,
            guards: Vec::new(),
            steps: Vec::new(),
            tables: Vec::new(),
            kept: Vec::new(),
            adopted: None,
            alternatives: Vec::new(),
            unresolved: Vec::new(),
            deferred: Vec::new(),
        },
        tables: BTreeSet::new(),
    };
    // Unexplained objects alone are kept, not repaired; pending migrations alone are apply's job.
    let needs_repair = diagnosis
        .migrations
        .iter()
        .any(|m| !matches!(m.status, Status::Verified | Status::Unverifiable | Status::Pending));
    if needs_repair {
        planner.history_rewrite(diagnosis);
        planner.schema_steps(diagnosis);
    }
    planner.unexplained(diagnosis);
    let mut plan = planner.plan;
    plan.tables = planner.tables.into_iter().collect();
    plan
}

struct Planner<'a> {
    set: &'a MigrationSet,
    replay: &'a Replay,
    live: &'a Schema,
    options: &'a PlanOptions,
    plan: Plan,
    tables: BTreeSet<String>,
}

impl<'a> Planner<'a> {
    /// The statement recording `m` in the plan's history table.
    fn record(&self, m: &Migration) -> String {
        self.plan.history.record_sql(m, &self.options.plumb_version)
    }

    fn migration(&self, version: &str) -> &'a Migration {
        let set: &'a MigrationSet = self.set;
        set.migrations().iter().find(|m| m.version.as_str() == version).expect("diagnosed from this set")
    }

    /// First the history: what it claims and is not there goes, what is there and unclaimed comes in.
    fn history_rewrite(&mut self, diagnosis: &Diagnosis) {
        let table = self.plan.history.table();
        let mut unrecord = Vec::new();
        for d in &diagnosis.migrations {
            let m = self.migration(&d.version);
            match d.status {
                Status::Phantom => unrecord.push(m),
                Status::Partial if d.recorded && self.options.partial == PartialFix::Undo => unrecord.push(m),
                Status::Unrecorded => self.plan.steps.push(Step {
                    kind: StepKind::Record,
                    migration: Some(d.version.clone()),
                    summary: format!(
                        "record {} {} in {table}: all of it is present, the history does not say so",
                        d.version, d.name
                    ),
                    sql: self.record(m),
                    loses: None,
                    locks: Vec::new(),
                }),
                Status::Modified if d.missing.is_empty() => self.plan.steps.push(Step {
                    kind: StepKind::Record,
                    migration: Some(d.version.clone()),
                    summary: format!(
                        "record the checksum of {} as it is now: it changed after it ran, and all it creates is present",
                        m.path.display()
                    ),
                    sql: self.record(m),
                    loses: None,
                    locks: Vec::new(),
                }),
                Status::Modified => self.plan.unresolved.push(format!(
                    "{} changed after it ran and {} of its objects are missing: restore the file as it ran, or write a new migration",
                    m.path.display(),
                    d.missing.len()
                )),
                Status::Failed | Status::InProgress => self.plan.unresolved.push(format!(
                    "{} {} stopped part-way as a no-transaction migration: `plumb apply` resumes it",
                    d.version, d.name
                )),
                Status::Unknown => self.plan.unresolved.push(format!(
                    "{} {} could not be replayed (an earlier migration fails in the shadow): fix that migration first",
                    d.version, d.name
                )),
                _ => {}
            }
        }
        if !unrecord.is_empty() {
            let versions: Vec<&str> = unrecord.iter().map(|m| m.version.as_str()).collect();
            let sql =
                unrecord.iter().map(|m| self.plan.history.unrecord_sql(&m.version)).collect::<Vec<_>>().join("\n");
            self.plan.steps.insert(
                0,
                Step {
                    kind: StepKind::Unrecord,
                    migration: None,
                    summary: format!(
                        "un-record {} in {table}: recorded as applied, not in the schema",
                        versions.join(", ")
                    ),
                    sql,
                    loses: None,
                    locks: Vec::new(),
                },
            );
        }
    }

    /// Then the schema, migration by migration in version order.
    fn schema_steps(&mut self, diagnosis: &Diagnosis) {
        for d in &diagnosis.migrations {
            let m = self.migration(&d.version);
            match d.status {
                Status::Phantom | Status::Pending => self.apply(m, d.status),
                Status::Partial => match self.options.partial {
                    PartialFix::Complete => {
                        self.complete(m, &d.missing, !d.recorded);
                        self.plan.alternatives.push(format!(
                            "--partial undo: drop what exists of {} (only tables without rows) and apply it whole",
                            d.version
                        ));
                    }
                    PartialFix::Undo => {
                        if self.undo(m, &d.present) {
                            self.apply(m, Status::Partial);
                        }
                        self.plan.alternatives.push(format!(
                            "--partial complete: create only what is missing of {}, keep what exists",
                            d.version
                        ));
                    }
                },
                _ => {}
            }
        }
    }

    /// Runs the file and records it; a no-transaction file is left to `plumb apply`.
    fn apply(&mut self, m: &Migration, why: Status) {
        if !m.is_transactional() {
            self.plan
                .deferred
                .push(format!("`plumb apply` runs {} (no-transaction: it cannot run inside the repair)", m.version));
            return;
        }
        let reason = match why {
            Status::Phantom => "recorded but absent",
            Status::Partial => "undone above",
            _ => "pending",
        };
        let index = self.set.migrations().iter().position(|x| x.version == m.version).expect("in the set");
        // Rows a migration may write: the tables its replay touched.
        if let Some(footprint) = self.replay.footprints.get(index) {
            for e in footprint {
                if let Some(t) = edit::table_of(&self.replay.schema, &e.object) {
                    self.tables.insert(t);
                }
            }
        }
        self.plan.steps.push(Step {
            kind: StepKind::Apply,
            migration: Some(m.version.to_string()),
            summary: format!("apply {} ({reason}) and record it", m.path.display()),
            sql: format!("{}\n;\n{}", m.sql.trim_end(), self.record(m)),
            loses: None,
            locks: Vec::new(),
        });
    }

    /// Creates the missing objects and restores drifted ones from the expected schema.
    fn complete(&mut self, m: &Migration, missing: &[String], record: bool) {
        let expected = &self.replay.schema;
        let mut target = self.live.clone();
        let mut created = BTreeSet::new();
        // Columns whose type changes under a guard that every value converts.
        let mut guarded: BTreeSet<&str> = BTreeSet::new();
        let mut unsupported = Vec::new();
        // Containers before their parts: a table must exist to receive its columns.
        let mut ordered: Vec<&String> = missing.iter().collect();
        ordered.sort_by_key(|id| !matches!(edit::kind(id), Some("schema" | "table" | "type" | "extension")));
        for id in ordered {
            if !edit::copy(&mut target, expected, id, &mut created) {
                unsupported.push(id.clone());
            }
            // A column whose type changes: every value must convert first.
            if edit::kind(id) == Some("column")
                && let Some(table) = edit::table_of(expected, id)
                && let (Some(old), Some(new)) = (self.live.tables.get(&table), expected.tables.get(&table))
            {
                let column = id.rsplit_once('.').map(|(_, c)| c).unwrap_or_default();
                if let (Some(oc), Some(nc)) = (old.column(column), new.column(column))
                    && oc.data_type != nc.data_type
                {
                    guarded.insert(id.as_str());
                    self.plan.guards.push(Guard::Converts {
                        table: table.clone(),
                        column: column.to_owned(),
                        from: oc.data_type.clone(),
                        to: nc.data_type.clone(),
                    });
                }
            }
        }
        if !unsupported.is_empty() {
            self.plan.unresolved.push(format!(
                "{}: plumb cannot restore {} by itself; create them by hand",
                m.version,
                unsupported.join(", ")
            ));
        }
        let diff = plumb_diff::diff(self.live, &target);
        self.name_tables(&target);
        // A type change whose every value the guards check to convert loses nothing.
        let losses: Vec<String> = diff
            .changes
            .iter()
            .filter(|c| c.data_loss && !guarded.contains(c.object.as_str()))
            .map(|c| format!("{} {}", c.action.as_str(), c.object))
            .collect();
        let locks = locks(&diff);
        let mut sql = diff.script();
        let what = if missing.len() == 1 { "object" } else { "objects" };
        let mut summary =
            format!("complete {} {}: create or restore its {} missing {what}", m.version, m.name, missing.len());
        if record {
            sql.push_str(&self.record(m));
            sql.push('\n');
            summary.push_str(", and record it");
        }
        self.plan.steps.push(Step {
            kind: StepKind::Complete,
            migration: Some(m.version.to_string()),
            summary,
            sql,
            loses: (!losses.is_empty()).then(|| losses.join(", ")),
            locks,
        });
    }

    /// Drops what exists of a migration (only objects it created; tables only when empty).
    /// False when it cannot.
    fn undo(&mut self, m: &Migration, present: &[String]) -> bool {
        let index = self.set.migrations().iter().position(|x| x.version == m.version).expect("in the set");
        let created: BTreeSet<&str> =
            self.replay.footprints[index].iter().filter(|e| e.before.is_none()).map(|e| e.object.as_str()).collect();
        let changed: Vec<&String> = present.iter().filter(|p| !created.contains(p.as_str())).collect();
        if !changed.is_empty() {
            self.plan.unresolved.push(format!(
                "{}: undo would have to revert changes to objects older than it ({}); use --partial complete",
                m.version,
                changed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
            return false;
        }
        let mut target = self.live.clone();
        let tables: BTreeSet<String> =
            present.iter().filter(|p| edit::kind(p) == Some("table")).map(|p| p["table ".len()..].to_owned()).collect();
        let dependents = edit::dependents(self.live, &tables);
        for id in dependents.iter().chain(present) {
            edit::remove(&mut target, id);
        }
        for t in &tables {
            self.plan.guards.push(Guard::Empty { table: t.clone() });
            self.tables.insert(t.clone());
        }
        let diff = plumb_diff::diff(self.live, &target);
        let mut summary = format!("undo {} {}: drop the {} objects of it that exist", m.version, m.name, present.len());
        if !dependents.is_empty() {
            summary.push_str(&format!(", and what depends on them: {}", dependents.join(", ")));
        }
        self.plan.steps.push(Step {
            kind: StepKind::Undo,
            migration: Some(m.version.to_string()),
            summary,
            sql: diff.script(),
            loses: (!dependents.is_empty()).then(|| format!("{} (not re-created)", dependents.join(", "))),
            locks: locks(&diff),
        });
        true
    }

    /// Tables whose definition differs between the live schema and `target`: the plan names them.
    fn name_tables(&mut self, target: &Schema) {
        for (name, t) in &target.tables {
            if self.live.tables.get(name) != Some(t) {
                self.tables.insert(name.clone());
            }
        }
    }

    /// Unexplained objects are kept; with `adopt`, captured in a new migration and recorded.
    fn unexplained(&mut self, diagnosis: &Diagnosis) {
        self.plan.kept = diagnosis.unexplained.clone();
        let Some(adopted) = &self.options.adopt else {
            if !diagnosis.unexplained.is_empty() {
                self.plan
                    .alternatives
                    .push("--adopt: write a new migration that creates the unexplained objects, and record it".into());
            }
            return;
        };
        self.plan.adopted = Some(adopted.version.to_string());
        self.plan.steps.push(Step {
            kind: StepKind::Record,
            migration: Some(adopted.version.to_string()),
            summary: format!(
                "record {}, the new migration that captures the {} unexplained objects",
                adopted.path.display(),
                diagnosis.unexplained.len()
            ),
            sql: self.record(adopted),
            loses: None,
            locks: Vec::new(),
        });
    }
}

/// The locks a diff takes, each once, in order.
fn locks(diff: &plumb_diff::Diff) -> Vec<String> {
    let locks: BTreeSet<&String> = diff.changes.iter().filter_map(|c| c.lock.as_ref()).collect();
    locks.into_iter().cloned().collect()
}

/// The SQL of a migration that creates `unexplained` objects as they are in `live`.
pub fn adoption_sql(live: &Schema, unexplained: &[String]) -> String {
    let mut without = live.clone();
    for id in unexplained {
        edit::remove(&mut without, id);
    }
    let diff = plumb_diff::diff(&without, live);
    format!(
        "-- Objects found in the database that no migration created, adopted by plumb repair --adopt.\n{}",
        diff.script()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::diagnose;
    use crate::objects::{Objects, footprint};
    use crate::test_support::recorded;
    use plumb_migrate::{HistoryRow, Version};

    fn objs(items: &[&str]) -> Objects {
        Objects(items.iter().map(|k| (k.to_string(), "v".to_string())).collect())
    }

    /// Three migrations creating tables a, b and c, one each.
    fn fixture() -> (MigrationSet, Replay) {
        let snapshots = vec![
            objs(&[]),
            objs(&["table public.a"]),
            objs(&["table public.a", "table public.b"]),
            objs(&["table public.a", "table public.b", "table public.c"]),
        ];
        let footprints = snapshots.windows(2).map(|w| footprint(&w[0], &w[1])).collect();
        let set = MigrationSet::new(
            ["a", "b", "c"]
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let version = Version::parse(&format!("00{}", i + 1)).unwrap();
                    let sql = format!("CREATE TABLE {name} ();");
                    Migration::new(version, name.to_string(), format!("{name}.sql").into(), sql).unwrap()
                })
                .collect(),
        )
        .unwrap();
        (set, Replay { snapshots, footprints, failure: None, schema: Schema::default() })
    }

    fn plan_for(history: &[HistoryRow], live: &Objects) -> Plan {
        let (set, replay) = fixture();
        let diagnosis = diagnose(&set, &replay, history, live);
        plan(&set, &replay, &diagnosis, HistoryFormat::Plumb, &Schema::default(), &PlanOptions::default())
    }

    fn kinds(plan: &Plan) -> Vec<(StepKind, Option<&str>)> {
        plan.steps.iter().map(|s| (s.kind, s.migration.as_deref())).collect()
    }

    #[test]
    fn phantom_is_unrecorded_then_applied_with_the_pending_ones() {
        let (set, _) = fixture();
        // 002 recorded but absent; 003 pending.
        let plan = plan_for(&recorded(&set, &["001", "002"]), &objs(&["table public.a"]));
        assert_eq!(
            kinds(&plan),
            [(StepKind::Unrecord, None), (StepKind::Apply, Some("002")), (StepKind::Apply, Some("003"))]
        );
        assert_eq!(plan.steps[0].sql, "DELETE FROM plumb.migrations WHERE version = '002';");
        assert!(plan.steps[1].sql.starts_with("CREATE TABLE b ();\n;\nINSERT INTO plumb.migrations"));
        assert_eq!(plan.tables, ["public.b", "public.c"]);
        let script = plan.script();
        assert!(script.contains("\nBEGIN;\n") && script.trim_end().ends_with("COMMIT;"), "{script}");
        assert!(!script.lines().any(|l| l.trim_start().starts_with('\\')), "no psql meta-commands: {script}");
    }

    #[test]
    fn unrecorded_is_recorded_and_nothing_runs() {
        let (set, _) = fixture();
        let plan = plan_for(&recorded(&set, &["001"]), &objs(&["table public.a", "table public.b"]));
        assert_eq!(kinds(&plan), [(StepKind::Record, Some("002")), (StepKind::Apply, Some("003"))]);
        assert!(plan.tables == ["public.c"], "recording touches no rows: {:?}", plan.tables);
    }

    #[test]
    fn pending_migrations_alone_are_apply_s_job_and_unexplained_objects_are_kept() {
        let (set, _) = fixture();
        let plan = plan_for(&recorded(&set, &["001"]), &objs(&["table public.a", "table public.hotfix"]));
        assert!(plan.is_empty(), "{:?}", kinds(&plan));
        assert_eq!(plan.kept, ["table public.hotfix"]);
        assert!(plan.alternatives[0].starts_with("--adopt"));
        assert_eq!(plan.script().lines().last(), Some("-- nothing to run"));
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
