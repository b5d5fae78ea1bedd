//! Plans: stages or a dependency graph, the throttle, locks, expected durations.

pub mod coverage;
pub mod expand;
pub mod freshness;
pub mod graph;
#[cfg(test)]
mod graph_tests;
pub mod outside;
pub mod timeline;
