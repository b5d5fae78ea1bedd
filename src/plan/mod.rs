//! Plans: stages or a dependency graph, the throttle, locks, expected durations.

pub mod expand;
pub mod graph;
pub mod timeline;
