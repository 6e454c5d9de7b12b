//! The drift engine: the catalog is the truth, the history table a claim.
//!
//! [`replay()`] applies migrations one by one in a shadow database and inspects
//! after each, giving snapshots `S0..Sn`. From them, pure functions derive each
//! migration's [`Footprint`] (what it changed, object by object), the
//! provenance of every object of the expected schema (which migration last set
//! it), and — held against the live schema and the history — a [`Diagnosis`]:
//! per migration, verified, phantom, partial, unrecorded, modified,
//! unverifiable or pending, plus the live objects no migration explains.
#![deny(missing_docs)]

mod check;
mod diagnose;
mod edit;
mod execute;
mod objects;
mod plan;
mod replay;
#[cfg(test)]
mod test_support;

pub use check::{CheckReport, Clone, StatementOutcome, check, clone_target};
pub use diagnose::{Diagnosis, Locate, MigrationDiagnosis, Status, diagnose, locate};
pub use execute::{Backup, ExecuteOptions, Executed, RepairError, count_rows, execute};
pub use objects::{Effect, Footprint, Objects, apply_footprint, footprint, objects};
pub use plan::{Guard, PartialFix, Plan, PlanOptions, Step, StepKind, adoption_sql, plan};
pub use replay::{Replay, ReplayError, replay};
