//! The catalog and the diff, tested against real servers: every object kind
//! inspected (snapshots), recreated from its own script (round trip), and
//! reached from another schema by applying a diff (closure).

mod closure;
mod corpus;
mod fixtures;
mod support;
