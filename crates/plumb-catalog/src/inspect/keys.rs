//! Constraints and indexes of tables (and materialized views): their queries, and their rows
//! turned into the model once the table's column numbers can be named.

use plumb_model::*;
use tokio_postgres::Row;
use tokio_postgres::types::Oid;

use super::{Comments, NS_FILTER, class, only, rel_filter};

/// Which primary and unique keys plumb renders itself: plain columns and the usual flags;
/// anything beyond is left to the server.
fn simple_constraint(major: u32) -> String {
    let mut simple = "(con.contype IN ('p', 'u') AND ci.indnatts = ci.indnkeyatts AND cic.reloptions IS NULL
          AND cic.reltablespace = 0) OR con.contype = 'f'"
        .to_owned();
    if major >= 15 {
        simple = format!("({simple}) AND coalesce(cardinality(con.confdelsetcols), 0) = 0");
    }
    if major >= 18 {
        simple = format!("({simple}) AND NOT con.conperiod AND con.conenforced");
    }
    simple
}

/// Primary keys, unique keys and foreign keys are rendered by plumb from the catalog
/// columns (pg_get_constraintdef is a large share of the cost on big schemas); checks,
/// exclusions and anything unusual keep PostgreSQL's own rendering.
pub(super) fn constraints(major: u32, targeted: bool) -> String {
    let only = only("con.conrelid", targeted);
    let rel_filter = rel_filter();
    let simple_constraint = simple_constraint(major);
    format!(
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
            AND c.relkind IN ('r', 'p') AND {rel_filter} AND {only}",
        simple_constraint = simple_constraint,
        ref_in_scope = NS_FILTER.replace("n.nspname", "fn.nspname"),
        nulls_not_distinct = if major >= 15 { "coalesce(ci.indnullsnotdistinct, false)" } else { "false" },
        check_enforced = if major >= 18 { "AND con.conenforced" } else { "" },
    )
}

/// Likewise plain indexes (columns only, default operator classes and collations):
/// pg_get_indexdef is the single largest cost of reading a big catalog.
pub(super) fn indexes(major: u32, targeted: bool) -> String {
    let only = only("i.indrelid", targeted);
    let rel_filter = rel_filter();
    format!(
        "SELECT i.indrelid, quote_ident(ic.relname),
                -- Plain: no expressions, default operator classes, default collations on
                -- tables whose columns all use the default collation.
                CASE WHEN c.relkind <> 'm' AND NOT (0 = ANY (i.indkey::int2[])) AND ic.reloptions IS NULL
                          AND ic.reltablespace = 0
                          AND NOT (i.indclass::oid[] && ARRAY(SELECT oc.oid FROM pg_opclass oc WHERE NOT oc.opcdefault))
                          AND i.indcollation::oid[] <@ '{{0,100}}'::oid[]
                          AND NOT EXISTS (SELECT 1 FROM pg_attribute ca
                                           WHERE ca.attrelid = i.indrelid AND ca.attnum > 0
                                             AND ca.attcollation NOT IN (0, 100))
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
          WHERE c.relkind IN ('r', 'p', 'm') AND {rel_filter} AND {only}
            AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                               AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))",
        index_nulls_not_distinct = if major >= 15 { "i.indnullsnotdistinct" } else { "false" },
    )
}

/// A constraint row before its column numbers are named.
pub(super) struct RawConstraint {
    pub(super) relid: Oid,
    pub(super) oid: Oid,
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
    pub(super) fn from_row(r: &Row) -> RawConstraint {
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
pub(super) struct RawIndex {
    pub(super) relid: Oid,
    pub(super) oid: Oid,
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
    pub(super) fn from_row(r: &Row) -> RawIndex {
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

impl RawConstraint {
    /// The model's constraint, its columns named by `names_of`.
    pub(super) fn into_constraint(
        self,
        names_of: impl Fn(Oid, &[i16]) -> Vec<String>,
        comments: &Comments,
    ) -> Constraint {
        let columns = names_of(self.relid, &self.conkey);
        let ref_columns = names_of(self.confrelid, &self.confkey);
        let definition = match self.definition {
            Some(server_rendered) => server_rendered,
            None => render_key(&KeyParts {
                kind: self.kind,
                columns: &columns,
                ref_table: self.ref_table.as_deref().unwrap_or_default(),
                ref_columns: &ref_columns,
                deferrable: self.deferrable,
                deferred: self.deferred,
                on_update: self.on_update,
                on_delete: self.on_delete,
                match_type: self.match_type,
                nulls_not_distinct: self.nulls_not_distinct,
                not_valid: self.not_valid,
            }),
        };
        Constraint {
            name: self.name,
            kind: self.kind,
            definition,
            columns,
            references: self.ref_table.map(|t| (t, ref_columns)),
            not_valid: self.not_valid,
            inherited: self.inherited,
            comment: comments.of(class::CONSTRAINT, self.oid, 0),
        }
    }
}

impl RawIndex {
    /// The model's index, its columns named by `names_of`.
    pub(super) fn into_index(self, names_of: impl Fn(Oid, &[i16]) -> Vec<String>, comments: &Comments) -> Index {
        let key_count = self.key_count.min(self.indkey.len());
        let columns = names_of(self.relid, &self.indkey[..key_count]);
        let definition = match self.definition {
            Some(server_rendered) => server_rendered,
            None => render_index(&IndexParts {
                name: &self.name,
                table: &self.table,
                partitioned: self.partitioned,
                method: &self.method,
                unique: self.unique,
                keys: &columns,
                options: &self.options,
                include: &names_of(self.relid, &self.indkey[key_count..]),
                nulls_not_distinct: self.nulls_not_distinct,
                predicate: self.predicate.as_deref(),
            }),
        };
        Index {
            name: self.name,
            definition,
            columns,
            unique: self.unique,
            valid: self.valid,
            inherited: self.inherited,
            comment: comments.of(class::RELATION, self.oid, 0),
        }
    }
}
