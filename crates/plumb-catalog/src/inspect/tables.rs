//! Tables with their columns, keys, indexes, triggers and policies: the queries for tables,
//! columns, triggers and policies, and the assembly of all of a table's parts by OID (which
//! never leaves this module).

use std::collections::{BTreeMap, HashMap};

use plumb_model::*;
use tokio_postgres::Row;
use tokio_postgres::types::Oid;

use super::keys::{RawConstraint, RawIndex};
use super::{Comments, NO_GRANTS, acl, class, collation_name, grants, only, rel_filter};

pub(super) fn tables(targeted: bool) -> String {
    let only = only("c.oid", targeted);
    let rel_filter = rel_filter();
    format!(
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
          WHERE c.relkind IN ('r', 'p') AND {rel_filter} AND {only}",
        acl("c.relacl", "c.relowner", NO_GRANTS)
    )
}

pub(super) fn columns(targeted: bool) -> String {
    // Also the columns a foreign key of a table read points at: the key names them.
    let only = if targeted {
        "a.attrelid = ANY ($3::oid[] || ARRAY(SELECT con.confrelid FROM pg_constraint con
                                               WHERE con.contype = 'f' AND con.conrelid = ANY ($3::oid[])))"
            .to_owned()
    } else {
        only("a.attrelid", false)
    };
    let rel_filter = rel_filter();
    format!(
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
          WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND {rel_filter} AND {only}",
        collation_name("a.attcollation"),
        acl("a.attacl", "c.relowner", NO_GRANTS)
    )
}

pub(super) fn triggers(targeted: bool) -> String {
    let only = only("t.tgrelid", targeted);
    let rel_filter = rel_filter();
    format!(
        "SELECT t.tgrelid, quote_ident(t.tgname), pg_get_triggerdef(t.oid), t.tgenabled::text,
                t.tgparentid <> 0, t.oid
           FROM pg_trigger t
           JOIN pg_class c ON c.oid = t.tgrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE NOT t.tgisinternal AND c.relkind IN ('r', 'p') AND {rel_filter} AND {only}"
    )
}

pub(super) fn policies(targeted: bool) -> String {
    let only = only("pol.polrelid", targeted);
    let rel_filter = rel_filter();
    format!(
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
          WHERE {rel_filter} AND {only}"
    )
}

pub(super) fn column_from_row(r: &Row) -> (Oid, i16, Column) {
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

/// The rows of every relation-level query.
pub(super) struct Rows {
    pub tables: Vec<Row>,
    pub columns: Vec<(Oid, i16, Column)>,
    pub constraints: Vec<RawConstraint>,
    pub indexes: Vec<RawIndex>,
    pub triggers: Vec<Row>,
    pub policies: Vec<Row>,
}

/// Column names by (relation, attribute number), for keys and indexes that list numbers.
#[derive(Default)]
pub(super) struct ColumnNames(HashMap<(Oid, i16), String>);

impl ColumnNames {
    fn names_of(&self, relid: Oid, attnums: &[i16]) -> Vec<String> {
        attnums.iter().map(|n| self.0.get(&(relid, *n)).cloned().unwrap_or_default()).collect()
    }

    /// A materialized view's columns (numbered without gaps), for its indexes.
    pub(super) fn add_view(&mut self, relid: Oid, columns: Vec<String>) {
        for (i, name) in columns.into_iter().enumerate() {
            self.0.insert((relid, i as i16 + 1), name);
        }
    }
}

/// Every table with its parts, into `schema`; the indexes of relations that are not tables
/// (materialized views) come back by relation.
pub(super) fn assemble(
    schema: &mut Schema,
    rows: Rows,
    mut names: ColumnNames,
    comments: &Comments,
) -> HashMap<Oid, Vec<Index>> {
    let mut by_oid: HashMap<Oid, Table> = rows.tables.iter().map(|r| (r.get(0), table(r, comments))).collect();
    // Columns arrive unordered; attribute numbers put them in place and name keys below.
    let mut numbered: HashMap<Oid, Vec<(i16, Column)>> = HashMap::with_capacity(by_oid.len());
    for (relid, attnum, mut column) in rows.columns {
        // Every column read names keys, also those of tables not read but pointed at.
        names.0.insert((relid, attnum), column.name.clone());
        if !by_oid.contains_key(&relid) {
            continue;
        }
        column.comment = comments.of(class::RELATION, relid, attnum.into());
        numbered.entry(relid).or_default().push((attnum, column));
    }
    for (relid, mut cols) in numbered {
        cols.sort_by_key(|(attnum, _)| *attnum);
        if let Some(table) = by_oid.get_mut(&relid) {
            table.columns = cols.into_iter().map(|(_, c)| c).collect();
        }
    }
    let names_of = |relid: Oid, attnums: &[i16]| names.names_of(relid, attnums);
    for raw in rows.constraints {
        if let Some(table) = by_oid.get_mut(&raw.relid) {
            let c = raw.into_constraint(names_of, comments);
            table.constraints.insert(c.name.clone(), c);
        }
    }
    let mut other_indexes: HashMap<Oid, Vec<Index>> = HashMap::new();
    for raw in rows.indexes {
        let relid = raw.relid;
        let index = raw.into_index(names_of, comments);
        match by_oid.get_mut(&relid) {
            Some(table) => {
                table.indexes.insert(index.name.clone(), index);
            }
            None => other_indexes.entry(relid).or_default().push(index),
        }
    }
    for r in &rows.triggers {
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
    for r in &rows.policies {
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
    other_indexes
}

/// A table row of [`tables`], its parts still empty.
fn table(r: &Row, comments: &Comments) -> Table {
    let kind: String = r.get(3);
    let parent: Option<String> = r.get(8);
    let bound: Option<String> = r.get(9);
    let mut options: Vec<String> = r.get(11);
    options.sort();
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
    }
}
