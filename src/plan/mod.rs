//! Plans: stages or a dependency graph, the throttle, locks, expected durations.

pub mod graph;
pub mod timeline;
