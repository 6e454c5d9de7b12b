//! Editing a [`Schema`] object by object, in plumb's notation (`table public.users`,
//! `column public.users.id`, ...): copying objects over from another schema, or
//! removing them. A repair builds the schema it wants this way and lets
//! `plumb-diff` write the DDL from the live schema to it. Pure.

use std::collections::BTreeSet;

use plumb_catalog::{Schema, Table};

/// An object id split into its kind and name: `column public.users.id` → (`column`, `public.users.id`).
fn parse(id: &str) -> Option<(&'static str, &str)> {
    // Longest kinds first: "materialized view x" must not read as kind "materialized".
    const KINDS: [&str; 21] = [
        "comment on schema",
        "comment on column",
        "comment on table",
        "materialized view",
        "grants on table",
        "event trigger",
        "publication",
        "constraint",
        "collation",
        "extension",
        "procedure",
        "aggregate",
        "function",
        "sequence",
        "trigger",
        "schema",
        "column",
        "policy",
        "index",
        "table",
        "view",
    ];
    KINDS.iter().find_map(|k| id.strip_prefix(k).and_then(|rest| rest.strip_prefix(' ')).map(|rest| (*k, rest)))
}

/// `public.users.id` → (`public.users`, `id`).
fn split_member(name: &str) -> Option<(&str, &str)> {
    name.rsplit_once('.')
}

/// The table holding index `schema.index` in `schema`.
fn index_owner<'a>(schema: &'a Schema, name: &str) -> Option<&'a Table> {
    let (ns, index) = split_member(name)?;
    schema.tables.values().find(|t| t.schema == ns && t.indexes.contains_key(index))
}

/// The kind of an object id (`table`, `column`, ...), if plumb knows it.
pub fn kind(id: &str) -> Option<&'static str> {
    parse(id).map(|(k, _)| k)
}

/// The table an object belongs to (itself for a table), when it belongs to one.
pub fn table_of(schema: &Schema, id: &str) -> Option<String> {
    let (kind, name) = parse(id)?;
    match kind {
        "table" | "grants on table" | "comment on table" => Some(name.to_owned()),
        "column" | "constraint" | "trigger" | "policy" | "comment on column" => {
            split_member(name).map(|(t, _)| t.to_owned())
        }
        "index" => index_owner(schema, name).map(|t| format!("{}.{}", t.schema, t.name)),
        _ => None,
    }
}

/// Copies one object from `from` into `to` (replacing what `to` has under that id).
/// A table copied into a schema lacking it arrives empty of columns, keys and indexes:
/// each of those is an object of its own. `created` collects the tables that arrive so,
/// whose columns then follow `from`'s order. Returns false when `from` lacks the object
/// or plumb cannot edit its kind.
pub fn copy(to: &mut Schema, from: &Schema, id: &str, created: &mut BTreeSet<String>) -> bool {
    let Some((kind, name)) = parse(id) else { return false };
    match kind {
        "schema" => copy_entry(&mut to.schemas, &from.schemas, name),
        "comment on schema" => match (to.schemas.get_mut(name), from.schemas.get(name)) {
            (Some(t), Some(f)) => {
                t.comment = f.comment.clone();
                true
            }
            _ => false,
        },
        "extension" => copy_entry(&mut to.extensions, &from.extensions, name),
        "type" => copy_entry(&mut to.types, &from.types, name),
        "sequence" => copy_entry(&mut to.sequences, &from.sequences, name),
        "view" | "materialized view" => copy_entry(&mut to.views, &from.views, name),
        "function" | "procedure" | "aggregate" => copy_entry(&mut to.functions, &from.functions, name),
        "collation" => copy_entry(&mut to.collations, &from.collations, name),
        "event trigger" => copy_entry(&mut to.event_triggers, &from.event_triggers, name),
        "publication" => copy_entry(&mut to.publications, &from.publications, name),
        "table" => {
            let Some(source) = from.tables.get(name) else { return false };
            match to.tables.get_mut(name) {
                // The table's own value: kind, partitioning, row level security.
                Some(t) => {
                    t.kind = source.kind;
                    t.partition_key = source.partition_key.clone();
                    t.partition_of = source.partition_of.clone();
                    t.rls_enabled = source.rls_enabled;
                    t.rls_forced = source.rls_forced;
                }
                None => {
                    let mut shell = source.clone();
                    shell.columns.clear();
                    shell.constraints.clear();
                    shell.indexes.clear();
                    shell.triggers.clear();
                    shell.policies.clear();
                    shell.comment = None;
                    shell.privileges.clear();
                    to.tables.insert(name.to_owned(), shell);
                    created.insert(name.to_owned());
                }
            }
            true
        }
        "grants on table" | "comment on table" => match (to.tables.get_mut(name), from.tables.get(name)) {
            (Some(t), Some(f)) => {
                if kind == "grants on table" {
                    t.privileges = f.privileges.clone();
                } else {
                    t.comment = f.comment.clone();
                }
                true
            }
            _ => false,
        },
        "column" | "comment on column" => {
            let Some((table, column)) = split_member(name) else { return false };
            let (Some(t), Some(f)) = (to.tables.get_mut(table), from.tables.get(table)) else { return false };
            let Some(source) = f.columns.iter().find(|c| c.name == column) else { return false };
            if let Some(existing) = t.columns.iter_mut().find(|c| c.name == column) {
                if kind == "column" {
                    let comment = existing.comment.take();
                    *existing = source.clone();
                    existing.comment = comment;
                } else {
                    existing.comment = source.comment.clone();
                }
                return true;
            }
            if kind == "comment on column" {
                return false;
            }
            let mut column = source.clone();
            column.comment = None;
            if created.contains(table) {
                // A table plumb creates takes its columns in the expected order.
                let rank = |n: &str| f.columns.iter().position(|c| c.name == n);
                let at = t.columns.iter().position(|c| rank(&c.name) > rank(&column.name)).unwrap_or(t.columns.len());
                t.columns.insert(at, column);
            } else {
                // An existing table can only grow at the end.
                t.columns.push(column);
            }
            true
        }
        "constraint" | "trigger" | "policy" => {
            let Some((table, member)) = split_member(name) else { return false };
            let (Some(t), Some(f)) = (to.tables.get_mut(table), from.tables.get(table)) else { return false };
            match kind {
                "constraint" => copy_entry(&mut t.constraints, &f.constraints, member),
                "trigger" => copy_entry(&mut t.triggers, &f.triggers, member),
                _ => copy_entry(&mut t.policies, &f.policies, member),
            }
        }
        "index" => {
            let Some((_, index)) = split_member(name) else { return false };
            if let Some(owner) = index_owner(from, name) {
                let key = format!("{}.{}", owner.schema, owner.name);
                let Some(t) = to.tables.get_mut(&key) else { return false };
                return copy_entry(&mut t.indexes, &owner.indexes, index);
            }
            // An index of a materialized view.
            let Some((key, view)) = from.views.iter().find(|(_, v)| {
                split_member(name).is_some_and(|(ns, _)| v.schema == ns) && v.indexes.contains_key(index)
            }) else {
                return false;
            };
            let Some(v) = to.views.get_mut(key) else { return false };
            copy_entry(&mut v.indexes, &view.indexes, index)
        }
        _ => false,
    }
}

fn copy_entry<V: Clone>(
    to: &mut std::collections::BTreeMap<String, V>,
    from: &std::collections::BTreeMap<String, V>,
    key: &str,
) -> bool {
    match from.get(key) {
        Some(v) => {
            to.insert(key.to_owned(), v.clone());
            true
        }
        None => false,
    }
}

/// Removes one object from `schema`. Returns false when it is not there or plumb cannot edit its kind.
pub fn remove(schema: &mut Schema, id: &str) -> bool {
    let Some((kind, name)) = parse(id) else { return false };
    match kind {
        "schema" => schema.schemas.remove(name).is_some(),
        "extension" => schema.extensions.remove(name).is_some(),
        "type" => schema.types.remove(name).is_some(),
        "sequence" => schema.sequences.remove(name).is_some(),
        "view" | "materialized view" => schema.views.remove(name).is_some(),
        "function" | "procedure" | "aggregate" => schema.functions.remove(name).is_some(),
        "collation" => schema.collations.remove(name).is_some(),
        "event trigger" => schema.event_triggers.remove(name).is_some(),
        "publication" => schema.publications.remove(name).is_some(),
        "table" => schema.tables.remove(name).is_some(),
        "grants on table" => schema.tables.get_mut(name).is_some_and(|t| !std::mem::take(&mut t.privileges).is_empty()),
        "comment on table" => schema.tables.get_mut(name).is_some_and(|t| t.comment.take().is_some()),
        "comment on schema" => schema.schemas.get_mut(name).is_some_and(|s| s.comment.take().is_some()),
        "column" | "comment on column" | "constraint" | "trigger" | "policy" => {
            let Some((table, member)) = split_member(name) else { return false };
            let Some(t) = schema.tables.get_mut(table) else { return false };
            match kind {
                "column" => {
                    let before = t.columns.len();
                    t.columns.retain(|c| c.name != member);
                    before != t.columns.len()
                }
                "comment on column" => {
                    t.columns.iter_mut().find(|c| c.name == member).is_some_and(|c| c.comment.take().is_some())
                }
                "constraint" => t.constraints.remove(member).is_some(),
                "trigger" => t.triggers.remove(member).is_some(),
                _ => t.policies.remove(member).is_some(),
            }
        }
        "index" => {
            let Some((ns, index)) = split_member(name) else { return false };
            if let Some(t) = schema.tables.values_mut().find(|t| t.schema == ns && t.indexes.contains_key(index)) {
                return t.indexes.remove(index).is_some();
            }
            schema
                .views
                .values_mut()
                .find(|v| v.schema == ns && v.indexes.contains_key(index))
                .is_some_and(|v| v.indexes.remove(index).is_some())
        }
        _ => false,
    }
}

/// What depends on the tables in `tables` from outside them: foreign keys of other tables
/// that reference one, and views that read one (transitively). Dropping the tables takes these too.
pub fn dependents(schema: &Schema, tables: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, t) in &schema.tables {
        if tables.contains(name) {
            continue;
        }
        for c in t.constraints.values() {
            if c.references.as_ref().is_some_and(|(target, _)| tables.contains(target)) {
                out.push(format!("constraint {name}.{}", c.name));
            }
        }
    }
    let mut reading: BTreeSet<String> = tables.clone();
    loop {
        let mut grew = false;
        for (name, v) in &schema.views {
            if !reading.contains(name) && v.depends_on.iter().any(|d| reading.contains(d)) {
                let kind = if v.materialized { "materialized view" } else { "view" };
                out.push(format!("{kind} {name}"));
                reading.insert(name.clone());
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A schema from the model's own JSON form.
    fn schema(value: serde_json::Value) -> Schema {
        serde_json::from_value(value).expect("a valid schema")
    }

    fn table(name: &str, columns: &[(&str, &str)]) -> serde_json::Value {
        let columns: Vec<_> =
            columns.iter().map(|(n, t)| json!({"name": n, "data_type": t, "not_null": true})).collect();
        json!({"schema": "public", "name": name, "kind": "ordinary", "columns": columns})
    }

    #[test]
    fn copied_table_takes_only_the_named_parts_in_expected_order() {
        let expected = schema(
            json!({"tables": {"public.jobs": table("jobs", &[("id", "bigint"), ("name", "text"), ("extra", "text")])}}),
        );
        let mut live = Schema::default();
        let mut created = BTreeSet::new();
        assert!(copy(&mut live, &expected, "table public.jobs", &mut created));
        assert!(copy(&mut live, &expected, "column public.jobs.name", &mut created));
        assert!(copy(&mut live, &expected, "column public.jobs.id", &mut created));
        let names: Vec<&str> = live.tables["public.jobs"].columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "name"]);
        assert!(!copy(&mut live, &expected, "column public.jobs.missing", &mut created));
        assert!(!copy(&mut live, &expected, "something public.jobs", &mut created));
    }

    #[test]
    fn drifted_column_is_replaced_and_foreign_keys_show_as_dependents() {
        let expected = schema(json!({"tables": {"public.users": table("users", &[("id", "character varying(36)")])}}));
        let mut posts = table("posts", &[("author_id", "uuid")]);
        posts["constraints"] = json!({"posts_author_id_fkey": {
            "name": "posts_author_id_fkey", "kind": "foreign_key",
            "definition": "FOREIGN KEY (author_id) REFERENCES public.users(id)",
            "columns": ["author_id"], "references": ["public.users", ["id"]]}});
        let mut live =
            schema(json!({"tables": {"public.users": table("users", &[("id", "uuid")]), "public.posts": posts}}));
        assert!(copy(&mut live, &expected, "column public.users.id", &mut BTreeSet::new()));
        assert_eq!(live.tables["public.users"].columns[0].data_type, "character varying(36)");
        let users = BTreeSet::from(["public.users".to_owned()]);
        assert_eq!(dependents(&live, &users), ["constraint public.posts.posts_author_id_fkey"]);
        assert_eq!(table_of(&live, "column public.posts.author_id").as_deref(), Some("public.posts"));
        assert!(remove(&mut live, "table public.users"));
        assert!(!remove(&mut live, "table public.users"));
    }
}
