//! Types (enums, ranges, domains, composites) and sequences.

use plumb_model::*;

use super::{Builder, Effect, Phase};
use crate::change::Action;
use crate::ddl::{DefaultAcl, default_grants, literal};

fn type_target(t: &TypeDef) -> String {
    let word = if matches!(t.kind, TypeKind::Domain { .. }) { "DOMAIN" } else { "TYPE" };
    format!("{word} {}.{}", t.schema, t.name)
}

fn type_phase(t: &TypeDef) -> Phase {
    match t.kind {
        TypeKind::Enum { .. } | TypeKind::Range { .. } => Phase::EnumAndRange,
        TypeKind::Domain { .. } => Phase::Domain,
        TypeKind::Composite { .. } => Phase::Composite,
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

pub(super) fn types(b: &mut Builder, from: &Schema, to: &Schema) {
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
                                Phase::DropType,
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
            Phase::DropType,
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

pub(super) fn sequences(b: &mut Builder, from: &Schema, to: &Schema) {
    for (key, new) in &to.sequences {
        let object = format!("sequence {key}");
        let old = from.sequences.get(key);
        match old {
            None => {
                b.push(
                    Phase::Sequence,
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
                        Phase::Sequence,
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
                Phase::SequenceOwned,
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
            Phase::DropSequence,
            Action::Drop,
            format!("sequence {key}"),
            format!("DROP SEQUENCE {key};"),
            Effect::default(),
        );
    }
}
