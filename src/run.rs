//! Parses the command line, runs the command, and is the one place that prints a fatal error
//! and picks the exit code.

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::cmd;
use crate::error::{self, Error};
use crate::exit_code;

/// Runs avdeploy with the process's arguments and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                exit_code::INVALID_INPUT
            } else {
                exit_code::SUCCESS
            };
            let _ = error.print();
            return code;
        }
    };
    match dispatch(&cli) {
        Ok(code) => code,
        // A reader that went away (`avdeploy list | head`) is not an error worth a message.
        Err(Error::Output(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            exit_code::SUCCESS
        }
        Err(error) => {
            eprintln!("{}", error::display_chain(&error));
            error.exit_code()
        }
    }
}

fn dispatch(cli: &Cli) -> Result<i32, Error> {
    let global = &cli.global;
    match &cli.command {
        Command::Validate(args) => cmd::validate::run(global, args),
        Command::List(args) => cmd::list::run(global, args),
        Command::Plan(args) => cmd::plan::run(global, args),
        Command::Vars(args) => cmd::vars::run(global, args),
        Command::Completions(args) => cmd::completions::run(args),
        Command::Run(args) => cmd::run::run(global, args),
        Command::Resume(args) => cmd::resume::run(global, args),
        Command::Status(args) => cmd::status::run(global, args),
        Command::Report(args) => cmd::report::run(global, args),
        Command::Logs(args) => cmd::logs::run(global, args),
        Command::Script(args) => cmd::script::run(global, args),
        Command::Sim(command) => cmd::sim::run(global, command),
        Command::Init(args) => cmd::init::run(args),
    }
}
