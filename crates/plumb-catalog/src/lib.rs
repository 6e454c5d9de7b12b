//! plumb's eye: the normalized catalog ([`Schema`]) and [`inspect()`], which
//! reads a live database into it with one set-based query per object kind.
//!
//! The model lives in `plumb-model` (re-exported here) and knows nothing about how it
//! was fetched: it is plain data, deterministic (ordered maps, no OIDs) and serializable,
//! so diagnosis and diffing are pure functions over it.
#![deny(missing_docs)]

mod inspect;

pub use inspect::{
    Change, HISTORY_SCHEMAS, HISTORY_TABLES, InspectError, InspectOptions, Inspector, Tracked, inspect, inspect_with,
};
pub use plumb_model::*;
