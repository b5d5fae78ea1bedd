//! `avdeploy status`: each operation's status, what it took against what it was expected to
//! take, the last run, and what `resume` would do. Reads the state while a run may be writing it;
//! expectations come from the deployment when it loads.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use crate::base::layout::Layout;
use crate::cli::{GlobalArgs, JsonArg};
use crate::cmd::checked;
use crate::error::Error;
use crate::exec::unix::is_alive;
use crate::model::deployment::Deployment;
use crate::model::outcome::OperationStatus;
use crate::model::outcome::RunOutcome;
use crate::plan::graph::{self, Target};
use crate::plan::outside;
use crate::report::color::Painter;
use crate::report::durations::annotate;
use crate::report::outputs_view::OutputJson;
use crate::report::status_view::{DestroyedJson, ResumeJson};
use crate::report::{StatusJson, render_document};
use crate::state::db::ENGINE_GONE;
use crate::state::records::{OperationSummary, RunRecord};
use crate::state::{StateDb, resume_plan};

/// Runs `status`.
pub(crate) fn run(global: &GlobalArgs, args: &JsonArg) -> Result<i32, Error> {
    let now = chrono::Utc::now();
    let layout = global.layout()?;
    let store = StateDb::open_read_only(&layout)?;
    let (mut summaries, mut last, resume, destroyed, outputs, done) = match &store {
        Some(store) => {
            let completed = store.completed_operations()?;
            let switched_off = store.switched_off_operations()?;
            // Nothing to resume once every operation of that run has completed since.
            let resume = store
                .last_unfinished_run()?
                .map(|run| resume_plan(&run, &completed, &switched_off))
                .filter(|plan| !plan.to_run.is_empty());
            let destroyed = store.destruction()?.as_ref().map(DestroyedJson::new);
            let summaries = store.operation_summaries()?;
            let outputs = OutputJson::all(&store.outputs()?);
            let done = completed.union(&switched_off).cloned().collect();
            let last = store.last_run()?;
            (summaries, last, resume, destroyed, outputs, done)
        }
        None => (Vec::new(), None, None, None, Vec::new(), HashSet::new()),
    };
    if let Some(run) = &mut last {
        presume_interrupted(run, &mut summaries);
    }
    let mut doc = StatusJson::new(&summaries, last.as_ref(), resume.as_ref(), now);
    doc.destroyed = destroyed;
    doc.outputs = outputs;
    if let (Some(store), Ok((deployment, _))) =
        (&store, checked::load_checked(global, global.cache()))
    {
        // The simulator runs Azure's minutes in milliseconds: what it measured says nothing
        // about what `duration.expected` should be.
        let medians = if simulated(&layout) {
            HashMap::new()
        } else {
            store.completed_medians()?
        };
        annotate(&mut doc, &deployment, &medians);
        doc.durations_simulated = simulated(&layout);
        if let Some(resume) = &mut doc.resume {
            note_blocked_outside(resume, &deployment, &done);
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        let text = render_document(&doc);
        let text = global.stdout_painter().lines(&text, Painter::status_row);
        out.write_all(text.as_bytes())?;
        if let Some(destroyed) = &doc.destroyed {
            out.write_all(destroyed.text().as_bytes())?;
        }
    }
    Ok(crate::exit_code::SUCCESS)
}

/// Marks what `resume` would find blocked again, waiting for modules the run left out; `done`
/// holds the operations that no longer hold others back. A target that no longer plans is
/// left as it is.
fn note_blocked_outside(resume: &mut ResumeJson, deployment: &Deployment, done: &HashSet<String>) {
    let Ok(plan) = graph::build(deployment, &Target::parse_recorded(&resume.target)) else {
        return;
    };
    let left: HashSet<&str> = resume.to_run.iter().map(String::as_str).collect();
    let blocked = outside::blocked_outside(deployment, &plan, &left, &|id| done.contains(id));
    resume.blocked_outside = blocked.operations;
    resume.run_first = blocked.run_first;
}

/// Whether the folder has been run against the simulator.
fn simulated(layout: &Layout) -> bool {
    layout.sim_dir().exists()
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
