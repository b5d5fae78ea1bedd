//! Plans: stages or a dependency graph, the throttle, locks, expected durations.

pub(crate) mod coverage;
pub(crate) mod expand;
pub(crate) mod freshness;
pub(crate) mod graph;
#[cfg(test)]
mod graph_tests;
pub(crate) mod outside;
pub(crate) mod timeline;
