//! What `--simulate` and `avdeploy sim` need from a simulated Azure. The engine defines this
//! interface and never imports a simulator: the `avdeploy` binary plugs one in.

use std::path::Path;

/// Which simulated Azure `--simulate` runs the operations against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The built-in `az` shim: fast, imitates the CLI itself (`--simulate`).
    Shim,
    /// The real Azure CLI against a local emulation of Azure's REST APIs
    /// (`--simulate=azure-cli`).
    AzureCli,
}

impl Backend {
    /// The backend as `--simulate=` names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Shim => "shim",
            Self::AzureCli => "azure-cli",
        }
    }
}

/// A simulated Azure CLI that operations can call instead of the real `az`.
pub trait Simulator {
    /// The `avdeploy sim` subcommand (the engine names it and places it in the help).
    fn command(&self) -> clap::Command;
    /// Runs `avdeploy sim ...` on the simulated subscription kept in `dir`, printing to stdout.
    fn execute(&self, matches: &clap::ArgMatches, dir: &Path) -> Result<(), SimulatorError>;
    /// Starts the simulated Azure of `backend` for one run, its subscription kept in `dir`. The
    /// session lives as long as the run; dropping it stops what it started.
    fn start(&self, backend: Backend, dir: &Path) -> Result<Box<dyn Session>, SimulatorError>;
    /// Real seconds per simulated Azure second, from the simulator's settings in the
    /// environment that `var` reads.
    fn time_scale(&self, var: &dyn Fn(&str) -> Option<String>) -> Result<f64, SimulatorError>;
}

/// A simulated Azure running for one run.
pub trait Session {
    /// The variables an operation's environment needs so that its `az` talks to this session.
    fn environment(&self) -> Vec<(String, String)>;
    /// Why an operation whose script is `script` cannot run against this session (for example
    /// a CLI extension it calls that cannot be installed), or `None` when it can.
    fn not_covered(&self, script: &str) -> Option<String>;
    /// The real time an operation may run against this session when its `duration.timeout`
    /// is `timeout` (Azure time); by default `timeout` itself.
    fn operation_timeout(&self, timeout: std::time::Duration) -> std::time::Duration {
        timeout
    }
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
