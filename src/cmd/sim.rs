//! `avdeploy sim`: inspect or clear the simulated subscription of this deployment folder.

use crate::cli::GlobalArgs;
use crate::error::Error;
use crate::simulator::Simulator;

/// Runs the simulator's `sim` command (`show`, `reset`) on this folder's simulated subscription.
pub(crate) fn run(
    global: &GlobalArgs,
    matches: &clap::ArgMatches,
    simulator: &dyn Simulator,
) -> Result<i32, Error> {
    simulator.execute(matches, &global.layout()?.sim_dir())?;
    Ok(crate::exit_code::SUCCESS)
}
