//! Types (enums, domains, composites, ranges) and sequences.

use plumb_model::*;
use tokio_postgres::Row;

use super::{
    Comments, NO_GRANTS, NS_FILTER, acl, class, collation_name, grants, not_extension_member, only, rel_filter,
};

pub(super) fn types() -> String {
    format!(
        "SELECT quote_ident(n.nspname), quote_ident(t.typname), t.typtype::text,
                ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
                CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
                CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation <> bt.typcollation
                     THEN {} END,
                t.typdefault, t.typnotnull,
                ARRAY(SELECT quote_ident(con.conname) FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
                ARRAY(SELECT pg_get_constraintdef(con.oid) FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
                ARRAY(SELECT quote_ident(a.attname) FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
                ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
                format_type(r.rngsubtype, NULL),
                (SELECT format('%I.%I', on_.nspname, oc.opcname) FROM pg_opclass oc JOIN pg_namespace on_ ON on_.oid = oc.opcnamespace WHERE oc.oid = r.rngsubopc AND NOT oc.opcdefault),
                CASE WHEN r.rngcollation <> 0 THEN {} END,
                CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::regproc::text END,
                CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::regproc::text END,
                t.oid,
                {}
           FROM pg_type t
           JOIN pg_namespace n ON n.oid = t.typnamespace
           LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
           LEFT JOIN pg_range r ON r.rngtypid = t.oid
          WHERE t.typtype IN ('e', 'd', 'c', 'r')
            AND (t.typtype <> 'c' OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
            AND {NS_FILTER} AND {}",
        collation_name("t.typcollation"),
        collation_name("r.rngcollation"),
        acl("t.typacl", "t.typowner", "'{PUBLIC|USAGE|false}'"),
        not_extension_member("pg_type", "t.oid")
    )
}

pub(super) fn sequences(targeted: bool) -> String {
    let only = only("c.oid", targeted);
    let rel_filter = rel_filter();
    format!(
        "SELECT quote_ident(n.nspname), quote_ident(c.relname), format_type(s.seqtypid, NULL),
                s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                owner.tab, owner.col, c.oid,
                {}
           FROM pg_sequence s
           JOIN pg_class c ON c.oid = s.seqrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN LATERAL (
                SELECT format('%I.%I', tn.nspname, tc.relname) AS tab, quote_ident(ta.attname) AS col
                  FROM pg_depend d
                  JOIN pg_class tc ON tc.oid = d.refobjid
                  JOIN pg_namespace tn ON tn.oid = tc.relnamespace
                  JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                   AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
                 LIMIT 1) owner ON true
          WHERE {rel_filter} AND {only}
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                               AND d.objid = c.oid AND d.deptype = 'i')",
        acl("c.relacl", "c.relowner", NO_GRANTS)
    )
}

/// Every type and sequence into `schema`.
pub(super) fn assemble(schema: &mut Schema, types: &[Row], sequences: &[Row], comments: &Comments) {
    for r in types {
        let t = type_def(r, comments);
        schema.types.insert(format!("{}.{}", t.schema, t.name), t);
    }
    for r in sequences {
        let owned_table: Option<String> = r.get(9);
        let owned_column: Option<String> = r.get(10);
        let s = Sequence {
            schema: r.get(0),
            name: r.get(1),
            data_type: r.get(2),
            start: r.get(3),
            increment: r.get(4),
            min_value: r.get(5),
            max_value: r.get(6),
            cache: r.get(7),
            cycle: r.get(8),
            owned_by: owned_table.zip(owned_column),
            comment: comments.of(class::RELATION, r.get(11), 0),
            privileges: grants(r.get(12)),
        };
        schema.sequences.insert(format!("{}.{}", s.schema, s.name), s);
    }
}

fn type_def(r: &Row, comments: &Comments) -> TypeDef {
    let typtype: String = r.get(2);
    let kind = match typtype.as_str() {
        "e" => TypeKind::Enum { labels: r.get(3) },
        "d" => {
            let names: Vec<String> = r.get(8);
            let defs: Vec<String> = r.get(9);
            TypeKind::Domain {
                base_type: r.get::<_, Option<String>>(4).unwrap_or_default(),
                collation: r.get(5),
                default: r.get(6),
                not_null: r.get(7),
                checks: names.into_iter().zip(defs).collect(),
            }
        }
        "c" => {
            let names: Vec<String> = r.get(10);
            let types: Vec<String> = r.get(11);
            TypeKind::Composite { attributes: names.into_iter().zip(types).collect() }
        }
        _ => TypeKind::Range {
            subtype: r.get::<_, Option<String>>(12).unwrap_or_default(),
            subtype_opclass: r.get(13),
            collation: r.get(14),
            canonical: r.get(15),
            subtype_diff: r.get(16),
        },
    };
    TypeDef {
        schema: r.get(0),
        name: r.get(1),
        kind,
        comment: comments.of(class::TYPE, r.get(17), 0),
        privileges: grants(r.get(18)),
    }
}
