//! Functions and procedures.

use std::collections::HashMap;

use plumb_model::*;
use tokio_postgres::Row;
use tokio_postgres::types::Oid;

use super::{Comments, NS_FILTER, acl, class, grants, not_extension_member, only};

pub(super) fn functions(targeted: bool) -> String {
    let only = only("p.oid", targeted);
    format!(
        "SELECT quote_ident(n.nspname), quote_ident(p.proname), pg_get_function_identity_arguments(p.oid),
                p.prokind::text, CASE WHEN p.prokind = 'f' THEN pg_get_function_result(p.oid) END,
                quote_ident(l.lanname), p.provolatile::text, p.proisstrict, p.proparallel::text, p.prosecdef,
                coalesce(p.proconfig, '{{}}'), pg_get_functiondef(p.oid), p.oid,
                {}
           FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace
           JOIN pg_language l ON l.oid = p.prolang
          WHERE p.prokind IN ('f', 'p') AND {NS_FILTER} AND {} AND {only}
            -- Constructors a range type makes for itself belong to the type.
            AND NOT EXISTS (SELECT 1 FROM pg_depend di WHERE di.classid = 'pg_proc'::regclass
                               AND di.objid = p.oid AND di.deptype = 'i')",
        acl("p.proacl", "p.proowner", "'{PUBLIC|EXECUTE|false}'"),
        not_extension_member("pg_proc", "p.oid")
    )
}

/// Every function and procedure into `schema`; their OIDs and signatures.
pub(super) fn assemble(schema: &mut Schema, rows: &[Row], comments: &Comments) -> HashMap<Oid, String> {
    let mut index = HashMap::with_capacity(rows.len());
    for r in rows {
        let kind: String = r.get(3);
        let mut config: Vec<String> = r.get(10);
        config.sort();
        let f = Function {
            schema: r.get(0),
            name: r.get(1),
            arguments: r.get(2),
            kind: if kind == "p" { "procedure".into() } else { "function".into() },
            returns: r.get(4),
            language: r.get(5),
            volatility: match r.get::<_, String>(6).as_str() {
                "i" => "immutable".into(),
                "s" => "stable".into(),
                _ => "volatile".into(),
            },
            strict: r.get(7),
            parallel: match r.get::<_, String>(8).as_str() {
                "s" => "safe".into(),
                "r" => "restricted".into(),
                _ => "unsafe".into(),
            },
            security_definer: r.get(9),
            config,
            definition: r.get(11),
            comment: comments.of(class::FUNCTION, r.get(12), 0),
            privileges: grants(r.get(13)),
        };
        index.insert(r.get(12), f.signature());
        schema.functions.insert(f.signature(), f);
    }
    index
}
