//! `avdeploy completions`: shell completion scripts.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Error;

/// Prints completions for the shell.
pub fn run(args: &CompletionsArgs) -> Result<i32, Error> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "avdeploy", &mut std::io::stdout());
    Ok(crate::exit_code::SUCCESS)
}
