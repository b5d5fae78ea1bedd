//! Parses the command line, runs the command, and is the one place that prints a fatal error
//! and picks the exit code.

use clap::FromArgMatches;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::cmd;
use crate::error::{self, Error};
use crate::exit_code;
use crate::simulator::Simulator;

/// Runs avdeploy with the process's arguments and returns the exit code.
pub(crate) fn main(simulator: &dyn Simulator) -> i32 {
    let parsed = crate::cli::command(simulator)
        .try_get_matches()
        .and_then(|matches| Parsed::from_matches(&matches));
    let parsed = match parsed {
        Ok(parsed) => parsed,
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
    let result = parsed
        .deployment_folder()
        .map_or(Ok(()), cmd::checked::require_deployment)
        .and_then(|()| match &parsed {
            Parsed::Engine(cli) => dispatch(cli, simulator),
            Parsed::Sim(global, matches) => cmd::sim::run(global, matches, simulator),
        });
    match result {
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

/// A parsed command line: an engine command, or `sim` with the simulator's own arguments.
enum Parsed {
    Engine(Cli),
    Sim(GlobalArgs, clap::ArgMatches),
}

impl Parsed {
    fn from_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        match matches.subcommand() {
            Some(("sim", sim)) => Ok(Self::Sim(
                GlobalArgs::from_arg_matches(matches)?,
                sim.clone(),
            )),
            _ => Ok(Self::Engine(Cli::from_arg_matches(matches)?)),
        }
    }

    /// The options naming the deployment folder, when the command works on one.
    fn deployment_folder(&self) -> Option<&GlobalArgs> {
        match self {
            Self::Engine(cli) => cli.command.needs_deployment().then_some(&cli.global),
            Self::Sim(global, _) => Some(global),
        }
    }
}

fn dispatch(cli: &Cli, simulator: &dyn Simulator) -> Result<i32, Error> {
    let global = &cli.global;
    match &cli.command {
        Command::Validate(args) => cmd::validate::run(global, args),
        Command::List(args) => cmd::list::run(global, args),
        Command::Plan(args) => cmd::plan::run(global, args),
        Command::Vars(args) => cmd::vars::run(global, args),
        Command::Completions(args) => cmd::completions::run(args, simulator),
        Command::Run(args) => cmd::run::run(global, args, simulator),
        Command::Resume(args) => cmd::resume::run(global, args, simulator),
        Command::Destroy(args) => cmd::destroy::run(global, args, simulator),
        Command::Status(args) => cmd::status::run(global, args),
        Command::Report(args) => cmd::report::run(global, args),
        Command::Logs(args) => cmd::logs::run(global, args),
        Command::Outputs(args) => cmd::outputs::run(global, args),
        Command::Script(args) => cmd::script::run(global, args),
        Command::Init(args) => cmd::init::run(args),
        Command::Migrate(args) => cmd::migrate::run(global, args),
    }
}
