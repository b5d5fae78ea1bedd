//! What `resume` would do: the last unfinished run's plan minus what already completed.

use std::collections::HashSet;

use crate::model::operation::OperationKey;
use crate::state::records::RunRecord;

/// The operations a `resume` of a run would start, and those it keeps.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ResumePlan {
    /// The run being resumed.
    pub run_id: String,
    /// That run's target (`all`, a module, or `module/operation`).
    pub target: String,
    /// Operations not completed, in plan order: these would run.
    pub to_run: Vec<OperationKey>,
    /// Operations of the plan already completed: never re-run.
    pub completed: Vec<OperationKey>,
    /// Operations of the plan last skipped because their `when:` was false: a resumed run
    /// skips them again, so they are not left to do.
    pub off: Vec<OperationKey>,
}

/// Splits `run`'s plan into what would run again, what is already completed, and what its
/// `when:` switched off.
pub fn resume_plan(
    run: &RunRecord,
    completed: &HashSet<String>,
    off: &HashSet<String>,
) -> ResumePlan {
    let mut plan = ResumePlan {
        run_id: run.id.clone(),
        target: run.target.clone(),
        to_run: Vec::new(),
        completed: Vec::new(),
        off: Vec::new(),
    };
    for op in &run.planned {
        let list = if completed.contains(&op.operation) {
            &mut plan.completed
        } else if off.contains(&op.operation) {
            &mut plan.off
        } else {
            &mut plan.to_run
        };
        list.push(op.clone());
    }
    plan
}
