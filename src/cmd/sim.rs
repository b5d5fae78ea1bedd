//! `avdeploy sim`: inspect or clear the simulated subscription of this deployment folder.

use crate::cli::GlobalArgs;
use crate::cmd::run::state_dir;
use crate::error::Error;
use crate::sim::cli::SimCommand;

/// Runs `sim show` or `sim reset`.
pub fn run(global: &GlobalArgs, command: &SimCommand) -> Result<i32, Error> {
    crate::sim::cli::execute(command, &state_dir(&global.dir).join("sim"))?;
    Ok(crate::exit_code::SUCCESS)
}
