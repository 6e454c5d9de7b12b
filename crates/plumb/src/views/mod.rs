//! Renderers shared by several commands: what people read of a status, a diagnosis, a
//! check, a plan and an apply in progress. Commands call these; they never call each other.

pub mod check;
pub mod diagnosis;
pub mod plan;
pub mod progress;
pub mod status;
