//! The `avdeploy` command: the engine with the Azure simulator plugged in behind `--simulate`
//! and `avdeploy sim`. Started under the name `az` (the link `--simulate` puts first on the
//! operations' PATH), the executable is the simulator's `az` shim instead.

use std::path::Path;

use avdeploy::simulator::{Simulator, SimulatorError};
use avdeploy_sim::{SimCommand, SimError};
use clap::{FromArgMatches, Subcommand};

fn main() {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let code = if Path::new(&argv0).file_name() == Some(std::ffi::OsStr::new("az")) {
        avdeploy_sim::az_main(args.collect())
    } else {
        avdeploy::run(&AzureSimulator)
    };
    std::process::exit(code);
}

/// The built-in Azure simulator, seen through the engine's [`Simulator`] interface.
struct AzureSimulator;

impl Simulator for AzureSimulator {
    fn command(&self) -> clap::Command {
        let sim = clap::Command::new("sim")
            .about("Inspect or clear the simulated Azure subscription used by --simulate (a test double).")
            .subcommand_required(true)
            .arg_required_else_help(true);
        SimCommand::augment_subcommands(sim)
    }

    fn execute(&self, matches: &clap::ArgMatches, dir: &Path) -> Result<(), SimulatorError> {
        let command = SimCommand::from_arg_matches(matches).map_err(|error| SimulatorError {
            invalid_input: true,
            error: Box::new(error),
        })?;
        avdeploy_sim::execute(&command, dir).map_err(simulator_error)
    }

    fn environment(&self, dir: &Path) -> std::io::Result<Vec<(String, String)>> {
        let bin = avdeploy_sim::install_shim(dir)?;
        let path = std::env::var("PATH").unwrap_or_default();
        Ok(vec![
            ("PATH".to_owned(), format!("{}:{path}", bin.display())),
            (
                avdeploy_sim::settings::DIR_VAR.to_owned(),
                dir.display().to_string(),
            ),
        ])
    }

    fn time_scale(&self, var: &dyn Fn(&str) -> Option<String>) -> Result<f64, SimulatorError> {
        avdeploy_sim::settings::time_scale(&var).map_err(simulator_error)
    }
}

/// A simulator error for the engine: a bad setting is invalid input (exit 2).
fn simulator_error(error: SimError) -> SimulatorError {
    SimulatorError {
        invalid_input: matches!(error, SimError::Setting { .. }),
        error: Box::new(error),
    }
}
