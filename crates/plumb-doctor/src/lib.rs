//! The drift engine: the catalog is the truth, the history table a claim.
//!
//! [`replay()`] applies migrations one by one in a shadow database and inspects
//! after each: each migration's [`Footprint`] is its effects, `(ObjectId, before,
//! after)`. Held against the live schema and the history, pure functions find the
//! [`Frontier`] (the snapshot the live schema is closest to) and a [`Diagnosis`]:
//! per migration, verified, phantom, partial, unrecorded, modified, unverifiable or
//! pending, plus the live objects no migration explains. [`plan()`] turns it into a
//! repair by convergence; [`execute()`] runs it.
#![deny(missing_docs)]

mod check;
mod diagnose;
mod error;
mod execute;
mod objects;
mod plan;
mod preflight;
mod replay;
mod shadow;
mod situation;
mod stand_in;
#[cfg(test)]
mod test_support;

pub use check::{CheckReport, CloneReport, StatementError, StatementOutcome, StatementStatus, check, clone_target};
pub use diagnose::{
    Diagnosis, Difference, Frontier, Locate, MigrationDiagnosis, MissingFile, Status, diagnose, locate, unconverged,
};
pub use error::DoctorError;
pub use execute::{Backup, ExecuteOptions, Executed, RepairError, count_rows, execute};
pub use objects::{Effect, Footprint, ObjectId, ObjectKind, Objects, Part, Value, apply_footprint, footprint, objects};
pub use plan::{Guard, PartialFix, Plan, PlanOptions, Step, StepKind, adoption_sql, plan};
pub use preflight::{PlacedFinding, Preflight, preflight};
pub use replay::{Inspection, Replay, ReplayError, replay, replay_with};
pub use shadow::{Progress, Quiet, ReplayCache, Shadow, ShadowServer, cached_replay};
pub use situation::{Situation, lint_facts};
