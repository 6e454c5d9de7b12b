//! Views and materialized views.

use std::collections::BTreeSet;

use plumb_model::*;

use super::tables::create_index;
use super::{Builder, Effect, Phase, Recreate};
use crate::change::Action;

pub(super) fn changed(old: &View, new: &View) -> bool {
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
    b.push(Phase::View, Action::Create, object.clone(), sql, effect);
    for i in v.indexes.values() {
        create_index(b, &name, i, Phase::View, None);
    }
    b.comment(object.clone(), format!("{} {name}", view_kind(v)), None, v.comment.as_deref());
    b.grants(object, &format!("TABLE {name}"), None, &[], &v.privileges);
}

pub(super) fn views(b: &mut Builder, from: &Schema, to: &Schema, recreate: &Recreate) {
    let old_order = views_in_creation_order(from);
    // Drops, dependents first.
    for old in old_order.iter().rev() {
        let name = format!("{}.{}", old.schema, old.name);
        let dropped = match to.views.get(&name) {
            None => true,
            Some(new) => changed(old, new) || recreate.why(&format!("view {name}")).is_some(),
        };
        if dropped {
            b.push(
                Phase::DropView,
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
            Some(old) if changed(old, new) => create_view(b, new, None),
            Some(old) => match recreate.why(&format!("view {name}")) {
                Some(why) => create_view(b, new, Some(format!("recreated: {why}"))),
                None => {
                    let object = format!("{} {name}", view_kind(new).to_lowercase());
                    for (iname, ni) in &new.indexes {
                        match old.indexes.get(iname) {
                            Some(oi) if oi.definition == ni.definition => {}
                            Some(_) => {
                                b.push(
                                    Phase::DropIndex,
                                    Action::Drop,
                                    format!("index {}.{iname}", new.schema),
                                    format!("DROP INDEX {}.{iname};", new.schema),
                                    Effect::default(),
                                );
                                create_index(b, &name, ni, Phase::View, None);
                            }
                            None => create_index(b, &name, ni, Phase::View, None),
                        }
                    }
                    for iname in old.indexes.keys().filter(|i| !new.indexes.contains_key(*i)) {
                        b.push(
                            Phase::DropIndex,
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
