//! A schema flattened into objects and attributes, each with a typed identity
//! ([`ObjectId`]) and a comparable value ([`Value`]), and back again.
//!
//! The flattening is the unit of the drift model: a migration's effects are the
//! ids whose value differs between two snapshots, and the live schema is held
//! against a snapshot id by id. Every value also keeps the catalog model's piece
//! it came from, so that a set of objects can be turned back into a [`Schema`]
//! ([`Objects::to_schema`]): that is how a repair builds the schema it wants
//! (the live one with every managed object set to the frontier's) and lets
//! `plumb-diff` write the DDL. Names are never parsed back from the notation.

use std::collections::BTreeMap;
use std::fmt;

use plumb_catalog::{
    Collation, Column, Constraint, EventTrigger, Extension, Function, Grant, Index, Namespace, Policy, Publication,
    Schema, Sequence, Table, Trigger, TypeDef, TypeKind, View,
};
use serde::{Deserialize, Serialize};

/// What kind of object an [`ObjectId`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A schema (namespace).
    Schema,
    /// `COMMENT ON SCHEMA`.
    SchemaComment,
    /// An installed extension.
    Extension,
    /// An enum, domain, composite or range type.
    Type,
    /// A sequence.
    Sequence,
    /// A table: its kind, partitioning and row level security.
    Table,
    /// `COMMENT ON TABLE`.
    TableComment,
    /// The privileges granted on a table.
    TableGrants,
    /// A column (member: its name).
    Column,
    /// `COMMENT ON COLUMN` (member: the column).
    ColumnComment,
    /// A table constraint (member: its name).
    Constraint,
    /// An index of a table or materialized view (named in its schema).
    Index,
    /// A trigger (member: its name).
    Trigger,
    /// A row level security policy (member: its name).
    Policy,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// A function (name: with its identity arguments).
    Function,
    /// A procedure (name: with its identity arguments).
    Procedure,
    /// A collation.
    Collation,
    /// An event trigger.
    EventTrigger,
    /// A publication.
    Publication,
}

impl ObjectKind {
    /// The word plumb's notation uses.
    pub fn word(self) -> &'static str {
        match self {
            ObjectKind::Schema => "schema",
            ObjectKind::SchemaComment => "comment on schema",
            ObjectKind::Extension => "extension",
            ObjectKind::Type => "type",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Table => "table",
            ObjectKind::TableComment => "comment on table",
            ObjectKind::TableGrants => "grants on table",
            ObjectKind::Column => "column",
            ObjectKind::ColumnComment => "comment on column",
            ObjectKind::Constraint => "constraint",
            ObjectKind::Index => "index",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Policy => "policy",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::Function => "function",
            ObjectKind::Procedure => "procedure",
            ObjectKind::Collation => "collation",
            ObjectKind::EventTrigger => "event trigger",
            ObjectKind::Publication => "publication",
        }
    }

    /// Whether the object lives in a table (a table's own value, or a part of it).
    pub fn in_table(self) -> bool {
        matches!(
            self,
            ObjectKind::Table
                | ObjectKind::TableComment
                | ObjectKind::TableGrants
                | ObjectKind::Column
                | ObjectKind::ColumnComment
                | ObjectKind::Constraint
                | ObjectKind::Trigger
                | ObjectKind::Policy
        )
    }
}

/// The identity of one object or attribute: kind, schema, name, member. Each part is an
/// identifier as the catalog gives it (quoted where SQL needs it: `public."Accounts"`).
/// Objects outside schemas (schemas, extensions, event triggers, publications) have an
/// empty `schema`. Rendered in plumb's notation (`column public.users.id`) only for people.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectId {
    /// What kind of object.
    pub kind: ObjectKind,
    /// Its schema (empty for objects outside schemas).
    pub schema: String,
    /// Its name in the schema (a table's, for the parts of a table; a function's with its arguments).
    pub name: String,
    /// The part of the table it is (a column, constraint, trigger or policy name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

impl ObjectId {
    /// Whether it is access, not schema: privileges granted (a read-only role's `GRANT
    /// SELECT`), which teams often manage outside their migrations.
    pub fn is_access(&self) -> bool {
        self.kind == ObjectKind::TableGrants
    }

    fn new(kind: ObjectKind, schema: &str, name: &str) -> ObjectId {
        ObjectId { kind, schema: schema.to_owned(), name: name.to_owned(), member: None }
    }

    fn member(kind: ObjectKind, schema: &str, name: &str, member: &str) -> ObjectId {
        ObjectId { kind, schema: schema.to_owned(), name: name.to_owned(), member: Some(member.to_owned()) }
    }

    /// The qualified name of the object (`public.users`), or of its table for a table's parts.
    pub fn qualified(&self) -> String {
        if self.schema.is_empty() { self.name.clone() } else { format!("{}.{}", self.schema, self.name) }
    }

    /// The table this id belongs to, when its kind lives in a table (indexes: see [`Value::table`]).
    pub fn table(&self) -> Option<String> {
        self.kind.in_table().then(|| self.qualified())
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.word(), self.qualified())?;
        if let Some(member) = &self.member {
            write!(f, ".{member}")?;
        }
        Ok(())
    }
}

/// The catalog model's piece an object came from: enough to put it back into a [`Schema`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// A schema, without its comment.
    Schema(Namespace),
    /// A comment.
    Comment(String),
    /// An extension.
    Extension(Extension),
    /// A type.
    Type(TypeDef),
    /// A sequence.
    Sequence(Sequence),
    /// A table without its columns, constraints, indexes, triggers, policies, comment and grants.
    Table(Table),
    /// A table's grants.
    Grants(Vec<Grant>),
    /// A column without its comment, and where it stands among the table's columns.
    Column {
        /// The column.
        column: Column,
        /// Its position (0-based) in the table as inspected.
        position: usize,
    },
    /// A constraint.
    Constraint(Constraint),
    /// An index and the relation it belongs to (`schema.table`, or a materialized view's name).
    Index {
        /// The relation, qualified.
        owner: String,
        /// Whether the relation is a materialized view.
        on_view: bool,
        /// The index.
        index: Index,
    },
    /// A trigger.
    Trigger(Trigger),
    /// A policy.
    Policy(Policy),
    /// A view, without its indexes.
    View(View),
    /// A function or procedure.
    Function(Function),
    /// A collation.
    Collation(Collation),
    /// An event trigger.
    EventTrigger(EventTrigger),
    /// A publication.
    Publication(Publication),
}

/// An object's value: `text` is what is compared and shown (`character varying(36) not
/// null`); `part` is what it is in the catalog model. Two values are equal when their texts are.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Value {
    /// The canonical text: compared, and shown in drift.
    pub text: String,
    /// The model's piece.
    pub part: Part,
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.text == other.text
    }
}
impl Eq for Value {}

impl Value {
    /// The table (qualified) an index value belongs to.
    pub fn table(&self) -> Option<&str> {
        match &self.part {
            Part::Index { owner, on_view: false, .. } => Some(owner),
            _ => None,
        }
    }
}

/// Every object and attribute of a schema. Serialized as a list of pairs (JSON map keys
/// must be strings, and an id is not one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<(ObjectId, Value)>", into = "Vec<(ObjectId, Value)>")]
pub struct Objects(pub BTreeMap<ObjectId, Value>);

impl From<Vec<(ObjectId, Value)>> for Objects {
    fn from(pairs: Vec<(ObjectId, Value)>) -> Objects {
        Objects(pairs.into_iter().collect())
    }
}

impl From<Objects> for Vec<(ObjectId, Value)> {
    fn from(objects: Objects) -> Vec<(ObjectId, Value)> {
        objects.0.into_iter().collect()
    }
}

impl Objects {
    /// The value of one object, if present.
    pub fn get(&self, id: &ObjectId) -> Option<&Value> {
        self.0.get(id)
    }

    /// The canonical text of one object's value, if present.
    pub fn text(&self, id: &ObjectId) -> Option<&str> {
        self.0.get(id).map(|v| v.text.as_str())
    }

    /// Sets one object to `value` (`None`: removes it).
    pub fn set(&mut self, id: &ObjectId, value: Option<&Value>) {
        match value {
            Some(v) => {
                self.0.insert(id.clone(), v.clone());
            }
            None => {
                self.0.remove(id);
            }
        }
    }

    /// The table (qualified) an object belongs to, when it belongs to one: its own for a
    /// table's parts, the owner for an index.
    pub fn table_of(&self, id: &ObjectId) -> Option<String> {
        id.table().or_else(|| self.get(id).and_then(Value::table).map(str::to_owned))
    }

    /// The schema these objects describe. Objects whose container is missing (a column of a
    /// table that is not there) are left out; what the flattening does not keep (default
    /// privileges) is empty.
    pub fn to_schema(&self) -> Schema {
        let mut schema = Schema::default();
        let mut columns: BTreeMap<String, Vec<(usize, Column)>> = BTreeMap::new();
        let mut column_comments: Vec<(String, &str, &str)> = Vec::new();
        // Containers first (the map's order puts kinds in declaration order: schemas,
        // extensions, types, sequences, tables before their parts).
        for (id, value) in &self.0 {
            let key = id.qualified();
            match &value.part {
                Part::Schema(n) => {
                    schema.schemas.insert(key, n.clone());
                }
                Part::Extension(e) => {
                    schema.extensions.insert(key, e.clone());
                }
                Part::Type(t) => {
                    schema.types.insert(key, t.clone());
                }
                Part::Sequence(s) => {
                    schema.sequences.insert(key, s.clone());
                }
                Part::Table(t) => {
                    schema.tables.insert(key, t.clone());
                }
                Part::View(v) => {
                    schema.views.insert(key, v.clone());
                }
                Part::Function(f) => {
                    schema.functions.insert(key, f.clone());
                }
                Part::Collation(c) => {
                    schema.collations.insert(key, c.clone());
                }
                Part::EventTrigger(e) => {
                    schema.event_triggers.insert(key, e.clone());
                }
                Part::Publication(p) => {
                    schema.publications.insert(key, p.clone());
                }
                _ => {}
            }
        }
        for (id, value) in &self.0 {
            let key = id.qualified();
            match (&value.part, id.member.as_deref()) {
                (Part::Comment(c), _) if id.kind == ObjectKind::SchemaComment => {
                    if let Some(n) = schema.schemas.get_mut(&key) {
                        n.comment = Some(c.clone());
                    }
                }
                (Part::Comment(c), _) if id.kind == ObjectKind::TableComment => {
                    if let Some(t) = schema.tables.get_mut(&key) {
                        t.comment = Some(c.clone());
                    }
                }
                (Part::Comment(c), Some(column)) => column_comments.push((key, column, c)),
                (Part::Grants(g), _) => {
                    if let Some(t) = schema.tables.get_mut(&key) {
                        t.privileges = g.clone();
                    }
                }
                (Part::Column { column, position }, _) if schema.tables.contains_key(&key) => {
                    columns.entry(key).or_default().push((*position, column.clone()));
                }
                (Part::Constraint(c), Some(name)) => {
                    if let Some(t) = schema.tables.get_mut(&key) {
                        t.constraints.insert(name.to_owned(), c.clone());
                    }
                }
                (Part::Trigger(tr), Some(name)) => {
                    if let Some(t) = schema.tables.get_mut(&key) {
                        t.triggers.insert(name.to_owned(), tr.clone());
                    }
                }
                (Part::Policy(p), Some(name)) => {
                    if let Some(t) = schema.tables.get_mut(&key) {
                        t.policies.insert(name.to_owned(), p.clone());
                    }
                }
                (Part::Index { owner, on_view, index }, _) => {
                    let indexes = if *on_view {
                        schema.views.get_mut(owner).map(|v| &mut v.indexes)
                    } else {
                        schema.tables.get_mut(owner).map(|t| &mut t.indexes)
                    };
                    if let Some(indexes) = indexes {
                        indexes.insert(id.name.clone(), index.clone());
                    }
                }
                _ => {}
            }
        }
        for (table, mut cols) in columns {
            cols.sort_by_key(|(position, _)| *position);
            if let Some(t) = schema.tables.get_mut(&table) {
                t.columns = cols.into_iter().map(|(_, c)| c).collect();
            }
        }
        for (table, column, comment) in column_comments {
            if let Some(c) = schema.tables.get_mut(&table).and_then(|t| t.columns.iter_mut().find(|c| c.name == column))
            {
                c.comment = Some(comment.to_owned());
            }
        }
        schema
    }
}

/// One thing a migration did to one object: its value before and after (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    /// The object.
    pub id: ObjectId,
    /// Its value before the migration (`None`: it did not exist).
    pub before: Option<Value>,
    /// Its value after the migration (`None`: the migration dropped it).
    pub after: Option<Value>,
}

/// What one migration changed: its effects, in id order.
pub type Footprint = Vec<Effect>;

/// `objects` with `footprint` applied.
pub fn apply_footprint(objects: &mut Objects, footprint: &Footprint) {
    for e in footprint {
        objects.set(&e.id, e.after.as_ref());
    }
}

/// The effects that turn `before` into `after`. A statement that changed nothing leaves no
/// effect. A change the text does not show (a sequence's owner after its table was renamed)
/// is an effect too, so that every snapshot's parts are current when a repair builds from them.
pub fn footprint(before: &Objects, after: &Objects) -> Footprint {
    let mut effects = Vec::new();
    for (id, value) in &after.0 {
        let same = before.get(id).is_some_and(|b| b.text == value.text && b.part == value.part);
        if !same {
            effects.push(Effect { id: id.clone(), before: before.get(id).cloned(), after: Some(value.clone()) });
        }
    }
    for (id, value) in &before.0 {
        if !after.0.contains_key(id) {
            effects.push(Effect { id: id.clone(), before: Some(value.clone()), after: None });
        }
    }
    effects.sort_by(|a, b| a.id.cmp(&b.id));
    effects
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("catalog values serialize")
}

/// Flattens a schema. Columns are values of their own (type, default, nullability...),
/// so drift shows attribute by attribute: `column public.users.id` expected
/// `character varying(36) not null`, found `uuid not null`.
pub fn objects(schema: &Schema) -> Objects {
    use ObjectKind as K;
    let mut o = BTreeMap::new();
    let mut put = |id: ObjectId, text: String, part: Part| {
        o.insert(id, Value { text, part });
    };
    for (name, s) in &schema.schemas {
        if let Some(c) = &s.comment {
            put(ObjectId::new(K::SchemaComment, "", name), c.clone(), Part::Comment(c.clone()));
        }
        put(ObjectId::new(K::Schema, "", name), String::new(), Part::Schema(Namespace { comment: None, ..s.clone() }));
    }
    for (name, e) in &schema.extensions {
        put(ObjectId::new(K::Extension, "", name), format!("schema {}", e.schema), Part::Extension(e.clone()));
    }
    for t in schema.types.values() {
        let text = match &t.kind {
            TypeKind::Enum { labels } => format!("enum ({})", labels.join(", ")),
            other => json(other),
        };
        put(ObjectId::new(K::Type, &t.schema, &t.name), text, Part::Type(t.clone()));
    }
    for s in schema.sequences.values() {
        let text = format!(
            "{} increment {} min {} max {} start {} cache {} cycle {}",
            s.data_type, s.increment, s.min_value, s.max_value, s.start, s.cache, s.cycle
        );
        put(ObjectId::new(K::Sequence, &s.schema, &s.name), text, Part::Sequence(s.clone()));
    }
    for t in schema.tables.values() {
        table_objects(t, &mut put);
    }
    for v in schema.views.values() {
        let kind = if v.materialized { K::MaterializedView } else { K::View };
        let text = format!("{} {}", v.definition.trim(), v.options.join(","));
        put(ObjectId::new(kind, &v.schema, &v.name), text, Part::View(View { indexes: BTreeMap::new(), ..v.clone() }));
        for i in v.indexes.values() {
            let part = Part::Index { owner: format!("{}.{}", v.schema, v.name), on_view: true, index: i.clone() };
            put(ObjectId::new(K::Index, &v.schema, &i.name), i.definition.clone(), part);
        }
    }
    for (key, f) in &schema.functions {
        let kind = if f.kind == "procedure" { K::Procedure } else { K::Function };
        // The map key is `schema.name(arguments)`: the id keeps the schema apart.
        let name = key.strip_prefix(&format!("{}.", f.schema)).unwrap_or(key);
        put(ObjectId::new(kind, &f.schema, name), f.definition.clone(), Part::Function(f.clone()));
    }
    for c in schema.collations.values() {
        put(ObjectId::new(K::Collation, &c.schema, &c.name), json(c), Part::Collation(c.clone()));
    }
    for (name, e) in &schema.event_triggers {
        put(ObjectId::new(K::EventTrigger, "", name), json(e), Part::EventTrigger(e.clone()));
    }
    for (name, p) in &schema.publications {
        put(ObjectId::new(K::Publication, "", name), json(p), Part::Publication(p.clone()));
    }
    Objects(o)
}

/// A table's own value, and each of its columns, constraints, indexes, triggers, policies,
/// comments and grants, through `put`.
fn table_objects(t: &Table, put: &mut impl FnMut(ObjectId, String, Part)) {
    use ObjectKind as K;
    let (ns, tn) = (t.schema.as_str(), t.name.as_str());
    let mut text = format!("{:?}", t.kind).to_lowercase();
    if let Some(p) = &t.partition_of {
        text.push_str(&format!(" partition of {} {}", p.parent, p.bound));
    }
    if let Some(k) = &t.partition_key {
        text.push_str(&format!(" partition by {k}"));
    }
    if t.rls_enabled {
        text.push_str(" row level security");
    }
    if t.rls_forced {
        text.push_str(" forced");
    }
    let shell = Table {
        columns: Vec::new(),
        constraints: BTreeMap::new(),
        indexes: BTreeMap::new(),
        triggers: BTreeMap::new(),
        policies: BTreeMap::new(),
        comment: None,
        privileges: Vec::new(),
        ..t.clone()
    };
    put(ObjectId::new(K::Table, ns, tn), text, Part::Table(shell));
    for (position, c) in t.columns.iter().enumerate() {
        let mut text = c.data_type.clone();
        if let Some(coll) = &c.collation {
            text.push_str(&format!(" collate {coll}"));
        }
        if let Some(d) = &c.default {
            text.push_str(&format!(" default {d}"));
        }
        if let Some(g) = &c.generated {
            text.push_str(&format!(" generated ({g})"));
        }
        if let Some(i) = &c.identity {
            text.push_str(&format!(" identity {i:?}").to_lowercase());
        }
        if c.not_null {
            text.push_str(" not null");
        }
        let column = Column { comment: None, ..c.clone() };
        put(ObjectId::member(K::Column, ns, tn, &c.name), text, Part::Column { column, position });
        if let Some(comment) = &c.comment {
            put(ObjectId::member(K::ColumnComment, ns, tn, &c.name), comment.clone(), Part::Comment(comment.clone()));
        }
    }
    for c in t.constraints.values() {
        put(ObjectId::member(K::Constraint, ns, tn, &c.name), c.definition.clone(), Part::Constraint(c.clone()));
    }
    for i in t.indexes.values() {
        let text = if i.valid { i.definition.clone() } else { format!("{} (INVALID)", i.definition) };
        let part = Part::Index { owner: t.qualified_name(), on_view: false, index: i.clone() };
        put(ObjectId::new(K::Index, ns, &i.name), text, part);
    }
    for tr in t.triggers.values() {
        let text = format!("{} [{}]", tr.definition, tr.enabled);
        put(ObjectId::member(K::Trigger, ns, tn, &tr.name), text, Part::Trigger(tr.clone()));
    }
    for p in t.policies.values() {
        put(ObjectId::member(K::Policy, ns, tn, &p.name), json(p), Part::Policy(p.clone()));
    }
    if let Some(c) = &t.comment {
        put(ObjectId::new(K::TableComment, ns, tn), c.clone(), Part::Comment(c.clone()));
    }
    if !t.privileges.is_empty() {
        put(ObjectId::new(K::TableGrants, ns, tn), json(&t.privileges), Part::Grants(t.privileges.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(value: serde_json::Value) -> Schema {
        serde_json::from_value(value).expect("a valid schema")
    }

    #[test]
    fn a_quoted_name_with_a_dot_keeps_its_identity() {
        let s = schema(json!({"tables": {"public.\"a.b\"": {
            "schema": "public", "name": "\"a.b\"", "kind": "ordinary",
            "columns": [{"name": "\"x.y\"", "data_type": "integer", "not_null": true}],
        }}}));
        let o = objects(&s);
        let column = ObjectId::member(ObjectKind::Column, "public", "\"a.b\"", "\"x.y\"");
        assert_eq!(o.text(&column), Some("integer not null"));
        assert_eq!(column.to_string(), "column public.\"a.b\".\"x.y\"");
        assert_eq!(o.table_of(&column).as_deref(), Some("public.\"a.b\""));
        assert_eq!(o.to_schema(), s, "flattened and rebuilt, the schema is the same");
    }

    #[test]
    fn objects_rebuild_the_schema_they_came_from() {
        let s = schema(json!({
            "schemas": {"app": {"name": "app", "comment": "the app"}},
            "tables": {"app.t": {
                "schema": "app", "name": "t", "kind": "ordinary", "comment": "a table",
                "columns": [
                    {"name": "id", "data_type": "bigint", "not_null": true},
                    {"name": "b", "data_type": "text", "comment": "bee"},
                    {"name": "a", "data_type": "text"}],
                "constraints": {"t_pkey": {"name": "t_pkey", "kind": "primary_key",
                    "definition": "PRIMARY KEY (id)", "columns": ["id"]}},
                "indexes": {"t_a": {"name": "t_a", "definition": "CREATE INDEX t_a ON app.t USING btree (a)",
                    "columns": ["a"], "valid": true}},
            }},
            "functions": {"app.f(integer)": {"schema": "app", "name": "f", "arguments": "integer",
                "kind": "function", "language": "sql", "volatility": "v", "parallel": "u", "definition": "x"}},
        }));
        let o = objects(&s);
        assert_eq!(o.to_schema(), s);
        let index = o.0.keys().find(|id| id.kind == ObjectKind::Index).unwrap();
        assert_eq!(o.table_of(index).as_deref(), Some("app.t"));
        let f = o.0.keys().find(|id| id.kind == ObjectKind::Function).unwrap();
        assert_eq!(f.to_string(), "function app.f(integer)");
    }

    #[test]
    fn objects_survive_the_cache_format() {
        let s = schema(json!({"tables": {"public.t": {"schema": "public", "name": "t", "kind": "ordinary",
            "columns": [{"name": "id", "data_type": "uuid"}]}}}));
        let o = objects(&s);
        let back: Objects = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
        assert_eq!(back.to_schema(), s);
    }

    #[test]
    fn footprints_carry_before_and_after_and_nothing_for_a_no_op() {
        let before = objects(&schema(json!({"tables": {"public.t": {"schema": "public", "name": "t",
            "kind": "ordinary", "columns": [{"name": "id", "data_type": "uuid"}]}}})));
        let after = objects(&schema(json!({"tables": {"public.t": {"schema": "public", "name": "t",
            "kind": "ordinary", "columns": [{"name": "id", "data_type": "character varying(36)"}]}}})));
        let f = footprint(&before, &after);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id.to_string(), "column public.t.id");
        assert_eq!(f[0].before.as_ref().unwrap().text, "uuid");
        assert_eq!(f[0].after.as_ref().unwrap().text, "character varying(36)");
        assert!(footprint(&after, &after).is_empty());
        let mut replayed = before.clone();
        apply_footprint(&mut replayed, &f);
        assert_eq!(replayed, after);
    }
}
