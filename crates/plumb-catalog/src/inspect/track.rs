//! Reading again only what changed: a replay inspects after every migration, and reading the
//! whole catalog each time makes its cost the number of migrations times the schema's size.
//!
//! Every read notes the server's transaction counter as it was when the read began (the mark,
//! returned by the same query as the changes). After a migration, [`Inspector::refresh`] asks
//! the catalogs which rows were written since the last mark (their `xmin`
//! lies in between: every insert and update, in however many transactions, whatever ran them:
//! plumb's statements, a function, Alembic), turns those rows into the relations and functions
//! they belong to, adds what depends on them (a view on a renamed table, a foreign key to a
//! renamed column, a default calling a renamed function), and reads only those, with the same
//! queries as a whole inspection filtered by OID. The small kinds (schemas, types, extensions,
//! collations, event triggers, publications, default privileges) are read whole, and only when
//! a row of theirs was written, something of theirs depends on what changed, or their
//! catalogs' row counts moved; comments are always read whole.
//!
//! Deletions leave no row to see, so what the last read held is checked for what is gone:
//! relations, functions, the parts of tables (constraints, indexes, triggers, policies) and
//! comments. Two changes reach too far to follow, and fall back to a whole read: a schema
//! renamed, and a role renamed (every name or grant under them is rendered anew).
//!
//! A refresh returns what it read again as a [`Change`]: those objects as the last read had
//! them and as they are now, so a replay compares only them, never the whole schema twice.
//!
//! A replay reads on a connection of its own ([`Inspector::dedicated`]): its session is set up
//! once (empty search path, JIT off, generic plans) and its queries run without a transaction
//! block: nothing writes to the shadow while it reads, so they all see the same catalog.
//!
//! A whole inspection stays the reference: the replay equality test holds both to each other,
//! migration by migration, on the corpora.

use std::collections::{BTreeMap, HashMap, HashSet};

use plumb_model::Schema;
use plumb_pg::Connection;
use tokio_postgres::types::Oid;

use super::{InspectError, InspectOptions, Inspector, OidIndex, Only, Relation, read};

/// A schema as last read, with what a later [`Inspector::refresh`] needs to update it.
#[derive(Debug, Clone)]
pub struct Tracked {
    schema: Schema,
    options: InspectOptions,
    index: OidIndex,
    /// Comment keys `(catalog, object, sub-object)` as last read.
    comments: HashSet<(Oid, Oid, i32)>,
    namespaces: HashMap<Oid, String>,
    roles: HashMap<Oid, String>,
    /// The row counts of the small kinds' catalogs as last read ([`CHANGED`]'s `{small counts}`).
    small_counts: Vec<i64>,
    /// Where the next refresh looks for changes from: the server's transaction counter when
    /// this was read.
    mark: Mark,
}

impl Tracked {
    /// The schema as last read.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }
}

/// The point after which changes are looked for: the first transaction id not yet given out.
#[derive(Debug, Clone, Copy)]
struct Mark(i64);

/// What a refresh read again, as it was and as it is: the relations and functions that changed
/// (dropped ones only in `before`, new ones only in `after`) and, when they changed, every small
/// kind; or, when a change reached too far to follow, everything. The rest of the schema is as
/// it was, so the difference of the two is the difference of the whole schemas, at the cost of
/// what changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// The objects read again, as the last read had them.
    pub before: Schema,
    /// The same objects now.
    pub after: Schema,
}

/// Which catalog rows were written after the mark, as the relations and functions they belong
/// to, with what depends on them; and which of what was read last is gone.
const CHANGED: &str = "
-- Objects below 16384 are the server's own (FirstNormalObjectId): only the user's are looked at,
-- through each catalog's OID index.
WITH span AS (SELECT age(($1::bigint % 4294967296)::text::xid) AS mark_age),
-- Comments written since the mark, read once: on the user's objects, and on schemas (`public`
-- is older than 16384).
fresh_desc AS MATERIALIZED (
    SELECT ds.classoid, ds.objoid FROM pg_description ds, span WHERE ds.objoid >= 16384 AND {fresh ds} AND {wrote pg_description}
    UNION ALL
    SELECT ds.classoid, ds.objoid FROM pg_namespace n, pg_description ds, span
     WHERE n.oid < 16384 AND ds.objoid = n.oid AND ds.classoid = 'pg_namespace'::regclass AND {fresh ds} AND {wrote pg_description}
),
fresh_rel AS (
    SELECT c.oid AS rel FROM pg_class c, span WHERE c.oid >= 16384 AND {fresh c} AND {wrote pg_class}
    UNION SELECT a.attrelid FROM pg_attribute a, span WHERE a.attrelid >= 16384 AND {fresh a} AND {wrote pg_attribute}
    UNION SELECT ad.adrelid FROM pg_attrdef ad, span WHERE ad.adrelid >= 16384 AND {fresh ad} AND {wrote pg_attrdef}
    UNION SELECT con.conrelid FROM pg_constraint con, span WHERE con.oid >= 16384 AND con.conrelid <> 0 AND {fresh con} AND {wrote pg_constraint}
    UNION SELECT i.indrelid FROM pg_index i, span WHERE i.indexrelid >= 16384 AND {fresh i} AND {wrote pg_index}
    UNION SELECT t.tgrelid FROM pg_trigger t, span WHERE t.oid >= 16384 AND {fresh t} AND {wrote pg_trigger}
    UNION SELECT pol.polrelid FROM pg_policy pol, span WHERE {fresh pol} AND {wrote pg_policy}
    UNION SELECT rw.ev_class FROM pg_rewrite rw, span WHERE rw.oid >= 16384 AND {fresh rw} AND {wrote pg_rewrite}
    UNION SELECT sq.seqrelid FROM pg_sequence sq, span WHERE {fresh sq} AND {wrote pg_sequence}
    UNION SELECT inh.inhrelid FROM pg_inherits inh, span WHERE {fresh inh} AND {wrote pg_inherits}
    UNION SELECT inh.inhparent FROM pg_inherits inh, span WHERE {fresh inh} AND {wrote pg_inherits}
    UNION SELECT d.objid FROM pg_depend d, span
           WHERE d.classid = 'pg_class'::regclass AND d.objid >= 16384 AND {fresh d} AND {wrote pg_depend}
    UNION SELECT ds.objoid FROM fresh_desc ds WHERE ds.objoid >= 16384 AND ds.classoid = 'pg_class'::regclass
    UNION SELECT con.conrelid FROM fresh_desc ds JOIN pg_constraint con ON con.oid = ds.objoid
           WHERE ds.objoid >= 16384 AND ds.classoid = 'pg_constraint'::regclass
    UNION SELECT t.tgrelid FROM fresh_desc ds JOIN pg_trigger t ON t.oid = ds.objoid
           WHERE ds.objoid >= 16384 AND ds.classoid = 'pg_trigger'::regclass
    UNION SELECT pol.polrelid FROM fresh_desc ds JOIN pg_policy pol ON pol.oid = ds.objoid
           WHERE ds.objoid >= 16384 AND ds.classoid = 'pg_policy'::regclass
),
fresh_fn AS (
    SELECT p.oid AS fn FROM pg_proc p, span WHERE p.oid >= 16384 AND {fresh p} AND {wrote pg_proc}
    UNION SELECT ds.objoid FROM fresh_desc ds WHERE ds.objoid >= 16384 AND ds.classoid = 'pg_proc'::regclass
),
fresh_other AS (
    SELECT 'pg_type'::regclass AS class, ty.oid FROM pg_type ty, span WHERE ty.oid >= 16384 AND {fresh ty} AND {wrote pg_type}
    UNION SELECT 'pg_collation'::regclass, co.oid FROM pg_collation co, span WHERE co.oid >= 16384 AND {fresh co} AND {wrote pg_collation}
),
-- Looked up in pg_depend's reference index per fresh object: what depends on the few fresh
-- objects, not a scan of every dependency. (A plain join let the generic plan, which cannot
-- know how few they are, merge or hash all of pg_depend; OFFSET 0 keeps each lookup apart.)
dependents AS (
    SELECT d.classid, d.objid FROM fresh_rel f, LATERAL (SELECT d.classid, d.objid FROM pg_depend d
      WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = f.rel OFFSET 0) d
    UNION SELECT d.classid, d.objid FROM fresh_fn f, LATERAL (SELECT d.classid, d.objid FROM pg_depend d
      WHERE d.refclassid = 'pg_proc'::regclass AND d.refobjid = f.fn OFFSET 0) d
    UNION SELECT d.classid, d.objid FROM fresh_other f, LATERAL (SELECT d.classid, d.objid FROM pg_depend d
      WHERE d.refclassid = f.class AND d.refobjid = f.oid OFFSET 0) d
),
rels AS (
    SELECT rel FROM fresh_rel
    UNION SELECT d.objid FROM dependents d WHERE d.classid = 'pg_class'::regclass
    UNION SELECT con.conrelid FROM dependents d JOIN pg_constraint con ON con.oid = d.objid
           WHERE d.classid = 'pg_constraint'::regclass AND con.conrelid <> 0
    UNION SELECT rw.ev_class FROM dependents d JOIN pg_rewrite rw ON rw.oid = d.objid
           WHERE d.classid = 'pg_rewrite'::regclass
    UNION SELECT ad.adrelid FROM dependents d JOIN pg_attrdef ad ON ad.oid = d.objid
           WHERE d.classid = 'pg_attrdef'::regclass
    UNION SELECT t.tgrelid FROM dependents d JOIN pg_trigger t ON t.oid = d.objid
           WHERE d.classid = 'pg_trigger'::regclass
    UNION SELECT pol.polrelid FROM dependents d JOIN pg_policy pol ON pol.oid = d.objid
           WHERE d.classid = 'pg_policy'::regclass
),
owners AS (
    -- An index stands for its table.
    SELECT coalesce(i.indrelid, r.rel) AS rel FROM rels r LEFT JOIN pg_index i ON i.indexrelid = r.rel
)
SELECT
    ARRAY(SELECT rel FROM owners),
    ARRAY(SELECT fn FROM fresh_fn
          UNION SELECT d.objid FROM dependents d WHERE d.classid = 'pg_proc'::regclass),
    -- What the last read held and is gone, as set differences: one pass over the user's part
    -- of each catalog instead of an index probe per known object (what the last read held is
    -- the user's: the server's own thousands of functions need not be passed over).
    -- Only when the migration deleted rows of those catalogs, if it is known which it touched.
    CASE WHEN {deleted pg_class} THEN
    ARRAY(SELECT x FROM unnest($2::oid[]) x EXCEPT SELECT c.oid FROM pg_class c WHERE c.oid >= 16384) END,
    CASE WHEN {deleted pg_proc} THEN
    ARRAY(SELECT x FROM unnest($3::oid[]) x EXCEPT SELECT p.oid FROM pg_proc p WHERE p.oid >= 16384) END,
    CASE WHEN {deleted pg_constraint} OR {deleted pg_class} OR {deleted pg_trigger} OR {deleted pg_policy} THEN
    ARRAY(SELECT x FROM unnest($4::oid[]) x
           EXCEPT (SELECT con.oid FROM pg_constraint con WHERE con.oid >= 16384
                   UNION ALL SELECT c.oid FROM pg_class c WHERE c.oid >= 16384
                   UNION ALL SELECT t.oid FROM pg_trigger t WHERE t.oid >= 16384
                   UNION ALL SELECT pol.oid FROM pg_policy pol WHERE pol.oid >= 16384)) END,
    -- Fresh schemas' OIDs and names, in the same order (they are zipped).
    ARRAY(SELECT n.oid FROM pg_namespace n, span WHERE {fresh n} AND {wrote pg_namespace} ORDER BY n.oid),
    ARRAY(SELECT n.nspname::text FROM pg_namespace n, span WHERE {fresh n} AND {wrote pg_namespace} ORDER BY n.oid),
    -- The small kinds (schemas, extensions, types, collations, event triggers, publications,
    -- default privileges) changed: a row of theirs written, or something of theirs depends on
    -- what changed (a publication's table renamed, an event trigger's function renamed).
    EXISTS (SELECT 1 FROM pg_namespace n, span WHERE {fresh n} AND {wrote pg_namespace})
    OR EXISTS (SELECT 1 FROM pg_extension e, span WHERE {fresh e} AND {wrote pg_extension})
    OR EXISTS (SELECT 1 FROM pg_type ty, span WHERE ty.oid >= 16384 AND {fresh ty} AND {wrote pg_type} AND {small type ty})
    OR EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid AND c.relkind = 'c', span
                WHERE a.attrelid >= 16384 AND {fresh a} AND {wrote pg_attribute})
    OR EXISTS (SELECT 1 FROM pg_enum en, span WHERE en.oid >= 16384 AND {fresh en} AND {wrote pg_enum})
    OR EXISTS (SELECT 1 FROM pg_range rg, span WHERE rg.rngtypid >= 16384 AND {fresh rg} AND {wrote pg_range})
    OR EXISTS (SELECT 1 FROM pg_constraint con, span WHERE con.oid >= 16384 AND con.contypid <> 0 AND {fresh con} AND {wrote pg_constraint})
    OR EXISTS (SELECT 1 FROM pg_collation co, span WHERE co.oid >= 16384 AND {fresh co} AND {wrote pg_collation})
    OR EXISTS (SELECT 1 FROM pg_event_trigger et, span WHERE {fresh et} AND {wrote pg_event_trigger})
    OR EXISTS (SELECT 1 FROM pg_publication pb, span WHERE {fresh pb} AND {wrote pg_publication})
    OR EXISTS (SELECT 1 FROM pg_publication_rel pr, span WHERE {fresh pr} AND {wrote pg_publication_rel})
    OR EXISTS (SELECT 1 FROM pg_default_acl da, span WHERE {fresh da} AND {wrote pg_default_acl})
    OR EXISTS (SELECT 1 FROM fresh_desc ds WHERE ds.classoid IN ('pg_namespace'::regclass, 'pg_type'::regclass))
    OR EXISTS (SELECT 1 FROM dependents d
                WHERE d.classid NOT IN ('pg_class'::regclass, 'pg_rewrite'::regclass, 'pg_attrdef'::regclass,
                                        'pg_trigger'::regclass, 'pg_policy'::regclass, 'pg_proc'::regclass)
                  AND NOT (d.classid = 'pg_constraint'::regclass
                           AND EXISTS (SELECT 1 FROM pg_constraint con WHERE con.oid = d.objid AND con.conrelid <> 0))
                  -- A table's own row type goes with the table, and is no type of the model's.
                  AND NOT (d.classid = 'pg_type'::regclass
                           AND EXISTS (SELECT 1 FROM pg_type ty WHERE ty.oid = d.objid AND NOT {small type ty}))),
    -- How many rows the small kinds' catalogs hold: a drop leaves no row to see, only a count.
    -- Only when rows came or went there, if it is known (NULL: as they were).
    CASE WHEN {counted small} THEN {small counts} END,
    {next mark}";

/// The next transaction id to be given out (the next [`Mark`]): read from a snapshot, it takes
/// none (a `txid_current()` would write a commit record of its own, each time). Asked after the
/// last migration committed and before the next starts, it lies between the two.
const NEXT_MARK: &str = "txid_snapshot_xmax(txid_current_snapshot())";

/// Every role's OID and name: a role renamed changes every grant that names it.
pub(super) const ROLES: &str = "SELECT oid, rolname::text FROM pg_roles";

/// How many rows the small kinds' catalogs hold (one `bigint[]`): [`CHANGED`]'s last column,
/// and what [`Inspector::track`] starts from.
const SMALL_COUNTS: &str = "ARRAY[(SELECT count(*) FROM pg_namespace), (SELECT count(*) FROM pg_extension),
          (SELECT count(*) FROM pg_type t WHERE t.oid >= 16384 AND {small type t}),
          (SELECT count(*) FROM pg_enum WHERE oid >= 16384),
          (SELECT count(*) FROM pg_constraint WHERE contypid <> 0), (SELECT count(*) FROM pg_collation WHERE oid >= 16384),
          (SELECT count(*) FROM pg_event_trigger), (SELECT count(*) FROM pg_publication),
          (SELECT count(*) FROM pg_publication_rel), (SELECT count(*) FROM pg_default_acl)]";

/// The catalogs' own OIDs (fixed since PostgreSQL 7) for comments whose object is gone.
const PG_CLASS: Oid = 1259;
const PG_PROC: Oid = 1255;
const PG_CONSTRAINT: Oid = 2606;
const PG_TRIGGER: Oid = 2620;
const PG_POLICY: Oid = 3256;
const PG_NAMESPACE: Oid = 2615;
const PG_TYPE: Oid = 1247;

/// Whether the `pg_type` row `x` is a type the model holds (enum, domain, range, multirange, a
/// composite made by CREATE TYPE): not a table's row type, not an array, not a base type.
const SMALL_TYPE: &str = "(x.typtype IN ('e', 'd', 'r', 'm')
     OR (x.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class xc WHERE xc.oid = x.typrelid AND xc.relkind = 'c')))";

/// [`SMALL_COUNTS`] with each `{small type x}` written out.
fn small_counts_sql() -> String {
    with_small_types(SMALL_COUNTS)
}

/// `sql` with each `{small type x}` written out as [`SMALL_TYPE`] of alias `x`.
fn with_small_types(sql: &str) -> String {
    let mut sql = sql.to_owned();
    while let Some(start) = sql.find("{small type ") {
        let end = start + sql[start..].find('}').expect("a closed placeholder");
        let alias = sql[start + 12..end].to_owned();
        sql.replace_range(start..=end, &SMALL_TYPE.replace("x.", &format!("{alias}.")));
    }
    sql
}

/// [`CHANGED`] with each `{fresh x}` written out: the row's `xmin` is the mark or younger
/// (`age()` counts as the server does, across wraparound; frozen rows are as old as can be).
pub(super) fn changed_sql() -> String {
    let mut sql = with_small_types(&CHANGED.replace("{small counts}", SMALL_COUNTS).replace("{next mark}", NEXT_MARK));
    while let Some(start) = sql.find("{fresh ") {
        let end = start + sql[start..].find('}').expect("a closed placeholder");
        let alias = sql[start + 7..end].to_owned();
        sql.replace_range(start..=end, &format!("age({alias}.xmin) <= span.mark_age"));
    }
    let small: Vec<String> =
        SMALL_CATALOGS.iter().flat_map(|c| [format!("{{wrote {c}}}"), format!("{{deleted {c}}}")]).collect();
    sql = sql.replace("{counted small}", &format!("({})", small.join(" OR ")));
    // `$5`/`$6`: the catalogs the migration wrote/deleted rows of; NULL when unknown. Each test
    // is a constant for the execution, so a part it turns off is never run.
    for (placeholder, param) in [("{wrote ", "$5"), ("{deleted ", "$6")] {
        while let Some(start) = sql.find(placeholder) {
            let end = start + sql[start..].find('}').expect("a closed placeholder");
            let catalog = sql[start + placeholder.len()..end].to_owned();
            // The counts say nothing of a catalog they do not count.
            assert!(
                plumb_pg::SCHEMA_CATALOGS.iter().any(|(name, _)| *name == catalog),
                "{catalog} is not among the counted catalogs"
            );
            sql.replace_range(
                start..=end,
                &format!("({param}::oid[] IS NULL OR '{catalog}'::regclass::oid = ANY ({param}::oid[]))"),
            );
        }
    }
    sql
}

/// The catalogs [`SMALL_COUNTS`] counts rows of.
const SMALL_CATALOGS: [&str; 10] = [
    "pg_namespace",
    "pg_extension",
    "pg_type",
    "pg_enum",
    "pg_constraint",
    "pg_collation",
    "pg_event_trigger",
    "pg_publication",
    "pg_publication_rel",
    "pg_default_acl",
];

impl Inspector {
    /// Reads the whole schema, keeping what a later [`Inspector::refresh`] needs. Nothing may
    /// change the database while it reads: a later refresh looks for changes from its end.
    pub async fn track(&self, conn: &Connection, options: &InspectOptions) -> Result<Tracked, InspectError> {
        let (schema, index) = read(conn, None, Some(&self.queries), options, &Only::default(), self.dedicated).await?;
        let client = conn.client();
        let since = format!("SELECT {}, {NEXT_MARK}", small_counts_sql());
        let (comments, namespaces, roles, since) = tokio::try_join!(
            client.query(&self.comment_keys, &[]),
            client.query("SELECT oid, nspname::text FROM pg_namespace", &[]),
            client.query(&self.roles, &[]),
            client.query_one(&since, &[]),
        )?;
        Ok(Tracked {
            schema,
            options: options.clone(),
            index,
            comments: comment_keys(&comments),
            namespaces: names(&namespaces),
            roles: names(&roles),
            small_counts: since.get(0),
            mark: Mark(since.get(1)),
        })
    }

    /// Brings `tracked` up to date with what changed since it was last read, reading only that
    /// when it can. `writes`, when given, are the catalogs the one transaction since the last
    /// read wrote (its own count, [`plumb_pg::CatalogWrites`]): the others are not looked at.
    /// They are used only when they are the whole story: the transaction they counted is the
    /// first to take an id since the last read (anything else that wrote took one too).
    pub async fn refresh(
        &self,
        conn: &Connection,
        tracked: &mut Tracked,
        writes: Option<&plumb_pg::CatalogWrites>,
    ) -> Result<Change, InspectError> {
        let client = conn.client();
        let known_relations: Vec<Oid> = tracked.index.relations.keys().copied().collect();
        let known_functions: Vec<Oid> = tracked.index.functions.keys().copied().collect();
        let known_parts: Vec<Oid> = tracked.index.parts.keys().copied().collect();
        let writes = writes.filter(|w| w.transaction == tracked.mark.0);
        let written = writes.map(|w| &w.written);
        let deleted = writes.map(|w| &w.deleted);
        let changed: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
            [&tracked.mark.0, &known_relations, &known_functions, &known_parts, &written, &deleted];
        // Sent together: one round trip.
        let (roles, row, comments) = tokio::try_join!(
            client.query(&self.roles, &[]),
            client.query_one(&self.changed, &changed),
            client.query(&self.comment_keys, &[]),
        )?;
        let (roles, comments) = (names(&roles), comment_keys(&comments));
        let renamed_role = roles.iter().any(|(oid, name)| tracked.roles.get(oid).is_some_and(|old| old != name));
        let mut relations: HashSet<Oid> = row.get::<_, Vec<Oid>>(0).into_iter().collect();
        let mut functions: HashSet<Oid> = row.get::<_, Vec<Oid>>(1).into_iter().collect();
        // Gone objects are not looked for when nothing of theirs was deleted (NULL).
        relations.extend(row.get::<_, Option<Vec<Oid>>>(2).unwrap_or_default());
        functions.extend(row.get::<_, Option<Vec<Oid>>>(3).unwrap_or_default());
        for part in row.get::<_, Option<Vec<Oid>>>(4).unwrap_or_default() {
            relations.extend(tracked.index.parts.get(&part));
        }
        let fresh_namespaces: Vec<Oid> = row.get(5);
        let names: Vec<String> = row.get(6);
        // Not counted (NULL) when no row came or went there: as they were.
        let small_counts: Vec<i64> = row.get::<_, Option<Vec<i64>>>(8).unwrap_or_else(|| tracked.small_counts.clone());
        let next_mark = Mark(row.get(9));
        let mut small = row.get::<_, bool>(7) || small_counts != tracked.small_counts;
        let renamed_schema = fresh_namespaces
            .iter()
            .zip(&names)
            .any(|(oid, name)| tracked.namespaces.get(oid).is_some_and(|old| old != name));
        // A comment removed leaves no row behind: held against the keys last read.
        for (class, oid, _) in tracked.comments.difference(&comments) {
            match *class {
                PG_NAMESPACE | PG_TYPE => small = true,
                PG_CLASS if tracked.index.relations.contains_key(oid) => {
                    relations.insert(*oid);
                }
                PG_CLASS | PG_CONSTRAINT | PG_TRIGGER | PG_POLICY => relations.extend(tracked.index.parts.get(oid)),
                PG_PROC => {
                    functions.insert(*oid);
                }
                _ => {}
            }
        }
        if renamed_role || renamed_schema {
            let fresh = self.track(conn, &tracked.options.clone()).await?;
            let after = fresh.schema.clone();
            let before = std::mem::replace(tracked, fresh).schema;
            return Ok(Change { before, after });
        }
        let only = Only {
            relations: Some(relations.iter().copied().collect()),
            functions: Some(functions.iter().copied().collect()),
            small,
        };
        let (partial, found) = read(conn, None, Some(&self.targeted), &tracked.options, &only, self.dedicated).await?;
        let change = tracked.replace(&relations, &functions, partial, found, small);
        tracked.mark = next_mark;
        tracked.small_counts = small_counts;
        tracked.comments = comments;
        for (oid, name) in fresh_namespaces.into_iter().zip(names) {
            tracked.namespaces.insert(oid, name);
        }
        tracked.roles = roles;
        Ok(change)
    }
}

impl Tracked {
    /// Replaces the relations and functions read again (those gone are removed), and, when
    /// `small` says they were read, every small kind, with what `partial` holds; returns what
    /// was replaced, before and after.
    fn replace(
        &mut self,
        relations: &HashSet<Oid>,
        functions: &HashSet<Oid>,
        partial: Schema,
        found: OidIndex,
        small: bool,
    ) -> Change {
        let mut before = Schema::default();
        for oid in relations {
            if let Some((kind, key)) = self.index.relations.remove(oid) {
                match kind {
                    Relation::Table => move_entry(&mut self.schema.tables, &mut before.tables, &key),
                    Relation::View => move_entry(&mut self.schema.views, &mut before.views, &key),
                    Relation::Sequence => move_entry(&mut self.schema.sequences, &mut before.sequences, &key),
                }
            }
        }
        self.index.parts.retain(|_, owner| !relations.contains(owner));
        for oid in functions {
            if let Some(key) = self.index.functions.remove(oid) {
                move_entry(&mut self.schema.functions, &mut before.functions, &key);
            }
        }
        // What was read again under a name that was not among the OIDs (it should not happen:
        // a key is the relation's or function's own) is replaced all the same, so it is part
        // of the change too.
        for key in partial.tables.keys() {
            move_entry(&mut self.schema.tables, &mut before.tables, key);
        }
        for key in partial.views.keys() {
            move_entry(&mut self.schema.views, &mut before.views, key);
        }
        for key in partial.sequences.keys() {
            move_entry(&mut self.schema.sequences, &mut before.sequences, key);
        }
        for key in partial.functions.keys() {
            move_entry(&mut self.schema.functions, &mut before.functions, key);
        }
        let mut after = Schema {
            tables: partial.tables.clone(),
            views: partial.views.clone(),
            sequences: partial.sequences.clone(),
            functions: partial.functions.clone(),
            ..Schema::default()
        };
        self.schema.tables.extend(partial.tables);
        self.schema.views.extend(partial.views);
        self.schema.sequences.extend(partial.sequences);
        self.schema.functions.extend(partial.functions);
        self.index.relations.extend(found.relations);
        self.index.functions.extend(found.functions);
        self.index.parts.extend(found.parts);
        if small {
            let old = &mut self.schema;
            before.schemas = std::mem::replace(&mut old.schemas, partial.schemas);
            before.extensions = std::mem::replace(&mut old.extensions, partial.extensions);
            before.types = std::mem::replace(&mut old.types, partial.types);
            before.collations = std::mem::replace(&mut old.collations, partial.collations);
            before.event_triggers = std::mem::replace(&mut old.event_triggers, partial.event_triggers);
            before.publications = std::mem::replace(&mut old.publications, partial.publications);
            before.default_privileges = std::mem::replace(&mut old.default_privileges, partial.default_privileges);
            after.schemas = old.schemas.clone();
            after.extensions = old.extensions.clone();
            after.types = old.types.clone();
            after.collations = old.collations.clone();
            after.event_triggers = old.event_triggers.clone();
            after.publications = old.publications.clone();
            after.default_privileges = old.default_privileges.clone();
        }
        Change { before, after }
    }
}

/// Moves the entry `key` (when there is one) from `from` to `to`.
fn move_entry<T>(from: &mut BTreeMap<String, T>, to: &mut BTreeMap<String, T>, key: &str) {
    if let Some(value) = from.remove(key) {
        to.insert(key.to_owned(), value);
    }
}

/// Every comment's key, for telling which were removed.
pub(super) fn comment_keys_sql() -> String {
    format!("SELECT classoid, objoid, objsubid FROM ({}) ds", super::database::USER_COMMENTS)
}

/// The keys read by [`comment_keys_sql`].
fn comment_keys(rows: &[tokio_postgres::Row]) -> HashSet<(Oid, Oid, i32)> {
    rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect()
}

/// OIDs and names (of schemas, of roles).
fn names(rows: &[tokio_postgres::Row]) -> HashMap<Oid, String> {
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_placeholder_is_written_out() {
        let sql = super::changed_sql();
        assert!(!sql.contains("{fresh") && !sql.contains("{small"), "{sql}");
        assert!(!super::small_counts_sql().contains("{small"));
        assert!(sql.contains("age(c.xmin) <= span.mark_age"), "{sql}");
        assert!(!sql.contains("{wrote") && !sql.contains("{deleted") && !sql.contains("{counted"), "{sql}");
    }

    /// Whether the small kinds' counts need reading again is told by the catalogs they count:
    /// the list names exactly the catalogs the counting query reads.
    #[test]
    fn the_small_catalogs_are_the_ones_counted() {
        let mut counted: Vec<&str> = super::SMALL_COUNTS
            .split("FROM ")
            .skip(1)
            .map(|rest| rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap())
            .collect();
        counted.sort_unstable();
        let mut listed = super::SMALL_CATALOGS.to_vec();
        listed.sort_unstable();
        assert_eq!(counted, listed);
    }
}
