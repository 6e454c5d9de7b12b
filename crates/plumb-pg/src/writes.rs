//! Which system catalogs a transaction wrote, as its own statistics counted them.
//!
//! A replay reads the shadow's catalog after every migration, and finding what changed means
//! passing over each catalog's rows for young `xmin`s: no index finds rows by `xmin`, so that
//! costs the size of the schema, per migration. The server already counts, per transaction,
//! the rows each table had inserted, updated and deleted (`pg_stat_get_xact_tuples_*`, in the
//! backend): read around the migration, they say which catalogs it touched at all, and the
//! rest need not be looked at.
//!
//! The counts are the backend's, kept until it next reports them (between transactions, once a
//! second or so): they may hold earlier transactions' too. So they are read twice, after BEGIN
//! and before COMMIT, and what grew in between is the transaction's ([`CatalogWrites::between`]);
//! no report happens inside a transaction block. [`CatalogWrites::transaction`] says which
//! transaction, so a reader can tell whether it is the whole story since it last looked (a
//! migration that committed midway, or anything else that wrote in between, took an id too).

use tokio_postgres::types::Oid;

/// The catalogs that hold what a schema is made of, by name and OID (fixed since PostgreSQL 9:
/// `pg_class` is 1259 on every server): the ones [`CATALOG_COUNTS_SQL`] counts. A reader may
/// trust [`CatalogWrites`] only about these.
pub const SCHEMA_CATALOGS: [(&str, Oid); 23] = [
    ("pg_type", 1247),
    ("pg_attribute", 1249),
    ("pg_proc", 1255),
    ("pg_class", 1259),
    ("pg_attrdef", 2604),
    ("pg_constraint", 2606),
    ("pg_depend", 2608),
    ("pg_description", 2609),
    ("pg_index", 2610),
    ("pg_inherits", 2611),
    ("pg_rewrite", 2618),
    ("pg_trigger", 2620),
    ("pg_namespace", 2615),
    ("pg_sequence", 2224),
    ("pg_default_acl", 826),
    ("pg_policy", 3256),
    ("pg_collation", 3456),
    ("pg_event_trigger", 3466),
    ("pg_enum", 3501),
    ("pg_range", 3541),
    ("pg_extension", 3079),
    ("pg_publication", 6104),
    ("pg_publication_rel", 6106),
];

/// The transaction's id (which it takes, if it had none), whether the server counts at all
/// (`track_counts`), and for each of [`SCHEMA_CATALOGS`] with a count: its OID, rows inserted
/// or updated, rows deleted. (A list, not a pass over pg_class: this runs twice per migration.)
pub const CATALOG_COUNTS_SQL: &str = "SELECT txid_current(), current_setting('track_counts')::bool,
       array_agg(x.c ORDER BY x.c), array_agg(x.written ORDER BY x.c), array_agg(x.deleted ORDER BY x.c)
  FROM (SELECT c, pg_catalog.pg_stat_get_xact_tuples_inserted(c) + pg_catalog.pg_stat_get_xact_tuples_updated(c) AS written,
               pg_catalog.pg_stat_get_xact_tuples_deleted(c) AS deleted
          FROM unnest('{1247,1249,1255,1259,2604,2606,2608,2609,2610,2611,2618,2620,2615,2224,826,3256,3456,3466,3501,3541,3079,6104,6106}'::oid[]) c) x
 WHERE x.written > 0 OR x.deleted > 0";

/// What [`CATALOG_COUNTS_SQL`] read at one point of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogCounts {
    transaction: i64,
    /// `(catalog, rows inserted or updated, rows deleted)`, by catalog.
    counts: Vec<(Oid, i64, i64)>,
}

impl CatalogCounts {
    /// Reads [`CATALOG_COUNTS_SQL`]'s row as the simple-query protocol returns it (text);
    /// `None` when the server does not count (`track_counts` off: every count is zero) or the
    /// row is not what was asked.
    pub fn from_text_row(row: &tokio_postgres::SimpleQueryRow) -> Option<CatalogCounts> {
        // Any other row (one with fewer columns would make `get` panic) is not this one.
        let column = |i: usize| row.try_get(i).ok().flatten();
        if row.len() != 5 || column(1)? != "t" {
            return None;
        }
        let transaction = column(0)?.parse().ok()?;
        // No catalog counted: array_agg of nothing is NULL.
        let (oids, written, deleted) = match (column(2), column(3), column(4)) {
            (Some(o), Some(w), Some(d)) => (numbers::<Oid>(o)?, numbers::<i64>(w)?, numbers::<i64>(d)?),
            (None, None, None) => (Vec::new(), Vec::new(), Vec::new()),
            _ => return None,
        };
        if oids.len() != written.len() || oids.len() != deleted.len() {
            return None;
        }
        let counts = oids.into_iter().zip(written).zip(deleted).map(|((o, w), d)| (o, w, d)).collect();
        Some(CatalogCounts { transaction, counts })
    }
}

/// The catalogs one transaction wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogWrites {
    /// The transaction's id (with epoch, as `txid_current()` gives it).
    pub transaction: i64,
    /// Catalogs with rows inserted or updated.
    pub written: Vec<Oid>,
    /// Catalogs with rows deleted.
    pub deleted: Vec<Oid>,
}

impl CatalogWrites {
    /// What grew from `start` (read after BEGIN) to `end` (read before COMMIT); `None` unless
    /// both were read in the same transaction.
    pub fn between(start: &CatalogCounts, end: &CatalogCounts) -> Option<CatalogWrites> {
        if start.transaction != end.transaction {
            return None;
        }
        let before = |oid: Oid| start.counts.iter().find(|c| c.0 == oid).map_or((0, 0), |c| (c.1, c.2));
        let (mut written, mut deleted) = (Vec::new(), Vec::new());
        for &(oid, w, d) in &end.counts {
            let (w0, d0) = before(oid);
            if w > w0 {
                written.push(oid);
            }
            if d > d0 {
                deleted.push(oid);
            }
        }
        Some(CatalogWrites { transaction: end.transaction, written, deleted })
    }
}

/// `{1259,1249}` as numbers.
fn numbers<T: std::str::FromStr>(text: &str) -> Option<Vec<T>> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    inner.split(',').map(|n| n.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::{CATALOG_COUNTS_SQL, CatalogCounts, CatalogWrites, SCHEMA_CATALOGS, numbers};

    /// The query counts exactly the catalogs the list names.
    #[test]
    fn the_counted_catalogs_are_the_listed_ones() {
        let list: Vec<String> = SCHEMA_CATALOGS.iter().map(|(_, oid)| oid.to_string()).collect();
        assert!(CATALOG_COUNTS_SQL.contains(&format!("'{{{}}}'::oid[]", list.join(","))));
    }

    #[test]
    fn arrays_read_as_the_server_prints_them() {
        assert_eq!(numbers::<u32>("{}"), Some(vec![]));
        assert_eq!(numbers::<u32>("{1259,1249}"), Some(vec![1259, 1249]));
        assert_eq!(numbers::<u32>("{1259,x}"), None);
        assert_eq!(numbers::<u32>("1259"), None);
    }

    /// Counts the backend kept from earlier transactions are not this one's writes: only what
    /// grew is.
    #[test]
    fn writes_are_what_grew_within_the_transaction() {
        let start = CatalogCounts { transaction: 7, counts: vec![(1259, 4, 1), (1249, 9, 0)] };
        let end = CatalogCounts { transaction: 7, counts: vec![(1247, 2, 0), (1259, 4, 2), (1249, 12, 0)] };
        let writes = CatalogWrites::between(&start, &end).unwrap();
        assert_eq!(writes, CatalogWrites { transaction: 7, written: vec![1247, 1249], deleted: vec![1259] });
        let other = CatalogCounts { transaction: 8, ..end };
        assert_eq!(CatalogWrites::between(&start, &other), None, "two transactions: nothing is known");
    }
}
