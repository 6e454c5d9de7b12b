//! Functions and procedures.

use plumb_model::*;

use super::{Builder, Effect, Phase};
use crate::change::Action;
use crate::ddl::{DefaultAcl, default_grants};

fn function_target(f: &Function) -> String {
    format!("{} {}", f.kind.to_uppercase(), f.signature())
}

pub(super) fn functions(b: &mut Builder, from: &Schema, to: &Schema) {
    for (key, new) in &to.functions {
        let object = format!("{} {key}", new.kind);
        let create = format!("{};", new.definition.trim_end());
        let old = from.functions.get(key);
        match old {
            None => b.push(Phase::Function, Action::Create, object.clone(), create, Effect::default()),
            Some(old) if old.definition == new.definition => {}
            Some(old) if old.returns == new.returns && old.kind == new.kind => {
                b.push(Phase::Function, Action::Alter, object.clone(), create, Effect::default())
            }
            Some(old) => {
                b.push(
                    Phase::DropFunction,
                    Action::Drop,
                    object.clone(),
                    format!("DROP {};", function_target(old)),
                    Effect::default().note("its result type changes, which CREATE OR REPLACE cannot do"),
                );
                b.push(Phase::Function, Action::Create, object.clone(), create, Effect::default());
            }
        }
        b.comment(object.clone(), function_target(new), old.and_then(|o| o.comment.as_deref()), new.comment.as_deref());
        let before = old.map_or_else(|| default_grants(DefaultAcl::Function), |o| o.privileges.clone());
        b.grants(object, &function_target(new), None, &before, &new.privileges);
    }
    for (key, old) in &from.functions {
        if !to.functions.contains_key(key) {
            b.push(
                Phase::DropFunction,
                Action::Drop,
                format!("{} {key}", old.kind),
                format!("DROP {};", function_target(old)),
                Effect::default(),
            );
        }
    }
}
