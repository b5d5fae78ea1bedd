//! avdeploy: a deployment engine for Azure Virtual Desktop.

pub mod atomic_file;
pub mod catalog;
pub mod cli;
pub mod cmd;
pub mod error;
pub mod exec;
pub mod exit_code;
pub mod load;
pub mod model;
pub mod plan;
pub mod ps;
pub mod redact;
pub mod report;
pub mod run;
pub mod runcmd;
pub mod sim;
pub mod state;
pub mod text;
pub mod validate;

/// Runs the command line and returns the process exit code.
pub fn run() -> i32 {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    if std::path::Path::new(&argv0).file_name() == Some(std::ffi::OsStr::new("az")) {
        return sim::az_main(args.collect());
    }
    run::main()
}
