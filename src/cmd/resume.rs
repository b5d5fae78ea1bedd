//! `avdeploy resume`: re-plan the last unfinished run and run what it did not complete.

use std::io::IsTerminal;

use crate::cli::{GlobalArgs, ResumeArgs};
use crate::cmd::preflight::{self, Preflight};
use crate::cmd::settings::ExecSettings;
use crate::cmd::{checked, confirm, run};
use crate::error::Error;
use crate::exit_code;
use crate::plan::graph::{self, Target};
use crate::simulator::Simulator;
use crate::state::{DeploymentLock, resume_plan};

/// Runs `resume`.
pub(crate) fn run(
    global: &GlobalArgs,
    args: &ResumeArgs,
    simulator: &dyn Simulator,
) -> Result<i32, Error> {
    let mut settings = ExecSettings::resolve(
        global,
        &args.exec,
        Some(&args.confirm),
        simulator,
        &|name| std::env::var(name).ok(),
        std::io::stdout().is_terminal(),
    )?;
    let deployment = checked::load_valid(global, false, crate::load::cache::CacheUse::Off)?;
    let var = |name: &str| std::env::var(name).ok();
    let preflight = Preflight::prove(
        &deployment,
        deployment.operations.iter().map(Box::as_ref),
        &settings,
        &var,
    )?;
    let lock = DeploymentLock::acquire(&deployment.layout.state_dir())?;
    let store = run::open_store(&deployment.layout, &lock, settings.grace)?;
    let Some(last) = store.last_unfinished_run()? else {
        println!("Nothing to resume: no unfinished run.");
        return Ok(exit_code::SUCCESS);
    };
    let completed = store.completed_operations()?;
    let resume = resume_plan(&last, &completed, &store.switched_off_operations()?);
    if resume.to_run.is_empty() {
        println!(
            "Nothing to resume: every operation of run {} is completed.",
            last.id
        );
        return Ok(exit_code::SUCCESS);
    }
    let names = |ops: &[crate::model::operation::OperationKey]| {
        ops.iter()
            .map(|op| op.operation.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let kept = if resume.completed.is_empty() {
        String::new()
    } else {
        format!(": {}", names(&resume.completed))
    };
    println!(
        "Resuming run {} ({}): {} to run: {}; {} completed and kept{kept}",
        last.id,
        last.target,
        resume.to_run.len(),
        names(&resume.to_run),
        resume.completed.len(),
    );
    if let Some(preflight) = &preflight {
        println!("{}", preflight.summary(resume.to_run.len()));
    }
    if !confirm::confirmed(settings.yes, "resume")? {
        return Ok(exit_code::INVALID_INPUT);
    }
    let plan = graph::build(&deployment, &Target::parse_recorded(&last.target))?;
    settings.throttle.get_or_insert(last.throttle.max(1));
    let environment = preflight::environment(preflight.as_ref());
    run::execute(&deployment, &plan, store, &settings, false, environment)
}
