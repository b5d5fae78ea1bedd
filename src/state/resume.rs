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
}

/// Splits `run`'s plan into what would run again and what is already completed.
pub fn resume_plan(run: &RunRecord, completed: &HashSet<String>) -> ResumePlan {
    let (done, to_run) = run
        .planned
        .iter()
        .cloned()
        .partition(|op| completed.contains(&op.operation));
    ResumePlan {
        run_id: run.id.clone(),
        target: run.target.clone(),
        to_run,
        completed: done,
    }
}
