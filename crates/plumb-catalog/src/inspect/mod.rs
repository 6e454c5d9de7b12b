//! Reading a live database into a [`Schema`]: one set-based query per object
//! kind, all in one read-only snapshot, pipelined on one connection. Cost
//! grows with the catalog, not with round trips.
//!
//! Each kind's query sits beside the code that turns its rows into the model, one module per
//! family: [`database`] (schemas, extensions, collations, event triggers, publications, default
//! privileges, comments), [`types`] (and sequences), [`tables`] (columns, triggers, policies,
//! and the assembly of a table's parts), [`keys`] (constraints, indexes), [`views`],
//! [`functions`]. This module runs the queries and puts the parts together.

mod database;
mod functions;
mod keys;
mod tables;
mod track;
mod types;
mod views;

pub use track::{Change, Tracked};

use std::collections::{BTreeMap, HashMap};

use plumb_pg::{Connection, PgError};
use tokio_postgres::types::Oid;
use tokio_postgres::{Row, Statement, ToStatement};

use self::keys::{RawConstraint, RawIndex};

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
pub(super) const NS_FILTER: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
    AND ($1::text[] IS NULL OR n.nspname = ANY ($1::text[]))
    AND NOT (n.nspname = ANY ($2::text[]))";

/// Objects that belong to an extension are the extension's, not the user's.
/// (`NOT EXISTS`, an anti-join: the planner hashes the members for a whole read and probes
/// pg_depend's index for a targeted one; an uncorrelated `NOT IN` scanned all of pg_depend for
/// every query of every targeted read.)
pub(super) fn not_extension_member(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend dx
                      WHERE dx.classid = '{class}'::regclass AND dx.objid = {oid} AND dx.deptype = 'e')"
    )
}

/// Grants on an object as `grantee|PRIVILEGE|grantable` strings, owner's own left out.
/// `default` is what a NULL ACL means for this kind of object (the owner's grants aside).
pub(super) fn acl(acl: &str, owner: &str, default: &str) -> String {
    format!(
        "CASE WHEN {acl} IS NULL THEN {default}::text[] ELSE
         ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END
                      || '|' || a.privilege_type || '|' || a.is_grantable::text
                 FROM aclexplode({acl}) a WHERE a.grantee <> {owner} ORDER BY 1) END"
    )
}

pub(super) const NO_GRANTS: &str = "'{}'";

/// The condition of a relation or function query on `column`: in a targeted read, among the
/// OIDs in `$3` (through the catalog's index); otherwise anything (`$3` is NULL).
pub(super) fn only(column: &str, targeted: bool) -> String {
    if targeted { format!("{column} = ANY ($3::oid[])") } else { "$3::oid[] IS NULL".to_owned() }
}

/// The relations that count: in a namespace that counts, not an extension's.
pub(super) fn rel_filter() -> String {
    format!("{NS_FILTER} AND {}", not_extension_member("pg_class", "c.oid"))
}

/// The qualified name of the collation whose OID is the expression `coll`.
pub(super) fn collation_name(coll: &str) -> String {
    format!(
        "(SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co
           JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = {coll})"
    )
}

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
    /// The same queries, the relation and function ones reading only given OIDs.
    targeted: Queries<Statement>,
    /// [`Inspector::refresh`]'s questions: what changed since the mark, the comments' keys, the
    /// roles' names.
    changed: Statement,
    comment_keys: Statement,
    roles: Statement,
    /// The connection is the inspector's alone ([`Inspector::dedicated`]): its session is set
    /// up for reading once, and reads take no transaction of their own.
    dedicated: bool,
}

impl Inspector {
    /// Prepares the catalog queries on `conn`; use [`Inspector::inspect`] with that same connection.
    pub async fn prepare(conn: &Connection) -> Result<Inspector, InspectError> {
        let major = conn.server_major();
        let client = conn.client();
        Ok(Inspector {
            queries: Queries::new(major, false).prepare(client).await?,
            targeted: Queries::new(major, true).prepare(client).await?,
            changed: client.prepare(&track::changed_sql()).await?,
            comment_keys: client.prepare(&track::comment_keys_sql()).await?,
            roles: client.prepare(track::ROLES).await?,
            dedicated: false,
        })
    }

    /// As [`Inspector::prepare`], for a connection that does nothing but inspect, on a database
    /// nothing writes to while a read runs (a replay's private shadow, between migrations): the
    /// session is set up for reading once (empty `search_path`, no JIT, plans made once), and a
    /// read is its queries alone, sent together, with no transaction around them, which saves
    /// three round trips on every read. Anything else run on `conn` sees those settings.
    pub async fn dedicated(conn: &Connection) -> Result<Inspector, InspectError> {
        conn.client().batch_execute(&format!("{READ_SETTINGS}; SET plan_cache_mode = force_generic_plan")).await?;
        Ok(Inspector { dedicated: true, ..Inspector::prepare(conn).await? })
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
    Ok(read(conn, helper, prepared, options, &Only::default(), false).await?.0)
}

/// How a read sets up its session. An empty search_path makes the server qualify every name it
/// renders, so definitions mean the same whatever path the reader later uses; JIT compiling
/// these catalog queries costs far more than running them (seconds on big catalogs).
const READ_SETTINGS: &str = "SET search_path = ''; SET jit = off";

/// Which relations and functions to read (by OID); `None`: all of them. The other kinds are
/// always read whole (they are few), unless `small` says they did not change.
#[derive(Debug)]
pub(crate) struct Only {
    relations: Option<Vec<Oid>>,
    functions: Option<Vec<Oid>>,
    /// Read the small kinds too (a whole read always does).
    small: bool,
}

impl Default for Only {
    fn default() -> Only {
        Only { relations: None, functions: None, small: true }
    }
}

/// The schema, with the OIDs of the relations and functions it holds.
/// `dedicated`: `conn` is set up with [`READ_SETTINGS`] and nothing writes while it reads
/// ([`Inspector::dedicated`]), so the queries run as they are, without a transaction.
async fn read(
    conn: &Connection,
    helper: Option<&Connection>,
    prepared: Option<&Queries<Statement>>,
    options: &InspectOptions,
    only: &Only,
    dedicated: bool,
) -> Result<(Schema, OidIndex), InspectError> {
    let major = conn.server_major();
    let mut excluded: Vec<String> = Vec::new();
    if !options.include_plumb {
        excluded.extend(HISTORY_SCHEMAS.iter().map(|s| s.to_string()));
    }
    let included = options.schemas.clone();
    let params = Params {
        base: [&included, &excluded],
        relations: [&included, &excluded, &only.relations],
        functions: [&included, &excluded, &only.functions],
        small: only.small,
        any_relation: only.relations.as_ref().is_none_or(|oids| !oids.is_empty()),
        any_function: only.functions.as_ref().is_none_or(|oids| !oids.is_empty()),
    };

    // One snapshot for every query, and a promise not to write.
    const SETTINGS: &str = "SET LOCAL search_path = ''; SET LOCAL jit = off";
    let client = conn.client();
    if let Some(prepared) = prepared.filter(|_| dedicated) {
        let (schema, index) = assemble(fetch(client, client, prepared, &params).await?);
        return Ok((without_history_tables(schema, options), index));
    }
    if options.within_transaction {
        client.batch_execute(&format!("SAVEPOINT plumb_inspect; {SETTINGS}")).await?;
        let result = match prepared {
            Some(prepared) => fetch(client, client, prepared, &params).await,
            None => fetch(client, client, &Queries::new(major, false), &params).await,
        };
        // Rolling back to the savepoint undoes the settings; the caller's work stays.
        client.batch_execute("ROLLBACK TO SAVEPOINT plumb_inspect; RELEASE SAVEPOINT plumb_inspect").await?;
        let (schema, index) = assemble(result?);
        return Ok((without_history_tables(schema, options), index));
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
        None => fetch(client, second, &Queries::new(major, false), &params).await,
    };
    client.batch_execute("COMMIT").await?;
    if !std::ptr::eq(second, client) {
        second.batch_execute("COMMIT").await?;
    }
    let (schema, index) = assemble(result?);
    Ok((without_history_tables(schema, options), index))
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

/// Where each relation (table, view, sequence) and function read sits in the model: OID →
/// its key, so that a later read of some of them can replace exactly those.
#[derive(Debug, Clone, Default)]
pub(crate) struct OidIndex {
    relations: HashMap<Oid, (Relation, String)>,
    functions: HashMap<Oid, String>,
    /// A table's (or materialized view's) constraints, indexes, triggers and policies → the
    /// relation they belong to, for telling whose part is gone.
    parts: HashMap<Oid, Oid>,
}

/// Which map of [`Schema`] a relation is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Table,
    View,
    Sequence,
}

/// The model, built from the rows of every catalog query, and where each relation and
/// function of it came from.
fn assemble(f: Fetched) -> (Schema, OidIndex) {
    let mut index = OidIndex::default();
    let key = |r: &Row, oid: usize, schema: usize| -> (Oid, String) {
        (r.get(oid), format!("{}.{}", r.get::<_, String>(schema), r.get::<_, String>(schema + 1)))
    };
    for (rows, kind, oid, schema) in [
        (&f.relations.tables, Relation::Table, 0, 1),
        (&f.views, Relation::View, 0, 1),
        (&f.sequences, Relation::Sequence, 11, 0),
    ] {
        for r in rows {
            let (oid, name) = key(r, oid, schema);
            index.relations.insert(oid, (kind, name));
        }
    }
    let rel = &f.relations;
    index.parts.extend(rel.constraints.iter().map(|c| (c.oid, c.relid)));
    index.parts.extend(rel.indexes.iter().map(|i| (i.oid, i.relid)));
    index.parts.extend(rel.triggers.iter().map(|r| (r.get::<_, Oid>(5), r.get::<_, Oid>(0))));
    index.parts.extend(rel.policies.iter().map(|r| (r.get::<_, Oid>(7), r.get::<_, Oid>(0))));
    let comments = Comments(
        f.descriptions
            .iter()
            .map(|r| ((r.get::<_, Oid>(0), r.get::<_, Oid>(1), r.get::<_, i32>(2)), r.get(3)))
            .collect(),
    );
    let mut schema = Schema::default();
    database::assemble(&mut schema, &f.database, &comments);
    types::assemble(&mut schema, &f.types, &f.sequences, &comments);
    // Materialized views have indexes too: their column names are known before the tables'.
    let mut names = tables::ColumnNames::default();
    for r in &f.views {
        names.add_view(r.get(0), r.get(5));
    }
    let view_indexes = tables::assemble(&mut schema, f.relations, names, &comments);
    views::assemble(&mut schema, &f.views, view_indexes, &comments);
    index.functions = functions::assemble(&mut schema, &f.functions, &comments);
    (schema, index)
}

/// Everything the queries return.
struct Fetched {
    database: database::Rows,
    types: Vec<Row>,
    sequences: Vec<Row>,
    relations: tables::Rows,
    views: Vec<Row>,
    functions: Vec<Row>,
    descriptions: Vec<Row>,
}

/// The queries' parameters: `$1` schemas to include, `$2` to leave out, and for the relation
/// and function queries `$3`, the OIDs to read (NULL: all).
struct Params<'a> {
    base: [&'a (dyn tokio_postgres::types::ToSql + Sync); 2],
    relations: [&'a (dyn tokio_postgres::types::ToSql + Sync); 3],
    functions: [&'a (dyn tokio_postgres::types::ToSql + Sync); 3],
    /// Whether to read the small kinds (a targeted read skips them when they did not change).
    small: bool,
    /// Whether any relation is to be read (a targeted read may name none: a migration that
    /// only made a function), and any function.
    any_relation: bool,
    any_function: bool,
}

/// Sends every query at once (pipelined), the heavy ones to `second`, and collects the results.
async fn fetch<Q: ToStatement + Sync>(
    client: &tokio_postgres::Client,
    second: &tokio_postgres::Client,
    queries: &Queries<Q>,
    params: &Params<'_>,
) -> Result<Fetched, tokio_postgres::Error> {
    let (base, relations, only_functions) = (&params.base[..], &params.relations[..], &params.functions[..]);
    // What no OID asks for is not asked: its query would find nothing.
    let (small, any_relation) = (params.small, params.any_relation);
    let (
        (schemas, extensions, types, sequences, tables, columns, constraints, indexes, triggers),
        (policies, views, functions, collations, event_triggers, publications, default_privileges, descriptions),
    ) = tokio::try_join!(
        async {
            tokio::try_join!(
                query_if(small, client, &queries.schemas, base),
                query_if(small, client, &queries.extensions, base),
                query_if(small, client, &queries.types, base),
                query_if(any_relation, client, &queries.sequences, relations),
                query_if(any_relation, client, &queries.tables, relations),
                // The three biggest results become model values row by row, as they arrive.
                rows_into(any_relation, client, &queries.columns, relations, tables::column_from_row),
                rows_into(any_relation, second, &queries.constraints, relations, RawConstraint::from_row),
                rows_into(any_relation, second, &queries.indexes, relations, RawIndex::from_row),
                query_if(any_relation, client, &queries.triggers, relations),
            )
        },
        async {
            tokio::try_join!(
                query_if(any_relation, second, &queries.policies, relations),
                query_if(any_relation, client, &queries.views, relations),
                query_if(params.any_function, client, &queries.functions, only_functions),
                query_if(small, client, &queries.collations, base),
                query_if(small, client, &queries.event_triggers, base),
                query_if(small, client, &queries.publications, base),
                query_if(small, client, &queries.default_privileges, base),
                client.query(&queries.descriptions, base),
            )
        },
    )?;
    Ok(Fetched {
        database: database::Rows { schemas, extensions, collations, event_triggers, publications, default_privileges },
        types,
        sequences,
        relations: tables::Rows { tables, columns, constraints, indexes, triggers, policies },
        views,
        functions,
        descriptions,
    })
}

/// Runs a query when `wanted`, else returns no rows without asking.
async fn query_if<Q: ToStatement + Sync>(
    wanted: bool,
    client: &tokio_postgres::Client,
    sql: &Q,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<Row>, tokio_postgres::Error> {
    if wanted { client.query(sql, params).await } else { Ok(Vec::new()) }
}

/// Runs a query (when `wanted`) and turns each row into a value as it arrives, so rows never
/// pile up.
async fn rows_into<T, Q: ToStatement + Sync>(
    wanted: bool,
    client: &tokio_postgres::Client,
    sql: &Q,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    convert: fn(&Row) -> T,
) -> Result<Vec<T>, tokio_postgres::Error> {
    if !wanted {
        return Ok(Vec::new());
    }
    let stream = client.query_raw(sql, params.iter().copied()).await?;
    let mut stream = std::pin::pin!(stream);
    let mut out = Vec::new();
    while let Some(row) = std::future::poll_fn(|cx| futures_core::Stream::poll_next(stream.as_mut(), cx)).await {
        out.push(convert(&row?));
    }
    Ok(out)
}

/// The catalogs comments hang on (fixed OIDs since PostgreSQL 7).
pub(super) mod class {
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
pub(super) struct Comments(HashMap<(Oid, Oid, i32), String>);

impl Comments {
    pub(super) fn of(&self, class: Oid, oid: Oid, sub: i32) -> Option<String> {
        self.0.get(&(class, oid, sub)).cloned()
    }
}

/// `grantee|PRIVILEGE|grantable` strings → grants, one per grantee.
pub(super) fn grants(items: Vec<String>) -> Vec<Grant> {
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
    /// Every query, for a server of version `major`; `targeted`: the relation and function
    /// queries read only the OIDs in `$3`.
    fn new(major: u32, targeted: bool) -> Queries<String> {
        Queries {
            schemas: database::schemas(),
            extensions: database::extensions(),
            types: types::types(),
            sequences: types::sequences(targeted),
            tables: tables::tables(targeted),
            columns: tables::columns(targeted),
            constraints: keys::constraints(major, targeted),
            indexes: keys::indexes(major, targeted),
            triggers: tables::triggers(targeted),
            policies: tables::policies(targeted),
            views: views::views(targeted),
            functions: functions::functions(targeted),
            collations: database::collations(major),
            event_triggers: database::event_triggers(),
            publications: database::publications(),
            default_privileges: database::default_privileges(),
            descriptions: database::descriptions(),
        }
    }
}

plumb_pg::forward_diagnostic!(InspectError, |e| Some(&e.0));
