//! Plans: stages or a dependency graph, the throttle, locks, expected durations.

pub mod cycle;
pub mod expand;
pub mod graph;
pub mod timeline;
