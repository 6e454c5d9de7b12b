//! Reading a live database into a [`Schema`]: one set-based query per object
//! kind, all in one read-only snapshot, pipelined on one connection. Cost
//! grows with the catalog, not with round trips.

use std::collections::{BTreeMap, HashMap};

use plumb_pg::{Connection, PgError};
use tokio_postgres::types::Oid;
use tokio_postgres::{Row, Statement, ToStatement};

use plumb_model::*;

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// Only these schemas (unquoted names); `None`: every non-system schema.
    pub schemas: Option<Vec<String>>,
    /// Include the schemas that hold migration history (`plumb`, and the Supabase CLI's
    /// `supabase_migrations`); left out by default, they are bookkeeping, not the user's schema.
    pub include_plumb: bool,
    /// Read inside the transaction the caller has open (a repair re-inspects its own
    /// uncommitted work): the settings are scoped to a savepoint that is rolled back,
    /// and nothing commits.
    pub within_transaction: bool,
}

/// Schemas that hold migration history rather than the user's objects.
pub const HISTORY_SCHEMAS: [&str; 4] = ["plumb", "supabase_migrations", "drizzle", "atlas_schema_revisions"];

/// History tables other tools keep among the user's own (Prisma's, Diesel's, golang-migrate's
/// and dbmate's `schema_migrations`, goose's, sqlx's, Flyway's, Alembic's, Django's): left out too.
pub const HISTORY_TABLES: [&str; 8] = [
    "_prisma_migrations",
    "__diesel_schema_migrations",
    "schema_migrations",
    "goose_db_version",
    "_sqlx_migrations",
    "flyway_schema_history",
    "alembic_version",
    "django_migrations",
];

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
/// (An uncorrelated `NOT IN`: the server hashes the members once.)
fn not_extension_member(class: &str, oid: &str) -> String {
    format!(
        "{oid} NOT IN (SELECT dx.objid FROM pg_depend dx WHERE dx.classid = '{class}'::regclass AND dx.deptype = 'e')"
    )
}

/// Grants on an object as `grantee|PRIVILEGE|grantable` strings, owner's own left out.
/// `default` is what a NULL ACL means for this kind of object (the owner's grants aside).
fn acl(acl: &str, owner: &str, default: &str) -> String {
    format!(
        "CASE WHEN {acl} IS NULL THEN {default}::text[] ELSE
         ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END
                      || '|' || a.privilege_type || '|' || a.is_grantable::text
                 FROM aclexplode({acl}) a WHERE a.grantee <> {owner} ORDER BY 1) END"
    )
}

const NO_GRANTS: &str = "'{}'";

/// Reads the schema of the database `conn` is connected to.
pub async fn inspect(conn: &Connection, options: &InspectOptions) -> Result<Schema, InspectError> {
    inspect_with(conn, None, options).await
}

/// As [`inspect`], sharing the queries between two connections to the same database that
/// read one exported snapshot: the server works on both at once (it has more than one core).
/// Falls back to `conn` alone when the snapshot cannot be shared (e.g. on a standby).
pub async fn inspect_with(
    conn: &Connection,
    helper: Option<&Connection>,
    options: &InspectOptions,
) -> Result<Schema, InspectError> {
    inspect_using(conn, helper, None, options).await
}

/// Inspects one connection again and again (a replay inspects after every migration):
/// the queries are parsed and planned once.
pub struct Inspector {
    queries: Queries<Statement>,
}

impl Inspector {
    /// Prepares the catalog queries on `conn`; use [`Inspector::inspect`] with that same connection.
    pub async fn prepare(conn: &Connection) -> Result<Inspector, InspectError> {
        let sql = Queries::new(conn.server_major());
        Ok(Inspector { queries: sql.prepare(conn.client()).await? })
    }

    /// As [`inspect`], on the connection the inspector was prepared on.
    pub async fn inspect(&self, conn: &Connection, options: &InspectOptions) -> Result<Schema, InspectError> {
        inspect_using(conn, None, Some(&self.queries), options).await
    }
}

async fn inspect_using(
    conn: &Connection,
    helper: Option<&Connection>,
    prepared: Option<&Queries<Statement>>,
    options: &InspectOptions,
) -> Result<Schema, InspectError> {
    let major = conn.server_major();
    let mut excluded: Vec<String> = Vec::new();
    if !options.include_plumb {
        excluded.extend(HISTORY_SCHEMAS.iter().map(|s| s.to_string()));
    }
    let included = options.schemas.clone();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&included, &excluded];

    // One snapshot for every query, and a promise not to write.
    // An empty search_path makes the server qualify every name it renders, so
    // definitions mean the same whatever path the reader later uses.
    // JIT compiling these catalog queries costs far more than running them (seconds on big catalogs).
    const SETTINGS: &str = "SET LOCAL search_path = ''; SET LOCAL jit = off";
    let client = conn.client();
    if options.within_transaction {
        client.batch_execute(&format!("SAVEPOINT plumb_inspect; {SETTINGS}")).await?;
        let result = match prepared {
            Some(prepared) => fetch(client, client, prepared, &params).await,
            None => fetch(client, client, &Queries::new(major), &params).await,
        };
        // Rolling back to the savepoint undoes the settings; the caller's work stays.
        client.batch_execute("ROLLBACK TO SAVEPOINT plumb_inspect; RELEASE SAVEPOINT plumb_inspect").await?;
        return Ok(without_history_tables(assemble(result?)?, options));
    }
    client.batch_execute(&format!("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; {SETTINGS}")).await?;
    let mut second = client;
    if let Some(helper) = helper.filter(|_| prepared.is_none())
        && let Ok(row) = client.query_one("SELECT pg_export_snapshot()", &[]).await
    {
        let snapshot: String = row.get(0);
        let begin = format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{}'; {SETTINGS}",
            snapshot.replace('\'', "")
        );
        match helper.client().batch_execute(&begin).await {
            Ok(()) => second = helper.client(),
            Err(_) => {
                let _ = helper.client().batch_execute("ROLLBACK").await;
            }
        }
    }
    let result = match prepared {
        Some(prepared) => fetch(client, client, prepared, &params).await,
        None => fetch(client, second, &Queries::new(major), &params).await,
    };
    client.batch_execute("COMMIT").await?;
    if !std::ptr::eq(second, client) {
        second.batch_execute("COMMIT").await?;
    }
    Ok(without_history_tables(assemble(result?)?, options))
}

/// Other tools' history tables (`_prisma_migrations`, ...) are claims, not the user's schema.
fn without_history_tables(mut schema: Schema, options: &InspectOptions) -> Schema {
    if !options.include_plumb {
        let history = |qualified: &str| HISTORY_TABLES.iter().any(|t| qualified.rsplit('.').next() == Some(t));
        schema.tables.retain(|_, t| !HISTORY_TABLES.contains(&t.name.as_str()));
        // goose's serial id comes with a sequence of its own.
        schema.sequences.retain(|_, s| !s.owned_by.as_ref().is_some_and(|(table, _)| history(table)));
    }
    schema
}

/// The model, built from the rows of every catalog query.
fn assemble(fetched: Fetched) -> Result<Schema, InspectError> {
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
        descriptions,
    ) = fetched;
    let comments = Comments(
        descriptions.iter().map(|r| ((r.get::<_, Oid>(0), r.get::<_, Oid>(1), r.get::<_, i32>(2)), r.get(3))).collect(),
    );

    let mut schema = Schema::default();
    for r in &schemas {
        let name: String = r.get(0);
        schema.schemas.insert(
            name.clone(),
            Namespace { name, comment: comments.of(class::NAMESPACE, r.get(1), 0), privileges: grants(r.get(2)) },
        );
    }
    for r in &extensions {
        let name: String = r.get(0);
        schema.extensions.insert(name.clone(), Extension { name, schema: r.get(1), version: r.get(2) });
    }
    for r in &types {
        let t = type_def(r, &comments);
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
            comment: comments.of(class::RELATION, r.get(11), 0),
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
                comment: comments.of(class::RELATION, r.get(12), 0),
                privileges: grants(r.get(13)),
            },
        );
    }
    // Columns arrive unordered; attribute numbers put them in place and name keys below.
    let mut column_names: HashMap<(Oid, i16), String> = HashMap::with_capacity(columns.len());
    let mut numbered: HashMap<Oid, Vec<(i16, Column)>> = HashMap::with_capacity(by_oid.len());
    for (relid, attnum, mut column) in columns {
        if !by_oid.contains_key(&relid) {
            continue;
        }
        column.comment = comments.of(class::RELATION, relid, attnum.into());
        column_names.insert((relid, attnum), column.name.clone());
        numbered.entry(relid).or_default().push((attnum, column));
    }
    for (relid, mut cols) in numbered {
        cols.sort_by_key(|(attnum, _)| *attnum);
        if let Some(table) = by_oid.get_mut(&relid) {
            table.columns = cols.into_iter().map(|(_, c)| c).collect();
        }
    }
    // Materialized views have indexes too; their columns never have gaps.
    for r in &views {
        let relid: Oid = r.get(0);
        for (i, name) in r.get::<_, Vec<String>>(5).into_iter().enumerate() {
            column_names.insert((relid, i as i16 + 1), name);
        }
    }
    let names_of = |relid: Oid, attnums: &[i16]| -> Vec<String> {
        attnums.iter().map(|n| column_names.get(&(relid, *n)).cloned().unwrap_or_default()).collect()
    };
    for raw in constraints {
        if !by_oid.contains_key(&raw.relid) {
            continue;
        }
        let columns = names_of(raw.relid, &raw.conkey);
        let ref_columns = names_of(raw.confrelid, &raw.confkey);
        let definition = match raw.definition {
            Some(server_rendered) => server_rendered,
            None => render_key(&KeyParts {
                kind: raw.kind,
                columns: &columns,
                ref_table: raw.ref_table.as_deref().unwrap_or_default(),
                ref_columns: &ref_columns,
                deferrable: raw.deferrable,
                deferred: raw.deferred,
                on_update: raw.on_update,
                on_delete: raw.on_delete,
                match_type: raw.match_type,
                nulls_not_distinct: raw.nulls_not_distinct,
                not_valid: raw.not_valid,
            }),
        };
        let c = Constraint {
            name: raw.name,
            kind: raw.kind,
            definition,
            columns,
            references: raw.ref_table.map(|t| (t, ref_columns)),
            not_valid: raw.not_valid,
            inherited: raw.inherited,
            comment: comments.of(class::CONSTRAINT, raw.oid, 0),
        };
        if let Some(table) = by_oid.get_mut(&raw.relid) {
            table.constraints.insert(c.name.clone(), c);
        }
    }
    let mut view_indexes: HashMap<Oid, Vec<Index>> = HashMap::new();
    for raw in indexes {
        let key_count = raw.key_count.min(raw.indkey.len());
        let columns = names_of(raw.relid, &raw.indkey[..key_count]);
        let definition = match raw.definition {
            Some(server_rendered) => server_rendered,
            None => render_index(&IndexParts {
                name: &raw.name,
                table: &raw.table,
                partitioned: raw.partitioned,
                method: &raw.method,
                unique: raw.unique,
                keys: &columns,
                options: &raw.options,
                include: &names_of(raw.relid, &raw.indkey[key_count..]),
                nulls_not_distinct: raw.nulls_not_distinct,
                predicate: raw.predicate.as_deref(),
            }),
        };
        let index = Index {
            name: raw.name,
            definition,
            columns,
            unique: raw.unique,
            valid: raw.valid,
            inherited: raw.inherited,
            comment: comments.of(class::RELATION, raw.oid, 0),
        };
        match by_oid.get_mut(&raw.relid) {
            Some(table) => {
                table.indexes.insert(index.name.clone(), index);
            }
            None => view_indexes.entry(raw.relid).or_default().push(index),
        }
    }
    for r in &triggers {
        let Some(table) = by_oid.get_mut(&r.get::<_, Oid>(0)) else { continue };
        let t = Trigger {
            name: r.get(1),
            definition: r.get(2),
            enabled: r.get(3),
            inherited: r.get(4),
            comment: comments.of(class::TRIGGER, r.get(5), 0),
        };
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
            comment: comments.of(class::POLICY, r.get(7), 0),
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
            comment: comments.of(class::RELATION, r.get(8), 0),
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
            comment: comments.of(class::FUNCTION, r.get(12), 0),
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

/// Everything the queries return, in their order.
type Fetched = (
    Vec<Row>,
    Vec<Row>,
    Vec<Row>,
    Vec<Row>,
    Vec<Row>,
    Vec<(Oid, i16, Column)>,
    Vec<RawConstraint>,
    Vec<RawIndex>,
    Vec<Row>,
    Vec<Row>,
    Vec<Row>,
    Vec<Row>,
    Vec<Row>,
    Vec<Row>,
    Vec<Row>,
    Vec<Row>,
    Vec<Row>,
);

/// Sends every query at once (pipelined), the heavy ones to `second`, and collects the results.
async fn fetch<Q: ToStatement + Sync>(
    client: &tokio_postgres::Client,
    second: &tokio_postgres::Client,
    queries: &Queries<Q>,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync); 2],
) -> Result<Fetched, tokio_postgres::Error> {
    tokio::try_join!(
        client.query(&queries.schemas, params),
        client.query(&queries.extensions, params),
        client.query(&queries.types, params),
        client.query(&queries.sequences, params),
        client.query(&queries.tables, params),
        // The three biggest results become model values row by row, as they arrive.
        rows_into(client, &queries.columns, params, column_from_row),
        rows_into(second, &queries.constraints, params, RawConstraint::from_row),
        rows_into(second, &queries.indexes, params, RawIndex::from_row),
        client.query(&queries.triggers, params),
        second.query(&queries.policies, params),
        client.query(&queries.views, params),
        client.query(&queries.functions, params),
        client.query(&queries.collations, params),
        client.query(&queries.event_triggers, params),
        client.query(&queries.publications, params),
        client.query(&queries.default_privileges, params),
        client.query(&queries.descriptions, params),
    )
}

/// Runs a query and turns each row into a value as it arrives, so rows never pile up.
async fn rows_into<T, Q: ToStatement + Sync>(
    client: &tokio_postgres::Client,
    sql: &Q,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync); 2],
    convert: fn(&Row) -> T,
) -> Result<Vec<T>, tokio_postgres::Error> {
    let stream = client.query_raw(sql, params.iter().copied()).await?;
    let mut stream = std::pin::pin!(stream);
    let mut out = Vec::new();
    while let Some(row) = std::future::poll_fn(|cx| futures_core::Stream::poll_next(stream.as_mut(), cx)).await {
        out.push(convert(&row?));
    }
    Ok(out)
}

fn column_from_row(r: &Row) -> (Oid, i16, Column) {
    let identity: String = r.get(6);
    let generated: String = r.get(7);
    let default: Option<String> = r.get(4);
    let column = Column {
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
        comment: None,
        privileges: grants(r.get(11)),
    };
    (r.get(0), r.get(12), column)
}

/// A constraint row before its column numbers are named.
struct RawConstraint {
    relid: Oid,
    oid: Oid,
    name: String,
    kind: ConstraintKind,
    definition: Option<String>,
    conkey: Vec<i16>,
    ref_table: Option<String>,
    confrelid: Oid,
    confkey: Vec<i16>,
    not_valid: bool,
    inherited: bool,
    deferrable: bool,
    deferred: bool,
    on_update: String,
    on_delete: String,
    match_type: String,
    nulls_not_distinct: bool,
}

impl RawConstraint {
    fn from_row(r: &Row) -> RawConstraint {
        RawConstraint {
            relid: r.get(0),
            name: r.get(1),
            kind: match r.get::<_, &str>(2) {
                "p" => ConstraintKind::PrimaryKey,
                "u" => ConstraintKind::Unique,
                "c" => ConstraintKind::Check,
                "x" => ConstraintKind::Exclusion,
                _ => ConstraintKind::ForeignKey,
            },
            definition: r.get(3),
            conkey: r.get::<_, Option<Vec<i16>>>(4).unwrap_or_default(),
            ref_table: r.get(5),
            confkey: r.get::<_, Option<Vec<i16>>>(6).unwrap_or_default(),
            not_valid: r.get(7),
            inherited: r.get(8),
            oid: r.get(9),
            confrelid: r.get(10),
            deferrable: r.get(11),
            deferred: r.get(12),
            on_update: r.get(13),
            on_delete: r.get(14),
            match_type: r.get(15),
            nulls_not_distinct: r.get(16),
        }
    }
}

/// An index row before its column numbers are named.
struct RawIndex {
    relid: Oid,
    oid: Oid,
    name: String,
    definition: Option<String>,
    indkey: Vec<i16>,
    key_count: usize,
    options: Vec<i16>,
    unique: bool,
    valid: bool,
    inherited: bool,
    method: String,
    predicate: Option<String>,
    nulls_not_distinct: bool,
    table: String,
    partitioned: bool,
}

impl RawIndex {
    fn from_row(r: &Row) -> RawIndex {
        RawIndex {
            relid: r.get(0),
            name: r.get(1),
            definition: r.get(2),
            indkey: r.get(3),
            key_count: r.get::<_, i16>(4).max(0) as usize,
            options: r.get(5),
            unique: r.get(6),
            valid: r.get(7),
            inherited: r.get(8),
            oid: r.get(9),
            method: r.get(10),
            predicate: r.get(11),
            nulls_not_distinct: r.get(12),
            table: r.get(13),
            partitioned: r.get::<_, &str>(14) == "p",
        }
    }
}

/// What a primary, unique or foreign key is made of.
struct KeyParts<'a> {
    kind: ConstraintKind,
    columns: &'a [String],
    ref_table: &'a str,
    ref_columns: &'a [String],
    deferrable: bool,
    deferred: bool,
    on_update: String,
    on_delete: String,
    match_type: String,
    nulls_not_distinct: bool,
    not_valid: bool,
}

/// The key as `pg_get_constraintdef` prints it.
fn render_key(k: &KeyParts<'_>) -> String {
    let mut sql = match k.kind {
        ConstraintKind::PrimaryKey => format!("PRIMARY KEY ({})", k.columns.join(", ")),
        ConstraintKind::Unique if k.nulls_not_distinct => {
            format!("UNIQUE NULLS NOT DISTINCT ({})", k.columns.join(", "))
        }
        ConstraintKind::Unique => format!("UNIQUE ({})", k.columns.join(", ")),
        _ => {
            let mut sql = format!(
                "FOREIGN KEY ({}) REFERENCES {}({})",
                k.columns.join(", "),
                k.ref_table,
                k.ref_columns.join(", ")
            );
            match k.match_type.as_str() {
                "f" => sql.push_str(" MATCH FULL"),
                "p" => sql.push_str(" MATCH PARTIAL"),
                _ => {}
            }
            for (clause, action) in [("ON UPDATE", &k.on_update), ("ON DELETE", &k.on_delete)] {
                let action = match action.as_str() {
                    "r" => "RESTRICT",
                    "c" => "CASCADE",
                    "n" => "SET NULL",
                    "d" => "SET DEFAULT",
                    _ => continue,
                };
                sql.push_str(&format!(" {clause} {action}"));
            }
            sql
        }
    };
    if k.deferrable {
        sql.push_str(" DEFERRABLE");
    }
    if k.deferred {
        sql.push_str(" INITIALLY DEFERRED");
    }
    if k.not_valid {
        sql.push_str(" NOT VALID");
    }
    sql
}

/// What a plain index is made of.
struct IndexParts<'a> {
    name: &'a str,
    table: &'a str,
    partitioned: bool,
    method: &'a str,
    unique: bool,
    keys: &'a [String],
    /// Per key: bit 1 DESC, bit 2 NULLS FIRST.
    options: &'a [i16],
    include: &'a [String],
    nulls_not_distinct: bool,
    predicate: Option<&'a str>,
}

/// The index as `pg_get_indexdef` prints it.
fn render_index(i: &IndexParts<'_>) -> String {
    let keys: Vec<String> = i
        .keys
        .iter()
        .enumerate()
        .map(|(n, key)| {
            let option = i.options.get(n).copied().unwrap_or(0);
            let (desc, nulls_first) = (option & 1 != 0, option & 2 != 0);
            match (desc, nulls_first) {
                (true, true) => format!("{key} DESC"),
                (true, false) => format!("{key} DESC NULLS LAST"),
                (false, true) => format!("{key} NULLS FIRST"),
                (false, false) => key.clone(),
            }
        })
        .collect();
    let mut sql = format!(
        "CREATE {}INDEX {} ON {}{} USING {} ({})",
        if i.unique { "UNIQUE " } else { "" },
        i.name,
        if i.partitioned { "ONLY " } else { "" },
        i.table,
        i.method,
        keys.join(", ")
    );
    if !i.include.is_empty() {
        sql.push_str(&format!(" INCLUDE ({})", i.include.join(", ")));
    }
    if i.nulls_not_distinct {
        sql.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(predicate) = i.predicate {
        sql.push_str(&format!(" WHERE {predicate}"));
    }
    sql
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

/// The catalogs comments hang on (fixed OIDs since PostgreSQL 7).
mod class {
    use tokio_postgres::types::Oid;
    pub const RELATION: Oid = 1259;
    pub const FUNCTION: Oid = 1255;
    pub const TYPE: Oid = 1247;
    pub const CONSTRAINT: Oid = 2606;
    pub const TRIGGER: Oid = 2620;
    pub const NAMESPACE: Oid = 2615;
    pub const POLICY: Oid = 3256;
}

/// Comments by (catalog, object, sub-object).
struct Comments(HashMap<(Oid, Oid, i32), String>);

impl Comments {
    fn of(&self, class: Oid, oid: Oid, sub: i32) -> Option<String> {
        self.0.get(&(class, oid, sub)).cloned()
    }
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
struct Queries<T> {
    schemas: T,
    extensions: T,
    types: T,
    sequences: T,
    tables: T,
    columns: T,
    constraints: T,
    indexes: T,
    triggers: T,
    policies: T,
    views: T,
    functions: T,
    collations: T,
    event_triggers: T,
    publications: T,
    default_privileges: T,
    descriptions: T,
}

impl Queries<String> {
    /// Parses and plans every query once, for repeated inspections on one connection.
    async fn prepare(&self, client: &tokio_postgres::Client) -> Result<Queries<Statement>, tokio_postgres::Error> {
        Ok(Queries {
            schemas: client.prepare(&self.schemas).await?,
            extensions: client.prepare(&self.extensions).await?,
            types: client.prepare(&self.types).await?,
            sequences: client.prepare(&self.sequences).await?,
            tables: client.prepare(&self.tables).await?,
            columns: client.prepare(&self.columns).await?,
            constraints: client.prepare(&self.constraints).await?,
            indexes: client.prepare(&self.indexes).await?,
            triggers: client.prepare(&self.triggers).await?,
            policies: client.prepare(&self.policies).await?,
            views: client.prepare(&self.views).await?,
            functions: client.prepare(&self.functions).await?,
            collations: client.prepare(&self.collations).await?,
            event_triggers: client.prepare(&self.event_triggers).await?,
            publications: client.prepare(&self.publications).await?,
            default_privileges: client.prepare(&self.default_privileges).await?,
            descriptions: client.prepare(&self.descriptions).await?,
        })
    }
}

impl Queries<String> {
    fn new(major: u32) -> Queries<String> {
        // Keys plumb renders itself; anything beyond plain columns and the usual flags is left to the server.
        let mut simple_constraint =
            "(con.contype IN ('p', 'u') AND ci.indnatts = ci.indnkeyatts AND cic.reloptions IS NULL
              AND cic.reltablespace = 0) OR con.contype = 'f'"
                .to_owned();
        if major >= 15 {
            simple_constraint = format!("({simple_constraint}) AND coalesce(cardinality(con.confdelsetcols), 0) = 0");
        }
        if major >= 18 {
            simple_constraint = format!("({simple_constraint}) AND NOT con.conperiod AND con.conenforced");
        }
        let rel_filter = format!("{NS_FILTER} AND {}", not_extension_member("pg_class", "c.oid"));
        let collation_name = "(SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co
               JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = {coll})";
        Queries {
            schemas: format!(
                "SELECT quote_ident(n.nspname), n.oid,
                        {}
                   FROM pg_namespace n
                  WHERE {NS_FILTER} AND {}",
                acl("n.nspacl", "n.nspowner", NO_GRANTS),
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
                        t.oid,
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
                acl("t.typacl", "t.typowner", "'{PUBLIC|USAGE|false}'"),
                not_extension_member("pg_type", "t.oid")
            ),
            sequences: format!(
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
                  WHERE {rel_filter}
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                       AND d.objid = c.oid AND d.deptype = 'i')",
                acl("c.relacl", "c.relowner", NO_GRANTS)
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
                        coalesce(c.reloptions, '{{}}'), c.oid,
                        {}
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('r', 'p') AND {rel_filter}",
                acl("c.relacl", "c.relowner", NO_GRANTS)
            ),
            columns: format!(
                "SELECT a.attrelid, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
                        CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN {} END,
                        -- A default cannot name a column, so it needs no relation to deparse against (much cheaper).
                        CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, 0) ELSE pg_get_expr(ad.adbin, ad.adrelid) END,
                        a.attnotnull, a.attidentity::text, a.attgenerated::text,
                        CASE WHEN a.attstorage <> t.typstorage THEN
                            CASE a.attstorage WHEN 'p' THEN 'plain' WHEN 'e' THEN 'external' WHEN 'm' THEN 'main' ELSE 'extended' END END,
                        NOT a.attislocal, a.attrelid,
                        {},
                        a.attnum
                   FROM pg_attribute a
                   JOIN pg_class c ON c.oid = a.attrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   JOIN pg_type t ON t.oid = a.atttypid
                   LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                  WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND {rel_filter}",
                collation_name.replace("{coll}", "a.attcollation"),
                acl("a.attacl", "c.relowner", NO_GRANTS)
            ),
            // Primary keys, unique keys and foreign keys are rendered by plumb from the catalog
            // columns (pg_get_constraintdef is a large share of the cost on big schemas); checks,
            // exclusions and anything unusual keep PostgreSQL's own rendering.
            constraints: format!(
                "SELECT con.conrelid, quote_ident(con.conname), con.contype::text,
                        CASE WHEN ({simple_constraint}) AND (con.contype <> 'f' OR ({ref_in_scope})) THEN NULL
                             -- pg_get_constraintdef on a CHECK costs six times what its expression does.
                             WHEN con.contype = 'c' {check_enforced} THEN 'CHECK (' || pg_get_expr(con.conbin, con.conrelid) || ')'
                                  || CASE WHEN con.connoinherit THEN ' NO INHERIT' ELSE '' END
                                  || CASE WHEN NOT con.convalidated THEN ' NOT VALID' ELSE '' END
                             ELSE pg_get_constraintdef(con.oid) END,
                        con.conkey,
                        CASE WHEN con.contype = 'f' THEN format('%I.%I', fn.nspname, fc.relname) END,
                        con.confkey, NOT con.convalidated, NOT con.conislocal, con.oid,
                        con.confrelid, con.condeferrable, con.condeferred,
                        con.confupdtype::text, con.confdeltype::text, con.confmatchtype::text, {nulls_not_distinct}
                   FROM pg_constraint con
                   JOIN pg_class c ON c.oid = con.conrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   LEFT JOIN pg_class fc ON fc.oid = con.confrelid
                   LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
                   LEFT JOIN pg_index ci ON ci.indexrelid = con.conindid AND con.contype IN ('p', 'u')
                   LEFT JOIN pg_class cic ON cic.oid = con.conindid AND con.contype IN ('p', 'u')
                  WHERE con.contype IN ('p', 'u', 'c', 'x', 'f') AND con.conparentid = 0
                    AND c.relkind IN ('r', 'p') AND {rel_filter}",
                simple_constraint = simple_constraint,
                ref_in_scope = NS_FILTER.replace("n.nspname", "fn.nspname"),
                nulls_not_distinct = if major >= 15 { "coalesce(ci.indnullsnotdistinct, false)" } else { "false" },
                check_enforced = if major >= 18 { "AND con.conenforced" } else { "" },
            ),
            // Likewise plain indexes (columns only, default operator classes and collations):
            // pg_get_indexdef is the single largest cost of reading a big catalog.
            indexes: format!(
                "SELECT i.indrelid, quote_ident(ic.relname),
                        -- Plain: no expressions, default operator classes, default collations on
                        -- tables whose columns all use the default collation (each set computed once).
                        CASE WHEN c.relkind <> 'm' AND NOT (0 = ANY (i.indkey::int2[])) AND ic.reloptions IS NULL
                                  AND ic.reltablespace = 0
                                  AND NOT (i.indclass::oid[] && ARRAY(SELECT oc.oid FROM pg_opclass oc WHERE NOT oc.opcdefault))
                                  AND i.indcollation::oid[] <@ '{{0,100}}'::oid[]
                                  AND i.indrelid NOT IN (SELECT ca.attrelid FROM pg_attribute ca
                                                          WHERE ca.attcollation NOT IN (0, 100) AND ca.attnum > 0)
                             THEN NULL ELSE pg_get_indexdef(i.indexrelid) END,
                        i.indkey::int2[], i.indnkeyatts, i.indoption::int2[], i.indisunique, i.indisvalid,
                        EXISTS (SELECT 1 FROM pg_inherits inh WHERE inh.inhrelid = i.indexrelid),
                        i.indexrelid,
                        am.amname::text, pg_get_expr(i.indpred, i.indrelid), {index_nulls_not_distinct},
                        format('%I.%I', n.nspname, c.relname), c.relkind::text
                   FROM pg_index i
                   JOIN pg_class ic ON ic.oid = i.indexrelid
                   JOIN pg_am am ON am.oid = ic.relam
                   JOIN pg_class c ON c.oid = i.indrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('r', 'p', 'm') AND {rel_filter}
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                                       AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))",
                index_nulls_not_distinct = if major >= 15 { "i.indnullsnotdistinct" } else { "false" },
            ),
            triggers: format!(
                "SELECT t.tgrelid, quote_ident(t.tgname), pg_get_triggerdef(t.oid), t.tgenabled::text,
                        t.tgparentid <> 0, t.oid
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
                        pol.oid
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
                        c.oid,
                        {}
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('v', 'm') AND {rel_filter}",
                acl("c.relacl", "c.relowner", NO_GRANTS)
            ),
            functions: format!(
                "SELECT quote_ident(n.nspname), quote_ident(p.proname), pg_get_function_identity_arguments(p.oid),
                        p.prokind::text, CASE WHEN p.prokind = 'f' THEN pg_get_function_result(p.oid) END,
                        quote_ident(l.lanname), p.provolatile::text, p.proisstrict, p.proparallel::text, p.prosecdef,
                        coalesce(p.proconfig, '{{}}'), pg_get_functiondef(p.oid), p.oid,
                        {}
                   FROM pg_proc p
                   JOIN pg_namespace n ON n.oid = p.pronamespace
                   JOIN pg_language l ON l.oid = p.prolang
                  WHERE p.prokind IN ('f', 'p') AND {NS_FILTER} AND {}
                    -- Constructors a range type makes for itself belong to the type.
                    AND NOT EXISTS (SELECT 1 FROM pg_depend di WHERE di.classid = 'pg_proc'::regclass
                                       AND di.objid = p.oid AND di.deptype = 'i')",
                acl("p.proacl", "p.proowner", "'{PUBLIC|EXECUTE|false}'"),
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
            // All comments at once, joined in by plumb: one scan instead of a probe per object.
            descriptions: "SELECT ds.classoid, ds.objoid, ds.objsubid, ds.description FROM pg_description ds
                            WHERE (ds.objoid >= 16384 OR ds.classoid = 'pg_namespace'::regclass)
                              AND ($1::text[] IS NULL OR $1::text[] IS NOT NULL) AND $2::text[] IS NOT NULL"
                .into(),
            default_privileges: format!(
                "SELECT quote_ident(pg_get_userbyid(d.defaclrole)), quote_ident(n.nspname), d.defaclobjtype::text,
                        {}
                   FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
                  WHERE n.oid IS NULL OR ({NS_FILTER})",
                acl("d.defaclacl", "d.defaclrole", NO_GRANTS)
            ),
        }
    }
}
