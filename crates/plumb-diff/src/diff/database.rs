//! Schemas, extensions, collations, and the database-wide objects: event triggers, publications, default privileges.

use plumb_model::*;

use super::{Builder, Effect, Phase};
use crate::change::Action;
use crate::ddl::literal;

pub(super) fn schemas(b: &mut Builder, from: &Schema, to: &Schema) {
    for (name, new) in &to.schemas {
        let old = from.schemas.get(name);
        if old.is_none() {
            b.push(
                Phase::Schema,
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
            Phase::DropSchema,
            Action::Drop,
            format!("schema {name}"),
            format!("DROP SCHEMA {name};"),
            Effect::default().losing(),
        );
    }
}

pub(super) fn extensions(b: &mut Builder, from: &Schema, to: &Schema) {
    for (name, new) in &to.extensions {
        match from.extensions.get(name) {
            None => b.push(
                Phase::Extension,
                Action::Create,
                format!("extension {name}"),
                format!("CREATE EXTENSION {name} WITH SCHEMA {};", new.schema),
                Effect::default(),
            ),
            Some(old) => {
                if old.schema != new.schema {
                    b.push(
                        Phase::Extension,
                        Action::Alter,
                        format!("extension {name}"),
                        format!("ALTER EXTENSION {name} SET SCHEMA {};", new.schema),
                        Effect::default(),
                    );
                }
                if old.version != new.version {
                    b.push(
                        Phase::Extension,
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
            Phase::DropExtension,
            Action::Drop,
            format!("extension {name}"),
            format!("DROP EXTENSION {name};"),
            Effect::default().losing(),
        );
    }
}

pub(super) fn collations(b: &mut Builder, from: &Schema, to: &Schema) {
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
                    Phase::DropCollation,
                    Action::Drop,
                    format!("collation {key}"),
                    format!("DROP COLLATION {key};"),
                    Effect::default(),
                );
                b.push(Phase::Collation, Action::Create, format!("collation {key}"), create(new), Effect::default());
            }
            None => {
                b.push(Phase::Collation, Action::Create, format!("collation {key}"), create(new), Effect::default())
            }
        }
    }
    for key in from.collations.keys().filter(|k| !to.collations.contains_key(*k)) {
        b.push(
            Phase::DropCollation,
            Action::Drop,
            format!("collation {key}"),
            format!("DROP COLLATION {key};"),
            Effect::default(),
        );
    }
}

pub(super) fn event_triggers(b: &mut Builder, from: &Schema, to: &Schema) {
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
                    Phase::DropEventTrigger,
                    Action::Drop,
                    format!("event trigger {name}"),
                    format!("DROP EVENT TRIGGER {name};"),
                    Effect::default(),
                );
                b.push(
                    Phase::EventTrigger,
                    Action::Create,
                    format!("event trigger {name}"),
                    create(new),
                    Effect::default(),
                );
            }
            None => b.push(
                Phase::EventTrigger,
                Action::Create,
                format!("event trigger {name}"),
                create(new),
                Effect::default(),
            ),
        }
    }
    for name in from.event_triggers.keys().filter(|n| !to.event_triggers.contains_key(*n)) {
        b.push(
            Phase::DropEventTrigger,
            Action::Drop,
            format!("event trigger {name}"),
            format!("DROP EVENT TRIGGER {name};"),
            Effect::default(),
        );
    }
}

pub(super) fn publications(b: &mut Builder, from: &Schema, to: &Schema) {
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
                    Phase::DropPublication,
                    Action::Drop,
                    format!("publication {name}"),
                    format!("DROP PUBLICATION {name};"),
                    Effect::default(),
                );
                b.push(
                    Phase::Publication,
                    Action::Create,
                    format!("publication {name}"),
                    create(new),
                    Effect::default(),
                );
            }
            None => b.push(
                Phase::Publication,
                Action::Create,
                format!("publication {name}"),
                create(new),
                Effect::default(),
            ),
        }
    }
    for name in from.publications.keys().filter(|n| !to.publications.contains_key(*n)) {
        b.push(
            Phase::DropPublication,
            Action::Drop,
            format!("publication {name}"),
            format!("DROP PUBLICATION {name};"),
            Effect::default(),
        );
    }
}

pub(super) fn default_privileges(b: &mut Builder, from: &Schema, to: &Schema) {
    let prefix = |d: &DefaultPrivilege| {
        let schema = d.schema.as_ref().map(|s| format!(" IN SCHEMA {s}")).unwrap_or_default();
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {}{schema}", d.role)
    };
    for old in from.default_privileges.iter().filter(|d| !to.default_privileges.contains(d)) {
        b.push(
            Phase::DropDefaultPrivileges,
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
            Phase::DefaultPrivileges,
            Action::Create,
            format!("default privileges {} {}", new.role, new.object_type.to_lowercase()),
            statements,
            Effect::default(),
        );
    }
}
