//! `avdeploy completions`: shell completion scripts.

use crate::cli::CompletionsArgs;
use crate::error::Error;
use crate::simulator::Simulator;

/// Prints completions for the shell, `sim` included.
pub(crate) fn run(args: &CompletionsArgs, simulator: &dyn Simulator) -> Result<i32, Error> {
    let mut command = crate::cli::command(simulator);
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "avdeploy", &mut script);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
    Ok(crate::exit_code::SUCCESS)
}
