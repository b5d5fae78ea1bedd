//! `avdeploy report`: writes the timeline of a run (the last one, or the one named) as a
//! self-contained HTML page, built from the state, the JSONL event log and the current plan.

use crate::base::text::plural;
use crate::cli::{GlobalArgs, ReportArgs};
use crate::cmd::checked;
use crate::error::Error;
use crate::model::deployment::Deployment;
use crate::model::operation::Action;
use crate::plan::graph::{self, Plan, Target};
use crate::plan::timeline;
use crate::report::html;
use crate::report::run_timeline::{PlanView, RunTimeline, Sources};
use crate::report::stage_log::read_stages;
use crate::state::StateDb;
use crate::state::records::RunRecord;

/// Runs `report`.
pub(crate) fn run(global: &GlobalArgs, args: &ReportArgs) -> Result<i32, Error> {
    let root = &global.dir;
    let layout = global.layout()?;
    let store = StateDb::open_read_only(&layout)?.ok_or_else(|| Error::Usage {
        message: format!("no run recorded in `{}` yet", root.display()),
    })?;
    let run = match &args.run_id {
        Some(id) => store.run(id)?.ok_or_else(|| Error::Usage {
            message: match store.last_run().ok().flatten() {
                Some(last) => format!("no run `{id}` (the last run is `{}`)", last.id),
                None => format!("no run `{id}`"),
            },
        })?,
        None => store.last_run()?.ok_or_else(|| Error::Usage {
            message: format!("no run recorded in `{}` yet", root.display()),
        })?,
    };
    let attempts = store.run_attempts(&run.id)?;
    let stages = read_stages(&layout.logs_dir(), &run.id)?;
    let planned = planned_for(global, &run);
    let (plan, note) = match planned {
        Ok(plan) => (Some(plan), None),
        Err(note) => (None, Some(note)),
    };
    let prediction = plan
        .as_ref()
        .map(|(plan, _)| timeline::predict(plan, run.throttle));
    let view = match (&plan, &prediction) {
        (Some((plan, commands)), Some(timeline)) => Some(PlanView {
            plan,
            timeline,
            commands,
        }),
        _ => None,
    };
    let built = RunTimeline::build(&Sources {
        run: &run,
        attempts: &attempts,
        stages: &stages,
        plan: view,
        now: chrono::Utc::now(),
    });
    let page = html::render(&built, note.as_deref());
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| layout.report_file(&run.id));
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| Error::Io {
            action: "create",
            path: parent.to_path_buf(),
            source,
        })?;
    }
    crate::atomic_file::write(&output, page.as_bytes()).map_err(|source| Error::Io {
        action: "write",
        path: output.clone(),
        source,
    })?;
    println!(
        "Report of run {} ({}) written to {}",
        run.id,
        plural(built.bars().count(), "attempt"),
        output.display()
    );
    if let Some(note) = note {
        eprintln!("warning: {note}");
    }
    Ok(crate::exit_code::SUCCESS)
}

/// The run's plan under the current deployment, with what each operation runs; or why there is
/// none. Operations of the target that the run did not plan (completed before a resume) take
/// no time in the prediction.
fn planned_for(
    global: &GlobalArgs,
    run: &RunRecord,
) -> Result<(Plan, Vec<Option<String>>), String> {
    let unavailable = |why: String| format!("no prediction: {why}");
    let (deployment, diagnostics) = checked::load_checked(global, global.cache())
        .map_err(|e| unavailable(format!("the deployment does not load ({e})")))?;
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        return Err(unavailable(format!(
            "the deployment has {} now (run `avdeploy validate`)",
            plural(errors, "error")
        )));
    }
    let mut plan = graph::build(&deployment, &Target::parse_recorded(&run.target))
        .map_err(|e| unavailable(format!("the run's target no longer plans ({e})")))?;
    let in_run: std::collections::HashSet<&str> =
        run.planned.iter().map(|p| p.operation.as_str()).collect();
    for op in &mut plan.ops {
        if !in_run.contains(op.id.as_str()) {
            op.expected = std::time::Duration::ZERO;
        }
    }
    let commands = plan
        .ops
        .iter()
        .map(|op| command(&deployment, op.index))
        .collect();
    Ok((plan, commands))
}

/// What an operation runs, as written (variables not substituted, so no secret value).
fn command(deployment: &Deployment, index: usize) -> Option<String> {
    let op = deployment.operations.get(index)?;
    Some(match &op.action {
        Action::Bash { command } => command.value.clone(),
        Action::RunCommand(rc) => format!(
            "PowerShell through az vm run-command on VM {} in {}",
            rc.vm.value, rc.resource_group.value
        ),
    })
}
