//! A schema flattened into objects and attributes, each with a comparable value,
//! in plumb's stable notation (`table public.users`, `column public.users.id`, ...).

use std::collections::BTreeMap;

use plumb_catalog::{Schema, TypeKind};
use serde::{Deserialize, Serialize};

/// Every object and attribute of a schema: notation → canonical value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objects(pub BTreeMap<String, String>);

impl Objects {
    /// The value of one object, if present.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.0.get(id).map(String::as_str)
    }
}

/// One thing a migration did to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    /// The object, in plumb's notation.
    pub object: String,
    /// Its value before the migration (`None`: it did not exist).
    pub before: Option<String>,
    /// Its value after the migration (`None`: the migration dropped it).
    pub after: Option<String>,
}

/// What one migration changed.
pub type Footprint = Vec<Effect>;

/// `before` with `footprint` applied.
pub fn apply_footprint(before: &Objects, footprint: &Footprint) -> Objects {
    let mut after = before.clone();
    for e in footprint {
        match &e.after {
            Some(value) => {
                after.0.insert(e.object.clone(), value.clone());
            }
            None => {
                after.0.remove(&e.object);
            }
        }
    }
    after
}

/// The effects that turn `before` into `after`.
pub fn footprint(before: &Objects, after: &Objects) -> Footprint {
    let mut effects = Vec::new();
    for (id, value) in &after.0 {
        if before.get(id) != Some(value.as_str()) {
            effects.push(Effect { object: id.clone(), before: before.0.get(id).cloned(), after: Some(value.clone()) });
        }
    }
    for (id, value) in &before.0 {
        if !after.0.contains_key(id) {
            effects.push(Effect { object: id.clone(), before: Some(value.clone()), after: None });
        }
    }
    effects.sort_by(|a, b| a.object.cmp(&b.object));
    effects
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("catalog values serialize")
}

/// Flattens a schema. Columns are values of their own (type, default, nullability...),
/// so drift shows attribute by attribute: `column public.users.id` expected
/// `character varying(36) not null`, found `uuid not null`.
pub fn objects(schema: &Schema) -> Objects {
    let mut o = BTreeMap::new();
    for (name, s) in &schema.schemas {
        o.insert(format!("schema {name}"), String::new());
        if let Some(c) = &s.comment {
            o.insert(format!("comment on schema {name}"), c.clone());
        }
    }
    for (name, e) in &schema.extensions {
        o.insert(format!("extension {name}"), format!("schema {}", e.schema));
    }
    for (name, t) in &schema.types {
        let value = match &t.kind {
            TypeKind::Enum { labels } => format!("enum ({})", labels.join(", ")),
            other => json(other),
        };
        o.insert(format!("type {name}"), value);
    }
    for (name, s) in &schema.sequences {
        o.insert(
            format!("sequence {name}"),
            format!(
                "{} increment {} min {} max {} start {} cache {} cycle {}",
                s.data_type, s.increment, s.min_value, s.max_value, s.start, s.cache, s.cycle
            ),
        );
    }
    for (name, t) in &schema.tables {
        let mut table = format!("{:?}", t.kind).to_lowercase();
        if let Some(p) = &t.partition_of {
            table.push_str(&format!(" partition of {} {}", p.parent, p.bound));
        }
        if let Some(k) = &t.partition_key {
            table.push_str(&format!(" partition by {k}"));
        }
        if t.rls_enabled {
            table.push_str(" row level security");
        }
        if t.rls_forced {
            table.push_str(" forced");
        }
        o.insert(format!("table {name}"), table);
        for c in &t.columns {
            let mut value = c.data_type.clone();
            if let Some(coll) = &c.collation {
                value.push_str(&format!(" collate {coll}"));
            }
            if let Some(d) = &c.default {
                value.push_str(&format!(" default {d}"));
            }
            if let Some(g) = &c.generated {
                value.push_str(&format!(" generated ({g})"));
            }
            if let Some(i) = &c.identity {
                value.push_str(&format!(" identity {i:?}").to_lowercase());
            }
            if c.not_null {
                value.push_str(" not null");
            }
            o.insert(format!("column {name}.{}", c.name), value);
            if let Some(comment) = &c.comment {
                o.insert(format!("comment on column {name}.{}", c.name), comment.clone());
            }
        }
        for c in t.constraints.values() {
            o.insert(format!("constraint {name}.{}", c.name), c.definition.clone());
        }
        for i in t.indexes.values() {
            let value = if i.valid { i.definition.clone() } else { format!("{} (INVALID)", i.definition) };
            o.insert(format!("index {}.{}", t.schema, i.name), value);
        }
        for tr in t.triggers.values() {
            o.insert(format!("trigger {name}.{}", tr.name), format!("{} [{}]", tr.definition, tr.enabled));
        }
        for p in t.policies.values() {
            o.insert(format!("policy {name}.{}", p.name), json(p));
        }
        if let Some(c) = &t.comment {
            o.insert(format!("comment on table {name}"), c.clone());
        }
        if !t.privileges.is_empty() {
            o.insert(format!("grants on table {name}"), json(&t.privileges));
        }
    }
    for (name, v) in &schema.views {
        let kind = if v.materialized { "materialized view" } else { "view" };
        o.insert(format!("{kind} {name}"), format!("{} {}", v.definition.trim(), v.options.join(",")));
        for i in v.indexes.values() {
            o.insert(format!("index {}.{}", v.schema, i.name), i.definition.clone());
        }
    }
    for (sig, f) in &schema.functions {
        o.insert(format!("{} {sig}", f.kind), f.definition.clone());
    }
    for (name, c) in &schema.collations {
        o.insert(format!("collation {name}"), json(c));
    }
    for (name, e) in &schema.event_triggers {
        o.insert(format!("event trigger {name}"), json(e));
    }
    for (name, p) in &schema.publications {
        o.insert(format!("publication {name}"), json(p));
    }
    Objects(o)
}
