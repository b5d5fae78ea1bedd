//! What `--simulate` and `avdeploy sim` need from a simulated Azure. The engine defines this
//! interface and never imports a simulator: the `avdeploy` binary plugs one in.

use std::path::Path;

/// A simulated Azure CLI that operations can call instead of the real `az`.
pub trait Simulator {
    /// The `avdeploy sim` subcommand (the engine names it and places it in the help).
    fn command(&self) -> clap::Command;
    /// Runs `avdeploy sim ...` on the simulated subscription kept in `dir`, printing to stdout.
    fn execute(&self, matches: &clap::ArgMatches, dir: &Path) -> Result<(), SimulatorError>;
    /// Installs the simulated `az` for the subscription kept in `dir` and returns the variables
    /// an operation's environment needs so that its `az` is the simulator.
    fn environment(&self, dir: &Path) -> std::io::Result<Vec<(String, String)>>;
    /// Real seconds per simulated Azure second, from the simulator's settings in the
    /// environment that `var` reads.
    fn time_scale(&self, var: &dyn Fn(&str) -> Option<String>) -> Result<f64, SimulatorError>;
}

/// A failure the simulator reported; it displays as the simulator's own error.
#[derive(Debug)]
pub struct SimulatorError {
    /// Whether the cause is a bad setting given by the user (exit 2) rather than a failure.
    pub invalid_input: bool,
    /// What the simulator reported.
    pub error: Box<dyn std::error::Error + Send + Sync>,
}

impl std::fmt::Display for SimulatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for SimulatorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}
