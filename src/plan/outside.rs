//! Requirements outside a plan: operations of other modules that a run of the plan never starts.
//! An operation waiting for them stays blocked however often the run is resumed; only a run of
//! their modules (or of `all`) unblocks it.

use std::collections::HashSet;

use crate::model::deployment::Deployment;
use crate::model::instances;
use crate::plan::graph::Plan;

/// The modules, in deployment order, of the requirements in `missing` that `plan` does not hold.
pub(crate) fn modules_outside(
    deployment: &Deployment,
    plan: &Plan,
    missing: &[String],
) -> Vec<String> {
    let outside: HashSet<&str> = missing
        .iter()
        .filter(|id| plan.ops.iter().all(|op| op.id != **id))
        .filter_map(|id| deployment.operation(instances::split_instance(id).0))
        .map(|op| op.module.as_str())
        .collect();
    deployment
        .modules
        .iter()
        .map(|module| &module.id.value)
        .filter(|id| outside.contains(id.as_str()))
        .cloned()
        .collect()
}

/// What of a plan only runs of other modules can unblock.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BlockedOutside {
    /// The operations left to do that wait, directly or through another one of them, for
    /// requirements outside the plan; in plan order.
    pub operations: Vec<String>,
    /// The modules of those requirements, in deployment order.
    pub run_first: Vec<String>,
}

/// Which of the operations `left` of `plan` wait for requirements outside it; `done` says
/// whether a requirement no longer holds anything back (completed, or switched off by its
/// `when:`).
pub(crate) fn blocked_outside(
    deployment: &Deployment,
    plan: &Plan,
    left: &HashSet<&str>,
    done: &dyn Fn(&str) -> bool,
) -> BlockedOutside {
    let mut blocked: Vec<String> = Vec::new();
    let mut outside: Vec<String> = Vec::new();
    for op in plan.ops.iter().filter(|op| left.contains(op.id.as_str())) {
        let missing: Vec<String> = op.requires.iter().filter(|id| !done(id)).cloned().collect();
        let modules = modules_outside(deployment, plan, &missing);
        if !modules.is_empty() || missing.iter().any(|id| blocked.contains(id)) {
            blocked.push(op.id.clone());
            outside.extend(modules);
        }
    }
    BlockedOutside {
        operations: blocked,
        run_first: deployment
            .modules
            .iter()
            .map(|module| &module.id.value)
            .filter(|id| outside.contains(id))
            .cloned()
            .collect(),
    }
}
