//! SQL text as plumb sees it, without a database: statements with their byte
//! ranges, psql meta-commands, transaction control, and positions as people
//! read them (line and column).
//!
//! Parsing is squawk's lossless, error-tolerant tree. It is used to *find*
//! things (where statements end, what kind they are), never to judge validity:
//! PostgreSQL itself does that when the statements run.
#![deny(missing_docs)]

pub mod lint;
mod position;
mod split;

pub use position::{LineIndex, byte_offset_of_char_position};
pub use split::{MetaCommand, Script, Statement, StatementKind, split};
