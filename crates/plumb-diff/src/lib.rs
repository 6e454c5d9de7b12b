//! `Schema × Schema → changes → ordered SQL`. Pure: no connections, no files.
//!
//! [`diff`] compares two catalogs and returns the [`Change`]s that turn the
//! first into the second, ordered by dependency: schemas and extensions,
//! types, sequences, functions, tables, columns, constraints with foreign keys
//! last, indexes, views, triggers and policies, then comments and grants;
//! drops come first, in reverse. Each change says whether it can lose data,
//! which lock it takes and whether it can run in a transaction. Renames are
//! never guessed: a renamed object is a drop and a create, shown as such.
#![deny(missing_docs)]

mod change;
mod ddl;
mod diff;
#[cfg(test)]
mod tests;

pub use change::{Action, Change, Diff};
pub use diff::diff;

use plumb_model::Schema;

/// The SQL script that creates `schema` in a fresh database of `server_major`.
pub fn create_script(schema: &Schema, server_major: u32) -> String {
    diff(&Schema::new_database(server_major), schema).script()
}
