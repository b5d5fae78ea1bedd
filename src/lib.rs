//! avdeploy: a deployment engine for Azure Virtual Desktop.

pub mod atomic_file;
pub mod azure_cli;
pub mod base;
pub mod cli;
pub mod cmd;
pub mod error;
pub mod examples;
pub mod exec;
pub mod exit_code;
pub mod load;
pub mod migrate;
pub mod model;
pub mod plan;
pub mod ps;
pub mod report;
pub mod run;
pub mod runcmd;
pub mod simulator;
pub mod state;
pub mod validate;

/// Runs the command line with `simulator` behind `--simulate` and `avdeploy sim`; returns the
/// process exit code.
pub fn run(simulator: &dyn simulator::Simulator) -> i32 {
    run::main(simulator)
}
