//! The model checker: two endpoints and a faulty channel (`system`), the properties
//! (`properties`), and an exhaustive breadth-first exploration (`explore`).

pub mod disk;
pub mod explore;
pub mod explorer;
pub mod level;
pub mod liveness;
pub mod properties;
pub mod report;
pub mod sweep;
pub mod system;
pub mod visited;

pub use explore::{Exploration, Limits, Verdict, explore};
pub use system::{Guard, IsnMode, Options, Scenario, Side, Sys, System};
