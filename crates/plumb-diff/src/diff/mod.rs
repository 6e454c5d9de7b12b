//! The comparison, object kind by object kind: one module per family ([`database`]:
//! schemas, extensions, collations, event triggers, publications, default privileges;
//! [`types`]: types and sequences; [`functions`]; [`tables`]: tables and their parts;
//! [`views`]), each pushing its changes with the [`Phase`] they run in.

mod database;
mod functions;
mod tables;
mod types;
mod views;

use std::collections::{BTreeMap, BTreeSet};

use plumb_model::*;

use crate::change::{Action, Change, Diff};
use crate::ddl::{comment, grant_changes};

/// Phases, in the order their changes run. Drops come first, in reverse dependency order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    DropDefaultPrivileges,
    DropPublication,
    DropEventTrigger,
    DropPolicy,
    DropTrigger,
    DropView,
    DropForeignKey,
    DropIndex,
    DropConstraint,
    DropColumn,
    DropTable,
    DropFunction,
    DropSequence,
    DropType,
    DropCollation,
    DropExtension,
    DropSchema,
    Schema,
    Extension,
    Collation,
    EnumAndRange,
    Domain,
    Composite,
    Sequence,
    Function,
    Table,
    Column,
    SequenceOwned,
    Constraint,
    Index,
    ForeignKey,
    View,
    Trigger,
    RowSecurity,
    Policy,
    Comment,
    Grant,
    EventTrigger,
    Publication,
    DefaultPrivileges,
}

/// What running a change risks.
#[derive(Clone, Default)]
pub(crate) struct Effect {
    data_loss: bool,
    lock: Option<String>,
    note: Option<String>,
    /// Must commit on its own, before later changes run.
    outside_transaction: bool,
}

impl Effect {
    pub(crate) fn lock(mode: &str, on: &str) -> Effect {
        Effect { lock: Some(format!("{mode} on {on}")), ..Effect::default() }
    }

    pub(crate) fn losing(mut self) -> Effect {
        self.data_loss = true;
        self
    }

    pub(crate) fn note(mut self, note: impl Into<String>) -> Effect {
        self.note = Some(note.into());
        self
    }
}

#[derive(Default)]
pub(crate) struct Builder {
    changes: Vec<Change>,
}

impl Builder {
    pub(crate) fn push(&mut self, phase: Phase, action: Action, object: String, sql: String, effect: Effect) {
        let order = (phase, self.changes.len());
        self.changes.push(Change {
            object,
            action,
            sql,
            data_loss: effect.data_loss,
            lock: effect.lock,
            transactional: !effect.outside_transaction,
            note: effect.note,
            order,
        });
    }

    pub(crate) fn statements(
        &mut self,
        phase: Phase,
        action: Action,
        object: String,
        statements: Vec<String>,
        effect: Effect,
    ) {
        if !statements.is_empty() {
            self.push(phase, action, object, statements.join("\n"), effect);
        }
    }

    pub(crate) fn comment(&mut self, object: String, target: String, from: Option<&str>, to: Option<&str>) {
        if from != to {
            self.push(Phase::Comment, Action::Alter, object, comment(&target, to), Effect::default());
        }
    }

    pub(crate) fn grants(&mut self, object: String, target: &str, column: Option<&str>, from: &[Grant], to: &[Grant]) {
        let statements = grant_changes(target, column, from, to);
        self.statements(Phase::Grant, Action::Alter, object, statements, Effect::default());
    }
}

/// The changes that turn `from` into `to`, in the order they must run.
pub fn diff(from: &Schema, to: &Schema) -> Diff {
    let mut b = Builder::default();
    let recreate = Recreate::find(from, to);
    database::schemas(&mut b, from, to);
    database::extensions(&mut b, from, to);
    database::collations(&mut b, from, to);
    types::types(&mut b, from, to);
    types::sequences(&mut b, from, to);
    functions::functions(&mut b, from, to);
    tables::tables(&mut b, from, to, &recreate);
    views::views(&mut b, from, to, &recreate);
    database::event_triggers(&mut b, from, to);
    database::publications(&mut b, from, to);
    database::default_privileges(&mut b, from, to);
    let mut changes = b.changes;
    changes.sort_by_key(|c| c.order);
    Diff { changes }
}

/// Objects that must be dropped and created again although they did not change,
/// because something they depend on is rebuilt (a column's type, a table, a view).
#[derive(Default)]
pub(crate) struct Recreate {
    /// Keys: `constraint <table>.<name>`, `index <table>.<name>`, `policy <table>.<name>`, `view <name>`.
    keys: BTreeMap<String, String>,
}

impl Recreate {
    fn find(from: &Schema, to: &Schema) -> Recreate {
        let mut r = Recreate::default();
        let mut rebuilt_relations: BTreeSet<String> = BTreeSet::new();
        // Foreign keys by the table they reference, built once: the lookup below runs per changed column.
        let mut referencing: BTreeMap<&str, Vec<(&str, &Constraint)>> = BTreeMap::new();
        for (other_name, other) in &from.tables {
            for c in other.constraints.values() {
                if let Some((ref_table, _)) = &c.references {
                    referencing.entry(ref_table.as_str()).or_default().push((other_name.as_str(), c));
                }
            }
        }
        for (name, old) in &from.tables {
            let Some(new) = to.tables.get(name) else { continue };
            if tables::needs_rebuild(old, new) {
                rebuilt_relations.insert(name.clone());
                continue;
            }
            for old_col in &old.columns {
                let Some(new_col) = new.column(&old_col.name) else { continue };
                if old_col.data_type == new_col.data_type && old_col.collation == new_col.collation {
                    continue;
                }
                let why = format!("column {name}.{} changes type", old_col.name);
                for c in old.constraints.values().filter(|c| c.columns.contains(&old_col.name)) {
                    r.keys.insert(format!("constraint {name}.{}", c.name), why.clone());
                }
                for i in old
                    .indexes
                    .values()
                    .filter(|i| i.columns.contains(&old_col.name) || i.columns.iter().any(String::is_empty))
                {
                    r.keys.insert(format!("index {name}.{}", i.name), why.clone());
                }
                for p in old.policies.values() {
                    r.keys.insert(format!("policy {name}.{}", p.name), why.clone());
                }
                for (other_name, c) in referencing.get(name.as_str()).into_iter().flatten() {
                    if c.references.as_ref().is_some_and(|(_, cols)| cols.contains(&old_col.name)) {
                        r.keys.insert(format!("constraint {other_name}.{}", c.name), why.clone());
                    }
                }
                rebuilt_relations.insert(name.clone());
            }
        }
        for (name, old) in &from.views {
            if let Some(new) = to.views.get(name)
                && views::changed(old, new)
            {
                rebuilt_relations.insert(name.clone());
            }
        }
        // Views reading a rebuilt relation are rebuilt too, transitively.
        loop {
            let mut grew = false;
            for (name, view) in &from.views {
                if r.keys.contains_key(&format!("view {name}")) {
                    continue;
                }
                if let Some(dep) = view.depends_on.iter().find(|d| rebuilt_relations.contains(*d)) {
                    r.keys.insert(format!("view {name}"), format!("it reads {dep}, which is rebuilt"));
                    rebuilt_relations.insert(name.clone());
                    grew = true;
                }
            }
            if !grew {
                break;
            }
        }
        r
    }

    pub(crate) fn why(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(String::as_str)
    }
}
