//! Reading a live database into a [`Schema`]: one set-based query per object
//! kind, all in one read-only snapshot, pipelined on one connection. Cost
//! grows with the catalog, not with round trips.

use std::collections::{BTreeMap, HashMap};

use plumb_pg::{Connection, PgError};
use tokio_postgres::Row;
use tokio_postgres::types::Oid;

use crate::model::*;

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// Only these schemas (unquoted names); `None`: every non-system schema.
    pub schemas: Option<Vec<String>>,
    /// Include plumb's own history schema (`plumb`); left out by default, it is bookkeeping, not the user's schema.
    pub include_plumb: bool,
}

/// Inspection failed.
#[derive(Debug, thiserror::Error)]
#[error("could not read the catalog: {0}")]
pub struct InspectError(#[from] PgError);

impl From<tokio_postgres::Error> for InspectError {
    fn from(e: tokio_postgres::Error) -> Self {
        InspectError(PgError::from(e))
    }
}

// Database-wide objects (event triggers, publications) are read only when no
// schema filter is given; every query takes both parameters so they can share them.

/// Which namespaces count: not system ones, not extension-owned, within the options.
/// `$1`: schemas to include (NULL: all); `$2`: schemas to leave out.
const NS_FILTER: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
    AND ($1::text[] IS NULL OR n.nspname = ANY ($1::text[]))
    AND NOT (n.nspname = ANY ($2::text[]))";

/// Objects that belong to an extension are the extension's, not the user's.
fn not_extension_member(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend dx WHERE dx.classid = '{class}'::regclass AND dx.objid = {oid} AND dx.deptype = 'e')"
    )
}

/// Grants on an object as `grantee|PRIVILEGE|grantable` strings, owner's own left out.
fn acl(acl: &str, owner: &str) -> String {
    format!(
        "ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END
                      || '|' || a.privilege_type || '|' || a.is_grantable::text
                 FROM aclexplode({acl}) a WHERE a.grantee <> {owner} ORDER BY 1)"
    )
}

/// Reads the schema of the database `conn` is connected to.
pub async fn inspect(conn: &Connection, options: &InspectOptions) -> Result<Schema, InspectError> {
    let client = conn.client();
    let major = conn.server_major();
    let mut excluded: Vec<String> = Vec::new();
    if !options.include_plumb {
        excluded.push("plumb".into());
    }
    let included = options.schemas.clone();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&included, &excluded];

    // One snapshot for every query, and a promise not to write.
    // An empty search_path makes the server qualify every name it renders, so
    // definitions mean the same whatever path the reader later uses.
    client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL search_path = ''").await?;
    let queries = Queries::new(major);
    let result = async {
        tokio::try_join!(
            client.query(&queries.schemas, &params),
            client.query(&queries.extensions, &params),
            client.query(&queries.types, &params),
            client.query(&queries.sequences, &params),
            client.query(&queries.tables, &params),
            client.query(&queries.columns, &params),
            client.query(&queries.constraints, &params),
            client.query(&queries.indexes, &params),
            client.query(&queries.triggers, &params),
            client.query(&queries.policies, &params),
            client.query(&queries.views, &params),
            client.query(&queries.functions, &params),
            client.query(&queries.collations, &params),
            client.query(&queries.event_triggers, &params),
            client.query(&queries.publications, &params),
            client.query(&queries.default_privileges, &params),
        )
    }
    .await;
    client.batch_execute("COMMIT").await?;
    let (
        schemas,
        extensions,
        types,
        sequences,
        tables,
        columns,
        constraints,
        indexes,
        triggers,
        policies,
        views,
        functions,
        collations,
        event_triggers,
        publications,
        default_privileges,
    ) = result?;

    let mut schema = Schema::default();
    for r in &schemas {
        let name: String = r.get(0);
        schema.schemas.insert(name.clone(), Namespace { name, comment: r.get(1), privileges: grants(r.get(2)) });
    }
    for r in &extensions {
        let name: String = r.get(0);
        schema.extensions.insert(name.clone(), Extension { name, schema: r.get(1), version: r.get(2) });
    }
    for r in &types {
        let t = type_def(r);
        schema.types.insert(format!("{}.{}", t.schema, t.name), t);
    }
    for r in &sequences {
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
            comment: r.get(11),
            privileges: grants(r.get(12)),
        };
        schema.sequences.insert(format!("{}.{}", s.schema, s.name), s);
    }

    // Tables first, then their parts, joined by OID (which never leaves this function).
    let mut by_oid: HashMap<Oid, Table> = HashMap::with_capacity(tables.len());
    for r in &tables {
        let kind: String = r.get(3);
        let parent: Option<String> = r.get(8);
        let bound: Option<String> = r.get(9);
        let mut options: Vec<String> = r.get(11);
        options.sort();
        by_oid.insert(
            r.get(0),
            Table {
                schema: r.get(1),
                name: r.get(2),
                kind: if kind == "p" { TableKind::Partitioned } else { TableKind::Ordinary },
                unlogged: r.get(4),
                columns: Vec::new(),
                constraints: BTreeMap::new(),
                indexes: BTreeMap::new(),
                triggers: BTreeMap::new(),
                policies: BTreeMap::new(),
                rls_enabled: r.get(5),
                rls_forced: r.get(6),
                partition_key: r.get(7),
                partition_of: parent.zip(bound).map(|(parent, bound)| PartitionOf { parent, bound }),
                inherits: r.get(10),
                options,
                comment: r.get(12),
                privileges: grants(r.get(13)),
            },
        );
    }
    for r in &columns {
        let Some(table) = by_oid.get_mut(&r.get::<_, Oid>(0)) else { continue };
        let identity: String = r.get(6);
        let generated: String = r.get(7);
        let default: Option<String> = r.get(4);
        table.columns.push(Column {
            name: r.get(1),
            data_type: r.get(2),
            collation: r.get(3),
            default: if generated.is_empty() { default.clone() } else { None },
            not_null: r.get(5),
            identity: match identity.as_str() {
                "a" => Some(Identity::Always),
                "d" => Some(Identity::ByDefault),
                _ => None,
            },
            generated: if generated.is_empty() { None } else { default },
            storage: r.get(8),
            inherited: r.get(9),
            comment: r.get(10),
            privileges: grants(r.get(11)),
        });
    }
    for r in &constraints {
        let Some(table) = by_oid.get_mut(&r.get::<_, Oid>(0)) else { continue };
        let kind = match r.get::<_, String>(2).as_str() {
            "p" => ConstraintKind::PrimaryKey,
            "u" => ConstraintKind::Unique,
            "c" => ConstraintKind::Check,
            "x" => ConstraintKind::Exclusion,
            _ => ConstraintKind::ForeignKey,
        };
        let ref_table: Option<String> = r.get(5);
        let c = Constraint {
            name: r.get(1),
            kind,
            definition: r.get(3),
            columns: r.get(4),
            references: ref_table.map(|t| (t, r.get(6))),
            not_valid: r.get(7),
            inherited: r.get(8),
            comment: r.get(9),
        };
        table.constraints.insert(c.name.clone(), c);
    }
    let mut view_indexes: HashMap<Oid, Vec<Index>> = HashMap::new();
    for r in &indexes {
        let index = Index {
            name: r.get(1),
            definition: r.get(2),
            columns: r.get(3),
            unique: r.get(4),
            valid: r.get(5),
            inherited: r.get(6),
            comment: r.get(7),
        };
        match by_oid.get_mut(&r.get::<_, Oid>(0)) {
            Some(table) => {
                table.indexes.insert(index.name.clone(), index);
            }
            None => view_indexes.entry(r.get(0)).or_default().push(index),
        }
    }
    for r in &triggers {
        let Some(table) = by_oid.get_mut(&r.get::<_, Oid>(0)) else { continue };
        let t =
            Trigger { name: r.get(1), definition: r.get(2), enabled: r.get(3), inherited: r.get(4), comment: r.get(5) };
        table.triggers.insert(t.name.clone(), t);
    }
    for r in &policies {
        let Some(table) = by_oid.get_mut(&r.get::<_, Oid>(0)) else { continue };
        let p = Policy {
            name: r.get(1),
            command: r.get(2),
            permissive: r.get(3),
            roles: r.get(4),
            using: r.get(5),
            with_check: r.get(6),
            comment: r.get(7),
        };
        table.policies.insert(p.name.clone(), p);
    }
    for table in by_oid.into_values() {
        schema.tables.insert(table.qualified_name(), table);
    }
    for r in &views {
        let mut options: Vec<String> = r.get(6);
        options.sort();
        let indexes = view_indexes.remove(&r.get::<_, Oid>(0)).unwrap_or_default();
        let v = View {
            schema: r.get(1),
            name: r.get(2),
            materialized: r.get(3),
            definition: r.get(4),
            columns: r.get(5),
            options,
            depends_on: r.get(7),
            indexes: indexes.into_iter().map(|i| (i.name.clone(), i)).collect(),
            comment: r.get(8),
            privileges: grants(r.get(9)),
        };
        schema.views.insert(format!("{}.{}", v.schema, v.name), v);
    }
    for r in &functions {
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
            comment: r.get(12),
            privileges: grants(r.get(13)),
        };
        schema.functions.insert(f.signature(), f);
    }
    for r in &collations {
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
    for r in &event_triggers {
        let mut tags: Vec<String> = r.get(3);
        tags.sort();
        let e = EventTrigger { name: r.get(0), event: r.get(1), function: r.get(2), tags, enabled: r.get(4) };
        schema.event_triggers.insert(e.name.clone(), e);
    }
    for r in &publications {
        let operations = [("insert", 3), ("update", 4), ("delete", 5), ("truncate", 6)]
            .into_iter()
            .filter(|(_, i)| r.get::<_, bool>(*i))
            .map(|(op, _)| op.to_owned())
            .collect();
        let p = Publication { name: r.get(0), all_tables: r.get(1), tables: r.get(2), operations };
        schema.publications.insert(p.name.clone(), p);
    }
    for r in &default_privileges {
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
    Ok(schema)
}

fn type_def(r: &Row) -> TypeDef {
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
    TypeDef { schema: r.get(0), name: r.get(1), kind, comment: r.get(17), privileges: grants(r.get(18)) }
}

/// `grantee|PRIVILEGE|grantable` strings → grants, one per grantee.
fn grants(items: Vec<String>) -> Vec<Grant> {
    let mut by_grantee: BTreeMap<String, Grant> = BTreeMap::new();
    for item in items {
        let mut parts = item.rsplitn(3, '|');
        let (Some(grantable), Some(privilege), Some(grantee)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let grant = by_grantee.entry(grantee.to_owned()).or_insert_with(|| Grant {
            grantee: grantee.to_owned(),
            privileges: Vec::new(),
            grantable: Vec::new(),
        });
        grant.privileges.push(privilege.to_owned());
        if grantable == "true" {
            grant.grantable.push(privilege.to_owned());
        }
    }
    let mut grants: Vec<Grant> = by_grantee.into_values().collect();
    for g in &mut grants {
        g.privileges.sort();
        g.grantable.sort();
    }
    grants
}

/// The catalog queries, with the few differences between server versions resolved.
struct Queries {
    schemas: String,
    extensions: String,
    types: String,
    sequences: String,
    tables: String,
    columns: String,
    constraints: String,
    indexes: String,
    triggers: String,
    policies: String,
    views: String,
    functions: String,
    collations: String,
    event_triggers: String,
    publications: String,
    default_privileges: String,
}

impl Queries {
    fn new(major: u32) -> Queries {
        let rel_filter = format!("{NS_FILTER} AND {}", not_extension_member("pg_class", "c.oid"));
        let collation_name = "(SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co
               JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = {coll})";
        Queries {
            schemas: format!(
                "SELECT quote_ident(n.nspname), obj_description(n.oid, 'pg_namespace'),
                        {}
                   FROM pg_namespace n
                  WHERE {NS_FILTER} AND {}",
                acl("coalesce(n.nspacl, acldefault('n', n.nspowner))", "n.nspowner"),
                not_extension_member("pg_namespace", "n.oid")
            ),
            extensions: "SELECT quote_ident(e.extname), quote_ident(n.nspname), e.extversion
                           FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                          WHERE ($1::text[] IS NULL OR n.nspname = ANY ($1::text[])) AND $2::text[] IS NOT NULL"
                .into(),
            types: format!(
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
                        obj_description(t.oid, 'pg_type'),
                        {}
                   FROM pg_type t
                   JOIN pg_namespace n ON n.oid = t.typnamespace
                   LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
                   LEFT JOIN pg_range r ON r.rngtypid = t.oid
                  WHERE t.typtype IN ('e', 'd', 'c', 'r')
                    AND (t.typtype <> 'c' OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
                    AND {NS_FILTER} AND {}",
                collation_name.replace("{coll}", "t.typcollation"),
                collation_name.replace("{coll}", "r.rngcollation"),
                acl("coalesce(t.typacl, acldefault('T', t.typowner))", "t.typowner"),
                not_extension_member("pg_type", "t.oid")
            ),
            sequences: format!(
                "SELECT quote_ident(n.nspname), quote_ident(c.relname), format_type(s.seqtypid, NULL),
                        s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                        owner.tab, owner.col, obj_description(c.oid, 'pg_class'),
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
                  WHERE {rel_filter}
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                       AND d.objid = c.oid AND d.deptype = 'i')",
                acl("coalesce(c.relacl, acldefault('s', c.relowner))", "c.relowner")
            ),
            tables: format!(
                "SELECT c.oid, quote_ident(n.nspname), quote_ident(c.relname), c.relkind::text,
                        c.relpersistence = 'u', c.relrowsecurity, c.relforcerowsecurity,
                        CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                        CASE WHEN c.relispartition THEN
                            (SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_inherits i
                               JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                              WHERE i.inhrelid = c.oid) END,
                        CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
                        ARRAY(SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_inherits i
                                JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                               WHERE i.inhrelid = c.oid AND NOT c.relispartition ORDER BY i.inhseqno),
                        coalesce(c.reloptions, '{{}}'), obj_description(c.oid, 'pg_class'),
                        {}
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('r', 'p') AND {rel_filter}",
                acl("coalesce(c.relacl, acldefault('r', c.relowner))", "c.relowner")
            ),
            columns: format!(
                "SELECT a.attrelid, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
                        CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN {} END,
                        pg_get_expr(ad.adbin, ad.adrelid), a.attnotnull, a.attidentity::text, a.attgenerated::text,
                        CASE WHEN a.attstorage <> t.typstorage THEN
                            CASE a.attstorage WHEN 'p' THEN 'plain' WHEN 'e' THEN 'external' WHEN 'm' THEN 'main' ELSE 'extended' END END,
                        NOT a.attislocal, col_description(a.attrelid, a.attnum),
                        {}
                   FROM pg_attribute a
                   JOIN pg_class c ON c.oid = a.attrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   JOIN pg_type t ON t.oid = a.atttypid
                   LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                  WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND {rel_filter}
                  ORDER BY a.attrelid, a.attnum",
                collation_name.replace("{coll}", "a.attcollation"),
                acl("a.attacl", "c.relowner")
            ),
            constraints: format!(
                "SELECT con.conrelid, quote_ident(con.conname), con.contype::text, pg_get_constraintdef(con.oid),
                        ARRAY(SELECT quote_ident(a.attname) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                                JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord),
                        CASE WHEN con.contype = 'f' THEN format('%I.%I', fn.nspname, fc.relname) END,
                        ARRAY(SELECT quote_ident(a.attname) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                                JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord),
                        NOT con.convalidated, NOT con.conislocal, obj_description(con.oid, 'pg_constraint')
                   FROM pg_constraint con
                   JOIN pg_class c ON c.oid = con.conrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   LEFT JOIN pg_class fc ON fc.oid = con.confrelid
                   LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
                  WHERE con.contype IN ('p', 'u', 'c', 'x', 'f') AND con.conparentid = 0
                    AND c.relkind IN ('r', 'p') AND {rel_filter}"
            ),
            indexes: format!(
                "SELECT i.indrelid, quote_ident(ic.relname), pg_get_indexdef(i.indexrelid),
                        ARRAY(SELECT coalesce(quote_ident(a.attname), '') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                                LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                               WHERE k.ord <= i.indnkeyatts ORDER BY k.ord),
                        i.indisunique, i.indisvalid,
                        EXISTS (SELECT 1 FROM pg_inherits inh WHERE inh.inhrelid = i.indexrelid),
                        obj_description(i.indexrelid, 'pg_class')
                   FROM pg_index i
                   JOIN pg_class ic ON ic.oid = i.indexrelid
                   JOIN pg_class c ON c.oid = i.indrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('r', 'p', 'm') AND {rel_filter}
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                                       AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))"
            ),
            triggers: format!(
                "SELECT t.tgrelid, quote_ident(t.tgname), pg_get_triggerdef(t.oid), t.tgenabled::text,
                        t.tgparentid <> 0, obj_description(t.oid, 'pg_trigger')
                   FROM pg_trigger t
                   JOIN pg_class c ON c.oid = t.tgrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE NOT t.tgisinternal AND c.relkind IN ('r', 'p') AND {rel_filter}"
            ),
            policies: format!(
                "SELECT pol.polrelid, quote_ident(pol.polname),
                        CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                        WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                        pol.polpermissive,
                        ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END
                                FROM unnest(pol.polroles) r ORDER BY 1),
                        pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid),
                        obj_description(pol.oid, 'pg_policy')
                   FROM pg_policy pol
                   JOIN pg_class c ON c.oid = pol.polrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE {rel_filter}"
            ),
            views: format!(
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
                        obj_description(c.oid, 'pg_class'),
                        {}
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('v', 'm') AND {rel_filter}",
                acl("coalesce(c.relacl, acldefault('r', c.relowner))", "c.relowner")
            ),
            functions: format!(
                "SELECT quote_ident(n.nspname), quote_ident(p.proname), pg_get_function_identity_arguments(p.oid),
                        p.prokind::text, CASE WHEN p.prokind = 'f' THEN pg_get_function_result(p.oid) END,
                        quote_ident(l.lanname), p.provolatile::text, p.proisstrict, p.proparallel::text, p.prosecdef,
                        coalesce(p.proconfig, '{{}}'), pg_get_functiondef(p.oid), obj_description(p.oid, 'pg_proc'),
                        {}
                   FROM pg_proc p
                   JOIN pg_namespace n ON n.oid = p.pronamespace
                   JOIN pg_language l ON l.oid = p.prolang
                  WHERE p.prokind IN ('f', 'p') AND {NS_FILTER} AND {}
                    -- Constructors a range type makes for itself belong to the type.
                    AND NOT EXISTS (SELECT 1 FROM pg_depend di WHERE di.classid = 'pg_proc'::regclass
                                       AND di.objid = p.oid AND di.deptype = 'i')",
                acl("coalesce(p.proacl, acldefault('f', p.proowner))", "p.proowner"),
                not_extension_member("pg_proc", "p.oid")
            ),
            collations: format!(
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
            ),
            event_triggers: format!(
                "SELECT quote_ident(e.evtname), e.evtevent, format('%I.%I', pn.nspname, p.proname),
                        coalesce(e.evttags, '{{}}'), e.evtenabled::text
                   FROM pg_event_trigger e
                   JOIN pg_proc p ON p.oid = e.evtfoid
                   JOIN pg_namespace pn ON pn.oid = p.pronamespace
                  WHERE $1::text[] IS NULL AND $2::text[] IS NOT NULL AND {}",
                not_extension_member("pg_event_trigger", "e.oid")
            ),
            publications: "SELECT quote_ident(p.pubname), p.puballtables,
                                  ARRAY(SELECT format('%I.%I', pt.schemaname, pt.tablename) FROM pg_publication_tables pt
                                         WHERE pt.pubname = p.pubname AND NOT p.puballtables ORDER BY 1),
                                  p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate
                             FROM pg_publication p
                            WHERE $1::text[] IS NULL AND $2::text[] IS NOT NULL"
                .into(),
            default_privileges: format!(
                "SELECT quote_ident(pg_get_userbyid(d.defaclrole)), quote_ident(n.nspname), d.defaclobjtype::text,
                        {}
                   FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
                  WHERE n.oid IS NULL OR ({NS_FILTER})",
                acl("d.defaclacl", "d.defaclrole")
            ),
        }
    }
}
