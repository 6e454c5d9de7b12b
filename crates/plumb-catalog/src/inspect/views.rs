//! Views and materialized views (with the indexes of the latter).

use std::collections::HashMap;

use plumb_model::*;
use tokio_postgres::Row;
use tokio_postgres::types::Oid;

use super::{Comments, NO_GRANTS, acl, class, grants, only, rel_filter};

pub(super) fn views(targeted: bool) -> String {
    let only = only("c.oid", targeted);
    let rel_filter = rel_filter();
    format!(
        "SELECT c.oid, quote_ident(n.nspname), quote_ident(c.relname), c.relkind = 'm', pg_get_viewdef(c.oid),
                ARRAY(SELECT quote_ident(a.attname) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
                         AND NOT a.attisdropped ORDER BY a.attnum),
                coalesce(c.reloptions, '{{}}'),
                ARRAY(SELECT DISTINCT format('%I.%I', dn.nspname, dc.relname)
                        FROM pg_rewrite rw
                        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
                                        AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> c.oid
                        JOIN pg_class dc ON dc.oid = d.refobjid
                        JOIN pg_namespace dn ON dn.oid = dc.relnamespace
                       WHERE rw.ev_class = c.oid ORDER BY 1),
                c.oid,
                {}
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('v', 'm') AND {rel_filter} AND {only}",
        acl("c.relacl", "c.relowner", NO_GRANTS)
    )
}

/// Every view into `schema`, with the indexes found on it.
pub(super) fn assemble(schema: &mut Schema, rows: &[Row], mut indexes: HashMap<Oid, Vec<Index>>, comments: &Comments) {
    for r in rows {
        let mut options: Vec<String> = r.get(6);
        options.sort();
        let indexes = indexes.remove(&r.get::<_, Oid>(0)).unwrap_or_default();
        let v = View {
            schema: r.get(1),
            name: r.get(2),
            materialized: r.get(3),
            definition: r.get(4),
            columns: r.get(5),
            options,
            depends_on: r.get(7),
            indexes: indexes.into_iter().map(|i| (i.name.clone(), i)).collect(),
            comment: comments.of(class::RELATION, r.get(8), 0),
            privileges: grants(r.get(9)),
        };
        schema.views.insert(format!("{}.{}", v.schema, v.name), v);
    }
}
