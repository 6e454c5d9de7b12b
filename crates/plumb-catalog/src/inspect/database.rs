//! Objects of the database around the tables: schemas, extensions, collations, event
//! triggers, publications, default privileges, and the comments on everything.

use plumb_model::*;
use tokio_postgres::Row;

use super::{Comments, NO_GRANTS, NS_FILTER, acl, class, grants, not_extension_member};

pub(super) fn schemas() -> String {
    format!(
        "SELECT quote_ident(n.nspname), n.oid,
                {}
           FROM pg_namespace n
          WHERE {NS_FILTER} AND {}",
        acl("n.nspacl", "n.nspowner", NO_GRANTS),
        not_extension_member("pg_namespace", "n.oid")
    )
}

pub(super) fn extensions() -> String {
    "SELECT quote_ident(e.extname), quote_ident(n.nspname), e.extversion
                   FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                  WHERE ($1::text[] IS NULL OR n.nspname = ANY ($1::text[])) AND $2::text[] IS NOT NULL"
        .into()
}

pub(super) fn collations(major: u32) -> String {
    format!(
        "SELECT quote_ident(n.nspname), quote_ident(co.collname), co.collprovider::text,
                {}, co.collisdeterministic
           FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace
          WHERE {NS_FILTER} AND {}",
        match major {
            ..=14 => "co.collcollate",
            15 | 16 => "coalesce(co.colliculocale, co.collcollate)",
            _ => "coalesce(co.colllocale, co.collcollate)",
        },
        not_extension_member("pg_collation", "co.oid")
    )
}

pub(super) fn event_triggers() -> String {
    format!(
        "SELECT quote_ident(e.evtname), e.evtevent, format('%I.%I', pn.nspname, p.proname),
                coalesce(e.evttags, '{{}}'), e.evtenabled::text
           FROM pg_event_trigger e
           JOIN pg_proc p ON p.oid = e.evtfoid
           JOIN pg_namespace pn ON pn.oid = p.pronamespace
          WHERE $1::text[] IS NULL AND $2::text[] IS NOT NULL AND {}",
        not_extension_member("pg_event_trigger", "e.oid")
    )
}

pub(super) fn publications() -> String {
    "SELECT quote_ident(p.pubname), p.puballtables,
                          ARRAY(SELECT format('%I.%I', pt.schemaname, pt.tablename) FROM pg_publication_tables pt
                                 WHERE pt.pubname = p.pubname AND NOT p.puballtables ORDER BY 1),
                          p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate
                     FROM pg_publication p
                    WHERE $1::text[] IS NULL AND $2::text[] IS NOT NULL"
        .into()
}

/// All comments at once, joined in by plumb: one scan instead of a probe per object.
/// The comments on the user's objects and on schemas ([`USER_COMMENTS`]); the parameters are
/// only there so that every query takes the same two.
pub(super) fn descriptions() -> String {
    format!(
        "SELECT ds.classoid, ds.objoid, ds.objsubid, ds.description FROM ({USER_COMMENTS}) ds
          WHERE ($1::text[] IS NULL OR $1::text[] IS NOT NULL) AND $2::text[] IS NOT NULL"
    )
}

/// The rows of pg_description on objects the user made (OIDs from 16384) and on schemas
/// (`public` is older), in two parts that each use the table's index on `objoid`: one
/// condition with an OR would read every comment of the system catalogs too (thousands).
pub(super) const USER_COMMENTS: &str = "SELECT ds.* FROM pg_description ds WHERE ds.objoid >= 16384
    UNION ALL
    SELECT ds.* FROM pg_namespace n
      JOIN pg_description ds ON ds.objoid = n.oid AND ds.classoid = 'pg_namespace'::regclass
     WHERE n.oid < 16384";

pub(super) fn default_privileges() -> String {
    format!(
        "SELECT quote_ident(pg_get_userbyid(d.defaclrole)), quote_ident(n.nspname), d.defaclobjtype::text,
                {}
           FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
          WHERE n.oid IS NULL OR ({NS_FILTER})",
        acl("d.defaclacl", "d.defaclrole", NO_GRANTS)
    )
}

/// The rows of the database-level queries.
pub(super) struct Rows {
    pub schemas: Vec<Row>,
    pub extensions: Vec<Row>,
    pub collations: Vec<Row>,
    pub event_triggers: Vec<Row>,
    pub publications: Vec<Row>,
    pub default_privileges: Vec<Row>,
}

/// Every database-level object into `schema`.
pub(super) fn assemble(schema: &mut Schema, rows: &Rows, comments: &Comments) {
    for r in &rows.schemas {
        let name: String = r.get(0);
        schema.schemas.insert(
            name.clone(),
            Namespace { name, comment: comments.of(class::NAMESPACE, r.get(1), 0), privileges: grants(r.get(2)) },
        );
    }
    for r in &rows.extensions {
        let name: String = r.get(0);
        schema.extensions.insert(name.clone(), Extension { name, schema: r.get(1), version: r.get(2) });
    }
    for r in &rows.collations {
        let c = Collation {
            schema: r.get(0),
            name: r.get(1),
            provider: match r.get::<_, String>(2).as_str() {
                "i" => "icu".into(),
                "b" => "builtin".into(),
                _ => "libc".into(),
            },
            locale: r.get::<_, Option<String>>(3).unwrap_or_default(),
            deterministic: r.get(4),
        };
        schema.collations.insert(format!("{}.{}", c.schema, c.name), c);
    }
    for r in &rows.event_triggers {
        let mut tags: Vec<String> = r.get(3);
        tags.sort();
        let e = EventTrigger { name: r.get(0), event: r.get(1), function: r.get(2), tags, enabled: r.get(4) };
        schema.event_triggers.insert(e.name.clone(), e);
    }
    for r in &rows.publications {
        let operations = [("insert", 3), ("update", 4), ("delete", 5), ("truncate", 6)]
            .into_iter()
            .filter(|(_, i)| r.get::<_, bool>(*i))
            .map(|(op, _)| op.to_owned())
            .collect();
        let p = Publication { name: r.get(0), all_tables: r.get(1), tables: r.get(2), operations };
        schema.publications.insert(p.name.clone(), p);
    }
    for r in &rows.default_privileges {
        let object_type = match r.get::<_, String>(2).as_str() {
            "r" => "TABLES",
            "S" => "SEQUENCES",
            "f" => "FUNCTIONS",
            "T" => "TYPES",
            _ => "SCHEMAS",
        };
        for grant in grants(r.get(3)) {
            schema.default_privileges.push(DefaultPrivilege {
                role: r.get(0),
                schema: r.get(1),
                object_type: object_type.into(),
                grant,
            });
        }
    }
    schema.default_privileges.sort();
}
