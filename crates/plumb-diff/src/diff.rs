//! The comparison, object kind by object kind.

use std::collections::{BTreeMap, BTreeSet};

use plumb_model::*;

use crate::change::{Action, Change, Diff};
use crate::ddl::{DefaultAcl, comment, default_grants, grant_changes, literal};

/// Phases, in the order their changes run. Drops come first, in reverse dependency order.
mod phase {
    pub const DROP_DEFAULT_PRIVILEGES: u16 = 9;
    pub const DROP_PUBLICATION: u16 = 10;
    pub const DROP_EVENT_TRIGGER: u16 = 11;
    pub const DROP_POLICY: u16 = 12;
    pub const DROP_TRIGGER: u16 = 13;
    pub const DROP_VIEW: u16 = 14;
    pub const DROP_FOREIGN_KEY: u16 = 15;
    pub const DROP_INDEX: u16 = 16;
    pub const DROP_CONSTRAINT: u16 = 17;
    pub const DROP_COLUMN: u16 = 18;
    pub const DROP_TABLE: u16 = 19;
    pub const DROP_FUNCTION: u16 = 20;
    pub const DROP_SEQUENCE: u16 = 21;
    pub const DROP_TYPE: u16 = 22;
    pub const DROP_COLLATION: u16 = 23;
    pub const DROP_EXTENSION: u16 = 24;
    pub const DROP_SCHEMA: u16 = 25;
    pub const SCHEMA: u16 = 30;
    pub const EXTENSION: u16 = 31;
    pub const COLLATION: u16 = 32;
    pub const ENUM_AND_RANGE: u16 = 33;
    pub const DOMAIN: u16 = 34;
    pub const COMPOSITE: u16 = 35;
    pub const SEQUENCE: u16 = 36;
    pub const FUNCTION: u16 = 37;
    pub const TABLE: u16 = 38;
    pub const COLUMN: u16 = 39;
    pub const SEQUENCE_OWNED: u16 = 40;
    pub const CONSTRAINT: u16 = 41;
    pub const INDEX: u16 = 42;
    pub const FOREIGN_KEY: u16 = 43;
    pub const VIEW: u16 = 44;
    pub const TRIGGER: u16 = 45;
    pub const ROW_SECURITY: u16 = 46;
    pub const POLICY: u16 = 47;
    pub const COMMENT: u16 = 48;
    pub const GRANT: u16 = 49;
    pub const EVENT_TRIGGER: u16 = 50;
    pub const PUBLICATION: u16 = 51;
    pub const DEFAULT_PRIVILEGES: u16 = 52;
}

/// What running a change risks.
#[derive(Clone, Default)]
struct Effect {
    data_loss: bool,
    lock: Option<String>,
    note: Option<String>,
    /// Must commit on its own, before later changes run.
    outside_transaction: bool,
}

impl Effect {
    fn lock(mode: &str, on: &str) -> Effect {
        Effect { lock: Some(format!("{mode} on {on}")), ..Effect::default() }
    }

    fn losing(mut self) -> Effect {
        self.data_loss = true;
        self
    }

    fn note(mut self, note: impl Into<String>) -> Effect {
        self.note = Some(note.into());
        self
    }
}

#[derive(Default)]
struct Builder {
    changes: Vec<Change>,
}

impl Builder {
    fn push(&mut self, phase: u16, action: Action, object: String, sql: String, effect: Effect) {
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

    fn statements(&mut self, phase: u16, action: Action, object: String, statements: Vec<String>, effect: Effect) {
        if !statements.is_empty() {
            self.push(phase, action, object, statements.join("\n"), effect);
        }
    }

    fn comment(&mut self, object: String, target: String, from: Option<&str>, to: Option<&str>) {
        if from != to {
            self.push(phase::COMMENT, Action::Alter, object, comment(&target, to), Effect::default());
        }
    }

    fn grants(&mut self, object: String, target: &str, column: Option<&str>, from: &[Grant], to: &[Grant]) {
        let statements = grant_changes(target, column, from, to);
        self.statements(phase::GRANT, Action::Alter, object, statements, Effect::default());
    }
}

/// The changes that turn `from` into `to`, in the order they must run.
pub fn diff(from: &Schema, to: &Schema) -> Diff {
    let mut b = Builder::default();
    let recreate = Recreate::find(from, to);
    schemas(&mut b, from, to);
    extensions(&mut b, from, to);
    collations(&mut b, from, to);
    types(&mut b, from, to);
    sequences(&mut b, from, to);
    functions(&mut b, from, to);
    tables(&mut b, from, to, &recreate);
    views(&mut b, from, to, &recreate);
    event_triggers(&mut b, from, to);
    publications(&mut b, from, to);
    default_privileges(&mut b, from, to);
    let mut changes = b.changes;
    changes.sort_by_key(|c| c.order);
    Diff { changes }
}

/// Objects that must be dropped and created again although they did not change,
/// because something they depend on is rebuilt (a column's type, a table, a view).
#[derive(Default)]
struct Recreate {
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
            if table_needs_rebuild(old, new) {
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
                && view_changed(old, new)
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

    fn why(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(String::as_str)
    }
}

// ---------------------------------------------------------------------------
// Schemas, extensions, collations

fn schemas(b: &mut Builder, from: &Schema, to: &Schema) {
    for (name, new) in &to.schemas {
        let old = from.schemas.get(name);
        if old.is_none() {
            b.push(
                phase::SCHEMA,
                Action::Create,
                format!("schema {name}"),
                format!("CREATE SCHEMA {name};"),
                Effect::default(),
            );
        }
        b.comment(
            format!("schema {name}"),
            format!("SCHEMA {name}"),
            old.and_then(|o| o.comment.as_deref()),
            new.comment.as_deref(),
        );
        let before = old.map_or_else(Vec::new, |o| o.privileges.clone());
        b.grants(format!("schema {name}"), &format!("SCHEMA {name}"), None, &before, &new.privileges);
    }
    for name in from.schemas.keys().filter(|n| !to.schemas.contains_key(*n)) {
        b.push(
            phase::DROP_SCHEMA,
            Action::Drop,
            format!("schema {name}"),
            format!("DROP SCHEMA {name};"),
            Effect::default().losing(),
        );
    }
}

fn extensions(b: &mut Builder, from: &Schema, to: &Schema) {
    for (name, new) in &to.extensions {
        match from.extensions.get(name) {
            None => b.push(
                phase::EXTENSION,
                Action::Create,
                format!("extension {name}"),
                format!("CREATE EXTENSION {name} WITH SCHEMA {};", new.schema),
                Effect::default(),
            ),
            Some(old) => {
                if old.schema != new.schema {
                    b.push(
                        phase::EXTENSION,
                        Action::Alter,
                        format!("extension {name}"),
                        format!("ALTER EXTENSION {name} SET SCHEMA {};", new.schema),
                        Effect::default(),
                    );
                }
                if old.version != new.version {
                    b.push(
                        phase::EXTENSION,
                        Action::Alter,
                        format!("extension {name}"),
                        format!("ALTER EXTENSION {name} UPDATE TO {};", literal(&new.version)),
                        Effect::default(),
                    );
                }
            }
        }
    }
    for name in from.extensions.keys().filter(|n| !to.extensions.contains_key(*n)) {
        b.push(
            phase::DROP_EXTENSION,
            Action::Drop,
            format!("extension {name}"),
            format!("DROP EXTENSION {name};"),
            Effect::default().losing(),
        );
    }
}

fn collations(b: &mut Builder, from: &Schema, to: &Schema) {
    let create = |c: &Collation| {
        let deterministic = if c.deterministic { "" } else { ", deterministic = false" };
        format!(
            "CREATE COLLATION {}.{} (provider = {}, locale = {}{deterministic});",
            c.schema,
            c.name,
            c.provider,
            literal(&c.locale)
        )
    };
    for (key, new) in &to.collations {
        match from.collations.get(key) {
            Some(old) if old == new => {}
            Some(_) => {
                b.push(
                    phase::DROP_COLLATION,
                    Action::Drop,
                    format!("collation {key}"),
                    format!("DROP COLLATION {key};"),
                    Effect::default(),
                );
                b.push(phase::COLLATION, Action::Create, format!("collation {key}"), create(new), Effect::default());
            }
            None => {
                b.push(phase::COLLATION, Action::Create, format!("collation {key}"), create(new), Effect::default())
            }
        }
    }
    for key in from.collations.keys().filter(|k| !to.collations.contains_key(*k)) {
        b.push(
            phase::DROP_COLLATION,
            Action::Drop,
            format!("collation {key}"),
            format!("DROP COLLATION {key};"),
            Effect::default(),
        );
    }
}

// ---------------------------------------------------------------------------
// Types

fn type_target(t: &TypeDef) -> String {
    let word = if matches!(t.kind, TypeKind::Domain { .. }) { "DOMAIN" } else { "TYPE" };
    format!("{word} {}.{}", t.schema, t.name)
}

fn type_phase(t: &TypeDef) -> u16 {
    match t.kind {
        TypeKind::Enum { .. } | TypeKind::Range { .. } => phase::ENUM_AND_RANGE,
        TypeKind::Domain { .. } => phase::DOMAIN,
        TypeKind::Composite { .. } => phase::COMPOSITE,
    }
}

fn create_type(t: &TypeDef) -> String {
    let name = format!("{}.{}", t.schema, t.name);
    match &t.kind {
        TypeKind::Enum { labels } => {
            let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
            format!("CREATE TYPE {name} AS ENUM ({});", labels.join(", "))
        }
        TypeKind::Domain { base_type, collation, default, not_null, checks } => {
            let mut sql = format!("CREATE DOMAIN {name} AS {base_type}");
            if let Some(c) = collation {
                sql.push_str(&format!(" COLLATE {c}"));
            }
            if let Some(d) = default {
                sql.push_str(&format!(" DEFAULT {d}"));
            }
            if *not_null {
                sql.push_str(" NOT NULL");
            }
            for (cname, def) in checks {
                sql.push_str(&format!(" CONSTRAINT {cname} {def}"));
            }
            sql.push(';');
            sql
        }
        TypeKind::Composite { attributes } => {
            let attrs: Vec<String> = attributes.iter().map(|(n, ty)| format!("{n} {ty}")).collect();
            format!("CREATE TYPE {name} AS ({});", attrs.join(", "))
        }
        TypeKind::Range { subtype, subtype_opclass, collation, canonical, subtype_diff } => {
            let mut parts = vec![format!("SUBTYPE = {subtype}")];
            if let Some(o) = subtype_opclass {
                parts.push(format!("SUBTYPE_OPCLASS = {o}"));
            }
            if let Some(c) = collation {
                parts.push(format!("COLLATION = {c}"));
            }
            if let Some(c) = canonical {
                parts.push(format!("CANONICAL = {c}"));
            }
            if let Some(d) = subtype_diff {
                parts.push(format!("SUBTYPE_DIFF = {d}"));
            }
            format!("CREATE TYPE {name} AS RANGE ({});", parts.join(", "))
        }
    }
}

fn types(b: &mut Builder, from: &Schema, to: &Schema) {
    for (key, new) in &to.types {
        let object = format!("type {key}");
        match from.types.get(key) {
            None => {
                b.push(type_phase(new), Action::Create, object.clone(), create_type(new), Effect::default());
                b.comment(object.clone(), type_target(new), None, new.comment.as_deref());
                b.grants(object, &type_target(new), None, &default_grants(DefaultAcl::Type), &new.privileges);
            }
            Some(old) => {
                if old.kind != new.kind {
                    match alter_type(key, &old.kind, &new.kind) {
                        Some(statements) => {
                            let effect = if matches!(new.kind, TypeKind::Enum { .. }) {
                                // PostgreSQL refuses to use a new enum value before it is committed.
                                Effect { outside_transaction: true, ..Effect::default() }.note(
                                    "new enum values must be committed before anything uses them: run this outside the transaction of later changes",
                                )
                            } else {
                                Effect::default()
                            };
                            b.statements(type_phase(new), Action::Alter, object.clone(), statements, effect)
                        }
                        None => {
                            b.push(
                                phase::DROP_TYPE,
                                Action::Drop,
                                object.clone(),
                                format!("DROP {};", type_target(old)),
                                Effect::default()
                                    .losing()
                                    .note("cannot be altered in place; columns using it must be converted first"),
                            );
                            b.push(
                                type_phase(new),
                                Action::Create,
                                object.clone(),
                                create_type(new),
                                Effect::default(),
                            );
                        }
                    }
                }
                b.comment(object.clone(), type_target(new), old.comment.as_deref(), new.comment.as_deref());
                b.grants(object, &type_target(new), None, &old.privileges, &new.privileges);
            }
        }
    }
    // Composites before domains before enums: the reverse of creation.
    let mut dropped: Vec<&TypeDef> =
        from.types.iter().filter(|(k, _)| !to.types.contains_key(*k)).map(|(_, t)| t).collect();
    dropped.sort_by_key(|t| std::cmp::Reverse(type_phase(t)));
    for t in dropped {
        b.push(
            phase::DROP_TYPE,
            Action::Drop,
            format!("type {}.{}", t.schema, t.name),
            format!("DROP {};", type_target(t)),
            Effect::default(),
        );
    }
}

/// In-place changes where PostgreSQL has them: enum values added, domain details changed.
fn alter_type(name: &str, old: &TypeKind, new: &TypeKind) -> Option<Vec<String>> {
    match (old, new) {
        (TypeKind::Enum { labels: old_labels }, TypeKind::Enum { labels: new_labels }) => {
            // Only additions that keep the existing labels in their order.
            let kept: Vec<&String> = new_labels.iter().filter(|l| old_labels.contains(l)).collect();
            if kept.len() != old_labels.len() || kept.iter().zip(old_labels).any(|(a, b)| *a != b) {
                return None;
            }
            let mut statements = Vec::new();
            for (i, label) in new_labels.iter().enumerate() {
                if old_labels.contains(label) {
                    continue;
                }
                let position = match new_labels[i + 1..].iter().find(|l| old_labels.contains(l)) {
                    Some(next) => format!(" BEFORE {}", literal(next)),
                    None => String::new(),
                };
                statements.push(format!("ALTER TYPE {name} ADD VALUE {}{position};", literal(label)));
            }
            Some(statements)
        }
        (
            TypeKind::Domain { base_type: ob, collation: oc, default: od, not_null: on, checks: ochecks },
            TypeKind::Domain { base_type: nb, collation: nc, default: nd, not_null: nn, checks: nchecks },
        ) if ob == nb && oc == nc => {
            let mut statements = Vec::new();
            if od != nd {
                statements.push(match nd {
                    Some(d) => format!("ALTER DOMAIN {name} SET DEFAULT {d};"),
                    None => format!("ALTER DOMAIN {name} DROP DEFAULT;"),
                });
            }
            if on != nn {
                statements.push(format!("ALTER DOMAIN {name} {} NOT NULL;", if *nn { "SET" } else { "DROP" }));
            }
            for (cname, def) in ochecks {
                if nchecks.get(cname) != Some(def) {
                    statements.push(format!("ALTER DOMAIN {name} DROP CONSTRAINT {cname};"));
                }
            }
            for (cname, def) in nchecks {
                if ochecks.get(cname) != Some(def) {
                    statements.push(format!("ALTER DOMAIN {name} ADD CONSTRAINT {cname} {def};"));
                }
            }
            Some(statements)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Sequences

fn sequences(b: &mut Builder, from: &Schema, to: &Schema) {
    for (key, new) in &to.sequences {
        let object = format!("sequence {key}");
        let old = from.sequences.get(key);
        match old {
            None => {
                b.push(
                    phase::SEQUENCE,
                    Action::Create,
                    object.clone(),
                    format!(
                        "CREATE SEQUENCE {key} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {}{};",
                        new.data_type,
                        new.increment,
                        new.min_value,
                        new.max_value,
                        new.start,
                        new.cache,
                        if new.cycle { " CYCLE" } else { " NO CYCLE" }
                    ),
                    Effect::default(),
                );
            }
            Some(old) => {
                let mut parts = Vec::new();
                if old.data_type != new.data_type {
                    parts.push(format!("AS {}", new.data_type));
                }
                if old.increment != new.increment {
                    parts.push(format!("INCREMENT BY {}", new.increment));
                }
                if old.min_value != new.min_value {
                    parts.push(format!("MINVALUE {}", new.min_value));
                }
                if old.max_value != new.max_value {
                    parts.push(format!("MAXVALUE {}", new.max_value));
                }
                if old.start != new.start {
                    parts.push(format!("START WITH {}", new.start));
                }
                if old.cache != new.cache {
                    parts.push(format!("CACHE {}", new.cache));
                }
                if old.cycle != new.cycle {
                    parts.push(if new.cycle { "CYCLE".into() } else { "NO CYCLE".into() });
                }
                if !parts.is_empty() {
                    b.push(
                        phase::SEQUENCE,
                        Action::Alter,
                        object.clone(),
                        format!("ALTER SEQUENCE {key} {};", parts.join(" ")),
                        Effect::lock("ACCESS EXCLUSIVE", key),
                    );
                }
            }
        }
        if old.and_then(|o| o.owned_by.as_ref()) != new.owned_by.as_ref() {
            let owner = new.owned_by.as_ref().map_or("NONE".to_owned(), |(t, c)| format!("{t}.{c}"));
            b.push(
                phase::SEQUENCE_OWNED,
                Action::Alter,
                object.clone(),
                format!("ALTER SEQUENCE {key} OWNED BY {owner};"),
                Effect::default(),
            );
        }
        b.comment(
            object.clone(),
            format!("SEQUENCE {key}"),
            old.and_then(|o| o.comment.as_deref()),
            new.comment.as_deref(),
        );
        let before = old.map_or_else(Vec::new, |o| o.privileges.clone());
        b.grants(object, &format!("SEQUENCE {key}"), None, &before, &new.privileges);
    }
    for (key, old) in &from.sequences {
        if to.sequences.contains_key(key) {
            continue;
        }
        // A sequence owned by a column goes with its table or column.
        if let Some((table, column)) = &old.owned_by
            && to.tables.get(table).is_none_or(|t| t.column(column).is_none())
        {
            continue;
        }
        b.push(
            phase::DROP_SEQUENCE,
            Action::Drop,
            format!("sequence {key}"),
            format!("DROP SEQUENCE {key};"),
            Effect::default(),
        );
    }
}

// ---------------------------------------------------------------------------
// Functions

fn function_target(f: &Function) -> String {
    format!("{} {}", f.kind.to_uppercase(), f.signature())
}

fn functions(b: &mut Builder, from: &Schema, to: &Schema) {
    for (key, new) in &to.functions {
        let object = format!("{} {key}", new.kind);
        let create = format!("{};", new.definition.trim_end());
        let old = from.functions.get(key);
        match old {
            None => b.push(phase::FUNCTION, Action::Create, object.clone(), create, Effect::default()),
            Some(old) if old.definition == new.definition => {}
            Some(old) if old.returns == new.returns && old.kind == new.kind => {
                b.push(phase::FUNCTION, Action::Alter, object.clone(), create, Effect::default())
            }
            Some(old) => {
                b.push(
                    phase::DROP_FUNCTION,
                    Action::Drop,
                    object.clone(),
                    format!("DROP {};", function_target(old)),
                    Effect::default().note("its result type changes, which CREATE OR REPLACE cannot do"),
                );
                b.push(phase::FUNCTION, Action::Create, object.clone(), create, Effect::default());
            }
        }
        b.comment(object.clone(), function_target(new), old.and_then(|o| o.comment.as_deref()), new.comment.as_deref());
        let before = old.map_or_else(|| default_grants(DefaultAcl::Function), |o| o.privileges.clone());
        b.grants(object, &function_target(new), None, &before, &new.privileges);
    }
    for (key, old) in &from.functions {
        if !to.functions.contains_key(key) {
            b.push(
                phase::DROP_FUNCTION,
                Action::Drop,
                format!("{} {key}", old.kind),
                format!("DROP {};", function_target(old)),
                Effect::default(),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Tables

/// Changes that ALTER TABLE cannot make: the table is dropped and created again.
fn table_needs_rebuild(old: &Table, new: &Table) -> bool {
    old.kind != new.kind || old.partition_key != new.partition_key || old.partition_of != new.partition_of
}

/// Parents before children (partitions and INHERITS), otherwise by name.
fn tables_in_creation_order(schema: &Schema) -> Vec<&Table> {
    let mut ordered: Vec<&Table> = Vec::with_capacity(schema.tables.len());
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    let mut remaining: Vec<&Table> = schema.tables.values().collect();
    while !remaining.is_empty() {
        let before = remaining.len();
        remaining.retain(|t| {
            let parents_ready = t
                .partition_of
                .iter()
                .map(|p| p.parent.as_str())
                .chain(t.inherits.iter().map(String::as_str))
                .all(|p| placed.contains(p) || !schema.tables.contains_key(p));
            if parents_ready {
                placed.insert(schema.tables.get_key_value(&t.qualified_name()).map(|(k, _)| k.as_str()).unwrap_or(""));
                ordered.push(t);
            }
            !parents_ready
        });
        if remaining.len() == before {
            // A cycle cannot happen in a real catalog; keep going rather than loop.
            ordered.append(&mut remaining);
        }
    }
    ordered
}

fn column_definition(c: &Column) -> String {
    let mut sql = format!("{} {}", c.name, c.data_type);
    if let Some(coll) = &c.collation {
        sql.push_str(&format!(" COLLATE {coll}"));
    }
    if let Some(expr) = &c.generated {
        sql.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED"));
    }
    match c.identity {
        Some(Identity::Always) => sql.push_str(" GENERATED ALWAYS AS IDENTITY"),
        Some(Identity::ByDefault) => sql.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
        None => {}
    }
    if let Some(d) = &c.default {
        sql.push_str(&format!(" DEFAULT {d}"));
    }
    if c.not_null {
        sql.push_str(" NOT NULL");
    }
    sql
}

fn create_table(t: &Table) -> String {
    let name = t.qualified_name();
    let unlogged = if t.unlogged { "UNLOGGED " } else { "" };
    let mut sql = match &t.partition_of {
        Some(p) => format!("CREATE {unlogged}TABLE {name} PARTITION OF {} {}", p.parent, p.bound),
        None => {
            let columns: Vec<String> =
                t.columns.iter().filter(|c| !c.inherited).map(|c| format!("    {}", column_definition(c))).collect();
            let body = if columns.is_empty() { "()".to_owned() } else { format!("(\n{}\n)", columns.join(",\n")) };
            format!("CREATE {unlogged}TABLE {name} {body}")
        }
    };
    if !t.inherits.is_empty() {
        sql.push_str(&format!(" INHERITS ({})", t.inherits.join(", ")));
    }
    if let Some(key) = &t.partition_key {
        sql.push_str(&format!(" PARTITION BY {key}"));
    }
    if !t.options.is_empty() {
        sql.push_str(&format!(" WITH ({})", t.options.join(", ")));
    }
    sql.push(';');
    // Partitions take their columns from the parent; their own NOT NULLs and defaults come after.
    if t.partition_of.is_some() {
        for c in t.columns.iter().filter(|c| !c.inherited) {
            sql.push_str(&format!("\nALTER TABLE {name} ADD COLUMN {};", column_definition(c)));
        }
    }
    // CREATE TABLE takes STORAGE only from PostgreSQL 16 on.
    for c in t.columns.iter().filter(|c| !c.inherited) {
        if let Some(storage) = &c.storage {
            sql.push_str(&format!(
                "\nALTER TABLE {name} ALTER COLUMN {} SET STORAGE {};",
                c.name,
                storage.to_uppercase()
            ));
        }
    }
    sql
}

fn tables(b: &mut Builder, from: &Schema, to: &Schema, recreate: &Recreate) {
    for new in tables_in_creation_order(to) {
        let name = new.qualified_name();
        let object = format!("table {name}");
        match from.tables.get(&name) {
            Some(old) if !table_needs_rebuild(old, new) => alter_table(b, old, new, recreate),
            Some(old) => {
                b.push(
                    phase::DROP_TABLE,
                    Action::Drop,
                    object.clone(),
                    format!("DROP TABLE {name};"),
                    Effect::lock("ACCESS EXCLUSIVE", &name)
                        .losing()
                        .note("its partitioning changes, which ALTER TABLE cannot do: the table is rebuilt and its rows are lost"),
                );
                let _ = old;
                create_table_with_parts(b, new);
            }
            None => create_table_with_parts(b, new),
        }
    }
    // Dropped tables: children before parents.
    let order = tables_in_creation_order(from);
    for old in order.iter().rev() {
        let name = old.qualified_name();
        if to.tables.contains_key(&name) {
            continue;
        }
        // Foreign keys between dropped tables go first, so the drops can run in any order.
        for c in old.constraints.values().filter(|c| c.kind == ConstraintKind::ForeignKey && !c.inherited) {
            if let Some((target, _)) = &c.references
                && target != &name
                && !to.tables.contains_key(target)
            {
                b.push(
                    phase::DROP_FOREIGN_KEY,
                    Action::Drop,
                    format!("constraint {name}.{}", c.name),
                    format!("ALTER TABLE {name} DROP CONSTRAINT {};", c.name),
                    Effect::lock("ACCESS EXCLUSIVE", &name),
                );
            }
        }
        b.push(
            phase::DROP_TABLE,
            Action::Drop,
            format!("table {name}"),
            format!("DROP TABLE {name};"),
            Effect::lock("ACCESS EXCLUSIVE", &name).losing(),
        );
    }
}

fn create_table_with_parts(b: &mut Builder, t: &Table) {
    let name = t.qualified_name();
    let object = format!("table {name}");
    b.push(phase::TABLE, Action::Create, object.clone(), create_table(t), Effect::default());
    for c in t.constraints.values().filter(|c| !c.inherited) {
        add_constraint(b, &name, c, None);
    }
    for i in t.indexes.values().filter(|i| !i.inherited) {
        create_index(b, &name, i, phase::INDEX, None);
    }
    for trigger in t.triggers.values().filter(|t| !t.inherited) {
        create_trigger(b, &name, trigger, None);
    }
    row_security(b, &name, false, false, t.rls_enabled, t.rls_forced);
    for p in t.policies.values() {
        create_policy(b, &name, p, None);
    }
    b.comment(object.clone(), format!("TABLE {name}"), None, t.comment.as_deref());
    for c in &t.columns {
        b.comment(format!("column {name}.{}", c.name), format!("COLUMN {name}.{}", c.name), None, c.comment.as_deref());
        b.grants(format!("column {name}.{}", c.name), &format!("TABLE {name}"), Some(&c.name), &[], &c.privileges);
    }
    b.grants(object, &format!("TABLE {name}"), None, &[], &t.privileges);
}

fn alter_table(b: &mut Builder, old: &Table, new: &Table, recreate: &Recreate) {
    let name = new.qualified_name();
    let object = format!("table {name}");
    let exclusive = || Effect::lock("ACCESS EXCLUSIVE", &name);
    if old.unlogged != new.unlogged {
        let mode = if new.unlogged { "UNLOGGED" } else { "LOGGED" };
        b.push(phase::COLUMN, Action::Alter, object.clone(), format!("ALTER TABLE {name} SET {mode};"), exclusive());
    }
    if old.options != new.options {
        let mut statements = Vec::new();
        let removed: Vec<&str> = old
            .options
            .iter()
            .filter(|o| !new.options.contains(o))
            .filter_map(|o| o.split('=').next())
            .filter(|k| !new.options.iter().any(|n| n.split('=').next() == Some(k)))
            .collect();
        if !removed.is_empty() {
            statements.push(format!("ALTER TABLE {name} RESET ({});", removed.join(", ")));
        }
        let set: Vec<&String> = new.options.iter().filter(|o| !old.options.contains(o)).collect();
        if !set.is_empty() {
            statements.push(format!(
                "ALTER TABLE {name} SET ({});",
                set.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        b.statements(phase::COLUMN, Action::Alter, object.clone(), statements, exclusive());
    }
    for parent in old.inherits.iter().filter(|p| !new.inherits.contains(p)) {
        b.push(
            phase::COLUMN,
            Action::Alter,
            object.clone(),
            format!("ALTER TABLE {name} NO INHERIT {parent};"),
            exclusive(),
        );
    }
    for parent in new.inherits.iter().filter(|p| !old.inherits.contains(p)) {
        b.push(
            phase::COLUMN,
            Action::Alter,
            object.clone(),
            format!("ALTER TABLE {name} INHERIT {parent};"),
            exclusive(),
        );
    }

    columns(b, old, new);

    // Constraints.
    for (cname, oc) in &old.constraints {
        let key = format!("constraint {name}.{cname}");
        let why = recreate.why(&key);
        match new.constraints.get(cname) {
            Some(nc) if nc == oc && why.is_none() => {}
            Some(nc) if why.is_none() && only_validation_differs(oc, nc) => b.push(
                phase::CONSTRAINT,
                Action::Alter,
                key,
                format!("ALTER TABLE {name} VALIDATE CONSTRAINT {cname};"),
                Effect::lock("SHARE UPDATE EXCLUSIVE", &name),
            ),
            _ if oc.inherited => {}
            still => {
                let drop_phase = if oc.kind == ConstraintKind::ForeignKey {
                    phase::DROP_FOREIGN_KEY
                } else {
                    phase::DROP_CONSTRAINT
                };
                b.push(
                    drop_phase,
                    Action::Drop,
                    key,
                    format!("ALTER TABLE {name} DROP CONSTRAINT {cname};"),
                    exclusive(),
                );
                if let Some(nc) = still
                    && !nc.inherited
                {
                    add_constraint(b, &name, nc, why.map(|w| format!("recreated: {w}")));
                }
            }
        }
        if let Some(nc) = new.constraints.get(cname)
            && (why.is_some() || nc.definition != oc.definition)
        {
            b.comment(
                format!("constraint {name}.{cname}"),
                format!("CONSTRAINT {cname} ON {name}"),
                None,
                nc.comment.as_deref(),
            );
        } else if let Some(nc) = new.constraints.get(cname) {
            b.comment(
                format!("constraint {name}.{cname}"),
                format!("CONSTRAINT {cname} ON {name}"),
                oc.comment.as_deref(),
                nc.comment.as_deref(),
            );
        }
    }
    for (cname, nc) in &new.constraints {
        if !old.constraints.contains_key(cname) && !nc.inherited {
            add_constraint(b, &name, nc, None);
            b.comment(
                format!("constraint {name}.{cname}"),
                format!("CONSTRAINT {cname} ON {name}"),
                None,
                nc.comment.as_deref(),
            );
        }
    }

    // Indexes.
    for (iname, oi) in &old.indexes {
        let key = format!("index {name}.{iname}");
        let why = recreate.why(&key);
        match new.indexes.get(iname) {
            Some(ni) if ni.definition == oi.definition && why.is_none() => {
                b.comment(
                    format!("index {}.{iname}", new.schema),
                    format!("INDEX {}.{iname}", new.schema),
                    oi.comment.as_deref(),
                    ni.comment.as_deref(),
                );
            }
            _ if oi.inherited => {}
            still => {
                b.push(
                    phase::DROP_INDEX,
                    Action::Drop,
                    format!("index {}.{iname}", new.schema),
                    format!("DROP INDEX {}.{iname};", new.schema),
                    exclusive(),
                );
                if let Some(ni) = still
                    && !ni.inherited
                {
                    create_index(b, &name, ni, phase::INDEX, why.map(|w| format!("recreated: {w}")));
                }
            }
        }
    }
    for (iname, ni) in &new.indexes {
        if !old.indexes.contains_key(iname) && !ni.inherited {
            create_index(b, &name, ni, phase::INDEX, None);
        }
    }

    // Triggers.
    for (tname, ot) in &old.triggers {
        match new.triggers.get(tname) {
            Some(nt) if nt.definition == ot.definition => {
                if nt.enabled != ot.enabled {
                    b.push(
                        phase::TRIGGER,
                        Action::Alter,
                        format!("trigger {name}.{tname}"),
                        trigger_enabled(&name, nt),
                        Effect::lock("SHARE ROW EXCLUSIVE", &name),
                    );
                }
                b.comment(
                    format!("trigger {name}.{tname}"),
                    format!("TRIGGER {tname} ON {name}"),
                    ot.comment.as_deref(),
                    nt.comment.as_deref(),
                );
            }
            _ if ot.inherited => {}
            still => {
                b.push(
                    phase::DROP_TRIGGER,
                    Action::Drop,
                    format!("trigger {name}.{tname}"),
                    format!("DROP TRIGGER {tname} ON {name};"),
                    exclusive(),
                );
                if let Some(nt) = still
                    && !nt.inherited
                {
                    create_trigger(b, &name, nt, None);
                }
            }
        }
    }
    for (tname, nt) in &new.triggers {
        if !old.triggers.contains_key(tname) && !nt.inherited {
            create_trigger(b, &name, nt, None);
        }
    }

    row_security(b, &name, old.rls_enabled, old.rls_forced, new.rls_enabled, new.rls_forced);

    // Policies.
    for (pname, op) in &old.policies {
        let key = format!("policy {name}.{pname}");
        let why = recreate.why(&key);
        match new.policies.get(pname) {
            Some(np) if np == op && why.is_none() => {}
            Some(np) if why.is_none() && policy_body_equal(op, np) => {
                b.comment(key, format!("POLICY {pname} ON {name}"), op.comment.as_deref(), np.comment.as_deref())
            }
            still => {
                b.push(phase::DROP_POLICY, Action::Drop, key, format!("DROP POLICY {pname} ON {name};"), exclusive());
                if let Some(np) = still {
                    create_policy(b, &name, np, why.map(|w| format!("recreated: {w}")));
                }
            }
        }
    }
    for (pname, np) in &new.policies {
        if !old.policies.contains_key(pname) {
            create_policy(b, &name, np, None);
        }
    }

    b.comment(object.clone(), format!("TABLE {name}"), old.comment.as_deref(), new.comment.as_deref());
    b.grants(object, &format!("TABLE {name}"), None, &old.privileges, &new.privileges);
}

fn only_validation_differs(old: &Constraint, new: &Constraint) -> bool {
    old.not_valid && !new.not_valid && old.definition.trim_end_matches(" NOT VALID") == new.definition
}

fn policy_body_equal(a: &Policy, b: &Policy) -> bool {
    Policy { comment: None, ..a.clone() } == Policy { comment: None, ..b.clone() }
}

fn columns(b: &mut Builder, old: &Table, new: &Table) {
    let name = new.qualified_name();
    let exclusive = || Effect::lock("ACCESS EXCLUSIVE", &name);
    for oc in old.columns.iter().filter(|c| !c.inherited) {
        if new.column(&oc.name).is_none() {
            b.push(
                phase::DROP_COLUMN,
                Action::Drop,
                format!("column {name}.{}", oc.name),
                format!("ALTER TABLE {name} DROP COLUMN {};", oc.name),
                exclusive().losing(),
            );
        }
    }
    let old_order: Vec<&str> =
        old.columns.iter().map(|c| c.name.as_str()).filter(|n| new.column(n).is_some()).collect();
    let new_order: Vec<&str> =
        new.columns.iter().map(|c| c.name.as_str()).filter(|n| old.column(n).is_some()).collect();
    for nc in &new.columns {
        let object = format!("column {name}.{}", nc.name);
        let Some(oc) = old.column(&nc.name) else {
            if !nc.inherited {
                let mut effect = exclusive();
                if nc.generated.is_some()
                    || nc.default.as_deref().is_some_and(|d| d.contains("nextval") || d.contains("()"))
                {
                    effect = effect.note("a generated or volatile default rewrites the table");
                }
                b.push(
                    phase::COLUMN,
                    Action::Create,
                    object.clone(),
                    format!("ALTER TABLE {name} ADD COLUMN {};", column_definition(nc)),
                    effect,
                );
            }
            b.comment(object.clone(), format!("COLUMN {name}.{}", nc.name), None, nc.comment.as_deref());
            b.grants(object, &format!("TABLE {name}"), Some(&nc.name), &[], &nc.privileges);
            continue;
        };
        if nc.inherited {
            continue;
        }
        if oc.generated != nc.generated {
            b.push(
                phase::DROP_COLUMN,
                Action::Drop,
                object.clone(),
                format!("ALTER TABLE {name} DROP COLUMN {};", nc.name),
                exclusive().note("its generation expression changes: dropped and added again"),
            );
            b.push(
                phase::COLUMN,
                Action::Create,
                object.clone(),
                format!("ALTER TABLE {name} ADD COLUMN {};", column_definition(nc)),
                exclusive(),
            );
            continue;
        }
        let mut statements = Vec::new();
        let mut effect = exclusive();
        if oc.data_type != nc.data_type || oc.collation != nc.collation {
            let collate = nc.collation.as_ref().map(|c| format!(" COLLATE {c}")).unwrap_or_default();
            statements.push(format!(
                "ALTER TABLE {name} ALTER COLUMN {} TYPE {}{collate} USING {}::{};",
                nc.name, nc.data_type, nc.name, nc.data_type
            ));
            if !widening(&oc.data_type, &nc.data_type) {
                effect = effect.losing().note(format!(
                    "type {} → {}: rewrites the table; values that do not convert make it fail",
                    oc.data_type, nc.data_type
                ));
            }
        }
        if oc.identity != nc.identity {
            statements.push(match (oc.identity, nc.identity) {
                (None, Some(Identity::Always)) => {
                    format!("ALTER TABLE {name} ALTER COLUMN {} ADD GENERATED ALWAYS AS IDENTITY;", nc.name)
                }
                (None, Some(Identity::ByDefault)) => {
                    format!("ALTER TABLE {name} ALTER COLUMN {} ADD GENERATED BY DEFAULT AS IDENTITY;", nc.name)
                }
                (Some(_), None) => format!("ALTER TABLE {name} ALTER COLUMN {} DROP IDENTITY;", nc.name),
                (Some(_), Some(Identity::Always)) => {
                    format!("ALTER TABLE {name} ALTER COLUMN {} SET GENERATED ALWAYS;", nc.name)
                }
                (Some(_), Some(Identity::ByDefault)) => {
                    format!("ALTER TABLE {name} ALTER COLUMN {} SET GENERATED BY DEFAULT;", nc.name)
                }
                (None, None) => unreachable!("identities differ"),
            });
        }
        if oc.default != nc.default {
            statements.push(match &nc.default {
                Some(d) => format!("ALTER TABLE {name} ALTER COLUMN {} SET DEFAULT {d};", nc.name),
                None => format!("ALTER TABLE {name} ALTER COLUMN {} DROP DEFAULT;", nc.name),
            });
        }
        if oc.not_null != nc.not_null && !(nc.identity.is_some() && oc.identity.is_none()) {
            let verb = if nc.not_null { "SET" } else { "DROP" };
            statements.push(format!("ALTER TABLE {name} ALTER COLUMN {} {verb} NOT NULL;", nc.name));
        }
        if oc.storage != nc.storage {
            let storage = nc.storage.as_deref().unwrap_or("DEFAULT").to_uppercase();
            statements.push(format!("ALTER TABLE {name} ALTER COLUMN {} SET STORAGE {storage};", nc.name));
        }
        b.statements(phase::COLUMN, Action::Alter, object.clone(), statements, effect);
        b.comment(object.clone(), format!("COLUMN {name}.{}", nc.name), oc.comment.as_deref(), nc.comment.as_deref());
        b.grants(object, &format!("TABLE {name}"), Some(&nc.name), &oc.privileges, &nc.privileges);
    }
    if old_order != new_order {
        b.push(
            phase::COLUMN,
            Action::Alter,
            format!("table {name}"),
            format!("-- columns of {name} are in another order; PostgreSQL cannot reorder columns in place."),
            Effect::default().note("column order differs; only a rebuild of the table would change it"),
        );
    }
}

/// Type changes that keep every value as it was (no data can be lost).
fn widening(old: &str, new: &str) -> bool {
    let varchar_len = |t: &str| {
        t.strip_prefix("character varying(").and_then(|r| r.strip_suffix(')')).and_then(|n| n.parse::<u32>().ok())
    };
    matches!(
        (old, new),
        ("smallint", "integer" | "bigint")
            | ("integer", "bigint")
            | ("character varying", "text")
            | ("real", "double precision")
    ) || (old.starts_with("character varying") && (new == "text" || new == "character varying"))
        || matches!((varchar_len(old), varchar_len(new)), (Some(a), Some(b)) if b >= a)
}

fn add_constraint(b: &mut Builder, table: &str, c: &Constraint, note: Option<String>) {
    let (p, lock) = match c.kind {
        ConstraintKind::ForeignKey => {
            let referenced = c.references.as_ref().map(|(t, _)| t.as_str()).unwrap_or("?");
            (phase::FOREIGN_KEY, format!("SHARE ROW EXCLUSIVE on {table} and {referenced}"))
        }
        _ => (phase::CONSTRAINT, format!("ACCESS EXCLUSIVE on {table}")),
    };
    let mut effect = Effect { lock: Some(lock), ..Effect::default() };
    effect.note = note;
    b.push(
        p,
        Action::Create,
        format!("constraint {table}.{}", c.name),
        format!("ALTER TABLE {table} ADD CONSTRAINT {} {};", c.name, c.definition),
        effect,
    );
    if let Some(comment_text) = &c.comment {
        b.comment(
            format!("constraint {table}.{}", c.name),
            format!("CONSTRAINT {} ON {table}", c.name),
            None,
            Some(comment_text),
        );
    }
}

fn create_index(b: &mut Builder, table: &str, i: &Index, p: u16, note: Option<String>) {
    let schema = table.split('.').next().unwrap_or("");
    let mut effect = Effect::lock("SHARE", table);
    effect.note = note;
    // pg_get_indexdef says `ON ONLY` for a partitioned table's index (pg_dump then attaches each
    // partition's index by hand); created plainly, it builds and attaches them itself.
    let definition = i.definition.replacen(" ON ONLY ", " ON ", 1);
    b.push(p, Action::Create, format!("index {schema}.{}", i.name), format!("{definition};"), effect);
    if let Some(text) = &i.comment {
        b.comment(format!("index {schema}.{}", i.name), format!("INDEX {schema}.{}", i.name), None, Some(text));
    }
}

fn trigger_enabled(table: &str, t: &Trigger) -> String {
    let verb = match t.enabled.as_str() {
        "D" => "DISABLE TRIGGER",
        "R" => "ENABLE REPLICA TRIGGER",
        "A" => "ENABLE ALWAYS TRIGGER",
        _ => "ENABLE TRIGGER",
    };
    format!("ALTER TABLE {table} {verb} {};", t.name)
}

fn create_trigger(b: &mut Builder, table: &str, t: &Trigger, note: Option<String>) {
    let mut sql = format!("{};", t.definition);
    if t.enabled != "O" {
        sql.push('\n');
        sql.push_str(&trigger_enabled(table, t));
    }
    let mut effect = Effect::lock("SHARE ROW EXCLUSIVE", table);
    effect.note = note;
    b.push(phase::TRIGGER, Action::Create, format!("trigger {table}.{}", t.name), sql, effect);
    if let Some(text) = &t.comment {
        b.comment(format!("trigger {table}.{}", t.name), format!("TRIGGER {} ON {table}", t.name), None, Some(text));
    }
}

fn row_security(b: &mut Builder, table: &str, old_enabled: bool, old_forced: bool, enabled: bool, forced: bool) {
    let mut statements = Vec::new();
    if old_enabled != enabled {
        statements
            .push(format!("ALTER TABLE {table} {} ROW LEVEL SECURITY;", if enabled { "ENABLE" } else { "DISABLE" }));
    }
    if old_forced != forced {
        statements
            .push(format!("ALTER TABLE {table} {} ROW LEVEL SECURITY;", if forced { "FORCE" } else { "NO FORCE" }));
    }
    b.statements(
        phase::ROW_SECURITY,
        Action::Alter,
        format!("table {table}"),
        statements,
        Effect::lock("ACCESS EXCLUSIVE", table),
    );
}

fn create_policy(b: &mut Builder, table: &str, p: &Policy, note: Option<String>) {
    let mut sql = format!(
        "CREATE POLICY {} ON {table} AS {} FOR {} TO {}",
        p.name,
        if p.permissive { "PERMISSIVE" } else { "RESTRICTIVE" },
        p.command,
        p.roles.join(", ")
    );
    if let Some(u) = &p.using {
        sql.push_str(&format!(" USING ({u})"));
    }
    if let Some(w) = &p.with_check {
        sql.push_str(&format!(" WITH CHECK ({w})"));
    }
    sql.push(';');
    let mut effect = Effect::lock("ACCESS EXCLUSIVE", table);
    effect.note = note;
    b.push(phase::POLICY, Action::Create, format!("policy {table}.{}", p.name), sql, effect);
    if let Some(text) = &p.comment {
        b.comment(format!("policy {table}.{}", p.name), format!("POLICY {} ON {table}", p.name), None, Some(text));
    }
}

// ---------------------------------------------------------------------------
// Views

fn view_changed(old: &View, new: &View) -> bool {
    old.materialized != new.materialized
        || old.definition != new.definition
        || old.options != new.options
        || old.columns != new.columns
}

fn view_kind(v: &View) -> &'static str {
    if v.materialized { "MATERIALIZED VIEW" } else { "VIEW" }
}

/// Views in creation order: a view after the views it reads.
fn views_in_creation_order(schema: &Schema) -> Vec<&View> {
    let mut ordered: Vec<&View> = Vec::with_capacity(schema.views.len());
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut remaining: Vec<(&String, &View)> = schema.views.iter().collect();
    while !remaining.is_empty() {
        let before = remaining.len();
        remaining.retain(|(name, v)| {
            let ready = v.depends_on.iter().all(|d| placed.contains(d) || !schema.views.contains_key(d));
            if ready {
                placed.insert((*name).clone());
                ordered.push(v);
            }
            !ready
        });
        if remaining.len() == before {
            ordered.extend(remaining.drain(..).map(|(_, v)| v));
        }
    }
    ordered
}

fn create_view(b: &mut Builder, v: &View, note: Option<String>) {
    let name = format!("{}.{}", v.schema, v.name);
    let options = if v.options.is_empty() { String::new() } else { format!(" WITH ({})", v.options.join(", ")) };
    let query = v.definition.trim().trim_end_matches(';');
    let sql = if v.materialized {
        format!("CREATE MATERIALIZED VIEW {name}{options} AS\n{query}\nWITH DATA;")
    } else {
        format!("CREATE VIEW {name}{options} AS\n{query};")
    };
    let object = format!("{} {name}", view_kind(v).to_lowercase());
    let effect = Effect { note, ..Effect::default() };
    b.push(phase::VIEW, Action::Create, object.clone(), sql, effect);
    for i in v.indexes.values() {
        create_index(b, &name, i, phase::VIEW, None);
    }
    b.comment(object.clone(), format!("{} {name}", view_kind(v)), None, v.comment.as_deref());
    b.grants(object, &format!("TABLE {name}"), None, &[], &v.privileges);
}

fn views(b: &mut Builder, from: &Schema, to: &Schema, recreate: &Recreate) {
    let old_order = views_in_creation_order(from);
    // Drops, dependents first.
    for old in old_order.iter().rev() {
        let name = format!("{}.{}", old.schema, old.name);
        let dropped = match to.views.get(&name) {
            None => true,
            Some(new) => view_changed(old, new) || recreate.why(&format!("view {name}")).is_some(),
        };
        if dropped {
            b.push(
                phase::DROP_VIEW,
                Action::Drop,
                format!("{} {name}", view_kind(old).to_lowercase()),
                format!("DROP {} {name};", view_kind(old)),
                Effect::lock("ACCESS EXCLUSIVE", &name),
            );
        }
    }
    for new in views_in_creation_order(to) {
        let name = format!("{}.{}", new.schema, new.name);
        match from.views.get(&name) {
            None => create_view(b, new, None),
            Some(old) if view_changed(old, new) => create_view(b, new, None),
            Some(old) => match recreate.why(&format!("view {name}")) {
                Some(why) => create_view(b, new, Some(format!("recreated: {why}"))),
                None => {
                    let object = format!("{} {name}", view_kind(new).to_lowercase());
                    for (iname, ni) in &new.indexes {
                        match old.indexes.get(iname) {
                            Some(oi) if oi.definition == ni.definition => {}
                            Some(_) => {
                                b.push(
                                    phase::DROP_INDEX,
                                    Action::Drop,
                                    format!("index {}.{iname}", new.schema),
                                    format!("DROP INDEX {}.{iname};", new.schema),
                                    Effect::default(),
                                );
                                create_index(b, &name, ni, phase::VIEW, None);
                            }
                            None => create_index(b, &name, ni, phase::VIEW, None),
                        }
                    }
                    for iname in old.indexes.keys().filter(|i| !new.indexes.contains_key(*i)) {
                        b.push(
                            phase::DROP_INDEX,
                            Action::Drop,
                            format!("index {}.{iname}", new.schema),
                            format!("DROP INDEX {}.{iname};", new.schema),
                            Effect::default(),
                        );
                    }
                    b.comment(
                        object.clone(),
                        format!("{} {name}", view_kind(new)),
                        old.comment.as_deref(),
                        new.comment.as_deref(),
                    );
                    b.grants(object, &format!("TABLE {name}"), None, &old.privileges, &new.privileges);
                }
            },
        }
    }
}

// ---------------------------------------------------------------------------
// Database-wide objects

fn event_triggers(b: &mut Builder, from: &Schema, to: &Schema) {
    let create = |e: &EventTrigger| {
        let tags = if e.tags.is_empty() {
            String::new()
        } else {
            format!(" WHEN TAG IN ({})", e.tags.iter().map(|t| literal(t)).collect::<Vec<_>>().join(", "))
        };
        let mut sql =
            format!("CREATE EVENT TRIGGER {} ON {}{tags} EXECUTE FUNCTION {}();", e.name, e.event, e.function);
        let state = match e.enabled.as_str() {
            "D" => Some("DISABLE"),
            "R" => Some("ENABLE REPLICA"),
            "A" => Some("ENABLE ALWAYS"),
            _ => None,
        };
        if let Some(state) = state {
            sql.push_str(&format!("\nALTER EVENT TRIGGER {} {state};", e.name));
        }
        sql
    };
    for (name, new) in &to.event_triggers {
        match from.event_triggers.get(name) {
            Some(old) if old == new => {}
            Some(_) => {
                b.push(
                    phase::DROP_EVENT_TRIGGER,
                    Action::Drop,
                    format!("event trigger {name}"),
                    format!("DROP EVENT TRIGGER {name};"),
                    Effect::default(),
                );
                b.push(
                    phase::EVENT_TRIGGER,
                    Action::Create,
                    format!("event trigger {name}"),
                    create(new),
                    Effect::default(),
                );
            }
            None => b.push(
                phase::EVENT_TRIGGER,
                Action::Create,
                format!("event trigger {name}"),
                create(new),
                Effect::default(),
            ),
        }
    }
    for name in from.event_triggers.keys().filter(|n| !to.event_triggers.contains_key(*n)) {
        b.push(
            phase::DROP_EVENT_TRIGGER,
            Action::Drop,
            format!("event trigger {name}"),
            format!("DROP EVENT TRIGGER {name};"),
            Effect::default(),
        );
    }
}

fn publications(b: &mut Builder, from: &Schema, to: &Schema) {
    let create = |p: &Publication| {
        let target = if p.all_tables {
            " FOR ALL TABLES".to_owned()
        } else if p.tables.is_empty() {
            String::new()
        } else {
            format!(" FOR TABLE {}", p.tables.join(", "))
        };
        format!("CREATE PUBLICATION {}{target} WITH (publish = {});", p.name, literal(&p.operations.join(", ")))
    };
    for (name, new) in &to.publications {
        match from.publications.get(name) {
            Some(old) if old == new => {}
            Some(_) => {
                b.push(
                    phase::DROP_PUBLICATION,
                    Action::Drop,
                    format!("publication {name}"),
                    format!("DROP PUBLICATION {name};"),
                    Effect::default(),
                );
                b.push(
                    phase::PUBLICATION,
                    Action::Create,
                    format!("publication {name}"),
                    create(new),
                    Effect::default(),
                );
            }
            None => b.push(
                phase::PUBLICATION,
                Action::Create,
                format!("publication {name}"),
                create(new),
                Effect::default(),
            ),
        }
    }
    for name in from.publications.keys().filter(|n| !to.publications.contains_key(*n)) {
        b.push(
            phase::DROP_PUBLICATION,
            Action::Drop,
            format!("publication {name}"),
            format!("DROP PUBLICATION {name};"),
            Effect::default(),
        );
    }
}

fn default_privileges(b: &mut Builder, from: &Schema, to: &Schema) {
    let prefix = |d: &DefaultPrivilege| {
        let schema = d.schema.as_ref().map(|s| format!(" IN SCHEMA {s}")).unwrap_or_default();
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {}{schema}", d.role)
    };
    for old in from.default_privileges.iter().filter(|d| !to.default_privileges.contains(d)) {
        b.push(
            phase::DROP_DEFAULT_PRIVILEGES,
            Action::Drop,
            format!("default privileges {} {}", old.role, old.object_type.to_lowercase()),
            format!("{} REVOKE ALL ON {} FROM {};", prefix(old), old.object_type, old.grant.grantee),
            Effect::default(),
        );
    }
    for new in to.default_privileges.iter().filter(|d| !from.default_privileges.contains(d)) {
        let mut statements = Vec::new();
        let plain: Vec<&str> =
            new.grant.privileges.iter().filter(|p| !new.grant.grantable.contains(p)).map(String::as_str).collect();
        if !plain.is_empty() {
            statements.push(format!(
                "{} GRANT {} ON {} TO {};",
                prefix(new),
                plain.join(", "),
                new.object_type,
                new.grant.grantee
            ));
        }
        if !new.grant.grantable.is_empty() {
            statements.push(format!(
                "{} GRANT {} ON {} TO {} WITH GRANT OPTION;",
                prefix(new),
                new.grant.grantable.join(", "),
                new.object_type,
                new.grant.grantee
            ));
        }
        b.statements(
            phase::DEFAULT_PRIVILEGES,
            Action::Create,
            format!("default privileges {} {}", new.role, new.object_type.to_lowercase()),
            statements,
            Effect::default(),
        );
    }
}
