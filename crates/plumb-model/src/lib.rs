//! The normalized catalog: plain data that knows nothing about how it was read (the
//! inspector in `plumb-catalog` fills it; `plumb-diff` compares two). No OIDs; names as written in SQL, quoted by the
//! server's own `quote_ident` where needed; maps keyed by qualified name, so
//! that the same database always gives the same value, and the same bytes when
//! serialized.
//!
//! In JSON, empty values are left out: a missing field means `null`, `false`, `[]` or `{}`.
//!
//! Definitions that PostgreSQL renders canonically (`pg_get_indexdef`,
//! `pg_get_constraintdef`, `pg_get_viewdef`, `pg_get_functiondef`,
//! `pg_get_triggerdef`, `pg_get_expr`) are kept as PostgreSQL renders them:
//! two catalogs are equal exactly when the server would print them alike.
#![deny(missing_docs)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A whole database's user-defined schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Schemas (namespaces), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub schemas: BTreeMap<String, Namespace>,
    /// Installed extensions, by name. Their member objects are not listed elsewhere.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, Extension>,
    /// Enum, domain, composite and range types, by qualified name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<String, TypeDef>,
    /// Sequences not owned by an identity column, by qualified name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sequences: BTreeMap<String, Sequence>,
    /// Tables (ordinary and partitioned), by qualified name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, Table>,
    /// Views and materialized views, by qualified name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub views: BTreeMap<String, View>,
    /// Functions and procedures, by qualified name with identity arguments: `public.f(integer)`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<String, Function>,
    /// Collations, by qualified name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub collations: BTreeMap<String, Collation>,
    /// Event triggers, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub event_triggers: BTreeMap<String, EventTrigger>,
    /// Publications, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub publications: BTreeMap<String, Publication>,
    /// `ALTER DEFAULT PRIVILEGES` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_privileges: Vec<DefaultPrivilege>,
}

impl Schema {
    /// What a freshly created database of this major version contains: schema
    /// `public` and PL/pgSQL. The baseline that `plumb inspect --sql` and diffs
    /// against "nothing" start from.
    pub fn new_database(server_major: u32) -> Schema {
        let mut schema = Schema::default();
        // PostgreSQL 15 stopped granting CREATE on public to everyone.
        let public_privileges = if server_major >= 15 { vec!["USAGE"] } else { vec!["CREATE", "USAGE"] };
        schema.schemas.insert(
            "public".into(),
            Namespace {
                name: "public".into(),
                comment: Some("standard public schema".into()),
                privileges: vec![Grant {
                    grantee: "PUBLIC".into(),
                    privileges: public_privileges.into_iter().map(String::from).collect(),
                    grantable: Vec::new(),
                }],
            },
        );
        schema.extensions.insert(
            "plpgsql".into(),
            Extension { name: "plpgsql".into(), schema: "pg_catalog".into(), version: "1.0".into() },
        );
        schema
    }
}

/// A schema (namespace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    /// Its name, quoted as needed.
    pub name: String,
    /// `COMMENT ON SCHEMA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Granted privileges (see [`Grant`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Grant>,
}

/// An installed extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// Its name.
    pub name: String,
    /// The schema its objects live in.
    pub schema: String,
    /// Installed version.
    pub version: String,
}

/// A privilege granted on an object: `grantee` has `privileges` (SQL keywords, sorted),
/// some `WITH GRANT OPTION`. Grants to the object's owner are left out: ownership differs
/// between environments and implies them anyway.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grant {
    /// Role name (quoted as needed), or `PUBLIC`.
    pub grantee: String,
    /// E.g. `["INSERT", "SELECT"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<String>,
    /// The subset granted WITH GRANT OPTION.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grantable: Vec<String>,
}

/// A user-defined type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDef {
    /// Schema, quoted as needed.
    pub schema: String,
    /// Name, quoted as needed.
    pub name: String,
    /// What kind of type, with its definition.
    pub kind: TypeKind,
    /// `COMMENT ON TYPE`/`DOMAIN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Granted privileges (USAGE).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Grant>,
}

/// The definition of a user-defined type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TypeKind {
    /// `CREATE TYPE ... AS ENUM`, labels in sort order.
    Enum {
        /// Labels, in order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        labels: Vec<String>,
    },
    /// `CREATE DOMAIN`.
    Domain {
        /// Base type as `format_type` prints it.
        base_type: String,
        /// Non-default collation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collation: Option<String>,
        /// Default expression.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<String>,
        /// `NOT NULL`.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        not_null: bool,
        /// CHECK constraints: name → definition.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        checks: BTreeMap<String, String>,
    },
    /// `CREATE TYPE ... AS (...)`.
    Composite {
        /// Attributes in order: (name, type).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attributes: Vec<(String, String)>,
    },
    /// `CREATE TYPE ... AS RANGE`.
    Range {
        /// Subtype.
        subtype: String,
        /// Non-default subtype operator class.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subtype_opclass: Option<String>,
        /// Non-default collation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collation: Option<String>,
        /// Canonical function.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        canonical: Option<String>,
        /// Subtype difference function.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subtype_diff: Option<String>,
    },
}

/// A sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// `AS` type.
    pub data_type: String,
    /// `START WITH`.
    pub start: i64,
    /// `INCREMENT BY`.
    pub increment: i64,
    /// `MINVALUE`.
    pub min_value: i64,
    /// `MAXVALUE`.
    pub max_value: i64,
    /// `CACHE`.
    pub cache: i64,
    /// `CYCLE`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cycle: bool,
    /// `OWNED BY table.column` (qualified table, column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<(String, String)>,
    /// `COMMENT ON SEQUENCE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Granted privileges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Grant>,
}

/// Ordinary or partitioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// A heap table.
    Ordinary,
    /// `PARTITION BY`.
    Partitioned,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// Ordinary or partitioned.
    pub kind: TableKind,
    /// `UNLOGGED`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unlogged: bool,
    /// Columns in their physical order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<Column>,
    /// Constraints other than NOT NULL, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub constraints: BTreeMap<String, Constraint>,
    /// Indexes that do not back a constraint, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub indexes: BTreeMap<String, Index>,
    /// Triggers (user-defined, including constraint triggers), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub triggers: BTreeMap<String, Trigger>,
    /// Row-level security policies, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, Policy>,
    /// `ENABLE ROW LEVEL SECURITY`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rls_enabled: bool,
    /// `FORCE ROW LEVEL SECURITY`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rls_forced: bool,
    /// `PARTITION BY ...` clause (partitioned tables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_key: Option<String>,
    /// `PARTITION OF parent FOR VALUES ...` (partitions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<PartitionOf>,
    /// `INHERITS (...)` parents (not partitioning), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherits: Vec<String>,
    /// Storage parameters (`WITH (...)`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// `COMMENT ON TABLE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Granted privileges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Grant>,
}

impl Table {
    /// The qualified name.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Where a partition hangs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionOf {
    /// The partitioned table, qualified.
    pub parent: String,
    /// `FOR VALUES ...` or `DEFAULT`.
    pub bound: String,
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Name.
    pub name: String,
    /// Type as `format_type` prints it, e.g. `character varying(36)`.
    pub data_type: String,
    /// Collation, when not the type's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// Default expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `NOT NULL`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_null: bool,
    /// `GENERATED ... AS IDENTITY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// `GENERATED ALWAYS AS (expr) STORED`: the expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    /// Storage, when not the type's default (`plain`, `external`, `extended`, `main`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// Inherited from a parent or partitioned table rather than declared here.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inherited: bool,
    /// `COMMENT ON COLUMN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Column-level privileges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Grant>,
}

/// Identity column kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// `GENERATED ALWAYS AS IDENTITY`.
    Always,
    /// `GENERATED BY DEFAULT AS IDENTITY`.
    ByDefault,
}

/// Constraint kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    /// `PRIMARY KEY`.
    PrimaryKey,
    /// `UNIQUE`.
    Unique,
    /// `CHECK`.
    Check,
    /// `EXCLUDE`.
    Exclusion,
    /// `FOREIGN KEY`.
    ForeignKey,
}

/// A table constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: ConstraintKind,
    /// `pg_get_constraintdef`: everything after `CONSTRAINT name`, flags such as
    /// `NOT VALID`, `NO INHERIT` and `DEFERRABLE` included.
    pub definition: String,
    /// Constrained columns, in key order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// Foreign keys: the referenced table (qualified) and columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<(String, Vec<String>)>,
    /// `NOT VALID` (existing rows not checked).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_valid: bool,
    /// Inherited from a parent or partitioned table.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inherited: bool,
    /// `COMMENT ON CONSTRAINT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An index that does not back a constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Name.
    pub name: String,
    /// `pg_get_indexdef`: the full `CREATE INDEX` statement.
    pub definition: String,
    /// Key columns (expressions show as empty strings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// `UNIQUE`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    /// False when a failed `CREATE INDEX CONCURRENTLY` left it unusable.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub valid: bool,
    /// Attached to an index of the partitioned parent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inherited: bool,
    /// `COMMENT ON INDEX`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// Name.
    pub name: String,
    /// `pg_get_triggerdef`: the full `CREATE [CONSTRAINT] TRIGGER` statement.
    pub definition: String,
    /// `O` origin (enabled), `D` disabled, `R` replica, `A` always.
    pub enabled: String,
    /// Cloned from the partitioned parent's trigger.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inherited: bool,
    /// `COMMENT ON TRIGGER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A row-level security policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Name.
    pub name: String,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// `PERMISSIVE` (true) or `RESTRICTIVE`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub permissive: bool,
    /// Roles it applies to (`PUBLIC` when none), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// `USING (...)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    /// `WITH CHECK (...)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_check: Option<String>,
    /// `COMMENT ON POLICY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A view or materialized view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// `MATERIALIZED`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub materialized: bool,
    /// `pg_get_viewdef`: the query.
    pub definition: String,
    /// Column names, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// `WITH (...)` options (`security_barrier`, `check_option`, ...), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Relations (qualified) the query reads, sorted: views are created after them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Indexes (materialized views), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub indexes: BTreeMap<String, Index>,
    /// `COMMENT ON VIEW`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Granted privileges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Grant>,
}

/// A function or procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// Identity arguments, e.g. `integer, text`.
    pub arguments: String,
    /// `function` or `procedure`.
    pub kind: String,
    /// Result type (functions), e.g. `trigger`, `SETOF integer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<String>,
    /// Language name.
    pub language: String,
    /// `immutable`, `stable` or `volatile`.
    pub volatility: String,
    /// `STRICT`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// `safe`, `restricted` or `unsafe`.
    pub parallel: String,
    /// `SECURITY DEFINER`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub security_definer: bool,
    /// `SET name = value` clauses (e.g. `search_path=public`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<String>,
    /// `pg_get_functiondef`: the full `CREATE OR REPLACE` statement.
    pub definition: String,
    /// `COMMENT ON FUNCTION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Granted privileges (EXECUTE).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Grant>,
}

impl Function {
    /// `schema.name(arguments)`, the key in [`Schema::functions`].
    pub fn signature(&self) -> String {
        format!("{}.{}({})", self.schema, self.name, self.arguments)
    }
}

/// A collation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collation {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// `libc`, `icu` or `builtin`.
    pub provider: String,
    /// Locale (for ICU and builtin) or `LC_COLLATE` (libc).
    pub locale: String,
    /// `DETERMINISTIC`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deterministic: bool,
}

/// An event trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTrigger {
    /// Name.
    pub name: String,
    /// `ddl_command_start`, `ddl_command_end`, `sql_drop`, `table_rewrite`, `login`.
    pub event: String,
    /// The function it calls (qualified).
    pub function: String,
    /// `WHEN TAG IN (...)`, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `O`, `D`, `R` or `A`, as for triggers.
    pub enabled: String,
}

/// A publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    /// Name.
    pub name: String,
    /// `FOR ALL TABLES`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_tables: bool,
    /// Published tables (qualified), sorted, when not all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<String>,
    /// Published operations: `insert`, `update`, `delete`, `truncate`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<String>,
}

/// One `ALTER DEFAULT PRIVILEGES` entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DefaultPrivilege {
    /// `FOR ROLE`.
    pub role: String,
    /// `IN SCHEMA`, if limited to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// `TABLES`, `SEQUENCES`, `FUNCTIONS`, `TYPES` or `SCHEMAS`.
    pub object_type: String,
    /// What is granted.
    pub grant: Grant,
}
