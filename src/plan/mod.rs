//! Plans: stages or a dependency graph, the throttle, locks, expected durations.

pub mod cycle;
pub mod graph;
pub mod timeline;
