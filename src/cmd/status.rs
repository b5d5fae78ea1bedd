//! `avdeploy status`: each operation's status, the last run, and what `resume` would do. Reads
//! the state while a run may be writing it.

use std::io::Write;

use crate::cli::{GlobalArgs, JsonArg};
use crate::cmd::run::state_dir;
use crate::error::Error;
use crate::exec::unix::is_alive;
use crate::model::status::OperationStatus;
use crate::model::status::RunOutcome;
use crate::report::color::Painter;
use crate::report::status::DestroyedJson;
use crate::report::{StatusJson, render_status};
use crate::state::records::{OperationSummary, RunRecord};
use crate::state::store::ENGINE_GONE;
use crate::state::{Store, resume_plan};

/// Runs `status`.
pub fn run(global: &GlobalArgs, args: &JsonArg) -> Result<i32, Error> {
    let now = chrono::Utc::now();
    let store = Store::open_read_only(&state_dir(&global.dir))?;
    let (mut summaries, mut last, resume, destroyed) = match &store {
        Some(store) => {
            let completed = store.completed_operations()?;
            // Nothing to resume once every operation of that run has completed since.
            let resume = store
                .last_unfinished_run()?
                .map(|run| resume_plan(&run, &completed))
                .filter(|plan| !plan.to_run.is_empty());
            let destroyed = store.destruction()?.as_ref().map(DestroyedJson::new);
            let summaries = store.operation_summaries()?;
            (summaries, store.last_run()?, resume, destroyed)
        }
        None => (Vec::new(), None, None, None),
    };
    if let Some(run) = &mut last {
        presume_interrupted(run, &mut summaries);
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut doc = StatusJson::new(&summaries, last.as_ref(), resume.as_ref(), now);
        doc.destroyed = destroyed;
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        let text = render_status(&summaries, last.as_ref(), resume.as_ref(), now);
        let text = global.stdout_painter().lines(&text, Painter::status_row);
        out.write_all(text.as_bytes())?;
        if let Some(destroyed) = &destroyed {
            out.write_all(destroyed.text().as_bytes())?;
        }
    }
    Ok(crate::exit_code::SUCCESS)
}

/// A run without an outcome whose engine process is gone (killed, crashed) is shown as
/// interrupted, as the next `run` or `resume` records it: `status` never writes the state.
fn presume_interrupted(run: &mut RunRecord, summaries: &mut [OperationSummary]) {
    if run.outcome.is_some() || is_alive(run.pid) {
        return;
    }
    run.outcome = Some(RunOutcome::Interrupted);
    for summary in summaries
        .iter_mut()
        .filter(|s| s.status == OperationStatus::Running)
    {
        summary.status = OperationStatus::Interrupted;
        summary.error.get_or_insert_with(|| ENGINE_GONE.to_owned());
    }
}
