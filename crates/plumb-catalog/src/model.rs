//! The normalized catalog. No OIDs; names as written in SQL, quoted by the
//! server's own `quote_ident` where needed; maps keyed by qualified name, so
//! that the same database always gives the same value, and the same bytes when
//! serialized.
//!
//! Definitions that PostgreSQL renders canonically (`pg_get_indexdef`,
//! `pg_get_constraintdef`, `pg_get_viewdef`, `pg_get_functiondef`,
//! `pg_get_triggerdef`, `pg_get_expr`) are kept as PostgreSQL renders them:
//! two catalogs are equal exactly when the server would print them alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A whole database's user-defined schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Schemas (namespaces), by name.
    pub schemas: BTreeMap<String, Namespace>,
    /// Installed extensions, by name. Their member objects are not listed elsewhere.
    pub extensions: BTreeMap<String, Extension>,
    /// Enum, domain, composite and range types, by qualified name.
    pub types: BTreeMap<String, TypeDef>,
    /// Sequences not owned by an identity column, by qualified name.
    pub sequences: BTreeMap<String, Sequence>,
    /// Tables (ordinary and partitioned), by qualified name.
    pub tables: BTreeMap<String, Table>,
    /// Views and materialized views, by qualified name.
    pub views: BTreeMap<String, View>,
    /// Functions and procedures, by qualified name with identity arguments: `public.f(integer)`.
    pub functions: BTreeMap<String, Function>,
    /// Collations, by qualified name.
    pub collations: BTreeMap<String, Collation>,
    /// Event triggers, by name.
    pub event_triggers: BTreeMap<String, EventTrigger>,
    /// Publications, by name.
    pub publications: BTreeMap<String, Publication>,
    /// `ALTER DEFAULT PRIVILEGES` entries.
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
    pub comment: Option<String>,
    /// Granted privileges (see [`Grant`]).
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
    pub privileges: Vec<String>,
    /// The subset granted WITH GRANT OPTION.
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
    pub comment: Option<String>,
    /// Granted privileges (USAGE).
    pub privileges: Vec<Grant>,
}

/// The definition of a user-defined type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TypeKind {
    /// `CREATE TYPE ... AS ENUM`, labels in sort order.
    Enum {
        /// Labels, in order.
        labels: Vec<String>,
    },
    /// `CREATE DOMAIN`.
    Domain {
        /// Base type as `format_type` prints it.
        base_type: String,
        /// Non-default collation.
        collation: Option<String>,
        /// Default expression.
        default: Option<String>,
        /// `NOT NULL`.
        not_null: bool,
        /// CHECK constraints: name → definition.
        checks: BTreeMap<String, String>,
    },
    /// `CREATE TYPE ... AS (...)`.
    Composite {
        /// Attributes in order: (name, type).
        attributes: Vec<(String, String)>,
    },
    /// `CREATE TYPE ... AS RANGE`.
    Range {
        /// Subtype.
        subtype: String,
        /// Non-default subtype operator class.
        subtype_opclass: Option<String>,
        /// Non-default collation.
        collation: Option<String>,
        /// Canonical function.
        canonical: Option<String>,
        /// Subtype difference function.
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
    pub cycle: bool,
    /// `OWNED BY table.column` (qualified table, column).
    pub owned_by: Option<(String, String)>,
    /// `COMMENT ON SEQUENCE`.
    pub comment: Option<String>,
    /// Granted privileges.
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
    pub unlogged: bool,
    /// Columns in their physical order.
    pub columns: Vec<Column>,
    /// Constraints other than NOT NULL, by name.
    pub constraints: BTreeMap<String, Constraint>,
    /// Indexes that do not back a constraint, by name.
    pub indexes: BTreeMap<String, Index>,
    /// Triggers (user-defined, including constraint triggers), by name.
    pub triggers: BTreeMap<String, Trigger>,
    /// Row-level security policies, by name.
    pub policies: BTreeMap<String, Policy>,
    /// `ENABLE ROW LEVEL SECURITY`.
    pub rls_enabled: bool,
    /// `FORCE ROW LEVEL SECURITY`.
    pub rls_forced: bool,
    /// `PARTITION BY ...` clause (partitioned tables).
    pub partition_key: Option<String>,
    /// `PARTITION OF parent FOR VALUES ...` (partitions).
    pub partition_of: Option<PartitionOf>,
    /// `INHERITS (...)` parents (not partitioning), in order.
    pub inherits: Vec<String>,
    /// Storage parameters (`WITH (...)`), sorted.
    pub options: Vec<String>,
    /// `COMMENT ON TABLE`.
    pub comment: Option<String>,
    /// Granted privileges.
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
    pub collation: Option<String>,
    /// Default expression.
    pub default: Option<String>,
    /// `NOT NULL`.
    pub not_null: bool,
    /// `GENERATED ... AS IDENTITY`.
    pub identity: Option<Identity>,
    /// `GENERATED ALWAYS AS (expr) STORED`: the expression.
    pub generated: Option<String>,
    /// Storage, when not the type's default (`plain`, `external`, `extended`, `main`).
    pub storage: Option<String>,
    /// Inherited from a parent or partitioned table rather than declared here.
    pub inherited: bool,
    /// `COMMENT ON COLUMN`.
    pub comment: Option<String>,
    /// Column-level privileges.
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
    pub columns: Vec<String>,
    /// Foreign keys: the referenced table (qualified) and columns.
    pub references: Option<(String, Vec<String>)>,
    /// `NOT VALID` (existing rows not checked).
    pub not_valid: bool,
    /// Inherited from a parent or partitioned table.
    pub inherited: bool,
    /// `COMMENT ON CONSTRAINT`.
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
    pub columns: Vec<String>,
    /// `UNIQUE`.
    pub unique: bool,
    /// False when a failed `CREATE INDEX CONCURRENTLY` left it unusable.
    pub valid: bool,
    /// Attached to an index of the partitioned parent.
    pub inherited: bool,
    /// `COMMENT ON INDEX`.
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
    pub inherited: bool,
    /// `COMMENT ON TRIGGER`.
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
    pub permissive: bool,
    /// Roles it applies to (`PUBLIC` when none), sorted.
    pub roles: Vec<String>,
    /// `USING (...)`.
    pub using: Option<String>,
    /// `WITH CHECK (...)`.
    pub with_check: Option<String>,
    /// `COMMENT ON POLICY`.
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
    pub materialized: bool,
    /// `pg_get_viewdef`: the query.
    pub definition: String,
    /// Column names, in order.
    pub columns: Vec<String>,
    /// `WITH (...)` options (`security_barrier`, `check_option`, ...), sorted.
    pub options: Vec<String>,
    /// Relations (qualified) the query reads, sorted: views are created after them.
    pub depends_on: Vec<String>,
    /// Indexes (materialized views), by name.
    pub indexes: BTreeMap<String, Index>,
    /// `COMMENT ON VIEW`.
    pub comment: Option<String>,
    /// Granted privileges.
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
    pub returns: Option<String>,
    /// Language name.
    pub language: String,
    /// `immutable`, `stable` or `volatile`.
    pub volatility: String,
    /// `STRICT`.
    pub strict: bool,
    /// `safe`, `restricted` or `unsafe`.
    pub parallel: String,
    /// `SECURITY DEFINER`.
    pub security_definer: bool,
    /// `SET name = value` clauses (e.g. `search_path=public`), sorted.
    pub config: Vec<String>,
    /// `pg_get_functiondef`: the full `CREATE OR REPLACE` statement.
    pub definition: String,
    /// `COMMENT ON FUNCTION`.
    pub comment: Option<String>,
    /// Granted privileges (EXECUTE).
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
    pub all_tables: bool,
    /// Published tables (qualified), sorted, when not all.
    pub tables: Vec<String>,
    /// Published operations: `insert`, `update`, `delete`, `truncate`.
    pub operations: Vec<String>,
}

/// One `ALTER DEFAULT PRIVILEGES` entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DefaultPrivilege {
    /// `FOR ROLE`.
    pub role: String,
    /// `IN SCHEMA`, if limited to one.
    pub schema: Option<String>,
    /// `TABLES`, `SEQUENCES`, `FUNCTIONS`, `TYPES` or `SCHEMAS`.
    pub object_type: String,
    /// What is granted.
    pub grant: Grant,
}
