//! avdeploy: a deployment engine for Azure Virtual Desktop.

pub(crate) mod atomic_file;
pub mod azure_cli;
pub mod base;
pub(crate) mod cli;
pub(crate) mod cmd;
pub(crate) mod error;
pub mod examples;
pub(crate) mod exec;
pub(crate) mod exit_code;
pub mod load;
pub(crate) mod migrate;
pub mod model;
pub(crate) mod plan;
pub mod ps;
pub mod report;
pub(crate) mod run;
pub mod runcmd;
pub mod simulator;
pub mod state;
pub mod validate;

/// Runs the command line with `simulator` behind `--simulate` and `avdeploy sim`; returns the
/// process exit code.
pub fn run(simulator: &dyn simulator::Simulator) -> i32 {
    run::main(simulator)
}
