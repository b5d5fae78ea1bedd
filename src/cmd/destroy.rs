//! `avdeploy destroy`: run every module's `teardown:` in reverse dependency order, after asking,
//! then mark the deployment destroyed in the state.

use std::io::IsTerminal;

use crate::cli::{DestroyArgs, GlobalArgs};
use crate::cmd::preflight::{self, Preflight};
use crate::cmd::settings::ExecSettings;
use crate::cmd::{checked, confirm, run};
use crate::error::Error;
use crate::exit_code;
use crate::plan::graph::{self, Plan, Target};
use crate::simulator::Simulator;
use crate::state::DeploymentLock;

/// Runs `destroy`.
pub(crate) fn run(
    global: &GlobalArgs,
    args: &DestroyArgs,
    simulator: &dyn Simulator,
) -> Result<i32, Error> {
    let settings = ExecSettings::resolve(
        global,
        &args.exec,
        Some(&args.confirm),
        simulator,
        &|name| std::env::var(name).ok(),
        std::io::stdout().is_terminal(),
    )?;
    let deployment = checked::load_valid(global, false, crate::load::cache::CacheUse::Off)?;
    let plan = graph::build(&deployment, &Target::Destroy)?;
    if plan.ops.is_empty() {
        println!("Nothing to destroy: no module lists `teardown:` operations.");
        return Ok(exit_code::SUCCESS);
    }
    let var = |name: &str| std::env::var(name).ok();
    let planned = plan.ops.iter().map(|op| &*deployment.operations[op.index]);
    let preflight = Preflight::prove(&deployment, planned, &settings, &var)?;
    println!("{}", announcement(&plan));
    if let Some(preflight) = &preflight {
        println!("{}", preflight.summary(plan.ops.len()));
    }
    if !confirm::confirmed(settings.yes, "destroy")? {
        return Ok(exit_code::INVALID_INPUT);
    }
    let lock = DeploymentLock::acquire(&deployment.layout.state_dir())?;
    let store = run::open_store(&deployment.layout, &lock, settings.grace)?;
    // Teardown always runs in full: what an earlier destroy removed may have been created again
    // since. `resume` continues an unfinished destroy without repeating what it did.
    let environment = preflight::environment(preflight.as_ref());
    run::execute(&deployment, &plan, store, &settings, true, environment)
}

/// What destroy is about to run, module by module in the order they are taken down.
fn announcement(plan: &Plan) -> String {
    let mut text = format!(
        "Destroy runs {} of {} in reverse dependency order:",
        crate::base::text::plural(plan.ops.len(), "teardown operation"),
        crate::base::text::plural(plan.modules.len(), "module")
    );
    for module in &plan.modules {
        let ids: Vec<&str> = module
            .stages
            .iter()
            .flat_map(|stage| &stage.ops)
            .map(|&i| plan.ops[i].id.as_str())
            .collect();
        text.push_str(&format!("\n  {}: {}", module.id, ids.join(", ")));
    }
    text
}
