//! Server-free tests of the diff, rust-analyzer's `check()` style: two schemas written as the
//! inspector's JSON (only what matters to the case), the changes between them, asserted whole.

use plumb_model::Schema;
use serde_json::json;

use crate::{Action, diff};

/// A schema of `tables` (JSON objects keyed by qualified name) in `public`.
fn schema(tables: serde_json::Value) -> Schema {
    serde_json::from_value(json!({
        "schemas": {"public": {"name": "public"}},
        "tables": tables,
    }))
    .expect("a schema")
}

fn table(name: &str, columns: serde_json::Value, constraints: serde_json::Value) -> serde_json::Value {
    json!({"schema": "public", "name": name, "kind": "ordinary", "columns": columns, "constraints": constraints})
}

/// `(action, object, data_loss)` per change, then the script.
fn check(from: &Schema, to: &Schema) -> (Vec<(Action, String, bool)>, String) {
    let d = diff(from, to);
    (d.changes.iter().map(|c| (c.action, c.object.clone(), c.data_loss)).collect(), d.script())
}

#[test]
fn the_same_schema_has_no_changes() {
    let s = schema(json!({"public.t": table("t", json!([{"name": "id", "data_type": "integer"}]), json!({}))}));
    assert!(diff(&s, &s).is_empty());
}

#[test]
fn a_new_column_is_one_create_that_loses_nothing() {
    let id = json!({"name": "id", "data_type": "bigint", "not_null": true});
    let from = schema(json!({"public.t": table("t", json!([id]), json!({}))}));
    let email = json!({"name": "email", "data_type": "text", "default": "''::text", "not_null": true});
    let to = schema(json!({"public.t": table("t", json!([id, email]), json!({}))}));
    let (changes, script) = check(&from, &to);
    assert_eq!(changes, [(Action::Create, "column public.t.email".to_owned(), false)]);
    assert!(script.contains("ALTER TABLE public.t ADD COLUMN email text"), "{script}");
    assert!(script.contains("DEFAULT ''::text") && script.contains("NOT NULL"), "{script}");
}

#[test]
fn dropping_a_table_or_a_column_says_it_loses_data() {
    let id = json!({"name": "id", "data_type": "bigint"});
    let note = json!({"name": "note", "data_type": "text"});
    let from = schema(json!({
        "public.a": table("a", json!([id, note]), json!({})),
        "public.b": table("b", json!([id]), json!({})),
    }));
    let to = schema(json!({"public.a": table("a", json!([id]), json!({}))}));
    let (changes, _) = check(&from, &to);
    assert!(changes.contains(&(Action::Drop, "table public.b".to_owned(), true)), "{changes:?}");
    assert!(changes.contains(&(Action::Drop, "column public.a.note".to_owned(), true)), "{changes:?}");
}

#[test]
fn a_foreign_key_comes_after_both_tables_it_joins() {
    let id = json!({"name": "id", "data_type": "bigint", "not_null": true});
    let pk = |name: &str| json!({name: {"name": name, "kind": "primary_key", "definition": "PRIMARY KEY (id)", "columns": ["id"]}});
    let mut child_constraints = pk("child_pkey");
    child_constraints["child_parent_fkey"] = json!({
        "name": "child_parent_fkey", "kind": "foreign_key", "columns": ["parent_id"],
        "definition": "FOREIGN KEY (parent_id) REFERENCES public.parent(id)",
        "references": ["public.parent", ["id"]],
    });
    let to = schema(json!({
        "public.child": table("child", json!([id, {"name": "parent_id", "data_type": "bigint"}]), child_constraints),
        "public.parent": table("parent", json!([id]), pk("parent_pkey")),
    }));
    let (changes, _) = check(&schema(json!({})), &to);
    let position =
        |object: &str| changes.iter().position(|c| c.1 == object).unwrap_or_else(|| panic!("{object}: {changes:?}"));
    let fk = position("constraint public.child.child_parent_fkey");
    assert!(position("table public.parent") < fk && position("table public.child") < fk, "{changes:?}");
}

#[test]
fn a_column_type_change_is_an_alter_under_an_exclusive_lock() {
    let from = schema(json!({"public.t": table("t", json!([{"name": "code", "data_type": "integer"}]), json!({}))}));
    let to = schema(json!({"public.t": table("t", json!([{"name": "code", "data_type": "bigint"}]), json!({}))}));
    let d = diff(&from, &to);
    assert_eq!(d.changes.len(), 1, "{:?}", d.changes);
    let change = &d.changes[0];
    assert_eq!((change.action, change.object.as_str()), (Action::Alter, "column public.t.code"));
    assert!(change.sql.contains("ALTER COLUMN code TYPE bigint"), "{}", change.sql);
    assert!(change.lock.as_deref().is_some_and(|l| l.starts_with("ACCESS EXCLUSIVE")), "{:?}", change.lock);
}
